"""Per-centre counts of each indicator for a period, counted by the database (the cross-tab engine's
`grouped`, which reads the roll-ups where they answer), kept a few minutes in the cache.

The result is a matrix centre → category → count: a centre's own figures and the sector's come from
the same query, so they always agree.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Max
from django.utils.translation import get_language

from maillage.casework.models import FollowUp
from maillage.core.models import Organisation, Sector
from maillage.sector import memo, monthly
from maillage.sector.indicators import INDICATORS, Indicator
from maillage.sector.memo import cache
from maillage.sector.models import DeclaredFigure
from maillage.sector.periods import Period
from maillage.stats import crosstab
from maillage.stats.crosstab import UNMAPPED, Params, Scope, grouped

CACHE_SECONDS = 600
TOTAL = ""
AXIS_VARIABLES = {"theme1", "theme2", "institution1", "institution2", "stage1", "stage2"}


@dataclass
class Counts:
    """One indicator over a period: centre id → category → count; labels and order of the categories."""

    indicator: str
    by_centre: dict[int, dict[str, int]]
    labels: dict[str, str]
    order: list[str]
    declared: set[int] = field(default_factory=set)  # centres whose figures were declared, not counted

    def categories(self) -> list[str]:
        present = {key for counts in self.by_centre.values() for key, n in counts.items() if n}
        position = {key: index for index, key in enumerate(self.order)}
        return sorted(present, key=lambda key: (position.get(key, len(position)), key))


def sector_centres(sector: str | None = None) -> list[int]:
    """The federation's member centres (federations themselves excluded), optionally of one sector."""
    centres = Organisation.objects.filter(is_member=True).exclude(sector=Sector.FEDERATION)
    if sector:
        centres = centres.filter(sector=sector)
    return list(centres.order_by("pk").values_list("pk", flat=True))


def data_stamp(period: Period) -> tuple[int | None, ...]:
    """Part of the cache keys, and of what kept page figures were computed from (`page_figures`): changes
    when a centre declares figures for the year and when a follow-up dated in the period's year is recorded,
    late ones included (a year's periods are one disclosure family: they change together)."""
    declared = (
        DeclaredFigure.objects.filter(year=period.year)
        .order_by("-submission_id")
        .values_list("submission_id", flat=True)
        .first()
    )
    # The newest follow-up of the year: the year's partition's primary key answers at once (a newest creation
    # time would scan every row). An edit or a deletion leaves it as it is: `page_figures.REFRESH_AFTER`.
    first, last = datetime.date(period.year, 1, 1), datetime.date(period.year, 12, 31)
    newest = FollowUp.objects.filter(date__gte=first, date__lte=last).aggregate(last=Max("id"))["last"]
    return (declared, newest)


def _cache_key(
    indicator: str, period: Period, centre_ids: Iterable[int], subsidy_id: int | None, stamp: tuple[int | None, ...]
) -> str:
    ids = ",".join(str(pk) for pk in sorted(centre_ids))
    raw = repr((indicator, period, ids, subsidy_id, stamp, get_language()))
    return "maillage-sector-counts:" + hashlib.sha256(raw.encode()).hexdigest()


def counts_for(
    indicator_code: str,
    period: Period,
    centre_ids: list[int],
    *,
    subsidy_id: int | None = None,
    fresh: bool = False,
    stamp: tuple[int | None, ...] | None = None,
    with_declared: bool = False,
) -> Counts:
    """The indicator's counts per centre for the period (declared figures included for a whole year).
    `stamp`: `data_stamp(period)` when the caller already read it."""
    if stamp is None:
        stamp = data_stamp(period)
    key = _cache_key(indicator_code, period, centre_ids, subsidy_id, (*stamp, with_declared))
    if not fresh:
        cached = cache.get(key)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
    indicator = INDICATORS[indicator_code]
    result = _count(indicator, period, centre_ids, subsidy_id, stamp)
    if with_declared and period.is_year and subsidy_id is None:
        _add_declared(result, period.year, centre_ids)
    cache.set(key, result, CACHE_SECONDS)
    return result


