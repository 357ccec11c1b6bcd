from typing import Any

from django.core.management.base import BaseCommand

from maillage.events.services import send_absence_messages, send_due_messages, sync_calendars


class Command(BaseCommand):
    help = (
        "Send the scheduled messages whose time has come and the messages after an absence; "
        "store pending invitations in the CalDAV calendar."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{send_due_messages()} scheduled messages sent.")
        self.stdout.write(f"{send_absence_messages()} messages after an absence sent.")
        counts = sync_calendars()
        self.stdout.write(
            f"Calendar: {counts['stored']} stored, {counts['removed']} removed, {counts['failed']} still pending."
        )
