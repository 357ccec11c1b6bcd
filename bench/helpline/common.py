"""Shared set-up of the helpline benchmarks: Django on the bench database, the line and its people."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable
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


def measure_in_children(
    script: str, args: object, runs: Iterable[tuple[str, str]], columns: Callable[[dict], list[object]]
) -> list[str]:
    """Run each (way, target) in a fresh process of `script` (its peak memory is its own) and give one
    Markdown table row per run, the load average at its start in the last column."""
    lines = []
    for way, target in runs:
        command = [sys.executable, script, "--port", str(args.port), "--database", args.database]  # type: ignore[attr-defined]
        command += ["--output", args.output, "--child", way, target]  # type: ignore[attr-defined]
        load = Path("/proc/loadavg").read_text().split()[:3]
        result = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
        line = "| " + " | ".join(str(value) for value in [*columns(result), " ".join(load)]) + " |"
        print(line, flush=True)
        lines.append(line)
    return lines