# Person variables the profile scan reads (column in the scan → the cross-tab dimension's labels).
PROFILE_COLUMNS = {
    "age_band": "f.age_band",
    "sex": "p.sex",
    "household": "p.household",
    "income_source": "p.income_source",
    "commune": "coalesce(CAST(p.commune_id AS text), '')",
}


def _profile_scan(
    period: Period, centre_ids: list[int], subsidy_id: int | None, stamp: tuple[int | None, ...] | None = None
) -> dict[str, dict[int, dict[str, int]]]:
    """Distinct persons per centre and value of each profile variable, in one scan of the period's follow-ups.

    Distinct counts over a quarter or a four-month period are not rolled up: five GROUP BYs over the same rows
    cost five times one; this reads each (person, values) once and counts in Python (rows: persons, not
    follow-ups)."""
    key = (
        "maillage-sector-profile:"
        + hashlib.sha256(
            repr((period, sorted(centre_ids), subsidy_id, data_stamp(period) if stamp is None else stamp)).encode()
        ).hexdigest()
    )
    cached = cache.get(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    result: dict[str, dict[int, dict[str, int]]] = {name: {} for name in PROFILE_COLUMNS}
    if centre_ids:
        placeholders = ", ".join(["%s"] * len(centre_ids))
        where = f"f.organisation_id IN ({placeholders}) AND f.date >= %s AND f.date <= %s"
        values: list[Any] = [*centre_ids, period.first, period.last]
        if subsidy_id is not None:
            where += " AND f.subsidy_id = %s"
            values.append(subsidy_id)
        columns = ", ".join(f"{sql} AS {name}" for name, sql in PROFILE_COLUMNS.items())
        sql = (
            f"SELECT DISTINCT f.organisation_id AS org, f.person_id AS person, {columns} FROM casework_followup f"  # noqa: S608
            f" JOIN casework_person p ON p.id = f.person_id WHERE {where}"
        )
        if connection.vendor == "postgresql":
            # One count per variable, by the database: every column is non-null, so in each grouping set's rows
            # the one variable that is not NULL is the one grouped.
            sets = ", ".join(f"(org, {name})" for name in PROFILE_COLUMNS)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT org, {', '.join(PROFILE_COLUMNS)}, count(DISTINCT person) FROM ({sql}) s"  # noqa: S608
                    f" GROUP BY GROUPING SETS ({sets})",
                    values,
                )
                for organisation_id, *found, n in cursor.fetchall():
                    for name, value in zip(PROFILE_COLUMNS, found, strict=True):
                        if value is not None:
                            result[name].setdefault(int(organisation_id), {})[str(value)] = int(n)
            cache.set(key, result, CACHE_SECONDS)
            return result
        seen: dict[str, set[tuple[int, int, str]]] = {name: set() for name in PROFILE_COLUMNS}
        with connection.cursor() as cursor:
            cursor.execute(sql, values)
            for organisation_id, person_id, *found in cursor.fetchall():
                for name, value in zip(PROFILE_COLUMNS, found, strict=True):
                    unit = (organisation_id, person_id, "" if value is None else str(value))
                    if unit in seen[name]:
                        continue
                    seen[name].add(unit)
                    cells = result[name].setdefault(int(organisation_id), {})
                    cells[unit[2]] = cells.get(unit[2], 0) + 1
    cache.set(key, result, CACHE_SECONDS)
    return result


