from typing import Any

from django.core.management.base import BaseCommand

from maillage.events.services import send_reminders


class Command(BaseCommand):
    help = "Send the day-before reminders for tomorrow's sessions (each reminder once, however often it runs)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{send_reminders()} reminders sent.")
