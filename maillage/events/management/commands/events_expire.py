from typing import Any

from django.core.management.base import BaseCommand

from maillage.events.services import expire_registrations


class Command(BaseCommand):
    help = "Expire unconfirmed registrations and unanswered offers; offer the freed places to the waiting list."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{expire_registrations()} registrations expired.")
