"""Counting distinct persons, case files or follow-ups over a long period from the spans of the columnar copy
(`maillage.casework.columnar_spans`): a filtered scan of one (unit, value) per row instead of hashing the period's
millions of rows. None when the spans do not answer: a period under a year (gaps shorter than it are not kept;
the period's rows are few), filters, a subsidy scope, time dimensions or two dimensions that vary within a unit
(theme × mode), category versions other than the spans', no copy.
"""

from __future__ import annotations

# Only column names, integer ids and ISO dates are spliced into the SQL.
# ruff: noqa: S608
import datetime
from typing import Any

from maillage.casework import columnar
from maillage.casework.columnar_spans import CODE_DIMENSIONS, FOLLOWUP_OWN, GAP_DAYS, PERSON_CODES, SPANNED_DIMENSIONS
from maillage.stats.tabulate.dimensions import DimensionSpec, target_version
from maillage.stats.tabulate.params import FOLLOWUPS, Params, Scope, axis_of

# The dimensions a unit has one value of, read from the span's own columns; the others vary within a unit and are
# the span's value `v` (one of them at most).
_CONSTANT = {
    "persons": {"centre", *PERSON_CODES},
    "case_files": {"centre", *PERSON_CODES},
    "followups": {"centre", *PERSON_CODES, *FOLLOWUP_OWN, "month", "quarter", "year"},
}
_COLUMN = {
    "centre": "org",
    "month": "CAST(date_trunc('month', date) AS DATE)",
    "quarter": "CAST(date_trunc('quarter', date) AS DATE)",
    "year": "year(date)",
}


def from_spans(
    measure: str,
    base: str,
    specs: list[DimensionSpec],
    params: Params,
    scope: Scope,
    date_from: datetime.date | None,
    date_to: datetime.date | None,
) -> list[dict[str, Any]] | None:
    """The grouped rows (`d0`… and `value`, as `query.grouped`), or None when the spans do not answer."""
    if base != FOLLOWUPS or measure not in _CONSTANT or not columnar.kept():
        return None
    if date_from is None and date_to is None:  # all time: the roll-ups
        return None
    if date_from is not None and date_to is not None and (date_to - date_from).days < GAP_DAYS:
        return None
    if scope.subsidy_id is not None or any(values for values in params.filters.values()):
        return None
    varying = [spec for spec in specs if spec.key not in _CONSTANT[measure]]
    if len(varying) > 1:
        return None
    spanned = varying[0].key if varying else None
    if measure == "followups" and spanned not in CODE_DIMENSIONS:
        return None  # no category: a count of rows (the other readers)
    if spanned is not None and spanned not in SPANNED_DIMENSIONS:
        return None  # a time dimension
    with columnar.reading() as reading:
        if reading is None or reading.spans is None:
            return None
        axis = axis_of(spanned) if spanned else None
        if axis is not None:
            version = target_version(axis, params.versions.get(axis))
            if version is None or reading.spans.get(axis) != version.pk:
                return None
        columns = [
            f"{'v' if spec.key == spanned else _COLUMN.get(spec.key, spec.key)} AS d{i}" for i, spec in enumerate(specs)
        ]
        centres = ", ".join(str(int(pk)) for pk in scope.organisation_ids) or "NULL"
        groups = f" GROUP BY {', '.join(f'd{i}' for i in range(len(specs)))}" if specs else ""
        selected = ", ".join([*columns, "count(*) AS n"])
        if measure == "followups":
            query = f"SELECT {selected} FROM spans_followups_{spanned} WHERE org IN ({centres}) AND {_within('date', 'date', date_from, date_to)}{groups}"
        else:
            name = f"{measure}_{spanned}" if spanned else measure
            query = f"SELECT {selected} FROM spans_{name} WHERE org IN ({centres}) AND {_within('first', 'last', date_from, date_to)}{groups}"
            if date_from is not None and date_to is not None:
                # less the units with a stretch without rows running over the whole period
                gaps = (
                    f"SELECT {selected.replace('count(*)', '-count(*)')} FROM gaps_{name} WHERE org IN ({centres})"
                    f" AND after < DATE '{date_from.isoformat()}' AND before > DATE '{date_to.isoformat()}'{groups}"
                )
                outer = ", ".join(f"d{i}" for i in range(len(specs)))
                query = f"SELECT {outer}{', ' if specs else ''}sum(n) FROM ({query} UNION ALL {gaps}){' GROUP BY ' + outer if specs else ''}"
        fetched = reading.db.execute(query).fetchall()
    cells: dict[tuple[str, ...], int] = {}
    for row in fetched:
        key = tuple(_text(value) for value in row[:-1])
        cells[key] = cells.get(key, 0) + int(row[-1] or 0)
    return [{**{f"d{i}": part for i, part in enumerate(key)}, "value": value} for key, value in cells.items() if value]


def _within(first: str, last: str, date_from: datetime.date | None, date_to: datetime.date | None) -> str:
    """A span meets the period (its rows' first day is not after the period's last, its last not before the first)."""
    bounds = []
    if date_to is not None:
        bounds.append(f"{first} <= DATE '{date_to.isoformat()}'")
    if date_from is not None:
        bounds.append(f"{last} >= DATE '{date_from.isoformat()}'")
    return " AND ".join(bounds)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    return str(value)
