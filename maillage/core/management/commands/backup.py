"""`maillage backup --to DIR`: one archive of the database, the uploaded files and a manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from maillage.core.backup import BackupError, create_backup, manifest_summary, opened


class Command(BaseCommand):
    help = "Back up the database and the uploaded files into one archive (encrypted with --encrypt-to)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--to", dest="directory", required=True, help="Folder that receives the archive.")
        parser.add_argument(
            "--encrypt-to",
            dest="recipients",
            action="append",
            default=[],
            help="An age public key (age1…); repeat for several. The identity file stays with the operator.",
        )
        parser.add_argument("--keep", type=int, help="Keep only this many newest archives in the folder.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            path = create_backup(Path(options["directory"]), recipients=options["recipients"], keep=options["keep"])
            if not options["recipients"]:
                with opened(path) as backup:
                    summary = manifest_summary(backup.manifest)
            else:
                summary = "encrypted"
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{path} ({summary})")
