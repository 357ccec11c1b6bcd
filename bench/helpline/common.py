"""Shared set-up of the helpline benchmarks: Django on the bench database, the line and its people."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/maillage_bench_helpline"


def database_url(port: int, database: str) -> str:
    return f"postgres://postgres@127.0.0.1:{port}/{database}"


def setup_django(port: int | None = None, database: str | None = None) -> None:
    """Django on the database given (`--port`, `--database`), else on DATABASE_URL or the default one."""
    sys.path.insert(0, str(ROOT))
    if port is not None and database is not None:
        os.environ["DATABASE_URL"] = database_url(port, database)
    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")
    os.environ.setdefault("MAILLAGE_DEBUG", "false")
    os.environ.setdefault("MAILLAGE_VAR_DIR", "/tmp/maillage-bench-helpline")
    import django

    django.setup()


def ensure_database(url: str | None = None) -> bool:
    """Create the bench database if missing (connects to the `postgres` maintenance database); True if created."""
    import psycopg

    url = url or os.environ.get("DATABASE_URL", DEFAULT_URL)
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')
    return not exists
