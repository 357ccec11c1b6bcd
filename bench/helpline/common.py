"""Shared set-up of the helpline benchmarks: Django on the bench database, the line and its people."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/maillage_bench_helpline"


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")
    os.environ.setdefault("MAILLAGE_DEBUG", "false")
    os.environ.setdefault("MAILLAGE_VAR_DIR", "/tmp/maillage-bench-helpline")
    import django

    django.setup()


def ensure_database() -> None:
    """Create the bench database if missing (connects to the `postgres` maintenance database)."""
    import psycopg

    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')
