"""The former name of `maillage partitions` (kept for crontabs and timers that still call it)."""

from __future__ import annotations

from maillage.core.management.commands.partitions import Command as PartitionsCommand


class Command(PartitionsCommand):
    help = "Former name of `maillage partitions`: every partitioned table, not only the helpline's."
