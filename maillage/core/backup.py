"""Backups that restore: one archive holding the database, the uploaded files and a manifest.

The archive is a tar file with three members:

- `manifest.json`: when, which database engine, every table's row count and checksum, and the
  SHA-256 of the two other members (a truncated or altered archive is refused before anything is
  written);
- `database.dump` (PostgreSQL's custom format, read by `pg_restore`) or `database.sqlite3`;
- `media.tar`: the uploaded files.

The checksums are taken in the same snapshot as the dump (`pg_export_snapshot`), so a backup taken
while people work still matches its manifest. With recipients, the whole archive is encrypted
with age (pyrage): the operator keeps the identity file, the server holds only the public key.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyrage
from django.conf import settings
from django.db import connection, connections

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PG_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
MEDIA = "media.tar"
SUFFIX = ".tar"
ENCRYPTED_SUFFIX = ".tar.age"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is the line the operator reads."""


@dataclass(frozen=True)
class Fingerprint:
    rows: int
    checksum: str

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "checksum": self.checksum}


# --- fingerprints of the data -----------------------------------------------------------------------


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def postgres_fingerprints(cursor: Any) -> dict[str, Fingerprint]:
    """Row count and an order-independent checksum of every table of the public schema.

    A partitioned table is counted once, through its parent (which reads every attached partition); its
    partitions are not listed again. A detached partition is a table of its own and is listed.
    """
    cursor.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY c.relname",
    )
    tables = [row[0] for row in cursor.fetchall()]
    result = {}
    for table in tables:
        # md5 of the sorted row hashes: the same rows give the same checksum whatever their physical order.
        cursor.execute(
            f"SELECT count(*), md5(coalesce(string_agg(h, '' ORDER BY h), '')) "  # noqa: S608 - names from pg_tables
            f"FROM (SELECT md5(t::text) AS h FROM {_quoted(table)} t) rows"
        )
        count, checksum = cursor.fetchone()
        result[table] = Fingerprint(int(count), str(checksum))
    return result


def sqlite_fingerprints(database: sqlite3.Connection) -> dict[str, Fingerprint]:
    tables = [
        row[0]
        for row in database.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    result = {}
    for table in tables:
        hashes = sorted(
            hashlib.md5(repr(row).encode(), usedforsecurity=False).hexdigest()
            for row in database.execute(f"SELECT * FROM {_quoted(table)}")  # noqa: S608 - names from sqlite_master
        )
        checksum = hashlib.md5("".join(hashes).encode(), usedforsecurity=False).hexdigest()
        result[table] = Fingerprint(len(hashes), checksum)
    return result


# --- taking a backup ---------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def media_root() -> Path:
    storages: dict[str, Any] = settings.STORAGES
    options: dict[str, Any] = storages["default"].get("OPTIONS", {})
    return Path(options.get("location") or settings.MEDIA_ROOT)


def postgres_dsn(alias: str = "default") -> str:
    """A libpq connection string for the pg_* tools (password through the environment)."""
    config = connections[alias].settings_dict
    parts = [f"dbname={config['NAME']}"]
    for key, name in (("HOST", "host"), ("PORT", "port"), ("USER", "user")):
        if config.get(key):
            parts.append(f"{name}={config[key]}")
    return " ".join(parts)


def _tool_environment(alias: str = "default") -> dict[str, str]:
    env = dict(os.environ)
    password = connections[alias].settings_dict.get("PASSWORD")
    if password:
        env["PGPASSWORD"] = str(password)
    return env


def _run(command: list[str], env: dict[str, str] | None = None) -> None:
    completed = subprocess.run(command, capture_output=True, text=True, env=env, check=False)  # noqa: S603
    if completed.returncode != 0:
        last_line = (completed.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupError(f"{Path(command[0]).name} failed: {last_line}")


def _connect(dsn: str, **options: Any) -> Any:
    import psycopg

    password = connections["default"].settings_dict.get("PASSWORD")
    return psycopg.connect(dsn, password=str(password), **options) if password else psycopg.connect(dsn, **options)


def _dump_postgres(target: Path) -> dict[str, Fingerprint]:
    """Dump in the snapshot in which the fingerprints are computed, on a connection of its own
    (whatever transaction the caller's connection is in)."""
    dsn = postgres_dsn()
    with _connect(dsn) as source, source.cursor() as cursor:
        cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        fingerprints = postgres_fingerprints(cursor)
        _run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={target}",
                dsn,
            ],
            env=_tool_environment(),
        )
        cursor.execute("ROLLBACK")
    return fingerprints


def _copy_sqlite(target: Path) -> dict[str, Fingerprint]:
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)
        return sqlite_fingerprints(copy)
    finally:
        copy.close()


def _tar_media(target: Path) -> int:
    root = media_root()
    count = 0
    with tarfile.open(target, "w") as archive:
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    archive.add(path, arcname=str(path.relative_to(root)))
                    count += 1
    return count


def _migration_state() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, max(name) FROM django_migrations GROUP BY app ORDER BY app")
        return dict(cursor.fetchall())


