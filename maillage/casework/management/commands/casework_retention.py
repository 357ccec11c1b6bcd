"""Erase identifying data of persons whose case files all closed more than N years ago."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from maillage.casework.services import erase_expired, retention_years


class Command(BaseCommand):
    help = (
        "Retention: erase identifying data of case files closed for more than MAILLAGE_CASEWORK_RETENTION_YEARS years."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--years", type=int, default=None, help="Override the configured number of years.")

    def handle(self, *args: Any, **options: Any) -> None:
        years = options["years"] if options["years"] is not None else retention_years()
        count = erase_expired(years)
        self.stdout.write(f"{count} person(s) erased (case files closed more than {years} years ago).")
