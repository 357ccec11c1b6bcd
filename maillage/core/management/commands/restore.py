"""`maillage restore ARCHIVE`: into an empty database, checked table by table against the manifest.

`--verify` is the restore drill: the archive is restored into a new database (PostgreSQL) or a
temporary file (SQLite), compared, and thrown away; nothing of the running site is touched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from maillage.core import backup as backups


class Command(BaseCommand):
    help = "Restore a maillage backup into an empty database (or --verify it without touching anything)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", help="The .tar or .tar.age file made by `maillage backup`.")
        parser.add_argument("--identity", help="The age identity file, for an encrypted archive.")
        parser.add_argument("--verify", action="store_true", help="Restore into a throw-away database and compare.")
        parser.add_argument("--latest-in", action="store_true", help="ARCHIVE is a folder: take its newest backup.")

    def handle(self, *args: Any, **options: Any) -> None:
        archive = Path(options["archive"])
        identity = Path(options["identity"]) if options["identity"] else None
        try:
            if options["latest_in"]:
                found = backups.backups_in(archive) if archive.is_dir() else []
                if not found:
                    raise backups.BackupError(f"No backup in {archive}.")
                archive = found[-1]
            with backups.opened(archive, identity) as backup:
                report = self._verify(backup) if options["verify"] else self._restore(backup)
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        verb = "verified" if options["verify"] else "restored"
        self.stdout.write(
            f"{archive.name} {verb}: {report.tables} tables, {report.rows} rows match the manifest"
            + ("" if options["verify"] else f", {report.media_files} uploaded files")
        )

    def _verify(self, backup: backups.OpenedBackup) -> backups.RestoreReport:
        if backup.manifest["engine"] == "postgresql":
            if connection.vendor != "postgresql":
                raise backups.BackupError("Verifying a PostgreSQL backup needs DATABASE_URL (a server to restore on).")
            return backups.verify_postgres(backup, backups.postgres_dsn())
        return backups.verify_sqlite(backup)

    def _restore(self, backup: backups.OpenedBackup) -> backups.RestoreReport:
        media_root = backups.media_root()
        if connection.vendor == "postgresql":
            return backups.restore_postgres(backup, backups.postgres_dsn(), media_root=media_root)
        return backups.restore_sqlite(backup, Path(settings.DATABASES["default"]["NAME"]), media_root=media_root)
