"""Additive indicators (requests, follow-ups, by a category or a follow-up code) counted per centre and month
of a year, once: every period of the grid is a sum of months, and the disclosure family of the indicator
links them (a year minus three quarters is the fourth: one protection pattern for all of them).

Distinct counts (persons, case files) do not add up over months; they are counted per period (`counts`).
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils.translation import get_language

from maillage.sector import memo
from maillage.sector.indicators import ACTION_LABELS, ACTIONS, INDICATORS, REFERRAL, REFERRAL_LABELS, Indicator
from maillage.sector.memo import cache
from maillage.sector.periods import GRID, Period
from maillage.stats import crosstab
from maillage.stats.crosstab import UNMAPPED, Params, Scope, grouped
from maillage.taxonomy.models import Category

CACHE_SECONDS = 600
TOTAL = ""
MONTHS = tuple(f"{month:02d}" for month in range(1, 13))
AXES = ("theme", "institution", "stage")
LEVEL1 = "L1:"  # a level-1 code in a family whose base values are level-2 codes


def is_additive(indicator: Indicator) -> bool:
    return indicator.measure in {"requests", "followups"}


def base_code(indicator: Indicator) -> str:
    """The indicator counted per month: an axis's level 2 also for its level 1 (level-1 codes are groups)."""
    if indicator.variable and indicator.variable[:-1] in AXES:
        return indicator.code[:-1] + "2"
    return indicator.code


@dataclass
class Monthly:
    """centre → (month "01".."12", value) → count, for one year; value TOTAL for a total indicator."""

    by_centre: dict[int, dict[tuple[str, str], int]]
    labels: dict[str, str]
    order: list[str]
    key: str = ""  # its cache key: names these very counts (what the family protected from them is kept under it)


def months_of(period: Period) -> tuple[str, ...]:
    first, last = GRID[period.key]
    return MONTHS[first - 1 : last]


