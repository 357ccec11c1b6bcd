"""How complete a centre's year looks: months without follow-ups, "not known" shares, values far from its
previous years. The centre reads it before declaring its year complete."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count
from django.db.models.functions import ExtractMonth
from django.utils import formats, timezone

from maillage.casework.models import FollowUp
from maillage.sector.counts import TOTAL, counts_for
from maillage.sector.indicators import INDICATORS, UNKNOWN_VALUES
from maillage.sector.periods import Period

FAR = 0.3  # 30% away from the mean of the previous years
PREVIOUS_YEARS = 3
TOTALS = ("persons", "case_files", "followups", "requests")


@dataclass
class Unknown:
    label: str
    unknown: int
    total: int

    @property
    def share(self) -> float | None:
        return round(100 * self.unknown / self.total, 1) if self.total else None


@dataclass
class Deviation:
    label: str
    value: int
    previous_mean: float
    change: float  # percent

    @property
    def is_far(self) -> bool:
        return abs(self.change) > FAR * 100


@dataclass
class Completeness:
    year: int
    months_without: list[str]
    unknowns: list[Unknown]
    deviations: list[Deviation]

    @property
    def far(self) -> list[Deviation]:
        return [d for d in self.deviations if d.is_far]


def _month_name(year: int, month: int) -> str:
    return formats.date_format(datetime.date(year, month, 1), "F Y")


def completeness(centre_id: int, year: int) -> Completeness:
    today = timezone.localdate()
    last_month = 12 if year < today.year else today.month
    months = dict(
        FollowUp.objects.filter(organisation_id=centre_id, date__year=year)
        .annotate(month=ExtractMonth("date"))
        .values_list("month")
        .annotate(n=Count("id"))
        .order_by()
    )
    months_without = [_month_name(year, m) for m in range(1, last_month + 1) if not months.get(m)]
    period = Period(year)
    unknowns = []
    for code, unknown_value in UNKNOWN_VALUES.items():
        cells = counts_for(code, period, [centre_id]).by_centre.get(centre_id, {})
        unknowns.append(Unknown(str(INDICATORS[code].label), cells.get(unknown_value, 0), sum(cells.values())))
    deviations = []
    for code in TOTALS:
        value = counts_for(code, period, [centre_id]).by_centre.get(centre_id, {}).get(TOTAL, 0)
        previous = [
            counts_for(code, Period(year - back), [centre_id]).by_centre.get(centre_id, {}).get(TOTAL, 0)
            for back in range(1, PREVIOUS_YEARS + 1)
        ]
        previous = [n for n in previous if n]
        if not previous:
            continue
        mean = sum(previous) / len(previous)
        deviations.append(
            Deviation(str(INDICATORS[code].label), value, round(mean, 1), round(100 * (value - mean) / mean, 1))
        )
    return Completeness(year, months_without, unknowns, deviations)
