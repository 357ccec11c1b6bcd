"""Keep every partitioned table's yearly partitions: create the coming years, detach those past retention.

The tables are those of maillage/core/partitions.py (the helpline journal, the case-work follow-ups and their
requests), hence a core command; `helpline_partitions` is its former name. Scheduled daily (idempotent).
Retention is off unless MAILLAGE_PARTITION_RETENTION_YEARS (or --retention-years) says how many whole years
to keep attached; older years are detached, never dropped. MAILLAGE_HELPLINE_PARTITION_RETENTION_YEARS, the
helpline's setting before, still applies to the helpline journal when set.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from maillage.core import partitions
from maillage.core.partitions import PartitionedSet

RETENTION = "MAILLAGE_PARTITION_RETENTION_YEARS"
HELPLINE_RETENTION = "MAILLAGE_HELPLINE_PARTITION_RETENTION_YEARS"


def _setting(name: str) -> int | None:
    value = getattr(settings, name, None) or os.environ.get(name, "")
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise CommandError(f"{name} must be a whole number of years, not {value!r}.") from None


def retention_years(spec: PartitionedSet) -> int | None:
    """The setting, else the environment (/etc/maillage/env); unset means keep every year attached."""
    if spec is partitions.HELPLINE and (kept := _setting(HELPLINE_RETENTION)) is not None:
        return kept
    return _setting(RETENTION)


class Command(BaseCommand):
    help = "Create the partitioned tables' yearly partitions ahead and detach (never drop) those past retention."

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
        ahead = options["ahead"]
        if ahead < 0 or (options["retention_years"] is not None and options["retention_years"] < 1):
            raise CommandError("--ahead cannot be negative and at least one year must be kept.")
        with connection.cursor() as cursor:
            for spec in partitions.SETS:
                if not partitions.is_partitioned(cursor, spec.tables[0]):
                    raise CommandError(f"The {spec.name} are not partitioned: run `maillage migrate` first.")
            if options["check"]:
                self._check(cursor, ahead)
                return
            created, detached = [], []
            with transaction.atomic():
                for spec in partitions.SETS:
                    created += partitions.create_ahead(cursor, spec, ahead)
                    keep = options["retention_years"]
                    detached += self._detach(cursor, spec, retention_years(spec) if keep is None else keep)
        self.stdout.write(f"Created: {', '.join(created) or 'none'}. Detached: {', '.join(detached) or 'none'}.")

    def _check(self, cursor: Any, ahead: int) -> None:
        this_year = partitions.this_year()
        missing = [
            f"{table}: no partition for {year}; rows of that year would be refused. "
            f"Run `maillage partitions --ahead {ahead}`."
            for spec in partitions.SETS
            for year in range(this_year, this_year + ahead + 1)
            for table in partitions.uncovered(cursor, spec, spec.year_start(year))
        ]
        if missing:
            raise CommandError("\n".join(missing))
        self.stdout.write(f"Every year up to {this_year + ahead} has its partitions.")

    def _detach(self, cursor: Any, spec: PartitionedSet, keep: int | None) -> list[str]:
        if keep is None:
            return []
        if keep < 1:
            raise CommandError("At least one year must be kept.")
        try:
            return partitions.detach_before(cursor, spec, spec.year_start(partitions.this_year() - keep + 1))
        except partitions.PartitionRefusedError as refusal:
            raise CommandError(str(refusal)) from refusal
