"""Bounded parsing of values that come from query strings and forms.

Every view used to call `date.fromisoformat`, `int()` or `Paginator.page()` on whatever arrived,
so `?day=9999-12-31`, `?page=10**40` or a NUL byte in a search box became a server error. This
module is the one place that turns raw text into clean values or a `BadParameter` carrying the
parameter's name and a translated sentence; `bad_parameters_answer_400` (or `bad_request`) turns
that into a readable 400 page. The form fields and validators at the end apply the same rules
to forms, so a form and a query string never disagree.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MIN_YEAR = 1900
MAX_YEAR = 2100
MAX_ID = 2**31 - 1  # fits every backend's integer column, SQLite's too
# C0 controls and DEL; tab, LF and CR are decided by the caller.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_STRICT = re.compile(r"[\x00-\x1f\x7f]")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_ISO_WEEK = re.compile(r"(\d{4})-?W(\d{1,2})", re.ASCII)
V = TypeVar("V", bound=Callable[..., HttpResponseBase])  # a view, keeping its own signature


class BadParameter(ValueError):  # noqa: N818 - the name the apps use
    """A value from a request that cannot be used; `message` is translated and shown to the person."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


def _blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and raw.strip() == "")


def has_control_characters(text: str, *, allow_newlines: bool = False) -> bool:
    """True when `text` holds a NUL or another C0 control (tab, LF, CR allowed with `allow_newlines`)."""
    return bool((_CONTROL if allow_newlines else _CONTROL_STRICT).search(text))


def _year_in_range(year: int, name: str) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise BadParameter(
            name, _("The year must be between %(min)d and %(max)d.") % {"min": MIN_YEAR, "max": MAX_YEAR}
        )


def parse_date(raw: str | None, *, name: str, default: dt.date | None = None) -> dt.date | None:
    """An ISO date `YYYY-MM-DD` with a year in 1900–2100; `default` when absent or blank."""
    if _blank(raw):
        return default
    assert raw is not None
    match = _ISO_DATE.fullmatch(raw.strip())
    if not match:
        raise BadParameter(name, _("Enter a date as YYYY-MM-DD."))
    year, month, day = (int(part) for part in match.groups())
    _year_in_range(year, name)
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise BadParameter(name, _("This date does not exist.")) from None


def parse_datetime_local(raw: str | None, *, name: str, default: dt.datetime | None = None) -> dt.datetime | None:
    """A `YYYY-MM-DDTHH:MM[:SS]` value (an HTML datetime-local input), made aware in the current time zone."""
    if _blank(raw):
        return default
    assert raw is not None
    text = raw.strip().replace(" ", "T", 1)
    day_part, _sep, time_part = text.partition("T")
    day = parse_date(day_part, name=name)
    if day is None or not re.fullmatch(r"\d{2}:\d{2}(:\d{2})?", time_part, re.ASCII):
        raise BadParameter(name, _("Enter a date and time as YYYY-MM-DD HH:MM."))
    try:
        moment = dt.time.fromisoformat(time_part)
    except ValueError:
        raise BadParameter(name, _("This time does not exist.")) from None
    return timezone.make_aware(dt.datetime.combine(day, moment))


def parse_iso_week(raw: str | None, *, name: str = "week", default: dt.date | None = None) -> dt.date | None:
    """An ISO week such as `2026-W05`, returned as its Monday."""
    if _blank(raw):
        return default
    assert raw is not None
    match = _ISO_WEEK.fullmatch(raw.strip().upper())
    if not match:
        raise BadParameter(name, _("Enter a week as YYYY-Www, for example 2026-W05."))
    year, week = int(match.group(1)), int(match.group(2))
    _year_in_range(year, name)
    try:
        return dt.date.fromisocalendar(year, week, 1)
    except ValueError:
        raise BadParameter(name, _("This week does not exist in that year.")) from None


def parse_period(
    start_raw: str | None,
    end_raw: str | None,
    *,
    max_days: int = 3660,
    default_start: dt.date | None = None,
    default_end: dt.date | None = None,
    start_name: str = "start",
    end_name: str = "end",
) -> tuple[dt.date, dt.date]:
    """A period of two ISO dates, start ≤ end, at most `max_days` long."""
    start = parse_date(start_raw, name=start_name, default=default_start)
    end = parse_date(end_raw, name=end_name, default=default_end)
    if start is None:
        raise BadParameter(start_name, _("Enter a start date."))
    if end is None:
        raise BadParameter(end_name, _("Enter an end date."))
    if start > end:
        raise BadParameter(end_name, _("The end date must not be before the start date."))
    if (end - start).days + 1 > max_days:
        raise BadParameter(end_name, _("The period may not be longer than %(days)d days.") % {"days": max_days})
    return start, end


