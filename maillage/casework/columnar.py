"""A columnar copy of the case-work rows (DuckDB), for the cross-tabs the roll-up cells do not answer: any period,
several filter values, three coded dimensions. DuckDB counts them 10–80× faster than PostgreSQL reads the rows
(bench/casework/README.md).

Exactly in step without being written at every write:
- `build` copies the rows in one PostgreSQL snapshot and records that snapshot beside the file;
- every write to persons, follow-ups or requests logs the persons it touched, with its transaction id
  (statement triggers, migration casework 0014);
- `reading` takes, in one statement, the copy and the persons logged by transactions its snapshot does not see,
  and gives views of the copy's rows minus those persons' plus their current rows read from PostgreSQL. Every
  counted row belongs to one person, so the views hold the rows as PostgreSQL has them now.
The `casework_columnar` command (every 10 minutes) builds a new copy when persons changed, so that difference stays
small; past MAX_CHANGED persons, or without a copy (SQLite, a new install), the engine reads PostgreSQL's rows.
The file holds no name, only ids and codes; it is private to the service (0600) and replaced whole, so an erased
person's rows leave it at the next build (they are not read from the moment of the erasure).
"""

from __future__ import annotations

import logging
import os
import secrets
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from maillage.casework import columnar_spans, rollups
from maillage.casework.rollups_rebuild import copy_into_duckdb, literal

logger = logging.getLogger(__name__)

MAX_CHANGED = 20_000  # persons changed since the copy beyond which the engine reads PostgreSQL's rows

FOLLOWUP_COLUMNS = {
    "id": ("f.id", "BIGINT"),
    "org": ("f.organisation_id", "INTEGER"),
    "date": ("f.date", "DATE"),
    "person_id": ("f.person_id", "BIGINT"),
    "case_file_id": ("f.case_file_id", "BIGINT"),
    "age_band": ("f.age_band", "VARCHAR"),
    "mode": ("f.mode", "VARCHAR"),
    "worker": ("f.worker_id", "INTEGER"),
    "subsidy": ("f.subsidy_id", "INTEGER"),
    "sex": ("p.sex", "VARCHAR"),
    "postal_code": ("p.postal_code", "VARCHAR"),
    "commune": ("p.commune_id", "INTEGER"),
    "household": ("p.household", "VARCHAR"),
    "income_source": ("p.income_source", "VARCHAR"),
    "nationality_group": ("p.nationality_group", "VARCHAR"),
}
REQUEST_COLUMNS = {
    "id": ("r.id", "BIGINT"),
    "follow_up_id": ("r.follow_up_id", "BIGINT"),
    "org": ("r.organisation_id", "INTEGER"),
    "date": ("r.date", "DATE"),
    "person_id": ("f.person_id", "BIGINT"),
    "theme": ("r.theme_id", "INTEGER"),
    "institution": ("r.institution_id", "INTEGER"),
    "stage": ("r.stage_id", "INTEGER"),
}
_SOURCES = {
    "followups": (FOLLOWUP_COLUMNS, "casework_followup f JOIN casework_person p ON p.id = f.person_id"),
    "requests": (
        REQUEST_COLUMNS,
        "casework_request r JOIN casework_followup f ON f.id = r.follow_up_id AND f.date = r.date",
    ),
}


# The rows of some persons only: looked up person by person in the indexes (nested loops; OFFSET 0 keeps the
# planner from flattening them into hash joins over every partition: 2,000 persons at 5M, 1.8 s → 0.3–0.6 s).
_PERSONS_FOLLOWUPS = (
    "unnest(%s::bigint[]) c(pid) CROSS JOIN LATERAL (SELECT * FROM casework_followup f0 WHERE f0.person_id = c.pid"
    " OFFSET 0) f JOIN casework_person p ON p.id = f.person_id"
)
_PERSONS_REQUESTS = (
    "unnest(%s::bigint[]) c(pid) CROSS JOIN LATERAL (SELECT f0.id, f0.date, f0.person_id FROM casework_followup f0"
    " WHERE f0.person_id = c.pid OFFSET 0) f CROSS JOIN LATERAL (SELECT * FROM casework_request r0"
    " WHERE r0.follow_up_id = f.id AND r0.date = f.date OFFSET 0) r"
)


