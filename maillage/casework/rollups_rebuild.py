"""Counting the statistics roll-ups set-based: a full recount after a bulk load (`rebuild`), and the
counting an import shares with it over some persons' rows (`narrow_sources`, `cell_counts`).

Each cell set is one GROUP BY over a narrow copy of the rows (one per source), not an unpivot of every
row into every set. A full recount runs those SELECTs in DuckDB by default (the rows copied out once,
the cells copied back), several times faster than the same SELECTs in PostgreSQL on the same cores;
`tests/casework/test_rollups.py` checks both engines against the raw computation.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from maillage.casework.models import RollupState
from maillage.casework.rollups import (
    ALL,
    ALL_TIME,
    AXES_SQL,
    CODE_DIMENSIONS,
    CODE_PERSON_SOURCE,
    CODE_SOURCE,
    FOLLOWUP_SOURCE,
    FOLLOWUP_SQL,
    FOLLOWUPS,
    KINDS,
    MONTH,
    PERSON_SQL,
    QUARTER,
    REQUEST_SOURCE,
    SETS,
    VERSION,
    YEAR,
    CellSet,
    Kind,
    built_state,
    code_sql_for,
    current_axis_versions,
    dimension_columns,
)


def narrow_select(kind: Kind, code_sql: dict[str, str], where: str = "") -> str:
    """The rows a kind counts, each with its organisation, month, quarter, year, units and coded dimensions."""
    columns = dimension_columns(kind, code_sql)
    unit_columns = "f.id AS id, f.person_id AS person_id, f.case_file_id AS case_file_id"
    return (
        f"SELECT {kind.organisation} AS org,"  # noqa: S608
        f" date_trunc('month', {kind.date})::date AS month, date_trunc('quarter', {kind.date})::date AS quarter,"
        f" date_trunc('year', {kind.date})::date AS year,"
        f" {unit_columns}, {columns} FROM {kind.source}{f' WHERE {where}' if where else ''}"
    )


def _narrow_tables(chosen: list[Kind]) -> dict[str, tuple[str, Kind]]:
    """One narrow table per source the kinds read: source → (table, the first kind reading it)."""
    tables: dict[str, tuple[str, Kind]] = {}
    for kind in chosen:
        tables.setdefault(kind.source, (f"rollup_source_{len(tables)}", kind))
    return tables


def narrow_sources(cursor: Any, chosen: list[Kind], code_sql: dict[str, str], where: str = "") -> dict[str, str]:
    """The rows of each source the kinds count (only those matching `where`), copied once into a narrow
    temporary table with their dimensions: source → table. The caller drops the tables."""
    narrow: dict[str, str] = {}
    for source, (table, kind) in _narrow_tables(chosen).items():
        narrow[source] = table
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(f"CREATE TEMPORARY TABLE {table} AS {narrow_select(kind, code_sql, where)}")
        cursor.execute(f"ANALYZE {table}")
    return narrow


def _constant_dimensions(kind: Kind) -> list[str]:
    """The kind's dimensions that never vary for one unit: a person's (and a case file's) person codes, and
    a follow-up's own codes too."""
    unit = (kind.unit or "").removeprefix("f.")
    constant = [*FOLLOWUP_SQL, *PERSON_SQL] if unit == "id" else list(PERSON_SQL)
    return [d for d in kind.dimensions if d in constant]


def _units_key(kind: Kind, cells: CellSet) -> tuple[str, tuple[str, ...]] | None:
    """For a distinct count whose dimensions vary at most by one per unit: (grain, that dimension), the key
    of a table of distinct (centre, period, unit, that dimension, the constant ones) it can be counted from."""
    if kind.unit is None:
        return None
    constant = _constant_dimensions(kind)
    varying = tuple(d for d in cells.dimensions if d not in constant)
    return (cells.grain, varying) if len(varying) < 2 else None


def cell_counts(
    cursor: Any, chosen: list[Kind], narrow: dict[str, str], code_dimensions: set[str]
) -> Iterator[tuple[Kind, CellSet, str]]:
    """Each cell set of the kinds with the SELECT counting its cells (org, p, a, b, n) over the narrow tables;
    run each before taking the next (a kind's temporary tables of distinct units are dropped after it)."""
    for kind in chosen:
        table = narrow[kind.source]
        unit = (kind.unit or "").removeprefix("f.")
        sets = [
            cells
            for cells in SETS[kind.code]
            # an axis left out (`axes`): its by-code cells are not read
            if not kind.by_code or set(cells.dimensions) & set(CODE_DIMENSIONS) <= code_dimensions
        ]
        shared = Counter(_units_key(kind, cells) for cells in sets)
        units: dict[tuple[str, tuple[str, ...]], str] = {}
        for cells in sets:
            period = {MONTH: "month", QUARTER: "quarter", YEAR: "year", ALL: f"DATE '{ALL_TIME.isoformat()}'"}[
                cells.grain
            ]
            a, b = [*cells.dimensions, "''", "''"][:2]
            key = _units_key(kind, cells)
            if key is not None and shared[key] > 1:
                # Distinct (centre, period, unit, the varying code, the constant codes) once, then each set
                # sharing it is a plain count over that smaller table.
                if key not in units:
                    units[key] = f"rollup_units_{kind.code}_{len(units)}"
                    columns = [period] if cells.grain != ALL else []
                    columns += [unit, *key[1], *_constant_dimensions(kind)]
                    cursor.execute(f"DROP TABLE IF EXISTS {units[key]}")
                    cursor.execute(
                        f"CREATE TEMPORARY TABLE {units[key]} AS SELECT DISTINCT org, {', '.join(columns)}"  # noqa: S608
                        f" FROM {table}"
                    )
                select = (
                    f"SELECT org, {period} AS p, {a} AS a, {b} AS b, count(*) AS n"  # noqa: S608
                    f" FROM {units[key]} GROUP BY 1, 2, 3, 4"
                )
            elif kind.unit is None:
                select = (
                    f"SELECT org, {period} AS p, {a} AS a, {b} AS b, count(*) AS n FROM {table} GROUP BY 1, 2, 3, 4"  # noqa: S608
                )
            else:
                select = (
                    f"SELECT org, p, a, b, count(*) AS n FROM (SELECT DISTINCT org, {period} AS p, {a} AS a,"  # noqa: S608
                    f" {b} AS b, {unit} FROM {table}) units GROUP BY 1, 2, 3, 4"
                )
            yield kind, cells, select
        for units_table in units.values():
            cursor.execute(f"DROP TABLE {units_table}")


def rebuild(
    *,
    work_mem: str = "256MB",
    kinds: Iterable[int] | None = None,
    mark_built: bool = True,
    axes: Iterable[str] | None = None,
    engine: str | None = None,
) -> None:
    """Recount every cell from the raw tables (after a bulk load); writes wait until it is done.

    The rows are copied once into a narrow table per source, then each cell set is one GROUP BY over it,
    run by `engine` (settings.MAILLAGE_ROLLUP_ENGINE by default): DuckDB or PostgreSQL. The SELECTs are
    the same; the cells are written in this transaction either way.
    """
    if connection.vendor != "postgresql":
        return
    chosen = [KINDS[code] for code in (kinds or KINDS)]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE casework_person, casework_followup, casework_request IN SHARE MODE")
        cursor.execute(f"SET LOCAL work_mem = '{work_mem}'; SET LOCAL jit = off")
        if kinds is None:  # a partial rebuild is bracketed by its caller (state removed, then `mark_built`)
            RollupState.objects.all().delete()
        # Kinds added to built cells are counted in the versions the others were built in (they are read together).
        state = built_state() if kinds is not None and axes is None else None
        axis_versions = state.axis_versions if state is not None else current_axis_versions(axes)
        code_sql = code_sql_for(axis_versions)
        code_dimensions = {f"{axis}{level}" for axis in axis_versions for level in (1, 2)}
        if kinds is None:
            cursor.execute("TRUNCATE casework_statcell")
        else:  # a part of the kinds (a bulk load split over several connections)
            cursor.execute("DELETE FROM casework_statcell WHERE kind = ANY(%s)", [[kind.code for kind in chosen]])
        if (engine or settings.MAILLAGE_ROLLUP_ENGINE) == "duckdb":
            _count_in_duckdb(cursor, chosen, code_sql, code_dimensions, emptied=kinds is None)
        else:
            _count_in_postgresql(cursor, chosen, code_sql, code_dimensions)
        if mark_built and kinds is None:
            RollupState.objects.create(version=VERSION, axis_versions=axis_versions, kinds=sorted(KINDS))
        elif mark_built:
            add_built([kind.code for kind in chosen])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE casework_statcell")


def _count_in_postgresql(cursor: Any, chosen: list[Kind], code_sql: dict[str, str], code_dimensions: set[str]) -> None:
    narrow = narrow_sources(cursor, chosen, code_sql)
    for kind, cells, select in cell_counts(cursor, chosen, narrow, code_dimensions):
        cursor.execute(
            "INSERT INTO casework_statcell (kind, gset, organisation_id, period, a, b, n)"  # noqa: S608
            f" SELECT {kind.code}, {cells.gset}, org, p, a, b, n FROM ({select}) c"
        )
    for table in narrow.values():
        cursor.execute(f"DROP TABLE {table}")


logger = logging.getLogger(__name__)

# Every source a kind reads, rebuilt in DuckDB from two copies: the follow-ups with their own and their
# person's codes, and the requests with their axes and category codes (joined there, not copied once per
# source). Column for column what `narrow_select` gives in PostgreSQL.
_FOLLOWUPS = "fu"
_REQUESTS = "rq"
_UNITS = "f.id, f.person_id, f.case_file_id"
_CODES = ", ".join(f"coalesce(r.{code}, '') AS {code}" for code in CODE_DIMENSIONS)
_DIMENSIONS = ", ".join(f"f.{dimension}" for dimension in (*FOLLOWUP_SQL, *PERSON_SQL))
_DUCKDB_SOURCES = {
    FOLLOWUP_SOURCE: f"SELECT * FROM {_FOLLOWUPS}",  # noqa: S608
    REQUEST_SOURCE: f"SELECT r.org, r.month, CAST(date_trunc('quarter', r.month) AS DATE) AS quarter, r.year, {_UNITS}, {', '.join(f'r.{axis}' for axis in AXES_SQL)},"  # noqa: S608
    f" {_DIMENSIONS} FROM {_REQUESTS} r JOIN {_FOLLOWUPS} f ON f.id = r.id",
    # Both by-code sources: every follow-up, with each of its requests' codes ('' without a request).
    CODE_SOURCE: f"SELECT f.org, f.month, f.quarter, f.year, {_UNITS}, {_CODES}, {_DIMENSIONS}"  # noqa: S608
    f" FROM {_FOLLOWUPS} f LEFT JOIN {_REQUESTS} r ON r.id = f.id",
}
_DUCKDB_SOURCES[CODE_PERSON_SOURCE] = _DUCKDB_SOURCES[CODE_SOURCE]
assert {kind.source for kind in KINDS.values()} <= set(_DUCKDB_SOURCES), "a new source needs its DuckDB form"

_NARROW_TYPES = {
    "org": "INTEGER",
    "month": "DATE",
    "quarter": "DATE",
    "year": "DATE",
    "id": "BIGINT",
    "person_id": "BIGINT",
    "case_file_id": "BIGINT",
}


def literal(path: Path) -> str:
    """A file path as a DuckDB string literal."""
    return "'" + str(path).replace("'", "''") + "'"


def copy_into_duckdb(
    cursor: Any,
    engine: Any,
    select: str,
    table: str,
    types: dict[str, str],
    path: Path,
    *,
    order_by: str = "",
    temporary: bool = False,
) -> None:
    """The rows of a PostgreSQL SELECT into a DuckDB table, through a CSV file (every value quoted, so that
    '' stays apart from NULL); `order_by`: stored in that order; `temporary`: a table of this DuckDB connection."""
    with path.open("wb") as out, cursor.cursor.copy(f"COPY ({select}) TO STDOUT (FORMAT csv, FORCE_QUOTE *)") as copy:
        for block in copy:
            out.write(block)
    create = f"CREATE {'TEMPORARY ' if temporary else ''}TABLE {table}"
    if not path.stat().st_size:  # no row: DuckDB cannot read an empty file, and there is nothing to read
        engine.execute(f"{create} ({', '.join(f'{name} {kind}' for name, kind in types.items())})")
        return
    engine.execute(
        f"{create} AS SELECT * FROM read_csv(?, header = false, allow_quoted_nulls = false,"  # noqa: S608
        f" columns = {types!r}){f' ORDER BY {order_by}' if order_by else ''}",
        [str(path)],
    )


@contextmanager
def _indexes_built_after(cursor: Any, emptied: bool) -> Iterator[None]:
    """Millions of cells into an emptied table: its indexes dropped, then built once over all of them
    (53 s → 33 s for 7.4 million cells), in the same transaction (the table is locked since the TRUNCATE)."""
    if not emptied:
        yield
        return
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = 'casework_statcell'::regclass AND contype IN ('p', 'u') ORDER BY contype"
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
        " AND tablename = 'casework_statcell' AND NOT indexname = ANY(%s)",
        [[name for name, _definition in constraints]],
    )
    indexes = cursor.fetchall()
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    for name, _definition in constraints:
        cursor.execute(f'ALTER TABLE casework_statcell DROP CONSTRAINT "{name}"')
    yield
    cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
    for name, definition in constraints:
        cursor.execute(f'ALTER TABLE casework_statcell ADD CONSTRAINT "{name}" {definition}')
    for _name, definition in indexes:
        cursor.execute(definition)