def parse_int(
    raw: str | None, *, name: str, minimum: int = 0, maximum: int = MAX_ID, default: int | None = None
) -> int | None:
    """A whole number between `minimum` and `maximum`; `default` when absent or blank."""
    if _blank(raw):
        return default
    assert raw is not None
    text = raw.strip()
    if len(text) > 20 or not re.fullmatch(r"[+-]?\d+", text, re.ASCII):  # the length check keeps int() cheap
        raise BadParameter(name, _("Enter a whole number."))
    number = int(text)
    if not minimum <= number <= maximum:
        raise BadParameter(name, _("Enter a number between %(min)d and %(max)d.") % {"min": minimum, "max": maximum})
    return number


def parse_page(raw: str | None, *, max_page: int = 10_000) -> int:
    """A page number for a paginator: anything bad or out of range gives a page in 1…max_page, never an error."""
    text = (raw or "").strip()
    if text == "last":
        return max_page
    if not text.isascii() or not text.isdigit():
        return 1
    if len(text) > len(str(max_page)):
        return max_page
    return min(max(int(text), 1), max_page)


def parse_id_list(raws: Iterable[str], *, name: str = "id", maximum: int = MAX_ID) -> list[int]:
    """Ids from a multi-select (`request.GET.getlist`); a huge or non-numeric value is refused, duplicates dropped."""
    seen: dict[int, None] = {}
    for raw in raws:
        if _blank(raw):
            continue
        number = parse_int(raw, name=name, minimum=1, maximum=maximum)
        assert number is not None
        seen[number] = None
    return list(seen)


def clean_query_text(raw: str | None, *, name: str = "q", max_length: int = 200, truncate: bool = True) -> str:
    """Search text: stripped, refused if it holds control characters, cut (or refused) beyond `max_length`."""
    text = (raw or "").strip()
    if has_control_characters(text, allow_newlines=True):
        raise BadParameter(name, _("The text contains characters that are not allowed."))
    if len(text) > max_length:
        if not truncate:
            raise BadParameter(name, _("The text may not be longer than %(max)d characters.") % {"max": max_length})
        text = text[:max_length]
    return text


# Answering a bad parameter


def bad_request(request: HttpRequest, error: BadParameter) -> HttpResponse:
    """The 400 page naming what was wrong."""
    from maillage.core.errors import render_error

    return render_error(request, 400, "400.html", {"error": error})


def bad_parameters_answer_400(view: V) -> V:
    """Decorator: a `BadParameter` raised while the view parses its input becomes a 400 page."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except BadParameter as error:
            return bad_request(request, error)

    return cast(V, wrapper)


# The same rules for forms


def no_control_characters(value: Any) -> None:
    """Validator: refuse NUL and other control characters (tab and line breaks allowed)."""
    if isinstance(value, str) and has_control_characters(value, allow_newlines=True):
        raise ValidationError(
            gettext_lazy("The text contains characters that are not allowed."), code="control_characters"
        )


def bounded_year(value: dt.date | dt.datetime | None) -> None:
    """Validator: a year between 1900 and 2100."""
    if value is not None and not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValidationError(
            gettext_lazy("The year must be between %(min)d and %(max)d."),
            code="year_out_of_range",
            params={"min": MIN_YEAR, "max": MAX_YEAR},
        )


class BoundedDateField(forms.DateField):
    """A date field that refuses years outside 1900–2100 (a typo such as 20226 otherwise reaches the database)."""

    default_validators = [bounded_year]


class BoundedDateTimeField(forms.DateTimeField):
    default_validators = [bounded_year]


class BoundedCharField(forms.CharField):
    """A text field with a maximum length (200 unless told) that refuses control characters."""

    default_validators = [no_control_characters]

    def __init__(self, *, max_length: int | None = 200, **kwargs: Any) -> None:
        super().__init__(max_length=max_length, **kwargs)
        # Ours refuses NUL too; Django's own would add a second message for the same character.
        self.validators = [v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)]


class BoundedIntegerField(forms.IntegerField):
    """An integer field that never passes a value an integer column cannot hold."""

    def __init__(self, *, min_value: int | None = -MAX_ID, max_value: int | None = MAX_ID, **kwargs: Any) -> None:
        super().__init__(min_value=min_value, max_value=max_value, **kwargs)


class BoundedModelChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A select of records whose value is checked as an id before the query (a huge number overflowed SQLite)."""

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values and self.to_field_name is None:
            try:
                parse_id_list([str(value)])
            except BadParameter:
                raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice") from None
        return super().to_python(value)


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """A multi-select of records whose values are checked as ids before the query."""

    def _check_values(self, value: Iterable[Any]) -> Any:
        if self.to_field_name is None:
            for item in value:
                try:
                    parse_id_list([str(item)])
                except BadParameter:
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": str(item)[:20]}
                    ) from None
        return super()._check_values(value)  # type: ignore[misc]
