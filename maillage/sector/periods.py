"""The fixed grid of periods shared figures are given for: a year, its four-month periods, its quarters.

No free date range: two overlapping ranges would give, by subtraction, figures nobody was shown.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maillage.core.parsing import BadParameter
from maillage.stats.disclosure.periods import GRID, LABELS

# The same grid as the disclosure engine's families: one definition.
FIRST_YEAR = 2000


@dataclass(frozen=True)
class Period:
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
    def label(self) -> str:
        return f"{LABELS[self.key]} {self.year}"

    @property
    def is_year(self) -> bool:
        return self.key == "year"

    def previous_year(self) -> Period:
        return Period(self.year - 1, self.key)


def latest_year() -> int:
    return timezone.localdate().year


def parse_period(raw_year: str | None, raw_key: str | None) -> Period:
    """The period asked in a query string; a translated BadParameter (400) outside the grid."""
    year = latest_year() if not raw_year else None
    if raw_year:
        if not raw_year.isdigit() or not FIRST_YEAR <= int(raw_year) <= latest_year():
            raise BadParameter(
                "year",
                str(_("Choose a year between %(first)d and %(last)d.")) % {"first": FIRST_YEAR, "last": latest_year()},
            )
        year = int(raw_year)
    key = raw_key or "year"
    if key not in GRID:
        raise BadParameter("period", str(_("Choose the whole year, a four-month period or a quarter.")))
    assert year is not None
    return Period(year, key)
