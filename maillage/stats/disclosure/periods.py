"""The fixed grid of periods shared figures are given for: a year, its four-month periods, its quarters.

No free date range: two overlapping ranges (January–June, January–May) would give by subtraction a figure
nobody was shown. Months are the base counts of a year's family and are never published on their own.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from maillage.stats.disclosure.table import TOTAL, Dimension

# key → (first month, last month)
GRID: dict[str, tuple[int, int]] = {
    "year": (1, 12),
    "t1": (1, 4),
    "t2": (5, 8),
    "t3": (9, 12),
    "q1": (1, 3),
    "q2": (4, 6),
    "q3": (7, 9),
    "q4": (10, 12),
}
LABELS = {
    "year": _("Whole year"),
    "t1": _("January–April"),
    "t2": _("May–August"),
    "t3": _("September–December"),
    "q1": _("1st quarter"),
    "q2": _("2nd quarter"),
    "q3": _("3rd quarter"),
    "q4": _("4th quarter"),
}
MONTHS = tuple(f"{m:02d}" for m in range(1, 13))
PERIOD = "period"


def period_dimension() -> Dimension:
    """Months never shown, the year as the total, four-month periods and quarters as groups."""
    return Dimension(
        PERIOD,
        values=MONTHS,
        show_values=False,
        total=True,
        groups={key: MONTHS[first - 1 : last] for key, (first, last) in GRID.items() if key != "year"},
    )


@dataclass(frozen=True)
class GridPeriod:
    year: int
    key: str = "year"

    @property
    def first(self) -> datetime.date:
        return datetime.date(self.year, GRID[self.key][0], 1)

    @property
    def last(self) -> datetime.date:
        month = GRID[self.key][1]
        following = datetime.date(self.year + (month == 12), month % 12 + 1, 1)
        return following - datetime.timedelta(days=1)

    @property
    def coordinate(self) -> str:
        """This period's coordinate in a year's family (the year is the family's total)."""
        return TOTAL if self.key == "year" else self.key

    @property
    def label(self) -> str:
        return f"{LABELS[self.key]} {self.year}"

    def before(self) -> GridPeriod:
        """The period of the same kind just before (a year, a four-month period, a quarter)."""
        if self.key == "year":
            return GridPeriod(self.year - 1, "year")
        kind, number = self.key[0], int(self.key[1])
        if number > 1:
            return GridPeriod(self.year, f"{kind}{number - 1}")
        return GridPeriod(self.year - 1, f"{kind}{3 if kind == 't' else 4}")

    def year_before(self) -> GridPeriod:
        return GridPeriod(self.year - 1, self.key)
