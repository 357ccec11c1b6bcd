"""Values read from an HSDS document, each checked as the forms check it (a bad one is an error naming
its path, nothing is written), and the shapes the import refuses (a location, a taxonomy term...)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils.translation import gettext as _

from maillage.core.parsing import MAX_YEAR, MIN_YEAR
from maillage.directory.opening import BRUSSELS

# Longest free text taken from a document (descriptions, notes), as the forms allow.
MAX_TEXT = 5000


def _text(value: Any, limit: int = MAX_TEXT) -> str:
    """A free text from the document, cut to what the forms accept; numbers as written, nothing as ""."""
    if value is None:
        return ""
    return str(value)[:limit]


class ValueReader:
    """The checks of one import; `errors` collects every refused value with its path."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def error(self, path: str, message: str) -> None:
        self.errors.append(f"{path}: {message}")

    def email(self, value: Any, path: str) -> str:
        text = _text(value, 254).strip()
        if text:
            try:
                EmailValidator()(text)
            except ValidationError:
                self.error(path, _("not an email address: %(value)s") % {"value": text[:100]})
                return ""
        return text

    def url(self, value: Any, path: str) -> str:
        text = _text(value).strip()
        if text:
            try:
                if len(text) > 200:
                    raise ValidationError("too long")
                URLValidator()(text)
            except ValidationError:
                self.error(path, _("not a web address of at most 200 characters: %(value)s") % {"value": text[:100]})
                return ""
        return text

    def interval(self, value: Any, path: str) -> int:
        """RFC 5545 INTERVAL: a whole number from 1 to 52 (every week … once a year)."""
        if value in (None, ""):
            return 1
        text = str(value).strip()
        if text.isascii() and text.isdigit() and len(text) <= 3 and 1 <= int(text) <= 52:
            return int(text)
        self.error(path, _("the interval must be a whole number from 1 to 52: %(value)s") % {"value": text[:20]})
        return 1

    def uuid(self, value: Any, path: str) -> uuid.UUID | None:
        try:
            return uuid.UUID(str(value))
        except ValueError:
            self.error(f"{path}.id", _("not a UUID: %(value)s") % {"value": value})
            return None

    def extension(self, value: Any, path: str) -> str:
        """HSDS `extension` is a number (100); a CSV gives it as text ("100"). Kept as its digits."""
        if value in (None, ""):
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value).strip()
        if text.endswith(".0") and text[:-2].isdigit():
            text = text[:-2]
        if isinstance(value, bool) or not text.isascii() or not text.isdigit() or len(text) > 10:
            self.error(
                path,
                _("a phone extension must be a whole number of at most 10 digits: %(value)s") % {"value": text[:20]},
            )
            return ""
        return text

    def count(self, value: Any, path: str) -> int | None:
        """RFC 5545 COUNT: how many occurrences, a whole number from 1."""
        if value in (None, ""):
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value).strip()
        if isinstance(value, bool) or not (text.isascii() and text.isdigit() and len(text) <= 6 and int(text) >= 1):
            self.error(path, _("the count must be a whole number from 1: %(value)s") % {"value": text[:20]})
            return None
        return int(text)

    def offset(self, value: Any, path: str) -> float | None:
        """HSDS `timezone`: hours east of UTC, from -14 to 14 (a CSV gives it as text)."""
        if value in (None, ""):
            return None
        try:
            hours = float(value) if not isinstance(value, bool) else float("nan")
        except (TypeError, ValueError):
            hours = float("nan")
        if not -14 <= hours <= 14:
            self.error(
                path,
                _("the time zone must be an offset in hours from UTC, from -14 to 14: %(value)s")
                % {"value": str(value)[:20]},
            )
            return None
        return hours

    def brussels_times(
        self, opens: time, closes: time, hours: float | None, anchor: date | None, path: str
    ) -> tuple[time, time] | None:
        """Times given at a fixed UTC offset, as Brussels wall-clock on the schedule's own date."""
        if hours is None:
            return opens, closes
        day = anchor or datetime.now(BRUSSELS).date()
        converted = []
        for moment in (opens, closes):
            utc = datetime.combine(day, moment) - timedelta(hours=hours)
            local = (utc.replace(tzinfo=ZoneInfo("UTC"))).astimezone(BRUSSELS)
            if local.date() != day:
                self.error(
                    path,
                    _(
                        "at the offset %(offset)s these hours fall on another day in Brussels time: "
                        "give them in Brussels time (timezone %(brussels)s)"
                    )
                    % {"offset": _hours_text(hours), "brussels": _hours_text(_brussels_hours(day, local.time()))},
                )
                return None
            converted.append(local.time().replace(tzinfo=None))
        return converted[0], converted[1]

    def _time(self, value: Any, path: str) -> time | None:
        text = str(value or "")
        for suffix in ("Z", "+", "-"):
            if suffix in text[5:]:
                text = text[: 5 + text[5:].index(suffix)]
        try:
            return time.fromisoformat(text)
        except ValueError:
            self.error(path, _("not a time (HH:MM): %(value)s") % {"value": value})
            return None

    def _date(self, value: Any, path: str) -> date | None:
        if not value:
            return None
        try:
            day = date.fromisoformat(str(value)[:10])
        except ValueError:
            self.error(path, _("not a date (YYYY-MM-DD): %(value)s") % {"value": str(value)[:40]})
            return None
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            self.error(path, _("the year must be between %(min)d and %(max)d") % {"min": MIN_YEAR, "max": MAX_YEAR})
            return None
        return day

    def assured(self, value: Any, path: str) -> dict[str, Any]:
        """HSDS `assured_date` is when the record was last checked: our "last verified" (midnight in Brussels)."""
        day = self._date(value, path)
        return {"verified_at": datetime.combine(day, time(), tzinfo=BRUSSELS)} if day else {}


def _uuid_or_none(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def _hours_text(hours: float) -> str:
    return f"{hours:+g}"


def _brussels_hours(day: date, at: time) -> float:
    offset = datetime.combine(day, at, tzinfo=BRUSSELS).utcoffset()
    return offset.total_seconds() / 3600 if offset else 0.0


def _not_importable(document: Mapping[str, Any]) -> str | None:
    """Why a JSON object is not an organisation or a service document (a location, a taxonomy term...), or None."""
    keys = set(document)
    if "status" in keys:
        return None
    if {"service", "location"} & keys or {"service_id", "location_id"} <= keys:
        return _(
            "this is an HSDS service-at-location document, not an organisation or a service: "
            "import the organisation's or the service's document, which holds it"
        )
    if {"location_type", "addresses", "latitude", "longitude"} & keys and not {"services", "locations"} & keys:
        return _(
            "this is an HSDS location, not an organisation or a service: "
            "import the document of the organisation it belongs to, which holds its locations"
        )
    if {"taxonomy", "taxonomy_id", "taxonomy_detail", "term_uri", "parent_id", "code", "version"} & keys:
        return _(
            "this is an HSDS taxonomy or taxonomy term, not an organisation or a service: "
            "the directory's needs come from the request themes of the taxonomy module"
        )
    return None
