"""`maillage newsletters_send [--edition N]`: send what is due now, in this process (cron, or the bench)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from maillage.newsletters import sending


class Command(BaseCommand):
    help = "Send the newsletter editions that are due (or one edition), resuming an interrupted sending."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--edition", type=int, default=None)
        parser.add_argument("--rate", type=float, default=None, help="emails per second")

    def handle(self, *args: Any, **options: Any) -> None:
        editions = [options["edition"]] if options["edition"] else sending.due_editions()
        for edition_id in editions:
            outcome = sending.run(edition_id, rate=options["rate"])
            self.stdout.write(f"edition {edition_id}: {outcome}")
