"""Reading the roll-ups (PostgreSQL): the grouped rows summed from `casework_statcell` when its cells answer
the question exactly; None otherwise, and the engine counts the raw rows."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

from maillage.casework import rollups
from maillage.stats.tabulate.dimensions import DimensionSpec, dimension, target_version
from maillage.stats.tabulate.params import Params, Scope, axis_of
from maillage.stats.versions import UNMAPPED

_TIME = {"month", "quarter", "year"}
_ROLLUP_KIND = {
    "requests": rollups.REQUESTS,
    "followups": rollups.FOLLOWUPS,
    "persons": rollups.PERSONS,
    "case_files": rollups.CASE_FILES,
}
# Dimensions whose empty value stands for NULL in the roll-up (a filter never matches NULL).
_NULLABLE = {"commune", "subsidy", "institution", "stage", "theme"}


def _rollup_dimension(key: str) -> str | None:
    """The roll-up's name for an engine dimension; None for centre and time (the cell's own columns)."""
    if key == "centre" or key in _TIME:
        return None
    return axis_of(key) or key


def _month_aligned(date_from: datetime.date | None, date_to: datetime.date | None) -> bool:
    return (date_from is None or date_from.day == 1) and (
        date_to is None or (date_to + datetime.timedelta(days=1)).day == 1
    )


def _quarter_aligned(date_from: datetime.date | None, date_to: datetime.date | None) -> bool:
    return (date_from is None or (date_from.day == 1 and date_from.month % 3 == 1)) and (
        date_to is None or ((date_to + datetime.timedelta(days=1)).day == 1 and date_to.month % 3 == 0)
    )


def _year_aligned(date_from: datetime.date | None, date_to: datetime.date | None) -> bool:
    return (date_from is None or (date_from.month, date_from.day) == (1, 1)) and (
        date_to is None or (date_to.month, date_to.day) == (12, 31)
    )


def _rollup_grain(
    additive: bool, coded: list[str], time: str | None, date_from: datetime.date | None, date_to: datetime.date | None
) -> str | None:
    """The grain of cells that answers exactly, if any."""
    if additive:  # counts add up across periods: the finest grain that has the set and fits the dates
        if len(coded) <= 1 and _month_aligned(date_from, date_to):
            return rollups.MONTH
        if time is None and date_from is None and date_to is None:
            return rollups.ALL
        if time in {None, "year"} and _year_aligned(date_from, date_to):  # pairs per year
            return rollups.YEAR
        return None
    # Distinct counts: the cells' periods must be the asked periods.
    if time == "month":
        return rollups.MONTH if _month_aligned(date_from, date_to) else None
    if time == "quarter":
        return rollups.QUARTER if _quarter_aligned(date_from, date_to) else None
    if time == "year":
        return rollups.YEAR if _year_aligned(date_from, date_to) else None
    if time is not None:
        return None
    if date_from is None and date_to is None:
        return rollups.ALL
    if date_from is None or date_to is None:
        return None
    if _year_aligned(date_from, date_to) and date_from.year == date_to.year:
        return rollups.YEAR
    if _month_aligned(date_from, date_to) and (date_from.year, date_from.month) == (date_to.year, date_to.month):
        return rollups.MONTH
    if _quarter_aligned(date_from, date_to) and (date_from.year, date_from.month + 2) == (date_to.year, date_to.month):
        return rollups.QUARTER
    return None


def from_rollup(
    measure: str,
    base: str,
    specs: list[DimensionSpec],
    params: Params,
    scope: Scope,
    date_from: datetime.date | None,
    date_to: datetime.date | None,
) -> list[dict[str, Any]] | None:
    """The grouped rows summed from the roll-up cells, or None when they do not cover the question."""
    kind = _ROLLUP_KIND.get(measure)
    if kind is None or connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
        return None
    filters: list[tuple[str, set[str]]] = [
        (key, {str(v) for v in values}) for key, values in params.filters.items() if values
    ]
    if scope.subsidy_id is not None:
        filters.append(("subsidy", {str(scope.subsidy_id)}))
    keys = [*params.dimensions, *(key for key, _values in filters)]
    by_code = kind != rollups.REQUESTS and any(axis_of(key) is not None for key in keys)
    if by_code:  # distinct follow-ups/persons/case files per code: cells of codes in the version they were built in
        # One or two codes (theme1 × institution2, theme1 × theme2 ...), each axis read in the version built.
        axes = {axis for key in keys if (axis := axis_of(key)) is not None}
        state = rollups.built_state()
        if state is None:
            return None
        for axis in axes:
            version = target_version(axis, params.versions.get(axis))
            if version is None or state.axis_versions.get(axis) != version.pk:
                return None
        kind = rollups.BY_CODE[kind]

    def dimension_name(key: str) -> str | None:
        return key if by_code and axis_of(key) is not None else _rollup_dimension(key)

    times = [key for key in params.dimensions if key in _TIME]
    if any(key in _TIME for key, _values in filters):
        return None
    # Two periods asked together (month × year): the finest decides the cells, the others follow from it.
    finest = next((key for key in ("month", "quarter", "year") if key in times), None)
    coded: list[str] = []
    for key in keys:
        name = dimension_name(key)
        if name is not None and name not in coded:
            coded.append(name)
    if len(coded) > 2:
        return None
    additive = kind in {rollups.REQUESTS, rollups.FOLLOWUPS, rollups.FOLLOWUPS_BY_CODE}
    if any(
        len(values) != 1
        for key, values in filters
        if key not in params.dimensions and (not additive or (by_code and axis_of(key) is not None))
    ):
        return None  # a person (or a follow-up in two codes) in two of the filtered values would be counted twice
    grain = _rollup_grain(additive, coded, finest, date_from, date_to)
    cells = rollups.find(kind, coded, grain) if grain else None
    if cells is None or not rollups.available(cells.kind, scope.organisation_ids):
        return None
    # Which cell column holds each coded dimension, and how a value reads.
    column = {name: ("a", "b")[index] for index, name in enumerate(cells.dimensions)}
    time_sql = {
        "month": "period",
        "quarter": "date_trunc('quarter', period)::date",
        "year": "extract(year FROM period)::int",
    }
    select = ["a", "b"]
    position: dict[str, int] = {}  # where the centre and each period are in a fetched row
    if "centre" in keys:
        position["centre"] = len(select)
        select.append("organisation_id")
    for key in times:
        position[key] = len(select)
        select.append(time_sql[key])
    where = ["kind = %s", "gset = %s", "organisation_id = ANY(%s)", "n <> 0"]
    values: list[Any] = [cells.kind, cells.gset, list(scope.organisation_ids)]
    if date_from is not None:
        where.append("period >= %s")
        values.append(date_from if grain in {rollups.MONTH, rollups.QUARTER} else date_from.replace(month=1, day=1))
    if date_to is not None:
        where.append("period <= %s")
        values.append(date_to)
    sql = (
        f"SELECT {', '.join(select)}, sum(n) FROM casework_statcell WHERE {' AND '.join(where)}"  # noqa: S608
        f" GROUP BY {', '.join(str(i + 1) for i in range(len(select)))}"
    )
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(sql, values)
        fetched = cursor.fetchall()
    codes = {spec.key: spec.codes for spec in specs if spec.codes is not None}
    for key, _values in filters:
        if axis_of(key) is not None and key not in codes:
            codes[key] = dimension(key, base, params.versions).codes or {}

    def read(key: str, row: tuple[Any, ...], for_filter: bool) -> str | None:
        if key in position:
            return str(row[position[key]])
        name = dimension_name(key)
        raw = row[0] if column[name] == "a" else row[1]  # type: ignore[index]
        if by_code and name == key:  # already a code
            return (None if for_filter else "") if raw == "" else raw
        if key in codes:
            if raw == "":
                return None if for_filter else ""
            code = codes[key].get(int(raw))
            return code if for_filter or code is not None else UNMAPPED
        if raw == "" and name in _NULLABLE:
            return None if for_filter else ""
        return raw

    merged: dict[tuple[str, ...], int] = {}
    for row in fetched:
        if any(read(key, row, True) not in allowed for key, allowed in filters):
            continue
        cell = tuple(read(spec.key, row, False) or "" for spec in specs)
        merged[cell] = merged.get(cell, 0) + int(row[-1])
    return [
        {**{f"d{index}": part for index, part in enumerate(cell)}, "value": value}
        for cell, value in merged.items()
        if value
    ]