def monthly(code: str, year: int, centre_ids: list[int], subsidy_id: int | None, stamp: tuple[Any, ...]) -> Monthly:
    key = (
        "maillage-sector-monthly:"
        + hashlib.sha256(repr((code, year, sorted(centre_ids), subsidy_id, stamp, get_language())).encode()).hexdigest()
    )
    cached = cache.get(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    indicator = INDICATORS[code]
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    if indicator.variable in (ACTIONS, REFERRAL):
        result = _flags(indicator, first, last, centre_ids, subsidy_id)
    else:
        dimensions = ["centre", "month"] + ([indicator.variable] if indicator.variable else [])
        params = Params(measure=indicator.measure, dimensions=dimensions, date_from=first, date_to=last)
        try:
            specs, rows = grouped(params, Scope(centre_ids, subsidy_id), first, last)
        except crosstab.CrossTabError:  # no version of the axis in force yet: nothing can be read on it
            return Monthly({}, {}, [])
        by_centre: dict[int, dict[tuple[str, str], int]] = {}
        for row in rows:
            if not row["d0"] or not row["d1"]:
                continue
            cell = (str(row["d1"])[5:7], str(row.get("d2", TOTAL)) if indicator.variable else TOTAL)
            cells = by_centre.setdefault(int(row["d0"]), {})
            cells[cell] = cells.get(cell, 0) + int(row["value"] or 0)
        labels: dict[str, str] = {}
        order: list[str] = []
        if indicator.variable:
            spec = specs[2]
            order = list(spec.order)
            for value in {v for cells in by_centre.values() for _m, v in cells} | set(spec.labels):
                label = spec.labels.get(value) or value
                if indicator.variable[:-1] in AXES and value not in ("", UNMAPPED):
                    label = f"{value} — {label}"
                labels[value] = str(label)
            labels.setdefault("", "—")
        result = Monthly(by_centre, labels, order)
    result.key = key
    cache.set(key, result, CACHE_SECONDS)
    return result


def _flags(
    indicator: Indicator, first: datetime.date, last: datetime.date, centre_ids: list[int], subsidy_id: int | None
) -> Monthly:
    """Follow-ups per action taken (a follow-up with two actions counts under each), or referred or not, per
    month, from one scan (the combinations of actions are few, so the rows are few)."""
    by_centre: dict[int, dict[tuple[str, str], int]] = {}
    if centre_ids:
        placeholders = ", ".join(["%s"] * len(centre_ids))
        where = f"f.organisation_id IN ({placeholders}) AND f.date >= %s AND f.date <= %s"
        values: list[Any] = [*centre_ids, first, last]
        if subsidy_id is not None:
            where += " AND f.subsidy_id = %s"
            values.append(subsidy_id)
        month = "to_char(f.date, 'MM')" if connection.vendor == "postgresql" else "strftime('%%m', f.date)"
        referred = "(f.referred_service_id IS NOT NULL OR f.referred_to <> '')"
        sql = (
            f"SELECT f.organisation_id, {month}, CAST(f.actions AS text), {referred}, count(*)"  # noqa: S608
            f" FROM casework_followup f WHERE {where} GROUP BY 1, 2, 3, 4"
        )
        import json

        with connection.cursor() as cursor:
            cursor.execute(sql, values)
            for organisation_id, month_text, actions, referred_flag, n in cursor.fetchall():
                cells = by_centre.setdefault(int(organisation_id), {})
                if indicator.variable == REFERRAL:
                    keys = ["yes" if referred_flag else "no"]
                else:
                    keys = sorted({str(action) for action in (json.loads(actions or "[]") or [])})
                for value in keys:
                    cell = (str(month_text), value)
                    cells[cell] = cells.get(cell, 0) + int(n)
    if indicator.variable == REFERRAL:
        return Monthly(by_centre, {k: str(v) for k, v in REFERRAL_LABELS.items()}, ["yes", "no"])
    return Monthly(by_centre, {k: str(v) for k, v in ACTION_LABELS.items()}, list(ACTION_LABELS))


def version_in_force(axis: str) -> Any:
    """The axis's category version in force, read once per computation (`memo.shared`): each level-1 line,
    the labels and the kept figures' stamp ask for it."""
    return memo.local(("sector-target-version", axis), lambda: crosstab.target_version(axis, None))


def level1_of(axis: str, codes: set[str]) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """Level-2 code → its level-1 code in the version in force (codes of no category stay themselves), the
    level-1 labels, and their order."""
    version = version_in_force(axis)
    key = f"maillage-sector-level1:{axis}:{version.pk if version else None}:{get_language()}"
    tree = cache.get(key)
    if tree is None:
        # code → (parent code, position, label), read once per version (a category's `top` walks its parents).
        rows = list(Category.objects.filter(version=version).select_related("parent")) if version else []
        tree = {c.code: (c.parent.code if c.parent else None, c.position, str(c.label)) for c in rows}
        cache.set(key, tree, CACHE_SECONDS)

    def top_of(code: str) -> str:
        for _step in range(10):
            parent = tree.get(code, (None,))[0]
            if parent is None:
                break
            code = parent
        return code

    top = {code: top_of(code) for code in codes}
    tops = sorted((code for code, (parent, _p, _l) in tree.items() if parent is None), key=lambda c: (tree[c][1], c))
    labels = {code: f"{code} — {tree[code][2]}" for code in tops}
    return top, labels, [*tops, UNMAPPED]


def period_counts(
    indicator: Indicator, period: Period, data: Monthly
) -> tuple[dict[int, dict[str, int]], dict[str, str], list[str]]:
    """The indicator's per-centre counts over the period, summed from the months (level 1 from level 2)."""
    months = set(months_of(period))
    mapping: dict[str, str] | None = None
    labels, order = dict(data.labels), data.order  # the cached counts' own labels stay as they are
    if indicator.variable and indicator.variable[:-1] in AXES and indicator.variable.endswith("1"):
        codes = {value for cells in data.by_centre.values() for _m, value in cells}
        mapping, top_labels, order = level1_of(indicator.variable[:-1], codes)
        labels = {**{v: data.labels.get(v, v) for v in ("", UNMAPPED)}, **top_labels}
    by_centre: dict[int, dict[str, int]] = {}
    for organisation_id, cells in data.by_centre.items():
        out: dict[str, int] = {}
        for (month, value), n in cells.items():
            if month in months:
                key = mapping.get(value, value) if mapping is not None else value
                out[key] = out.get(key, 0) + n
        if out:
            by_centre[organisation_id] = out
    for value in {v for cells in by_centre.values() for v in cells}:
        labels.setdefault(value, value or "—")
    return by_centre, labels, order
