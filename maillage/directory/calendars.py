"""Holiday calendars a service or a location may follow ("closed on public holidays").

- `be`: Belgian public holidays, from the maintained `holidays` library (`holidays.Belgium()`).
- `brussels`: the Brussels-Capital Region's day, 8 May (Iris day) — a documented addition, as the
  library does not hold regional days.
- `fr_community`: the French Community's day (Fédération Wallonie-Bruxelles), 27 September.
- `nl_community`: the Flemish Community's day, 11 July.

A service closed on a calendar's days is closed all day on them, unless a closure or special hours
of its own say otherwise for that day (they win, see opening.py). Days are computed per year and
kept (a few dozen small sets per process).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import lru_cache

import holidays
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CALENDARS = {
    "be": _("Belgian public holidays"),
    "brussels": _("Brussels Region day (8 May)"),
    "fr_community": _("French Community day (27 September)"),
    "nl_community": _("Flemish Community day (11 July)"),
}
CALENDAR_CHOICES = list(CALENDARS.items())

_FIXED = {"brussels": (5, 8), "fr_community": (9, 27), "nl_community": (7, 11)}


def parse_calendars(value: str | Iterable[str]) -> tuple[str, ...]:
    """The codes of a space-separated text or a list, known ones only, each once, in CALENDARS order;
    an unknown code is a translated ValidationError."""
    codes = value.split() if isinstance(value, str) else list(value)
    unknown = [code for code in codes if code not in CALENDARS]
    if unknown:
        raise ValidationError(
            _("Unknown holiday calendar: %(codes)s."), code="unknown_calendar", params={"codes": ", ".join(unknown)}
        )
    return tuple(code for code in CALENDARS if code in codes)


@lru_cache(maxsize=256)
def _year_days(code: str, year: int) -> frozenset[date]:
    if code == "be":
        return frozenset(holidays.Belgium(years=year).keys())
    month, day = _FIXED[code]
    return frozenset({date(year, month, day)})


def holiday_days(calendars: str, first: date, last: date) -> list[date]:
    """The days of these calendars (space-separated codes, unknown ones ignored) from first to last."""
    days: set[date] = set()
    for code in calendars.split():
        if code not in CALENDARS:
            continue
        for year in range(first.year, last.year + 1):
            days.update(day for day in _year_days(code, year) if first <= day <= last)
    return sorted(days)


def holiday_name(day: date, calendars: str, language: str = "fr") -> str:
    """The name of the holiday on `day` for these calendars ("" when none)."""
    for code in calendars.split():
        if code == "be":
            name = holidays.Belgium(years=day.year, language=language if language in ("fr", "nl") else "en_US").get(day)
            if name:
                return str(name)
        elif code in _FIXED and (day.month, day.day) == _FIXED[code]:
            return str(CALENDARS[code])
    return ""
