"""Spans: distinct counts over any long period without hashing the period's rows (issue 19).

A distinct count (persons by theme × nationality over 2019-01-05..2025-12-20) hashes every (cell, unit) pair of the
period's rows: at 5M follow-ups about 0.7 s on 2 cores, DuckDB's own GROUP BY 1 s. Here each (unit, value of one
dimension varying within a unit) is kept once, in tables of the columnar copy:

- `units_<measure>`: per person or case file, its centre and its person's codes (one per unit: `not_exact`);
- `spans_<measure>[_<dimension>]`: per unit and value, the first and last day it has a row;
- `gaps_<measure>[_<dimension>]`: the same key with each stretch of more than GAP_DAYS days between two of its rows
  (`after`, `before`);
- `firsts`: the pre-joined rows with, per measure and pair of dimensions varying within a unit (`SPANNED_PAIRS`:
  theme × mode), the day of the unit's previous row under the same two values (`prev_<p|c>_<d1>__<d2>`);
- `dups_followups_<code>`: the follow-ups with several requests under one code (how many more than one).

A unit is counted in a cell over [a, b] exactly when first <= b, last >= a and no gap runs from before a to after
b; over a period of GAP_DAYS or more every such gap is kept, so the count is a filtered scan of the spans less one of
the gaps (`maillage.stats.tabulate.spans_read`): ~80 ms instead of ~700. By two dimensions varying within a unit, the
spans would be nearly as many as the rows (each person's (theme, mode) pairs are mostly seen once: 6.9M spans for 7M
rows at 5M, 3 GB for the 72 tables); `firsts` counts instead, over any period, the rows inside it whose unit's
previous row under the same values is before it (or none): one per unit and cell, no hashing (7 of 10 years at 5M:
371–457 → 45 ms), ~4 MB a column. Distinct follow-ups by a code are the
pre-joined rows counted (a plain count) less the extra rows of `dups`. Category codes are those of the versions in
force at build (`spans_versions`): another version is counted from the rows. Built with the copy and, for the
persons changed since, from their current rows at read time (`columnar._views`), like every table of the copy.
"""

from __future__ import annotations

# Only column names of this module and integer bounds are spliced into the SQL.
# ruff: noqa: S608
from itertools import combinations
from typing import Any

from maillage.casework import rollups

GAP_DAYS = 365
PERSON_CODES = ("sex", "postal_code", "commune", "household", "income_source", "nationality_group")
FOLLOWUP_OWN = ("age_band", "mode", "worker", "subsidy")
CODE_DIMENSIONS = rollups.CODE_DIMENSIONS
# Distinct persons and case files: the unit's column; their spans per value of each of these dimensions.
SPANNED_UNITS = {"persons": "person_id", "case_files": "case_file_id"}
SPANNED_DIMENSIONS = (*CODE_DIMENSIONS, *FOLLOWUP_OWN)
# Two of them: a table per pair, the worker's left out (offered for one centre, whose rows are few).
SPANNED_PAIRS = list(combinations([d for d in SPANNED_DIMENSIONS if d != "worker"], 2))
# Distinct follow-ups by one code or two: their repeats under the same codes.
FOLLOWUP_CODES = [(code,) for code in CODE_DIMENSIONS] + list(combinations(CODE_DIMENSIONS, 2))


def span_tables() -> dict[str, str]:
    """Every table this module adds to the copy but `firsts` → its column holding the person whose rows it counts."""
    names = {"units_persons": "unit", "units_case_files": "person_id"}
    for measure in SPANNED_UNITS:
        person = "unit" if measure == "persons" else "person_id"
        for dimension in ("", *SPANNED_DIMENSIONS):
            name = spanned_name(measure, dimension)
            names.update({f"spans_{name}": person, f"gaps_{name}": person})
    return names | {f"dups_followups_{'__'.join(codes)}": "person_id" for codes in FOLLOWUP_CODES}


def spanned_name(measure: str, dimension: str) -> str:
    """The name of the spans of a measure by one dimension ("": none), less its `spans_`/`gaps_`."""
    return f"{measure}_{dimension}" if dimension else measure


# The columns of `firsts` besides the previous days: what a pair's cells are read by (the follow-up's centre and day,
# its own codes, its request's categories, its person's codes: one per unit) and the person (the changed persons'
# rows are taken out by it).
FIRSTS_COLUMNS = (
    "org",
    "date",
    "person_id",
    "theme",
    "institution",
    "stage",
    "age_band",
    "mode",
    "subsidy",
    *PERSON_CODES,
)


