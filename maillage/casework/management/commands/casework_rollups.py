"""Rebuild the statistics roll-ups when they are missing or outdated (a bulk load, a new scheme version).

Services keep the cells exactly in step with every write; what they cannot follow is a bulk load
outside them or a newly published category version (by-code cells hold the codes of the version in
force when they were built). Until the rebuild, the cross-tab engine reads the raw rows: exact, slower.
Kinds added by an upgrade (`rollups.KINDS` beyond the built `RollupState.kinds`) are counted alone, the
other cells kept; `--kinds 13,14,15` counts these kinds alone by hand.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from maillage.casework import rollups, rollups_rebuild
from maillage.casework.models import RollupState


def outdated_reason(state: RollupState | None) -> str | None:
    if state is None:
        return "not built"
    if state.axis_versions != rollups.current_axis_versions():
        return "a new category version is in force"
    if set(state.kinds) != set(rollups.KINDS):
        return "kinds missing"
    return None


class Command(BaseCommand):
    help = "Rebuild the case-work statistics roll-ups if they are missing or outdated (daily; --force: always)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="rebuild even if the roll-ups are up to date")
        parser.add_argument(
            "--kinds",
            type=lambda text: [int(code) for code in text.split(",")],
            help="count only these kinds (e.g. 13,14,15) and declare them built, the other cells kept",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            self.stdout.write("Roll-ups are used on PostgreSQL only: nothing to do.")
            return
        state = rollups.built_state()
        kinds = options["kinds"]
        if kinds and (state is None or not set(kinds) <= set(rollups.KINDS)):
            raise CommandError(f"Counting some kinds needs built roll-ups and kinds among {sorted(rollups.KINDS)}.")
        reason = "forced" if options["force"] or kinds else outdated_reason(state)
        if reason is None:
            self.stdout.write(f"Roll-ups are up to date ({state}).")
            return
        if reason == "kinds missing":  # kinds added by an upgrade: only they are counted, the other cells kept
            kinds = sorted(set(rollups.KINDS) - set(state.kinds))  # type: ignore[union-attr]
        if kinds:
            rollups_rebuild.rebuild(kinds=kinds)
            self.stdout.write(f"Roll-ups of kinds {kinds} counted ({reason}): {rollups.cells_total()} cells.")
            return
        rollups_rebuild.rebuild()
        self.stdout.write(f"Roll-ups rebuilt ({reason}): {rollups.cells_total()} cells.")
