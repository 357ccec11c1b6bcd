"""Keep the helpline journal's yearly partitions: create the coming years, detach those past retention.

Scheduled daily (idempotent). Retention is off unless MAILLAGE_HELPLINE_PARTITION_RETENTION_YEARS (or
--retention-years) says how many whole years to keep attached; older years are detached, never dropped.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from maillage.helpline import partitions

RETENTION = "MAILLAGE_HELPLINE_PARTITION_RETENTION_YEARS"


def retention_years() -> int | None:
    """The setting, else the environment (/etc/maillage/env); unset means keep every year attached."""
    value = getattr(settings, RETENTION, None) or os.environ.get(RETENTION, "")
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise CommandError(f"{RETENTION} must be a whole number of years, not {value!r}.") from None


class Command(BaseCommand):
    help = "Create the helpline journal's partitions ahead and detach (never drop) those past retention."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--ahead", type=int, default=1, help="Years to create beyond the current one.")
        parser.add_argument("--retention-years", type=int, default=None, help="Whole years to keep attached.")
        parser.add_argument(
            "--check", action="store_true", help="Change nothing; fail if the coming years lack a partition."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            self.stdout.write("SQLite keeps plain tables: nothing to partition.")
            return
        ahead, keep = options["ahead"], options["retention_years"]
        keep = retention_years() if keep is None else keep
        if ahead < 0 or (keep is not None and keep < 1):
            raise CommandError("--ahead cannot be negative and at least one year must be kept.")
        with connection.cursor() as cursor:
            if not partitions.is_partitioned(cursor):
                raise CommandError("The helpline journal is not partitioned: run `maillage migrate` first.")
            if options["check"]:
                self._check(cursor, ahead)
                return
            with transaction.atomic():
                created = partitions.create_ahead(cursor, ahead)
                detached = self._detach(cursor, keep)
        self.stdout.write(f"Created: {', '.join(created) or 'none'}. Detached: {', '.join(detached) or 'none'}.")

    def _check(self, cursor: Any, ahead: int) -> None:
        this_year = timezone.localtime(timezone.now(), partitions.year_start(2000).tzinfo).year
        missing = [
            f"{table}: no partition for {year}; rows of that year would be refused. "
            f"Run `maillage helpline_partitions --ahead {ahead}`."
            for year in range(this_year, this_year + ahead + 1)
            for table in partitions.uncovered(cursor, partitions.year_start(year))
        ]
        if missing:
            raise CommandError("\n".join(missing))
        self.stdout.write(f"Every year up to {this_year + ahead} has its partitions.")

    def _detach(self, cursor: Any, keep: int | None) -> list[str]:
        if keep is None:
            return []
        this_year = timezone.localtime(timezone.now(), partitions.year_start(2000).tzinfo).year
        try:
            return partitions.detach_before(cursor, partitions.year_start(this_year - keep + 1))
        except partitions.PartitionRefusedError as refusal:
            raise CommandError(str(refusal)) from refusal
