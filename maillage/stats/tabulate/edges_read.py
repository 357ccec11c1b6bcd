"""A long period that is not whole months (2016-01-05..2025-12-20) counted as the roll-ups' all-time cells less
what the days outside the period alone add to them, those days' rows read on the columnar copy.

Exact, distinct counts included: a unit (person, case file, follow-up) of an all-time cell is not counted over the
period exactly when none of its rows in that cell falls in the period. The days outside hold few units, so only
their rows are grouped (found by a semi-join on the unit) instead of the period's millions: the whole sector over
nearly ten years at 5M follow-ups took DuckDB ~1 s a cell grouping the period (bench/casework/README.md).
Chosen when the days outside hold few of the rows (`_OUTSIDE_AT_MOST`); the period is counted on its own
otherwise (`columnar_read`). The cells and the rows are read in one snapshot: a write between them would
be counted in one and not the other.
"""

from __future__ import annotations

# Only the specs' SQL, integer ids and ISO dates are spliced into the SQL; the filter values and codes are parameters.
# ruff: noqa: S608
import datetime
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import combinations
from typing import Any, NamedTuple

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from maillage.casework import columnar
from maillage.stats.tabulate.columnar_read import (
    UNITS,
    UnanswerableError,
    asked_key,
    assembled,
    decoded,
    margins_memo,
    merged,
    numbered_dimensions,
    packed,
    question_key,
    question_parts,
)
from maillage.stats.tabulate.dimensions import DimensionSpec
from maillage.stats.tabulate.params import FOLLOWUPS, REQUESTS, Params, Scope
from maillage.stats.tabulate.rollup_read import from_rollup

logger = logging.getLogger(__name__)

# The days outside the period are read instead of the period while they hold at most this share of the rows
# (bench/casework/edges.py at 5M, RESULTS.md "A long odd period"): rows counted (requests, follow-ups by no
# category) cost what the days outside hold; distinct follow-ups by a category a little more; a person or case
# file seen outside the period brings all its rows (each person's follow-ups span years), so only a few days.
_OUTSIDE_AT_MOST = {"additive": 0.4, "followups": 0.2, "persons": 0.02, "case_files": 0.02, "keyed": 0.2}


class _Question(NamedTuple):
    measure: str
    base: str
    specs: list[DimensionSpec]
    scope: Scope
    period: tuple[datetime.date | None, datetime.date | None]
    filters: list[tuple[DimensionSpec, list[str]]]
    uses_requests: bool
    additive: bool


def from_whole_less_edges(
    measure: str,
    base: str,
    specs: list[DimensionSpec],
    params: Params,
    scope: Scope,
    date_from: datetime.date | None,
    date_to: datetime.date | None,
    *,
    margin: bool = False,
) -> list[dict[str, Any]] | None:
    """The grouped rows (`d0`… and `value`, as `query.grouped`), or None when the all-time cells do not answer
    the question, there is no copy to read, or the period is short enough to be counted on its own."""
    if (date_from is None and date_to is None) or base not in {FOLLOWUPS, REQUESTS}:
        return None
    if measure not in {*UNITS, "requests"} or not columnar.kept():
        return None
    filters, uses_requests, additive = question_parts(measure, base, specs, params)
    kept_key = ("edges", question_key(measure, base, filters, scope, date_from, date_to), asked_key(specs))
    with _one_snapshot():
        edges = margins_memo().pop(kept_key, None) if margin else None
        if edges is None:
            with columnar.reading() as reading:
                if reading is None or (uses_requests and not reading.coded):
                    # Not pre-joined: the period's follow-ups join only the period's requests, all time every one.
                    return None
                question = _Question(
                    measure, base, specs, scope, (date_from, date_to), filters, uses_requests, additive
                )
                keyed = _keyed(reading.db, question)
                kind = "keyed" if keyed is not None else "additive" if additive else measure
                # the share outside first: the all-time cells are read only when they will be used
                if not _few_outside(reading.db, base, kind, (date_from, date_to)):
                    return None
                whole = from_rollup(measure, base, specs, params, scope, None, None)
                if whole is None:
                    return None
                counted = _keyed_edge_counts(reading.db, specs, keyed) if keyed else _edge_counts(reading.db, question)
            if counted is None:
                return None
            kept = margins_memo()
            for part, rows in counted.items():
                if part != kept_key[2]:
                    kept[(*kept_key[:2], part)] = rows
            edges = counted[kept_key[2]]
        else:
            whole = from_rollup(measure, base, specs, params, scope, None, None)
            if whole is None:
                return None
    return _less(whole, edges, len(specs), params)