def create_backup(directory: Path, *, recipients: list[str] | None = None, keep: int | None = None) -> Path:
    """Write one archive into `directory` and return its path; keep only the `keep` newest."""
    directory.mkdir(parents=True, exist_ok=True)
    parsed_recipients = [_recipient(text) for text in recipients or []]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    name = f"maillage-{stamp}"
    with tempfile.TemporaryDirectory(dir=directory) as work_dir:
        work = Path(work_dir)
        engine = connection.vendor
        if engine == "postgresql":
            database_member = PG_DUMP
            fingerprints = _dump_postgres(work / PG_DUMP)
        elif engine == "sqlite":
            database_member = SQLITE_COPY
            fingerprints = _copy_sqlite(work / SQLITE_COPY)
        else:  # pragma: no cover - settings accept only these two
            raise BackupError(f"Backups support PostgreSQL and SQLite, not {engine}.")
        media_files = _tar_media(work / MEDIA)
        manifest = {
            "format": FORMAT_VERSION,
            "created_at": datetime.now(UTC).isoformat(),
            "engine": engine,
            "database": database_member,
            "migrations": _migration_state(),
            "tables": {table: print_.as_dict() for table, print_ in fingerprints.items()},
            "media_files": media_files,
            "members": {member: _sha256(work / member) for member in (database_member, MEDIA)},
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
        plain = work / f"{name}{SUFFIX}"
        with tarfile.open(plain, "w") as archive:
            for member in (MANIFEST, database_member, MEDIA):
                archive.add(work / member, arcname=member)
        if parsed_recipients:
            final = directory / f"{name}{ENCRYPTED_SUFFIX}"
            pyrage.encrypt_file(str(plain), str(final), parsed_recipients)
        else:
            final = directory / f"{name}{SUFFIX}"
            shutil.move(plain, final)
    final.chmod(0o600)
    if keep is not None:
        prune(directory, keep)
    return final


def _recipient(text: str) -> Any:
    try:
        return pyrage.x25519.Recipient.from_str(text.strip())
    except Exception as error:  # pyrage raises its own RecipientError
        raise BackupError(f"Not an age public key: {text.strip()[:20]}…") from error


def backups_in(directory: Path) -> list[Path]:
    """This tool's archives in `directory`, oldest first (the name holds the UTC time)."""
    names = [*directory.glob(f"maillage-*{SUFFIX}"), *directory.glob(f"maillage-*{ENCRYPTED_SUFFIX}")]
    return sorted(names, key=lambda path: path.name)


def prune(directory: Path, keep: int) -> list[Path]:
    if keep < 1:
        raise BackupError("--keep must be at least 1.")
    removed = backups_in(directory)[:-keep]
    for path in removed:
        path.unlink()
    return removed


# --- reading and restoring ---------------------------------------------------------------------------


@dataclass
class OpenedBackup:
    folder: Path
    manifest: dict[str, Any]

    @property
    def database_file(self) -> Path:
        return self.folder / str(self.manifest["database"])


@contextlib.contextmanager
def opened(archive: Path, identity_file: Path | None = None) -> Iterator[OpenedBackup]:
    """Decrypt if needed, unpack into a private folder and check every member against the manifest."""
    if not archive.is_file():
        raise BackupError(f"No backup file at {archive}.")
    with tempfile.TemporaryDirectory() as work_dir:
        work = Path(work_dir)
        plain = archive
        if archive.name.endswith(ENCRYPTED_SUFFIX):
            if identity_file is None:
                raise BackupError("This backup is encrypted: give the age identity file with --identity.")
            plain = work / "archive.tar"
            try:
                identity = pyrage.x25519.Identity.from_str(_identity_line(identity_file))
                pyrage.decrypt_file(str(archive), str(plain), [identity])
            except pyrage.DecryptError as error:
                raise BackupError(
                    "This backup cannot be decrypted with that identity (another key, or a damaged file)."
                ) from error
        manifest = _unpack(plain, work)
        yield OpenedBackup(work, manifest)


def _identity_line(path: Path) -> str:
    if not path.is_file():
        raise BackupError(f"No identity file at {path}.")
    for line in path.read_text().splitlines():
        if line.startswith("AGE-SECRET-KEY-"):
            return line.strip()
    raise BackupError(f"{path} holds no age identity (a line starting with AGE-SECRET-KEY-).")


def _unpack(plain: Path, work: Path) -> dict[str, Any]:
    expected = {MANIFEST, PG_DUMP, SQLITE_COPY, MEDIA}
    try:
        with tarfile.open(plain, "r:") as archive:
            members = archive.getmembers()
            names = {member.name for member in members}
            if not names <= expected or MANIFEST not in names:
                raise BackupError("This file is not a maillage backup (unexpected contents).")
            archive.extractall(work, filter="data")
    except (tarfile.TarError, EOFError) as error:
        raise BackupError("The backup file is damaged or truncated.") from error
    try:
        manifest = json.loads((work / MANIFEST).read_text())
    except json.JSONDecodeError as error:
        raise BackupError("The backup's manifest is damaged.") from error
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"Unknown backup format {manifest.get('format')!r}.")
    for member, digest in manifest["members"].items():
        path = work / member
        if not path.is_file() or _sha256(path) != digest:
            raise BackupError(f"The backup is damaged or truncated: {member} does not match its manifest.")
    return manifest