def _count(
    indicator: Indicator, period: Period, centre_ids: list[int], subsidy_id: int | None, stamp: tuple[int | None, ...]
) -> Counts:
    """`stamp`: the period's `data_stamp`, which is its year's (the monthly counts are the year's)."""
    if monthly.is_additive(indicator):
        data = monthly.monthly(monthly.base_code(indicator), period.year, centre_ids, subsidy_id, stamp)
        by_centre, labels, order = monthly.period_counts(indicator, period, data)
        return Counts(indicator.code, by_centre, labels, order)
    if indicator.measure == "persons" and indicator.variable in PROFILE_COLUMNS and not period.is_year:
        by_centre = _profile_scan(period, centre_ids, subsidy_id, stamp)[indicator.variable]
        spec = crosstab._dimension(indicator.variable, crosstab.FOLLOWUPS, {})  # labels and order, no query
        labels = {key: str(label) for key, label in spec.labels.items()}
        for key in {k for cells in by_centre.values() for k in cells}:
            labels.setdefault(key, key or "—")
        return Counts(indicator.code, by_centre, labels, list(spec.order))
    return _grouped_counts(indicator, period, centre_ids, subsidy_id)


def _grouped_counts(indicator: Indicator, period: Period, centre_ids: list[int], subsidy_id: int | None) -> Counts:
    dimensions = ["centre"] if indicator.variable is None else ["centre", indicator.variable]
    params = Params(measure=indicator.measure, dimensions=dimensions, date_from=period.first, date_to=period.last)
    try:
        specs, rows = grouped(params, Scope(centre_ids, subsidy_id), period.first, period.last)
    except crosstab.CrossTabError:  # no version of an axis in force yet: nothing can be read on it
        return Counts(indicator.code, {}, {}, [])
    by_centre: dict[int, dict[str, int]] = {}
    for row in rows:
        if not row["d0"]:
            continue
        category = row.get("d1", TOTAL) if indicator.variable else TOTAL
        cells = by_centre.setdefault(int(row["d0"]), {})
        cells[category] = cells.get(category, 0) + int(row["value"] or 0)
    labels: dict[str, str] = {}
    order: list[str] = []
    if indicator.variable:
        spec = specs[1]
        order = [*spec.order]
        for key in {k for cells in by_centre.values() for k in cells} | set(spec.labels):
            label = spec.labels.get(key) or key
            if indicator.variable in AXIS_VARIABLES and key not in ("", UNMAPPED):
                label = f"{key} — {label}"
            labels[key] = str(label)
        labels.setdefault("", "—")
    return Counts(indicator.code, by_centre, labels, order)


def with_declared(counts: Counts, year: int, centre_ids: list[int]) -> Counts:
    """A copy of a year's encoded counts with the declared figures standing for their centres' (what
    `counts_for(..., with_declared=True)` counts, from counts already read)."""
    result = Counts(
        counts.indicator,
        {pk: dict(cells) for pk, cells in counts.by_centre.items()},
        dict(counts.labels),
        list(counts.order),
        set(counts.declared),
    )
    _add_declared(result, year, centre_ids)
    return result


def _add_declared(result: Counts, year: int, centre_ids: list[int]) -> None:
    """A centre's declared figures stand for its counts of that indicator (it encodes in another tool)."""
    wanted = set(centre_ids)
    declared = {
        pk: dict(cells) for pk, cells in _declared_of_year(year).get(result.indicator, {}).items() if pk in wanted
    }
    indicator = INDICATORS[result.indicator]
    for organisation_id, cells in declared.items():
        if not indicator.is_total:
            cells.pop(TOTAL, None)  # the total line only checks the categories add up
        result.by_centre[organisation_id] = cells
        result.declared.add(organisation_id)
        for key in cells:
            result.labels.setdefault(key, key)


def _declared_of_year(year: int) -> dict[str, dict[int, dict[str, int]]]:
    """The year's declared figures, indicator → centre → category → value: read once per computation
    (`memo.shared`; the network's patterns ask for every indicator's)."""

    def read() -> dict[str, dict[int, dict[str, int]]]:
        out: dict[str, dict[int, dict[str, int]]] = {}
        rows = DeclaredFigure.objects.filter(year=year).values_list("indicator", "organisation_id", "category", "value")
        for indicator, organisation_id, category, value in rows:
            out.setdefault(indicator, {}).setdefault(organisation_id, {})[category] = value
        return out

    return memo.local(("sector-declared", year), read)
