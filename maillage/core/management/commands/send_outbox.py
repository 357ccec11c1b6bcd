"""Send the emails that are due (cron, every minute); the same as the `flush_outbox` task."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from maillage.core.outbox import flush_due


class Command(BaseCommand):
    help = "Send the outbox's due emails; mark those a stopped worker left half-sent as failed."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = flush_due()
        self.stdout.write(", ".join(f"{name}: {count}" for name, count in sorted(counts.items())))
