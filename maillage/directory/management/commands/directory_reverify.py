"""Queue the annual re-verification emails of the services due (run daily from cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from maillage.directory.tasks import send_reverification_requests


class Command(BaseCommand):
    help = "Queue the annual 'still accurate?' emails of the published services not verified for a year."

    def handle(self, *args: Any, **options: Any) -> None:
        result = send_reverification_requests.enqueue()
        self.stdout.write(f"Re-verification requests queued (task {result.id}).")
