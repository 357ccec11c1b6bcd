"""Shares and period comparisons: generic arithmetic used by every report.

A share is a percentage of a stated base, rounded to one decimal (half up) so that
the figures printed, exported and compared are the same numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from dateutil.relativedelta import relativedelta

ONE_DECIMAL = Decimal("0.1")


def percent(count: int, base: int) -> Decimal:
    """count/base in percent, one decimal, half up; 0.0 on an empty base."""
    if base <= 0:
        return Decimal("0.0")
    return (Decimal(count) * 100 / Decimal(base)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Share:
    key: Any
    label: str
    count: int
    share: Decimal


def shares(counts: Iterable[tuple[Any, str, int]], base: int, *, sort: bool = True) -> list[Share]:
    """(key, label, count) → shares of `base`, largest first (ties by label) unless sort=False."""
    result = [Share(key, label, count, percent(count, base)) for key, label, count in counts]
    if sort:
        result.sort(key=lambda share: (-share.count, str(share.label)))
    return result


@dataclass(frozen=True)
class Comparison:
    key: Any
    label: str
    count_now: int
    share_now: Decimal
    count_before: int
    share_before: Decimal

    @property
    def difference(self) -> Decimal:
        """Difference in percentage points between the printed shares."""
        return self.share_now - self.share_before


def compare(
    now: Iterable[tuple[Any, str, int]], before: Iterable[tuple[Any, str, int]], base_now: int, base_before: int
) -> list[Comparison]:
    """Every key of either period, with its count and share now and before; largest now first."""
    labels: dict[Any, str] = {}
    counts_now: dict[Any, int] = {}
    counts_before: dict[Any, int] = {}
    for key, label, count in now:
        labels[key] = label
        counts_now[key] = counts_now.get(key, 0) + count
    for key, label, count in before:
        labels.setdefault(key, label)
        counts_before[key] = counts_before.get(key, 0) + count
    rows = [
        Comparison(
            key,
            labels[key],
            counts_now.get(key, 0),
            percent(counts_now.get(key, 0), base_now),
            counts_before.get(key, 0),
            percent(counts_before.get(key, 0), base_before),
        )
        for key in labels
    ]
    rows.sort(key=lambda row: (-row.count_now, -row.count_before, str(row.label)))
    return rows


@dataclass(frozen=True)
class Period:
    """Whole days, both ends included."""

    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        """The period of the same length just before."""
        last = self.first - timedelta(days=1)
        return Period(last - timedelta(days=self.days - 1), last)


def default_period(today: date, months: int = 4) -> Period:
    return Period(today - relativedelta(months=months) + timedelta(days=1), today)
