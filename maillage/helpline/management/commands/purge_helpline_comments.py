"""Erase helpline comments older than the retention period (MAILLAGE_HELPLINE_COMMENT_RETENTION_DAYS)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from maillage.helpline.services import comment_retention_days, purge_comments


class Command(BaseCommand):
    help = "Erase the free comments of calls older than the retention period; the coded data stays."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None, help="Override the retention period (days).")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"] if options["days"] is not None else comment_retention_days()
        if days < 0:
            self.stderr.write("The retention period cannot be negative.")
            return
        erased = purge_comments(days)
        self.stdout.write(f"{erased} comment(s) older than {days} days erased.")