def _select(table: str, persons: list[int] | None = None) -> str:
    """Every row of a source, or only these persons' rows."""
    columns, source = _SOURCES[table]
    listed = ", ".join(sql for sql, _type in columns.values())
    if persons is None:
        return f"SELECT {listed} FROM {source}"  # noqa: S608
    ids = "'{" + ",".join(str(int(pk)) for pk in persons) + "}'"
    lookup = _PERSONS_FOLLOWUPS if table == "followups" else _PERSONS_REQUESTS
    return f"SELECT {listed} FROM {lookup % ids}"  # noqa: S608


def _types(table: str) -> dict[str, str]:
    return {name: kind for name, (_sql, kind) in _SOURCES[table][0].items()}


def _folder() -> Path:
    folder = Path(settings.VAR_DIR) / "columnar"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _copy_out(cursor: Any, engine: Any, source: str, table: str, persons: list[int] | None, scratch: Path) -> None:
    """The rows of one source into a DuckDB table, sorted by date (a period reads only its row groups); the
    changed persons' (`now_…`) into a table of the reading connection."""
    path = scratch / f"{table}.csv"
    select = _select(source, persons)
    copy_into_duckdb(
        cursor, engine, select, table, _types(source), path, order_by="date", temporary=table.startswith("now_")
    )
    path.unlink(missing_ok=True)


# Follow-ups read by a category join their requests: each follow-up with each of its requests (or alone, without
# one) is kept joined (`coded`), read without the join — as the engine's join exactly when every request has its
# follow-up's date (the composite key) and centre (as the services and imports write them), counted in `mismatched`.
def _pre_join(engine: Any, followups: str, requests: str, table: str, *, temporary: bool = False) -> None:
    axes = ", ".join(f"r.{name}" for name in ("theme", "institution", "stage"))
    engine.execute(
        f"CREATE {'TEMPORARY ' if temporary else ''}TABLE {table} AS SELECT f.*, {axes} FROM {followups} f"  # noqa: S608
        f" LEFT JOIN {requests} r ON r.follow_up_id = f.id ORDER BY f.date"
    )
    engine.execute(
        f"CREATE {'TEMPORARY ' if temporary else ''}TABLE {table}_mismatched AS SELECT count(*) AS n"  # noqa: S608
        f" FROM {requests} r JOIN {followups} f ON f.id = r.follow_up_id WHERE r.org <> f.org OR r.date <> f.date"
    )


def _build_spans(engine: Any) -> None:
    """The spans of the copy (`columnar_spans`) with the category versions they read, unless a unit has rows in
    two centres (or a case file of two persons): then the distinct counts are counted from the rows."""
    if columnar_spans.not_exact(engine, "followups"):
        logger.info("columnar copy: a person or case file in two centres, no spans")
        return
    versions = rollups.current_axis_versions()
    columnar_spans.build(engine, "coded", "followups", columnar_spans.code_lists(versions))
    engine.execute(
        "CREATE TABLE spans_versions AS SELECT unnest(?::VARCHAR[]) AS axis, unnest(?::INTEGER[]) AS version",
        [list(versions), list(versions.values())],
    )