def _count_in_duckdb(
    cursor: Any,
    chosen: list[Kind],
    code_sql: dict[str, str],
    code_dimensions: set[str],
    emptied: bool,
    organisation_id: int | None = None,
    rows_read: Callable[[], None] | None = None,
    before_writing: Callable[[], None] | None = None,
) -> None:
    """The rows out by COPY, the same SELECTs in an in-memory DuckDB (spilling to the var directory past
    MAILLAGE_ROLLUP_MEMORY_MB), the cells back by COPY. Nothing is kept outside this transaction: the files are
    temporary, the DuckDB database in memory. `organisation_id`: that centre's rows only, `rows_read` called once
    they are copied out, `before_writing` before the cells go in (`rollups_pending`)."""
    import duckdb  # only here: the other paths never need it

    started = time.monotonic()
    workdir = Path(settings.VAR_DIR) / "tmp"
    workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=workdir, prefix="rollups-") as scratch, duckdb.connect() as engine:
        engine.execute(f"SET memory_limit = '{int(settings.MAILLAGE_ROLLUP_MEMORY_MB)}MB'")
        engine.execute(f"SET temp_directory = {literal(Path(scratch))}")
        engine.execute("SET preserve_insertion_order = false")
        rows = Path(scratch) / "rows.csv"
        followups = KINDS[FOLLOWUPS]
        fu_types = {**_NARROW_TYPES, **dict.fromkeys(followups.dimensions, "VARCHAR")}
        where = "" if organisation_id is None else f"f.organisation_id = {int(organisation_id)}"
        copy_into_duckdb(cursor, engine, narrow_select(followups, code_sql, where), _FOLLOWUPS, fu_types, rows)
        if any(kind.source != FOLLOWUP_SOURCE for kind in chosen):
            columns = [f"{sql} AS {axis}" for axis, sql in AXES_SQL.items()]
            columns += [f"{code_sql[code]} AS {code}" for code in CODE_DIMENSIONS]
            requests = (
                "SELECT r.follow_up_id AS id, r.organisation_id AS org, date_trunc('month', r.date)::date AS month,"  # noqa: S608
                f" date_trunc('year', r.date)::date AS year, {', '.join(columns)} FROM casework_request r"
            )
            if organisation_id is not None:
                requests += f" WHERE r.organisation_id = {int(organisation_id)}"
            rq_types = {"id": "BIGINT", "org": "INTEGER", "month": "DATE", "year": "DATE"}
            rq_types |= dict.fromkeys([*AXES_SQL, *CODE_DIMENSIONS], "VARCHAR")
            copy_into_duckdb(cursor, engine, requests, _REQUESTS, rq_types, rows)
        logger.info("roll-ups: rows copied into DuckDB in %.1f s", time.monotonic() - started)
        if rows_read is not None:
            rows_read()
        narrow: dict[str, str] = {}
        for source, (table, _kind) in _narrow_tables(chosen).items():
            narrow[source] = table
            engine.execute(f"CREATE TABLE {table} AS {_DUCKDB_SOURCES[source]}")
        engine.execute(
            "CREATE TABLE cells (kind INTEGER, gset INTEGER, org INTEGER, p DATE, a VARCHAR, b VARCHAR, n BIGINT)"
        )
        counting = time.monotonic()
        for kind, cells, select in cell_counts(engine, chosen, narrow, code_dimensions):
            engine.execute(f"INSERT INTO cells SELECT {kind.code}, {cells.gset}, org, p, a, b, n FROM ({select}) c")  # noqa: S608
            if cells is SETS[kind.code][-1]:
                logger.debug("roll-ups: kind %s counted in %.1f s", kind.code, time.monotonic() - counting)
                counting = time.monotonic()
        logger.info("roll-ups: counted in %.1f s", time.monotonic() - started)
        out_path = Path(scratch) / "cells.csv"
        # Into a table keeping its indexes (some kinds added to built cells): in the unique index's order, each
        # page of the index filled in turn instead of millions of inserts at random places.
        written = "cells" if emptied else "(SELECT * FROM cells ORDER BY kind, gset, org, p, a, b)"
        engine.execute(f"COPY {written} TO {literal(out_path)} (FORMAT csv, HEADER false, FORCE_QUOTE (a, b))")
        copy_in = "COPY casework_statcell (kind, gset, organisation_id, period, a, b, n) FROM STDIN (FORMAT csv)"
        if before_writing is not None:
            before_writing()
        with (
            _indexes_built_after(cursor, emptied),
            out_path.open("rb") as cells_file,
            cursor.cursor.copy(copy_in) as copy,
        ):
            while block := cells_file.read(1 << 20):
                copy.write(block)
        logger.info("roll-ups: cells written in %.1f s", time.monotonic() - started)


def mark_built(axes: Iterable[str] | None = None) -> None:
    """Declare the cells complete (after `rebuild(kinds=..., mark_built=False)` for every kind); by-code
    cells are read for `axes` only (all by default)."""
    RollupState.objects.all().delete()
    RollupState.objects.create(version=VERSION, axis_versions=current_axis_versions(axes), kinds=sorted(KINDS))


def add_built(kinds: Iterable[int]) -> None:
    """Declare these kinds complete too (a kind added to built roll-ups, after `rebuild(kinds=...)`); from
    then on they are read and kept. No writer may run between their rebuild and this call."""
    state = built_state()
    if state is not None:
        state.kinds = sorted({*state.kinds, *kinds})
        state.save(update_fields=["kinds"])
