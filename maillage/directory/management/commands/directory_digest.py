"""Email each follower the directory changes since their last digest (run it e.g. every morning)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from maillage.directory.queries import subscribers
from maillage.directory.services import send_digest


class Command(BaseCommand):
    help = "Send each follower of a commune or a need one email with the directory changes since the last one."

    def handle(self, *args: Any, **options: Any) -> None:
        # Each digest is recorded in the email outbox in the transaction that moves its subscriptions
        # forward; the task worker sends it after commit and retries a refused connection itself.
        queued = sum(1 for user in subscribers() if send_digest(user, settings.SITE_URL))
        self.stdout.write(f"{queued} digest(s) queued for sending.")
