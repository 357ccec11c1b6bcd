"""Recount the roll-up cells of the centres an import left marked (`rollups_pending`) and whose task did not.

The import queues the recount of its centre after its commit; a worker that stopped, or a task that failed,
leaves the mark (the centre's cross-tabs read its rows meanwhile: exact, slower). Run every 10 minutes.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from maillage.casework import rollups_pending


class Command(BaseCommand):
    help = "Recount the roll-up cells of the centres whose recount after an import is still pending."

    def handle(self, *args: Any, **options: Any) -> None:
        done = rollups_pending.recount_pending()
        self.stdout.write(f"Roll-ups of {done} centre(s) recounted.")