def previous_column(measure: str, pair: tuple[str, ...]) -> str:
    """The column of `firsts` holding, per row, its unit's previous day under the same values of the pair."""
    return f"prev_{measure[0]}_{'__'.join(pair)}"


def previous_days(
    lists: dict[str, tuple[int, list[str | None]]], measure: str, pair: tuple[str, ...], args: list[Any]
) -> str:
    """Each row of `coded` with its unit's previous day under the same values of the pair (`prev`); `args`: the
    SQL's parameters, appended. Ties on a day in any order: one of them only is the first in a period from that day."""
    values = ", ".join(_code_sql(d, lists, args, numbered=True) if d in CODE_DIMENSIONS else d for d in pair)
    return f"lag(date) OVER (PARTITION BY {SPANNED_UNITS[measure]}, {values} ORDER BY date) AS prev"


def firsts_of(
    coded: str, lists: dict[str, tuple[int, list[str | None]]], measure: str, pair: tuple[str, ...], args: list[Any]
) -> str:
    """The rows of `coded` as a view of `firsts` reads them for one measure and pair (the changed persons')."""
    return f"SELECT {', '.join(FIRSTS_COLUMNS)}, {previous_days(lists, measure, pair, args)} FROM {coded}"


def _build_firsts(db: Any, coded: str, lists: dict[str, tuple[int, list[str | None]]], prefix: str) -> None:
    """`firsts`: the rows of `coded` in their order with the previous days of every pair and measure. Each column
    counted on its own, in the rows' order, then all set side by side (one statement with the 72 windows took
    4 times as long: each window carried every column)."""
    columns = []
    for measure in SPANNED_UNITS:
        for pair in SPANNED_PAIRS:
            args: list[Any] = []
            column = previous_column(measure, pair)
            db.execute(
                f"CREATE TEMPORARY TABLE {column} AS SELECT prev AS {column} FROM (SELECT rowid AS row,"
                f" {previous_days(lists, measure, pair, args)} FROM {coded}) ORDER BY row",
                args,
            )
            columns.append(column)
    beside = " ".join(f"POSITIONAL JOIN {column}" for column in columns)
    db.execute(
        f"CREATE TABLE {prefix}firsts AS SELECT {', '.join(FIRSTS_COLUMNS)}, {', '.join(columns)} FROM {coded} {beside}"
    )
    for column in columns:
        db.execute(f"DROP TABLE {column}")


def code_lists(axis_versions: dict[str, int]) -> dict[str, tuple[int, list[str | None]]]:
    """Each code dimension's codes in these versions, as (lowest category id, code per id from it)."""
    from maillage.taxonomy.models import SchemeVersion

    lists = {}
    for axis in ("theme", "institution", "stage"):
        pk = axis_versions.get(axis)
        version = SchemeVersion.objects.filter(pk=pk).first() if pk is not None else None
        for level in (1, 2):
            codes = rollups.codes_by_id(level, version) if version is not None else {}
            low, high = (min(codes), max(codes)) if codes else (1, 0)
            lists[f"{axis}{level}"] = (low, [codes.get(pk) for pk in range(low, high + 1)])
    return lists


def _code_sql(
    dimension: str, lists: dict[str, tuple[int, list[str | None]]], args: list[Any], *, numbered: bool = False
) -> str:
    """The code of a row's category at the dimension's level (NULL for none); `numbered`: a number per code
    instead, as the code partitions the rows (integers sort faster than texts: 2.5 → 1.3 s a window at 5M)."""
    axis = dimension[:-1]
    low, codes = lists[dimension]
    if numbered:
        number = {code: index for index, code in enumerate(sorted({c for c in codes if c is not None}))}
        args.append([number.get(code) if code is not None else None for code in codes])
    else:
        args.append(codes)
    kind = "INTEGER" if numbered else "VARCHAR"
    return f"CASE WHEN {axis} BETWEEN {low} AND {low + len(codes) - 1} THEN (?::{kind}[])[{axis} - {low - 1}] END"


