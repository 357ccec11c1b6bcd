"""Is it open at T, and when does it next open? — from HSDS schedules, with dateutil's rrule.

Recurrences are evaluated on Brussels wall-clock time (naive datetimes), then made
aware in Europe/Brussels, so "Monday 9:00" stays 9:00 across daylight-saving changes.
Closures and special hours replace the regular slots of their days; a crisis status
"closed" closes the service until its end date (or until further notice). A service with
no schedule of its own keeps the hours (and closures) of its locations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from maillage.directory.calendars import holiday_days
from maillage.directory.models import CrisisStatus, Location, Schedule, ScheduleException, Service

BRUSSELS = ZoneInfo("Europe/Brussels")
# How far ahead next_opening looks before answering "not in the foreseeable future".
HORIZON_DAYS = 62
# Recurrences without a start date are anchored on a Monday, so INTERVAL=2 weeks is stable.
ANCHOR = date(2024, 1, 1)


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime


@lru_cache(maxsize=4096)
def _rule(rrule_text: str, dtstart: datetime) -> rrule:
    return rrulestr(rrule_text, dtstart=dtstart)  # type: ignore[return-value]


def validate_recurrence(rrule_text: str) -> None:
    """A clear, translated error when the recurrence is not valid RFC 5545."""
    try:
        rule = rrulestr(rrule_text, dtstart=datetime.combine(ANCHOR, time(9)))
        next(iter(rule), None)
    except (ValueError, TypeError, KeyError, IndexError):
        raise ValidationError(
            _("This recurrence is not valid (%(rule)s)."), code="invalid_recurrence", params={"rule": rrule_text}
        ) from None


@dataclass(frozen=True, slots=True)
class HolidayClosure:
    """A day of a holiday calendar the service or location follows: closed all day."""

    start_date: date
    end_date: date
    closed: bool = True
    opens_at: time | None = None
    closes_at: time | None = None


@lru_cache(maxsize=1024)
def holiday_closures(calendars: str, first: date, last: date) -> tuple[HolidayClosure, ...]:
    """The closures of these calendars (space-separated codes) between first and last."""
    return tuple(HolidayClosure(day, day) for day in holiday_days(calendars, first, last))


def _hours(target: Service | Location) -> tuple[list[Schedule], list[ScheduleException], str]:
    """The schedules and closures that decide, and the holiday calendars followed: a service with no
    schedule of its own takes its locations' (and their calendars, besides its own)."""
    if isinstance(target, Service):
        borrowed = target.location_hours()
        if borrowed:
            # Location closures count only when the service takes the location's hours (kept simple: a
            # closure empties the whole day); the service's own closures come last, so they win on their days.
            schedules = [schedule for hours in borrowed for schedule in hours.schedules]
            closures = [closure for hours in borrowed for closure in hours.exceptions]
            calendars = " ".join([target.holiday_calendars, *(hours.location.holiday_calendars for hours in borrowed)])
            return schedules, closures + list(target.schedule_exceptions.all()), calendars
    return list(target.schedules.all()), list(target.schedule_exceptions.all()), target.holiday_calendars


def _crisis_closed_until(target: Service | Location) -> tuple[bool, date | None]:
    if isinstance(target, Service) and target.crisis_status == CrisisStatus.CLOSED:
        return True, target.crisis_until
    return False, None


