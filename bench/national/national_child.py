"""One database's half of the national bench (run.py starts it as a child): Django on that database, the plain
copies of its journals, the measurements, one JSON line per measurement on stdout."""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import bench_options  # bench/ put on the path just above

SCHEMA = "bench_national"  # where the plain copies live; made and dropped by this script only


def note(line: str) -> None:
    """A line for the reader, on stderr as it comes (stdout carries the results)."""
    print(line, file=sys.stderr, flush=True)


def load() -> str:
    return bench_options.load()


def timed(function: Callable[[], object], repeat: int) -> tuple[list[float], object]:
    """[median, max] in ms over `repeat` runs after one warming run, and the last run's answer."""
    answer = function()
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        answer = function()
        runs.append((time.perf_counter() - started) * 1000)
    return [statistics.median(runs), max(runs)], answer


def same_rows(*answers: object) -> bool:
    """The answers of PostgreSQL and DuckDB are the same rows (types differ: numeric vs integer, so by text)."""
    normalised = [sorted(tuple(str(value) for value in row) for row in answer) for answer in answers]  # type: ignore[attr-defined]
    return all(rows == normalised[0] for rows in normalised)


def run_sql(sql: str, params: list[object] | None = None, schema: str | None = None) -> Callable[[], list]:
    """A function running `sql` on Django's connection; with `schema`, its tables are read there first (the plain
    copies), the rest (taxonomy, persons) in public."""
    from django.db import connection

    def once() -> list:
        with connection.cursor() as cursor:
            if schema:
                cursor.execute(f"SET search_path TO {schema}, public")
            try:
                cursor.execute(sql, params or [])
                return cursor.fetchall()
            finally:
                if schema:
                    cursor.execute("SET search_path TO DEFAULT")

    return once


def make_plain_copies(tables: list[str]) -> None:
    """Unpartitioned copies of `tables` in SCHEMA: every column and row, the same indexes (built after the rows,
    as a restore would), vacuumed and analysed like the originals (VACUUM ANALYZE of both: same visibility
    maps, fresh statistics). Refuses a SCHEMA already there: this script drops only what it made."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [SCHEMA])
        if cursor.fetchone():
            raise SystemExit(
                f"schema {SCHEMA} already exists in this database (an interrupted run?): look at it and drop it"
                " yourself; this script drops only what it made"
            )
        cursor.execute(f"CREATE SCHEMA {SCHEMA}")
        for table in tables:
            cursor.execute(f"CREATE TABLE {SCHEMA}.{table} (LIKE public.{table})")
            cursor.execute(f"INSERT INTO {SCHEMA}.{table} SELECT * FROM public.{table}")
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = %s", [table])
            for (definition,) in cursor.fetchall():
                cursor.execute(re.sub(r" ON (ONLY )?public\.", f" ON {SCHEMA}.", definition, count=1))
            cursor.execute(f"VACUUM ANALYZE {SCHEMA}.{table}")
            cursor.execute(f"VACUUM ANALYZE public.{table}")
            cursor.execute("SELECT pg_total_relation_size(%s)", [f"{SCHEMA}.{table}"])
            size = cursor.fetchone()[0]
            note(f"plain copy of {table}: {size / 2**20:,.0f} MiB")
    note(f"plain copies made in {time.perf_counter() - started:.1f} s")


def drop_plain_copies() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA {SCHEMA} CASCADE")


def measure(args: argparse.Namespace) -> None:
    """Measure one database (args.child says which) and print each measurement as a JSON line."""
    os.environ.setdefault("MAILLAGE_DEBUG", "false")  # no query log growing over millions of rows
    os.environ.setdefault("MAILLAGE_VAR_DIR", "/tmp/maillage-bench-national")
    bench_options.setup_django(args.port, args.database)
    if args.child == "helpline":
        from helpline_measures import TABLES, measurements
    else:
        from casework_measures import TABLES, measurements  # type: ignore[assignment]
    make_plain_copies(TABLES)
    try:
        for result in measurements(args.repeat):
            print(json.dumps(result), flush=True)
    finally:
        drop_plain_copies()