def _build_spans_by(
    db: Any,
    measure: str,
    dimension: str,
    sources: tuple[str, str],
    lists: dict[str, tuple[int, list[str | None]]],
    create: str,
    prefix: str,
) -> None:
    """The spans and gaps of a measure by one dimension varying within a unit (`v`; "": none), of the rows of
    `sources` (pre-joined, follow-ups alone)."""
    unit = SPANNED_UNITS[measure]
    person = "" if unit == "person_id" else ", person_id"
    args: list[Any] = []
    source = sources[0] if dimension in CODE_DIMENSIONS else sources[1]
    value = _code_sql(dimension, lists, args) if dimension in CODE_DIMENSIONS else dimension
    rows = f"SELECT {unit} AS unit{person}{f', {value} AS v' if dimension else ''}, date FROM {source}"
    key = f"unit{person}{', v' if dimension else ''}"
    name = spanned_name(measure, dimension)
    db.execute(
        f"{create} {prefix}spans_{name} AS SELECT {key}, min(date) AS first, max(date) AS last"
        f" FROM ({rows}) GROUP BY {key}",
        args,
    )
    # a stretch without a row: each row with the key's next one, kept when more than GAP_DAYS apart
    db.execute(
        f"{create} {prefix}gaps_{name} AS SELECT * FROM (SELECT {key}, date AS after,"
        f" lead(date) OVER (PARTITION BY {key} ORDER BY date) AS before FROM ({rows}))"
        f" WHERE before - after > {GAP_DAYS}",
        args,
    )


def not_exact(db: Any, followups: str, only: str = "") -> int:
    """How many persons have rows in two centres, or case files in two centres or of two persons: the spans
    carry one centre and one person's codes per unit, so any makes them inexact. `only`: a filter of the rows."""
    return int(
        db.execute(
            f"SELECT (SELECT count(*) FROM (SELECT person_id FROM {followups} {only} GROUP BY 1"
            " HAVING count(DISTINCT org) > 1)) + (SELECT count(*) FROM (SELECT case_file_id FROM"
            f" {followups} {only} GROUP BY 1 HAVING count(DISTINCT org) > 1 OR count(DISTINCT person_id) > 1))"
        ).fetchone()[0]
    )


def build(
    db: Any,
    coded: str,
    followups: str,
    lists: dict[str, tuple[int, list[str | None]]],
    *,
    prefix: str = "",
    temporary: bool = False,
) -> None:
    """The tables of `span_tables()` (named `prefix` + name) of these rows: `followups` and `coded` (each
    follow-up with each of its requests, or alone). Narrow: a unit's centre and codes are in `units_<measure>`,
    read by a join (carrying them through each GROUP BY took 4 times as long to build)."""
    create = f"CREATE {'TEMPORARY ' if temporary else ''}TABLE"
    for measure, unit in SPANNED_UNITS.items():
        person = "" if unit == "person_id" else ", person_id"  # a case file's person: the changed rows' key
        carried = ", ".join(f"any_value({c}) AS {c}" for c in ("org", *PERSON_CODES))
        person_of = ", any_value(person_id) AS person_id" if person else ""
        db.execute(
            f"{create} {prefix}units_{measure} AS SELECT {unit} AS unit{person_of}, {carried}"
            f" FROM {followups} GROUP BY {unit}"
        )
        for dimension in ("", *SPANNED_DIMENSIONS):
            _build_spans_by(db, measure, dimension, (coded, followups), lists, create, prefix)
    if not temporary:  # the changed persons' previous days are counted when a pair is asked (`columnar.firsts`)
        _build_firsts(db, coded, lists, prefix)
    for codes in FOLLOWUP_CODES:
        # Distinct follow-ups by codes: the pre-joined rows counted, less the follow-ups with two rows in the codes.
        args: list[Any] = []
        values = ", ".join(f"{_code_sql(code, lists, args)} AS v{index + 1}" for index, code in enumerate(codes))
        key = ", ".join(f"v{index + 1}" for index in range(len(codes)))
        db.execute(
            f"{create} {prefix}dups_followups_{'__'.join(codes)} AS SELECT {key.replace('v', 'd.v')}, d.extra, f.*"
            f" FROM (SELECT id, {key}, count(*) - 1 AS extra FROM (SELECT id, {values} FROM {coded})"
            f" GROUP BY id, {key} HAVING count(*) > 1) d JOIN {followups} f ON f.id = d.id",
            args,
        )
