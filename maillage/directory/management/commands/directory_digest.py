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
        sent = failed = 0
        for user in subscribers():
            try:
                if send_digest(user, settings.SITE_URL):
                    sent += 1
            except OSError as error:  # SMTP errors too: that digest is rolled back and retried next run.
                failed += 1
                self.stderr.write(f"Digest for user {user.pk} not sent: {error}")
        self.stdout.write(f"{sent} digest(s) sent, {failed} failed.")