@contextmanager
def _one_snapshot() -> Iterator[None]:
    """The roll-up cells and the persons changed since the copy read in one snapshot (PostgreSQL, outside a
    transaction; inside one the caller's isolation holds)."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _keyed(db: Any, question: _Question) -> tuple[Any, ...] | None:
    """Distinct persons or case files by one or two numbered dimensions: the SQL's parts to find, by their (cell,
    unit) key packed in one integer, the pairs seen only outside the period (`_keyed_edge_counts`); None otherwise."""
    measure, base, specs, scope, period, filters, uses_requests, additive = question
    if measure not in {"persons", "case_files"} or not 1 <= len(specs) <= 2:
        return None
    parts_of = assembled(base, specs, scope, None, None, filters, uses_requests, additive, True)
    if parts_of is None:
        return None
    sql, selected, body = parts_of
    numbered = numbered_dimensions(db, specs, sql.args, selected, UNITS[measure])
    if numbered is None:
        return None
    bounds = [f"f.date {op} DATE '{when.isoformat()}'" for op, when in zip((">=", "<="), period, strict=True) if when]
    return (*numbered, body, UNITS[measure], " AND ".join(bounds))


def _keyed_edge_counts(
    db: Any, specs: list[DimensionSpec], keyed: tuple[Any, ...]
) -> dict[tuple[Any, ...], list[dict[str, Any]]] | None:
    """The (cell, unit) pairs seen outside the period less those also seen inside it: a probe of the period's rows
    against the few pairs outside instead of a hash of all its pairs (the sector over 9 years at 5M: 620–659 →
    240–261 ms). Only the asked cells: a table's totals are each one dimension varying within a unit, or none (spans)."""
    expressions, args, decoders, body, unit, inside = keyed
    key, parts = packed(unit, expressions)
    rows = f"SELECT {key} AS k {body}"
    fetched = db.execute(
        f"WITH outside AS (SELECT DISTINCT k FROM ({rows} AND NOT ({inside}))),"
        f" seen AS (SELECT DISTINCT k FROM ({rows} AND {inside}) WHERE k IN (SELECT k FROM outside))"
        f" SELECT {parts}, count(*) FROM (SELECT k FROM outside EXCEPT SELECT k FROM seen) GROUP BY ALL",
        [*args, *args],
    ).fetchall()
    try:
        return {asked_key(specs): merged(decoded(fetched, decoders), specs, False)}
    except UnanswerableError:  # a text outside its choices: the period is counted on its own
        return None


def _few_outside(db: Any, base: str, kind: str, period: tuple[datetime.date | None, datetime.date | None]) -> bool:
    """Whether the days outside the period hold few enough of the rows (`_OUTSIDE_AT_MOST[kind]`)."""
    day = "r.date" if base == REQUESTS else "f.date"
    bounds = [f"{day} {op} DATE '{when.isoformat()}'" for op, when in zip((">=", "<="), period, strict=True) if when]
    table = "snap.requests r" if base == REQUESTS else "snap.followups f"
    outside_rows, rows = db.execute(
        f"SELECT count(*) FILTER (WHERE NOT ({' AND '.join(bounds)})), count(*) FROM {table}"
    ).fetchone()
    return bool(outside_rows <= _OUTSIDE_AT_MOST[kind] * rows)


