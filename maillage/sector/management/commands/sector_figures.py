"""Compute ahead the figures of every "my centre and the sector" page of the open years (`page_figures`).

Every member centre × period of the grid (the year, its four-month periods, its quarters) of the open data
years and the current year, or of --year; a page whose kept figures were computed from the same counts (and
less than a day ago) is left as it is, so the hourly run costs little when nothing changed.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from maillage.sector.page_figures import warm_up
from maillage.sector.periods import FIRST_YEAR, latest_year


class Command(BaseCommand):
    help = (
        "Compute and keep the figures of every centre's 'my centre and the sector' page for each period of the"
        " open years (hourly; --force: every page again)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--year", action="append", default=[], help="this year (repeatable) instead of the open ones"
        )
        parser.add_argument("--force", action="store_true", help="compute every page again, even unchanged ones")

    def handle(self, *args: Any, **options: Any) -> None:
        years = []
        for raw in options["year"]:
            if not raw.isdigit() or not FIRST_YEAR <= int(raw) <= latest_year():
                raise CommandError(f"--year must be a year between {FIRST_YEAR} and {latest_year()}, not {raw!r}.")
            years.append(int(raw))
        started = time.perf_counter()
        done = warm_up(years or None, force=options["force"])
        seconds = time.perf_counter() - started
        self.stdout.write(f"{done.computed} pages computed, {done.kept} already up to date, in {seconds:.1f} s.")