def _postgres_is_empty(dsn: str) -> bool:
    with _connect(dsn) as target, target.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        row = cursor.fetchone()
    return row is not None and row[0] == 0


def _postgres_fingerprints_of(dsn: str) -> dict[str, Fingerprint]:
    with _connect(dsn) as target, target.cursor() as cursor:
        return postgres_fingerprints(cursor)


def compare(expected: dict[str, Any], actual: dict[str, Fingerprint]) -> list[str]:
    """Lines naming every table whose rows differ from the manifest (empty when all match)."""
    problems = []
    for table, recorded in sorted(expected.items()):
        found = actual.get(table)
        if found is None:
            problems.append(f"{table}: missing")
        elif found.rows != recorded["rows"]:
            problems.append(f"{table}: {found.rows} rows, the manifest says {recorded['rows']}")
        elif found.checksum != recorded["checksum"]:
            problems.append(f"{table}: same row count, different contents")
    problems.extend(f"{table}: not in the manifest" for table in sorted(set(actual) - set(expected)))
    return problems


@dataclass
class RestoreReport:
    tables: int
    rows: int
    media_files: int


def restore_postgres(backup: OpenedBackup, dsn: str, *, media_root: Path | None) -> RestoreReport:
    """Restore into an empty PostgreSQL database, then check every table against the manifest."""
    if backup.manifest["engine"] != "postgresql":
        raise BackupError("This backup is of a SQLite database: restore it with the SQLite settings.")
    if not _postgres_is_empty(dsn):
        raise BackupError("The target database is not empty: restore only into an empty database.")
    _run(
        [
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            f"--dbname={dsn}",
            str(backup.database_file),
        ],
        env=_tool_environment(),
    )
    problems = compare(backup.manifest["tables"], _postgres_fingerprints_of(dsn))
    if problems:
        raise BackupError("The restored data differs from the manifest: " + "; ".join(problems[:5]))
    media = _restore_media(backup, media_root) if media_root is not None else 0
    tables = backup.manifest["tables"]
    return RestoreReport(len(tables), sum(t["rows"] for t in tables.values()), media)


def restore_sqlite(backup: OpenedBackup, target: Path, *, media_root: Path | None) -> RestoreReport:
    if backup.manifest["engine"] != "sqlite":
        raise BackupError("This backup is of a PostgreSQL database: restore it with DATABASE_URL set.")
    if target.exists() and target.stat().st_size > 0:
        raise BackupError(f"{target} already exists: restore only into a new database file.")
    source = sqlite3.connect(backup.database_file)
    try:
        problems = compare(backup.manifest["tables"], sqlite_fingerprints(source))
        if problems:
            raise BackupError("The backup's data differs from its manifest: " + "; ".join(problems[:5]))
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
    finally:
        source.close()
    media = _restore_media(backup, media_root) if media_root is not None else 0
    tables = backup.manifest["tables"]
    return RestoreReport(len(tables), sum(t["rows"] for t in tables.values()), media)


def _restore_media(backup: OpenedBackup, media_root: Path) -> int:
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(backup.folder / MEDIA, "r:") as archive:
        files = [member for member in archive.getmembers() if member.isfile()]
        archive.extractall(media_root, members=files, filter="data")
    return len(files)


def verify_postgres(backup: OpenedBackup, server_dsn: str) -> RestoreReport:
    """The drill: restore into a new database on the same server, compare, drop it."""
    import secrets

    name = f"maillage_restore_drill_{secrets.token_hex(4)}"
    with _connect(server_dsn, autocommit=True) as server:
        server.execute(f'CREATE DATABASE "{name}"')
    try:
        return restore_postgres(backup, _with_dbname(server_dsn, name), media_root=None)
    finally:
        with _connect(server_dsn, autocommit=True) as server:
            server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _with_dbname(dsn: str, name: str) -> str:
    parts = [part for part in dsn.split() if not part.startswith("dbname=")]
    return " ".join([f"dbname={name}", *parts])


def verify_sqlite(backup: OpenedBackup) -> RestoreReport:
    with tempfile.TemporaryDirectory() as work_dir:
        return restore_sqlite(backup, Path(work_dir) / "drill.sqlite3", media_root=None)


def manifest_summary(manifest: dict[str, Any]) -> str:
    tables = manifest["tables"]
    rows = sum(t["rows"] for t in tables.values())
    buffer = io.StringIO()
    buffer.write(f"{manifest['engine']} backup of {manifest['created_at']}: ")
    buffer.write(f"{len(tables)} tables, {rows} rows, {manifest['media_files']} uploaded files")
    return buffer.getvalue()