def _rows_in(engine: Any, table: str) -> int:
    return int(engine.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608 - one of _SOURCES


def build() -> Path | None:
    """A new copy of every follow-up and request, taken in one snapshot, then put in use (the previous file
    removed). None when another copy is being taken, or a newer one was put in use meanwhile, or not on PostgreSQL."""
    import duckdb

    if connection.vendor != "postgresql":
        return None
    folder = _folder()
    path = folder / f"casework-{secrets.token_hex(8)}.duckdb"
    with tempfile.TemporaryDirectory(dir=folder, prefix="build-") as scratch:
        building = Path(scratch) / "copy.duckdb"
        outermost = not connection.in_atomic_block
        with transaction.atomic(), connection.cursor() as cursor:
            if outermost:  # the copy is one snapshot
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            # One copy at a time (a transaction lock: sessions are pooled); another waiting would copy the same.
            cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext('casework_columnar')), clock_timestamp()")
            locked, taken_at = cursor.fetchone()
            if not locked:
                return None
            cursor.execute("SELECT pg_current_snapshot()::text")
            snapshot = cursor.fetchone()[0]
            with duckdb.connect(str(building)) as engine:
                engine.execute("SET preserve_insertion_order = true")
                for table in _SOURCES:
                    _copy_out(cursor, engine, table, table, None, Path(scratch))
                counts = [_rows_in(engine, table) for table in _SOURCES]
                _pre_join(engine, "followups", "requests", "coded")
                _build_spans(engine)
        os.chmod(building, 0o600)
        os.replace(building, path)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT path FROM casework_columnarcopy FOR UPDATE")
        previous: tuple[Any, ...] | None = cursor.fetchone()
        # Only over an older copy: copies are taken one after the other, but may be put in use in another order.
        cursor.execute(
            "INSERT INTO casework_columnarcopy (id, path, snapshot, taken_at, followups, requests)"
            " VALUES (1, %s, %s::pg_snapshot, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET path = EXCLUDED.path,"
            " snapshot = EXCLUDED.snapshot, taken_at = EXCLUDED.taken_at, built_at = now(),"
            " followups = EXCLUDED.followups, requests = EXCLUDED.requests"
            " WHERE casework_columnarcopy.taken_at < EXCLUDED.taken_at RETURNING id",
            [str(path), snapshot, taken_at, *counts],
        )
        if cursor.fetchone() is None:
            path.unlink()
            return None
        # What the new copy holds no longer needs its persons read from PostgreSQL (a reader of the previous
        # copy took its changes in the same statement as its path, before this commit).
        cursor.execute(
            "DELETE FROM casework_columnarchange WHERE pg_visible_in_snapshot(xid, %s::pg_snapshot)", [snapshot]
        )
    if previous is not None and previous[0] != str(path):
        Path(previous[0]).unlink(missing_ok=True)  # readers that opened it keep their handle
    logger.info("columnar copy %s: %s follow-ups, %s requests", path.name, *counts)
    return path


def kept() -> bool:
    """Whether a copy may exist (PostgreSQL only)."""
    return connection.vendor == "postgresql"


def changed_persons() -> int | None:
    """How many persons changed since the copy (None: no copy)."""
    state = _state()
    return None if state is None else len(state[2])


def _state() -> tuple[str, str, list[int]] | None:
    """The copy's path, a signature of the changes since (any committed change alters it) and the persons
    changed (MAX_CHANGED + 1 at most); None without a copy."""
    if not kept():
        return None
    with connection.cursor() as cursor:
        # One statement: the copy and the changes since its snapshot are read together. One row of the copy
        # (its key) joined to an index range of the changes: estimates small enough that no JIT is compiled.
        cursor.execute(
            "SELECT c.path, count(ch.xid) || ':' || coalesce(max(ch.xid)::text, ''),"
            " (array_agg(DISTINCT ch.person_id) FILTER (WHERE ch.person_id IS NOT NULL))[1:%s]"
            " FROM casework_columnarcopy c LEFT JOIN casework_columnarchange ch"
            " ON ch.xid >= pg_snapshot_xmin(c.snapshot) AND NOT pg_visible_in_snapshot(ch.xid, c.snapshot)"
            " WHERE c.id = 1"
            # a copy from before a restore into another cluster (its transaction ids start over) is not read
            " AND pg_snapshot_xmax(c.snapshot) <= pg_snapshot_xmax(pg_current_snapshot()) GROUP BY c.path",
            [MAX_CHANGED + 1],
        )
        row = cursor.fetchone()
    return None if row is None else (row[0], row[1], list(row[2] or []))


