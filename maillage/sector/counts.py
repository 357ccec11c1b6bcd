"""Per-centre counts of each indicator for a period, counted by the database (the cross-tab engine's
`grouped`, which reads the roll-ups where they answer), kept a few minutes in the cache.

The result is a matrix centre → category → count: a centre's own figures and the sector's come from
the same query, so they always agree.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Case, CharField, Count, Max, Q, Value, When
from django.utils.translation import get_language

from maillage.casework.models import FollowUp
from maillage.core.models import Organisation, Sector
from maillage.sector.indicators import ACTION_LABELS, ACTIONS, INDICATORS, REFERRAL, REFERRAL_LABELS, Indicator
from maillage.sector.models import DeclaredFigure
from maillage.sector.periods import Period
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


def declared_stamp(year: int) -> tuple[int | None, ...]:
    """Changes when a centre declares figures for the year or records a follow-up (the counts are then
    counted again; an edit of an old follow-up shows within CACHE_SECONDS)."""
    declared = (
        DeclaredFigure.objects.filter(year=year)
        .order_by("-submission_id")
        .values_list("submission_id", flat=True)
        .first()
    )
    # The primary key's index answers at once (a newest date or creation time would scan every row).
    return (declared, FollowUp.objects.aggregate(last=Max("id"))["last"])


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
) -> Counts:
    """The indicator's counts per centre for the period (declared figures included for a whole year).
    `stamp`: `declared_stamp(period.year)` when the caller already read it."""
    if stamp is None:
        stamp = declared_stamp(period.year)
    key = _cache_key(indicator_code, period, centre_ids, subsidy_id, stamp)
    if not fresh:
        cached = cache.get(key)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
    indicator = INDICATORS[indicator_code]
    result = _count(indicator, period, centre_ids, subsidy_id)
    if period.is_year and subsidy_id is None:
        _add_declared(result, period.year, centre_ids)
    cache.set(key, result, CACHE_SECONDS)
    return result


def _count(indicator: Indicator, period: Period, centre_ids: list[int], subsidy_id: int | None) -> Counts:
    if indicator.variable == ACTIONS:
        return _actions(indicator, period, centre_ids, subsidy_id)
    if indicator.variable == REFERRAL:
        return _referrals(indicator, period, centre_ids, subsidy_id)
    dimensions = ["centre"] if indicator.variable is None else ["centre", indicator.variable]
    params = Params(measure=indicator.measure, dimensions=dimensions, date_from=period.first, date_to=period.last)
    specs, rows = grouped(params, Scope(centre_ids, subsidy_id), period.first, period.last)
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


def _actions(indicator: Indicator, period: Period, centre_ids: list[int], subsidy_id: int | None) -> Counts:
    """Follow-ups per action taken (a follow-up with two actions counts under each)."""
    by_centre: dict[int, dict[str, int]] = {}
    if centre_ids:
        placeholders = ", ".join(["%s"] * len(centre_ids))
        elements = (
            "jsonb_array_elements_text(f.actions) a(value)"
            if connection.vendor == "postgresql"
            else "json_each(f.actions) a"
        )
        join = "CROSS JOIN LATERAL" if connection.vendor == "postgresql" else ","
        where = f"f.organisation_id IN ({placeholders}) AND f.date >= %s AND f.date <= %s"
        values: list[Any] = [*centre_ids, period.first, period.last]
        if subsidy_id is not None:
            where += " AND f.subsidy_id = %s"
            values.append(subsidy_id)
        sql = (
            f"SELECT f.organisation_id, a.value, count(*) FROM casework_followup f {join} {elements}"  # noqa: S608
            f" WHERE {where} GROUP BY 1, 2"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, values)
            for organisation_id, action, n in cursor.fetchall():
                by_centre.setdefault(int(organisation_id), {})[str(action)] = int(n)
    labels = {key: str(label) for key, label in ACTION_LABELS.items()}
    return Counts(indicator.code, by_centre, labels, list(ACTION_LABELS))


def _referrals(indicator: Indicator, period: Period, centre_ids: list[int], subsidy_id: int | None) -> Counts:
    followups = FollowUp.objects.filter(organisation_id__in=centre_ids, date__gte=period.first, date__lte=period.last)
    if subsidy_id is not None:
        followups = followups.filter(subsidy_id=subsidy_id)
    referred = Case(
        When(Q(referred_service__isnull=False) | ~Q(referred_to=""), then=Value("yes")),
        default=Value("no"),
        output_field=CharField(),
    )
    by_centre: dict[int, dict[str, int]] = {}
    rows = followups.annotate(referred=referred).values("organisation_id", "referred").annotate(n=Count("id"))
    for row in rows.order_by():
        by_centre.setdefault(row["organisation_id"], {})[row["referred"]] = row["n"]
    labels = {key: str(label) for key, label in REFERRAL_LABELS.items()}
    return Counts(indicator.code, by_centre, labels, ["yes", "no"])


def _add_declared(result: Counts, year: int, centre_ids: list[int]) -> None:
    """A centre's declared figures stand for its counts of that indicator (it encodes in another tool)."""
    figures = DeclaredFigure.objects.filter(year=year, indicator=result.indicator, organisation_id__in=centre_ids)
    declared: dict[int, dict[str, int]] = {}
    for figure in figures:
        declared.setdefault(figure.organisation_id, {})[figure.category] = figure.value
    indicator = INDICATORS[result.indicator]
    for organisation_id, cells in declared.items():
        if not indicator.is_total:
            cells.pop(TOTAL, None)  # the total line only checks the categories add up
        result.by_centre[organisation_id] = cells
        result.declared.add(organisation_id)
        for key in cells:
            result.labels.setdefault(key, key)
