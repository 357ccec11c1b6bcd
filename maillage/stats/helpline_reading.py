"""What the helpline reports read their figures in: one version of the request themes, and the periods
the sector uses (four-month periods January–April, May–August, September–December, or from the line's
first day).

Every request counts under the key its level-2 category has in the chosen version (`taxonomy.reading`):
its level-1 key too is read from the level-2 category, so a request of a theme split in two goes where
its category went, and one whose category was itself split counts under the joined key ("INCOME+DEBT",
"Income or debt — before version 2"), never under one of the new codes by guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.core.parsing import BadParameter, parse_int
from maillage.helpline.models import REQUEST_SCHEME, Call
from maillage.stats.shares import Period
from maillage.stats.versions import UNMAPPED, Reading, readings_in, version_to_read
from maillage.taxonomy.models import SchemeVersion, VersionStatus


@dataclass(frozen=True)
class ThemesReading:
    """The request themes read in one version, at both levels (none before any version is published)."""

    version: SchemeVersion | None
    level1: Reading | None
    level2: Reading | None

    def codes(self, level: int) -> dict[int, str]:
        reading = self.level1 if level == 1 else self.level2
        return dict(reading.code_of) if reading else {}

    def key(self, level: int, category_id: int) -> str:
        reading = self.level1 if level == 1 else self.level2
        return reading.code_of.get(category_id, UNMAPPED) if reading else UNMAPPED

    def label(self, level: int, key: str) -> str:
        reading = self.level1 if level == 1 else self.level2
        if key == UNMAPPED:
            return _("No equivalent in this version")
        return reading.labels.get(key, key) if reading else key


def themes_read_in(number: int | None) -> ThemesReading:
    """The request themes in version `number` (the version in force when None); UnknownVersion otherwise."""
    try:
        version = version_to_read(REQUEST_SCHEME, number)
    except ValidationError:
        if number is None:  # nothing published yet: no request can have been logged
            return ThemesReading(None, None, None)
        raise
    level1, level2 = readings_in(version, 1, 2)
    return ThemesReading(version, level1, level2)


def parse_version(raw: str | None, name: str = "version") -> ThemesReading:
    """`?version=` as a reading of the themes; a bad or unknown number is a translated BadParameter."""
    number = parse_int(raw, name=name, minimum=1)
    try:
        return themes_read_in(number)
    except ValidationError as error:
        raise BadParameter(name, " ".join(error.messages)) from None


def version_choices() -> list[tuple[int, str]]:
    return [
        (v.number, f"v{v.number} {v.title}".strip())
        for v in SchemeVersion.objects.filter(scheme__code=REQUEST_SCHEME)
        .exclude(status=VersionStatus.DRAFT)
        .order_by("-number")
    ]


# Four-month periods ---------------------------------------------------------------------------------------

SINCE_START = "start"
_FOUR_MONTHS = re.compile(r"(\d{4})-([123])", re.ASCII)


def four_months(year: int, third: int) -> Period:
    """The third-th four-month period of `year`: 1 January–April, 2 May–August, 3 September–December."""
    first = date(year, 4 * (third - 1) + 1, 1)
    last = date(year, 4, 30) if third == 1 else date(year, 8, 31) if third == 2 else date(year, 12, 31)
    return Period(first, last)


def four_months_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 4 + 1


def four_months_label(year: int, third: int) -> str:
    names = {1: _("January–April"), 2: _("May–August"), 3: _("September–December")}
    return f"{names[third]} {year}"


def line_first_day(line_id: int) -> date | None:
    """The day of the line's first call, in local time."""
    first = Call.objects.filter(organisation_id=line_id).aggregate(first=Min("started_at"))["first"]
    return timezone.localdate(first) if first else None


def period_choices(line_id: int, today: date, first_day: date | None) -> list[tuple[str, str]]:
    """The four-month periods from the line's first one to the current one (newest first), then 'from the start'."""
    year, third = four_months_of(today)
    stop = four_months_of(first_day) if first_day else (year, third)
    choices: list[tuple[str, str]] = []
    while (year, third) >= stop and len(choices) < 60:
        choices.append((f"{year}-{third}", four_months_label(year, third)))
        year, third = (year, third - 1) if third > 1 else (year - 1, 3)
    choices.append((SINCE_START, _("From the line's first day")))
    return choices


def parse_fixed_period(raw: str | None, line_id: int, today: date) -> Period | None:
    """`?period=2025-1` (January–April 2025), `2025-2`, `2025-3` or `start`; None when not given."""
    text = (raw or "").strip()
    if not text:
        return None
    if text == SINCE_START:
        first_day = line_first_day(line_id) or today
        return Period(min(first_day, today), today)
    match = _FOUR_MONTHS.fullmatch(text)
    if not match:
        raise BadParameter(
            "period", _("Choose a four-month period (for example 2025-1 for January–April 2025) or the line's start.")
        )
    year = parse_int(match.group(1), name="period", minimum=1900, maximum=2100)
    assert year is not None
    return four_months(year, int(match.group(2)))