_local = threading.local()


def _engine(path: str) -> Any:
    """This thread's DuckDB with the copy attached read-only (reopened when the copy is replaced)."""
    import duckdb

    current = getattr(_local, "engine", None)
    if current is not None and current[0] == path:
        return current[1]
    _forget_views()
    if current is not None:
        current[1].close()
        _local.engine = None
    engine = duckdb.connect()
    engine.execute("SET memory_limit = '1GB'")  # per app thread: the copy's columns read, not the whole file
    engine.execute(f"ATTACH {literal(Path(path))} AS snap (READ_ONLY)")
    _local.engine = (path, engine)
    return engine


def _forget_views() -> None:
    views = getattr(_local, "views", None)
    if views is not None:
        views[2].close()
        _local.views = None


def _views(
    engine: Any, path: str, signature: str, changed: list[int]
) -> tuple[Any, bool, dict[str, int] | None, frozenset[int], frozenset[str], bool]:
    """A cursor of `engine` with the views `followups` and `requests` for these changes, made once per
    signature: the reads of one page (its cells, margins, comparison) and of the next pages share them."""
    views = getattr(_local, "views", None)
    if views is not None and views[:2] == (path, signature):
        return views[2:]
    _forget_views()
    db = engine.cursor()
    if changed:
        with tempfile.TemporaryDirectory(dir=_folder(), prefix="read-") as scratch, connection.cursor() as cursor:
            db.execute("CREATE TEMPORARY TABLE changed AS SELECT unnest(?::BIGINT[]) AS person_id", [changed])
            for table in _SOURCES:
                _copy_out(cursor, db, table, f"now_{table}", changed, Path(scratch))
        _pre_join(db, "now_followups", "now_requests", "now_coded", temporary=True)
        for table in (*_SOURCES, "coded"):
            db.execute(
                f"CREATE TEMPORARY VIEW {table} AS SELECT s.* FROM snap.{table} s"  # noqa: S608
                f" ANTI JOIN changed c ON c.person_id = s.person_id UNION ALL SELECT * FROM now_{table}"
            )
        mismatched = "(SELECT n FROM snap.coded_mismatched) + (SELECT n FROM now_coded_mismatched)"
    else:
        for table in (*_SOURCES, "coded"):
            db.execute(f"CREATE TEMPORARY VIEW {table} AS SELECT * FROM snap.{table}")  # noqa: S608
        mismatched = "(SELECT n FROM snap.coded_mismatched)"
    coded = db.execute(f"SELECT {mismatched}").fetchone()[0] == 0
    tables = frozenset(
        row[0] for row in db.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'snap'").fetchall()
    )
    spans = _span_views(db, changed, tables)
    centres = frozenset(row[0] for row in db.execute("SELECT DISTINCT org FROM followups").fetchall())
    _local.views = (path, signature, db, coded, spans, centres, tables, bool(changed))
    return db, coded, spans, centres, tables, bool(changed)


def _span_views(db: Any, changed: list[int], tables: frozenset[str]) -> dict[str, int] | None:
    """Views of the spans but `firsts` (`firsts`, on first use) as the rows are now (the changed persons' counted from
    their current rows), and the category versions they read; None when the copy has none or the changes make them
    inexact."""
    if "spans_versions" not in tables:
        return None
    versions = dict(db.execute("SELECT axis, version FROM snap.spans_versions").fetchall())
    names = columnar_spans.span_tables()
    if not changed:
        for name in names:
            db.execute(f"CREATE TEMPORARY VIEW {name} AS SELECT * FROM snap.{name}")  # noqa: S608
        return versions
    touched = (
        "WHERE person_id IN (SELECT person_id FROM changed) OR case_file_id IN (SELECT case_file_id FROM now_followups)"
    )
    if columnar_spans.not_exact(db, "followups", touched):
        return None
    columnar_spans.build(
        db, "now_coded", "now_followups", columnar_spans.code_lists(versions), prefix="now_", temporary=True
    )
    _overlaid(db, names)
    return versions


