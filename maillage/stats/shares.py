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
    # The same period a year before, when compared with it too.
    count_year_before: int | None = None
    share_year_before: Decimal | None = None

    @property
    def difference(self) -> Decimal:
        """Difference in percentage points between the printed shares."""
        return self.share_now - self.share_before

    @property
    def difference_year(self) -> Decimal | None:
        """Difference in percentage points with the same period a year before."""
        return None if self.share_year_before is None else self.share_now - self.share_year_before


def _summed(rows: Iterable[tuple[Any, str, int]], labels: dict[Any, str]) -> dict[Any, int]:
    counts: dict[Any, int] = {}
    for key, label, count in rows:
        labels.setdefault(key, label)
        counts[key] = counts.get(key, 0) + count
    return counts


def compare(
    now: Iterable[tuple[Any, str, int]],
    before: Iterable[tuple[Any, str, int]],
    base_now: int,
    base_before: int,
    year_before: Iterable[tuple[Any, str, int]] | None = None,
    base_year_before: int = 0,
) -> list[Comparison]:
    """Every key of any period, with its count and share now, before (and a year before); largest now first."""
    labels: dict[Any, str] = {}
    counts_now = _summed(now, labels)
    counts_before = _summed(before, labels)
    counts_year = _summed(year_before, labels) if year_before is not None else None
    rows = [
        Comparison(
            key,
            labels[key],
            counts_now.get(key, 0),
            percent(counts_now.get(key, 0), base_now),
            counts_before.get(key, 0),
            percent(counts_before.get(key, 0), base_before),
            None if counts_year is None else counts_year.get(key, 0),
            None if counts_year is None else percent(counts_year.get(key, 0), base_year_before),
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

    @property
    def whole_months(self) -> int:
        """How many whole calendar months the period is (0 when it does not start and end on month edges)."""
        after = self.last + timedelta(days=1)
        if self.first.day != 1 or after.day != 1:
            return 0
        return (after.year - self.first.year) * 12 + after.month - self.first.month

    def previous(self) -> Period:
        """The period of the same length just before; whole months by months (May–August before September–December)."""
        last = self.first - timedelta(days=1)
        if self.whole_months:
            return Period(self.first - relativedelta(months=self.whole_months), last)
        return Period(last - timedelta(days=self.days - 1), last)

    def year_before(self) -> Period:
        """The same days a year before (29 February becomes the 28th)."""
        after = self.last + timedelta(days=1) - relativedelta(years=1)
        return Period(self.first - relativedelta(years=1), after - timedelta(days=1))


def default_period(today: date, months: int = 4) -> Period:
    return Period(today - relativedelta(months=months) + timedelta(days=1), today)