def _local(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("Opening times need a timezone-aware datetime.")
    return moment.astimezone(BRUSSELS).replace(tzinfo=None)


def brussels_time(naive: datetime) -> datetime:
    """A Brussels wall-clock time made aware (the recurrences and weekly slots count wall-clock time)."""
    return naive.replace(tzinfo=BRUSSELS)


def _slot(day: date, opens: time, closes: time) -> Slot:
    start = datetime.combine(day, opens)
    end = datetime.combine(day, closes)
    if end <= start:  # closes after midnight
        end += timedelta(days=1)
    return Slot(brussels_time(start), brussels_time(end))


def schedule_days(schedule: Schedule) -> tuple[date | None, date | None]:
    """The first and last day the schedule can open: its validity narrowed by HSDS `dtstart` (the first
    occurrence) and `until` (the last one). COUNT is left to rrule (it depends on the occurrences)."""
    return schedule.first_day, schedule.last_day


def bounded_rrule_text(schedule: Schedule) -> str:
    """The RRULE with its end as HSDS gives it: COUNT, else UNTIL (RFC 5545 allows one of them; when a
    file gives both, as the official examples do, COUNT goes to rrule and UNTIL still ends the window)."""
    if schedule.count is not None:
        return f"{schedule.rrule_text};COUNT={schedule.count}"
    if schedule.until is not None:
        return f"{schedule.rrule_text};UNTIL={schedule.until:%Y%m%d}T235959"
    return schedule.rrule_text


def _anchor(schedule: Schedule, start: date) -> date:
    """Where the recurrence starts counting: near the window when every period repeats and nothing is
    counted (fast), else at its first occurrence (dtstart), its validity's start or a fixed Monday, since
    COUNT counts from there and INTERVAL takes its phase from there."""
    if schedule.interval == 1 and schedule.count is None:
        # The Monday of the window's week (weekly) or the first of its month (monthly).
        return start - timedelta(days=start.weekday()) if schedule.freq == "WEEKLY" else start.replace(day=1)
    return schedule.dtstart or schedule.valid_from or ANCHOR


def slots_between(target: Service | Location, first: date, last: date) -> list[Slot]:
    """Every opening slot starting on a Brussels date from `first` to `last`, in order."""
    crisis_closed, crisis_until = _crisis_closed_until(target)
    schedules, own_exceptions, calendars = _hours(target)
    # Holidays first: a closure or special hours of the service's own for that day wins.
    exceptions: list[ExceptionDays] = [
        *holiday_closures(" ".join(sorted(set(calendars.split()))), first, last),
        *own_exceptions,
    ]
    by_day: dict[date, list[Slot]] = {}
    for schedule in schedules:
        from_day, to_day = schedule_days(schedule)
        start = max(first, from_day) if from_day else first
        end = min(last, to_day) if to_day else last
        if start > end:
            continue
        rule = _rule(bounded_rrule_text(schedule), datetime.combine(_anchor(schedule, start), schedule.opens_at))
        for occurrence in rule.between(datetime.combine(start, time.min), datetime.combine(end, time.max), inc=True):
            by_day.setdefault(occurrence.date(), []).append(
                _slot(occurrence.date(), schedule.opens_at, schedule.closes_at)
            )
    return _with_exceptions(by_day, exceptions, crisis_closed, crisis_until, first, last)


class ExceptionDays(Protocol):
    """What a closure or special hours says (a ScheduleException, or the search index's copy of one)."""

    @property
    def start_date(self) -> date: ...
    @property
    def end_date(self) -> date: ...
    @property
    def closed(self) -> bool: ...
    @property
    def opens_at(self) -> time | None: ...
    @property
    def closes_at(self) -> time | None: ...


def _with_exceptions(
    by_day: dict[date, list[Slot]],
    exceptions: Iterable[ExceptionDays],
    crisis_closed: bool,
    crisis_until: date | None,
    first: date,
    last: date,
) -> list[Slot]:
    """The regular slots by day with closures and special hours replacing their days, and none on
    the days a crisis closing covers; in order."""
    for exception in exceptions:
        day = max(first, exception.start_date)
        while day <= min(last, exception.end_date):
            if exception.closed or exception.opens_at is None or exception.closes_at is None:
                by_day[day] = []
            else:
                by_day[day] = [_slot(day, exception.opens_at, exception.closes_at)]
            day += timedelta(days=1)
    slots = []
    for day, day_slots in by_day.items():
        if crisis_closed and (crisis_until is None or day <= crisis_until):
            continue
        slots.extend(day_slots)
    return sorted(slots, key=lambda slot: (slot.start, slot.end))


def is_open(target: Service | Location, at: datetime) -> bool:
    """Open at this moment (any slot of the day before, for overnight hours, or of the day)."""
    local = _local(at).date()
    return any(slot.start <= at < slot.end for slot in slots_between(target, local - timedelta(days=1), local))


def next_opening(target: Service | Location, after: datetime) -> datetime | None:
    """Start of the first slot at or after `after` within HORIZON_DAYS, in Europe/Brussels."""
    local = _local(after).date()
    # Most services open every week: look at the coming week first, then up to the horizon.
    for first, last in (
        (local, local + timedelta(days=7)),
        (local + timedelta(days=8), local + timedelta(days=HORIZON_DAYS)),
    ):
        for slot in slots_between(target, first, last):
            if slot.start >= after:
                return slot.start
    return None


OpeningState = tuple[bool, datetime | None, datetime | None]


def _state(slots_for: Callable[[date, date], list[Slot]], at: datetime) -> OpeningState:
    local = _local(at).date()
    week = slots_for(local - timedelta(days=1), local + timedelta(days=7))
    current = [slot.end for slot in week if slot.start <= at < slot.end]
    upcoming = next((slot.start for slot in week if slot.start >= at), None)
    if upcoming is None:
        later = slots_for(local + timedelta(days=8), local + timedelta(days=HORIZON_DAYS))
        upcoming = next((slot.start for slot in later if slot.start >= at), None)
    return bool(current), upcoming, max(current, default=None)


def opening_state(target: Service | Location, at: datetime) -> OpeningState:
    """(open at `at`, next opening after `at`, end of the current slot) from one pass over the coming week."""
    return _state(lambda first, last: slots_between(target, first, last), at)


# (start, end, valid_from, valid_to): a weekly slot in minutes of the week, as stored in OpeningSlot.
WeeklySlot = tuple[int, int, date | None, date | None]


def weekly_slots_between(
    weekly: Iterable[WeeklySlot],
    first: date,
    last: date,
    exceptions: Iterable[ExceptionDays] = (),
    crisis_closed: bool = False,
    crisis_until: date | None = None,
) -> list[Slot]:
    """The same slots as slots_between() for plain weekly schedules, from their precomputed weekly
    slots, with the same closures, special hours and crisis closing."""
    by_weekday: dict[int, list[WeeklySlot]] = {}
    for row in weekly:
        by_weekday.setdefault(row[0] // 1440, []).append(row)
    by_day: dict[date, list[Slot]] = {}
    day = first
    while day <= last:
        for start, end, valid_from, valid_to in by_weekday.get(day.weekday(), ()):
            if (valid_from is not None and day < valid_from) or (valid_to is not None and day > valid_to):
                continue
            minute = start % 1440
            opens = datetime.combine(day, time(minute // 60, minute % 60))
            by_day.setdefault(day, []).append(
                Slot(brussels_time(opens), brussels_time(opens + timedelta(minutes=end - start)))
            )
        day += timedelta(days=1)
    return _with_exceptions(by_day, exceptions, crisis_closed, crisis_until, first, last)


def weekly_opening_state(
    weekly: Iterable[WeeklySlot],
    at: datetime,
    exceptions: Iterable[ExceptionDays] = (),
    crisis_closed: bool = False,
    crisis_until: date | None = None,
) -> OpeningState:
    """opening_state() of a service whose hours are all plain weekly slots."""
    rows, days = list(weekly), list(exceptions)
    return _state(lambda first, last: weekly_slots_between(rows, first, last, days, crisis_closed, crisis_until), at)