def _overlaid(db: Any, names: dict[str, str]) -> None:
    """Views of these tables of the copy less the changed persons' rows plus their `now_` rows."""
    for name, person in names.items():
        db.execute(
            f"CREATE TEMPORARY VIEW {name} AS SELECT s.* FROM snap.{name} s"  # noqa: S608
            f" ANTI JOIN changed c ON c.person_id = s.{person} UNION ALL SELECT * FROM now_{name}"
        )


def firsts(reading: Reading, measure: str, pair: tuple[str, ...]) -> str | None:
    """A view of `firsts` (`columnar_spans`) with the previous days of this measure and pair as `prev`, the changed
    persons' counted from their current rows when the pair is first asked (not all 72 at every change); None when
    the copy has no such column."""
    column = columnar_spans.previous_column(measure, pair)
    view = f"firsts_{column}"
    if reading.spans is None or "firsts" not in reading.tables:
        return None
    if reading.db.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = ?", [view]).fetchone()[0]:
        return view
    kept_column = "SELECT count(*) FROM duckdb_columns() WHERE database_name = 'snap' AND table_name = 'firsts'"
    if not reading.db.execute(f"{kept_column} AND column_name = ?", [column]).fetchone()[0]:
        return None  # a copy of other pairs (an older layout): counted from the rows
    kept = f"SELECT {', '.join(columnar_spans.FIRSTS_COLUMNS)}, {column} AS prev FROM snap.firsts s"  # noqa: S608
    if reading.changed:
        args: list[Any] = []
        lists = columnar_spans.code_lists(reading.spans)
        select = columnar_spans.firsts_of("now_coded", lists, measure, pair, args)
        reading.db.execute(f"CREATE TEMPORARY TABLE now_{view} AS {select}", args)
        kept += f" ANTI JOIN changed c ON c.person_id = s.person_id UNION ALL SELECT * FROM now_{view}"  # noqa: S608
    reading.db.execute(f"CREATE TEMPORARY VIEW {view} AS {kept}")
    return view


@dataclass(frozen=True)
class Reading:
    db: Any  # a DuckDB cursor with the views `followups`, `requests` and `coded`
    coded: bool  # whether `coded` may be read instead of joining follow-ups and requests (`_pre_join`)
    spans: dict[str, int] | None  # the category versions the span views read (`columnar_spans`); None: no spans
    centres: frozenset[int]  # every centre with follow-ups: a scope holding them all needs no filter on the centre
    tables: frozenset[str]  # the tables of the copy (one built before a kind of spans has none of them)
    changed: bool  # whether persons changed since the copy (its views hold their rows as they are now)


@contextmanager
def reading() -> Iterator[Reading | None]:
    """A DuckDB cursor with views `followups` and `requests`: the rows as PostgreSQL has them now (module
    docstring); None when there is no copy to read, or too many persons changed since."""
    state = _state()
    if state is None:
        yield None
        return
    path, signature, changed = state
    if len(changed) > MAX_CHANGED:
        logger.info("columnar copy: over %s persons changed since it was built, reading PostgreSQL", MAX_CHANGED)
        yield None
        return
    try:
        views = _views(_engine(path), path, signature, changed)
    except Exception:  # replaced or removed meanwhile, another host's, an older layout: PostgreSQL answers
        logger.info("columnar copy %s cannot be read, reading PostgreSQL", path, exc_info=True)
        _forget_views()
        yield None
        return
    yield Reading(*views)