def _edge_counts(db: Any, question: _Question) -> dict[tuple[Any, ...], list[dict[str, Any]]] | None:
    """What only the days outside the period add to each cell, for the asked dimensions and, for a distinct
    count, for every part of them (the margins the table asks next); None for a question the copy leaves to PostgreSQL."""
    measure, base, specs, scope, period, filters, uses_requests, additive = question
    parts_of = assembled(base, specs, scope, None, None, filters, uses_requests, additive, True)
    if parts_of is None:
        return None
    sql, selected, body = parts_of
    day = f"{sql.dated}.date"
    bounds = [f"{day} {op} DATE '{when.isoformat()}'" for op, when in zip((">=", "<="), period, strict=True) if when]
    inside = " AND ".join(bounds)
    columns = [f"d{i}" for i in range(len(selected))]
    if additive:
        groups = f" GROUP BY {', '.join(columns)}" if columns else ""
        fetched = db.execute(
            f"SELECT {', '.join([*selected, 'count(*)'])} {body} AND NOT ({inside}){groups}", sql.args
        ).fetchall()
        return {asked_key(specs): merged(fetched, specs, additive)}
    unit = UNITS[measure]
    if measure == "followups":  # one date per follow-up: those outside the period have no row inside it
        source = (
            f"SELECT DISTINCT {', '.join([*selected, f'{unit} AS unit'])}, false AS inside {body} AND NOT ({inside})"
        )
        db.execute(f"CREATE OR REPLACE TEMPORARY TABLE edge AS {source}", sql.args)
    else:
        db.execute(
            f"CREATE OR REPLACE TEMPORARY TABLE edge_units AS SELECT DISTINCT unit FROM"
            f" (SELECT {', '.join([*selected, f'{unit} AS unit'])} {body} AND NOT ({inside}))",
            sql.args,
        )
        # every row, inside the period or not, of the units seen outside it
        db.execute(
            f"CREATE OR REPLACE TEMPORARY TABLE edge AS SELECT {', '.join([*selected, f'{unit} AS unit'])},"
            f" {inside} AS inside {body} AND {unit} IN (SELECT unit FROM edge_units)",
            sql.args,
        )
    counted = {}
    for size in range(len(columns), -1, -1):
        for subset in combinations(range(len(columns)), size):
            listed = [columns[i] for i in subset]
            # a unit counted in a cell only for rows outside the period
            only_outside = f"SELECT {', '.join([*listed, 'unit'])} FROM edge GROUP BY ALL HAVING NOT bool_or(inside)"
            fetched = db.execute(
                f"SELECT {', '.join([*listed, 'count(*)'])} FROM ({only_outside}) u"
                + (f" GROUP BY {', '.join(listed)}" if listed else "")
            ).fetchall()
            counted[asked_key([specs[i] for i in subset])] = merged(fetched, [specs[i] for i in subset], additive)
    db.execute("DROP TABLE IF EXISTS edge_units")
    db.execute("DROP TABLE edge")
    return counted


def _less(
    whole: list[dict[str, Any]], edges: list[dict[str, Any]], width: int, params: Params
) -> list[dict[str, Any]] | None:
    """The all-time cells less the edges' counts; None (the period is counted on its own) if the two disagree,
    an edge cell the all-time cells do not have or larger than it: they must hold the same rows."""
    cells = {tuple(row[f"d{i}"] for i in range(width)): row["value"] for row in whole}
    for row in edges:
        key = tuple(row[f"d{i}"] for i in range(width))
        left = cells.get(key, 0) - row["value"]
        if left < 0:
            logger.warning("roll-ups and columnar copy disagree on %s (%s): counting the period", params, key)
            return None
        cells[key] = left
    return [{**{f"d{i}": part for i, part in enumerate(key)}, "value": value} for key, value in cells.items() if value]
