from typing import Any

from django.core.management.base import BaseCommand

from maillage.stats.export_runs import delete_expired_files


class Command(BaseCommand):
    help = "Delete the files of background exports older than a day (the runs stay as their history)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{delete_expired_files()} export files deleted.")
