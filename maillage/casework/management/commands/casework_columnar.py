"""Take a new columnar copy of the case-work rows when persons changed since the last one (every 10 minutes).

The cross-tabs the roll-up cells do not answer are counted on that copy, each reader adding the rows of the
persons changed since from PostgreSQL (`maillage/casework/columnar.py`): the copy is never stale, only the
difference grows until this runs.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from maillage.casework import columnar


class Command(BaseCommand):
    help = "Take a new columnar copy of the case-work rows for the cross-tabs, when persons changed since the last."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="take a copy even when nothing changed")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            self.stdout.write("No columnar copy on SQLite: the cross-tabs read the rows.")
            return
        changed = columnar.changed_persons()
        if changed == 0 and not options["force"]:
            self.stdout.write("Columnar copy up to date: no person changed since it was taken.")
            return
        started = time.monotonic()
        path = columnar.build()
        if path is None:
            raise CommandError("Another copy is being taken; try again when it is done.")
        self.stdout.write(
            f"Columnar copy taken in {time.monotonic() - started:.1f} s"
            f" ({'first copy' if changed is None else f'{changed} person(s) changed since the last'}): {path.name}."
        )
