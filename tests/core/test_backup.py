"""Backups that restore: the archive, the drill, encryption, retention and every refusal."""

from __future__ import annotations

import json
import sqlite3
import tarfile
from pathlib import Path

import pyrage
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from maillage.core import backup as backups
from maillage.core.models import Organisation
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def media(tmp_path: Path, settings) -> Path:  # type: ignore[no-untyped-def]
    root = tmp_path / "media"
    (root / "imports").mkdir(parents=True)
    (root / "imports" / "journal.csv").write_text("date;theme\n2026-01-05;FOOD\n")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": str(root)}},
    }
    return root


def _live_fingerprints() -> dict[str, backups.Fingerprint]:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            return backups.postgres_fingerprints(cursor)
    # A plain connection: Django's converts column types, the backup reads the stored values.
    plain = sqlite3.connect(connection.settings_dict["NAME"])
    try:
        return backups.sqlite_fingerprints(plain)
    finally:
        plain.close()


def test_backup_manifest_holds_every_table_with_the_live_row_counts(tmp_path: Path, media: Path) -> None:
    OrganisationFactory.create_batch(3)
    archive = backups.create_backup(tmp_path / "backups")

    with backups.opened(archive) as backup:
        manifest = backup.manifest
    live = _live_fingerprints()
    assert {table: row["rows"] for table, row in manifest["tables"].items()} == {
        table: print_.rows for table, print_ in live.items()
    }
    assert manifest["tables"]["core_organisation"]["rows"] == Organisation.objects.count()
    assert manifest["media_files"] == 1
    assert manifest["engine"] == connection.vendor
    assert archive.stat().st_mode & 0o777 == 0o600


def test_restore_drill_verifies_every_table(tmp_path: Path, media: Path, capsys: pytest.CaptureFixture[str]) -> None:
    OrganisationFactory.create_batch(2)
    call_command("backup", "--to", str(tmp_path / "backups"))
    call_command("restore", str(tmp_path / "backups"), "--latest-in", "--verify")

    tables = len(_live_fingerprints())
    assert f"verified: {tables} tables," in capsys.readouterr().out


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_sqlite_restore_into_a_new_file_gives_back_the_same_rows_and_files(tmp_path: Path, media: Path) -> None:
    OrganisationFactory.create_batch(2)
    archive = backups.create_backup(tmp_path / "backups")
    restored_media = tmp_path / "restored-media"
    target = tmp_path / "restored.sqlite3"

    with backups.opened(archive) as backup:
        report = backups.restore_sqlite(backup, target, media_root=restored_media)

    copy = sqlite3.connect(target)
    assert backups.sqlite_fingerprints(copy) == _live_fingerprints()
    copy.close()
    assert (restored_media / "imports" / "journal.csv").read_text() == "date;theme\n2026-01-05;FOOD\n"
    assert report.media_files == 1


def test_encrypted_backup_opens_only_with_the_operator_identity(tmp_path: Path, media: Path) -> None:
    identity = pyrage.x25519.Identity.generate()
    other = pyrage.x25519.Identity.generate()
    (tmp_path / "key.txt").write_text(f"# created for the test\n{identity}\n")
    (tmp_path / "other.txt").write_text(f"{other}\n")
    archive = backups.create_backup(tmp_path / "backups", recipients=[str(identity.to_public())])

    assert archive.name.endswith(".tar.age")
    assert not tarfile.is_tarfile(archive)
    with backups.opened(archive, tmp_path / "key.txt") as backup:
        assert backup.manifest["tables"]["core_organisation"]["rows"] == Organisation.objects.count()
    with pytest.raises(CommandError, match="cannot be decrypted with that identity"):
        call_command("restore", str(archive), "--identity", str(tmp_path / "other.txt"), "--verify")
    with pytest.raises(CommandError, match="encrypted: give the age identity file"):
        call_command("restore", str(archive), "--verify")


def test_truncated_backup_is_refused_before_anything_is_written(tmp_path: Path, media: Path) -> None:
    archive = backups.create_backup(tmp_path / "backups")
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])

    with pytest.raises(CommandError, match="damaged or truncated"):
        call_command("restore", str(archive), "--verify")


def test_altered_member_is_refused(tmp_path: Path, media: Path) -> None:
    archive = backups.create_backup(tmp_path / "backups")
    work = tmp_path / "work"
    with tarfile.open(archive) as source:
        source.extractall(work, filter="data")
    manifest = json.loads((work / "manifest.json").read_text())
    (work / "media.tar").write_bytes(b"\0" * 10240)
    altered = tmp_path / "maillage-altered.tar"
    with tarfile.open(altered, "w") as target:
        for member in ("manifest.json", manifest["database"], "media.tar"):
            target.add(work / member, arcname=member)

    with pytest.raises(backups.BackupError, match=r"media\.tar does not match its manifest"), backups.opened(altered):
        pass


def test_restore_into_a_database_that_is_not_empty_is_refused(tmp_path: Path, media: Path) -> None:
    archive = backups.create_backup(tmp_path / "backups")
    before = Organisation.objects.count()

    with pytest.raises(CommandError, match=r"not empty|already exists"):
        call_command("restore", str(archive))
    assert Organisation.objects.count() == before


def test_retention_keeps_the_newest_archives(tmp_path: Path, media: Path) -> None:
    folder = tmp_path / "backups"
    made = [backups.create_backup(folder) for _ in range(3)]
    backups.create_backup(folder, keep=2)

    kept = backups.backups_in(folder)
    assert len(kept) == 2
    assert made[0] not in kept
    assert made[1] not in kept
    assert made[2] in kept


def test_not_a_public_key_is_a_clear_line(tmp_path: Path, media: Path) -> None:
    with pytest.raises(CommandError, match="Not an age public key"):
        call_command("backup", "--to", str(tmp_path), "--encrypt-to", "hello")
    assert backups.backups_in(tmp_path) == []
