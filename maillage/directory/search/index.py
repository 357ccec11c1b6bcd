"""Each process's in-memory copy of what the search filters on and shows, for every published service.

Why: "need + postal code + open now + language" over 20,000 services must answer in a few
milliseconds. In SQL it cost 10–17 ms of CPU a search (building the statements, moving a
thousand candidate ids to Python and back, loading the chosen rows); from sets held in memory
it is a few set intersections and a walk over the candidates in name order.

What is held comes from the derived data `keys.py` keeps (search keys, weekly opening slots)
plus the few columns a result prints (names, places, phones, closures). It is read again when the
directory's generation changes: every save or delete of a row the search reads bumps it (signals
in `signals.py`, and explicitly after the bulk writers of `keys.py`), and each search compares
it with one tiny statement, so a search never answers from data older than the request.

Free text stays in SQL (PostgreSQL full-text search): its matching ids narrow the sets.
Irregular schedules (monthly, every other week) stay with rrule, on a copy of their schedules.
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from django.db import DatabaseError
from django.db.models import Q
from django.utils import timezone

from maillage.directory.models import (
    CrisisStatus,
    OpeningSlot,
    Phone,
    ScheduleException,
    Service,
    ServiceAtLocation,
    ServiceStatus,
)
from maillage.directory.opening import (
    BRUSSELS,
    HolidayClosure,
    OpeningState,
    WeeklySlot,
    brussels_time,
    holiday_closures,
    opening_state,
    weekly_opening_state,
    weekly_slots_between,
)
from maillage.directory.search.generation import Generation, KeptIndex, TokenSets
from maillage.directory.search.keys import FREE_TOKEN, WEEK_MINUTES, modality_token

# --- what is held per service ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Place:
    """Where a search result is: an address line and the point used for distances (the location's,
    else its commune's centre)."""

    address: str
    postal_code: str
    city: str
    latitude: float | None  # floats, not the column's Decimal: a third of the memory, same distances
    longitude: float | None


@dataclass(frozen=True, slots=True)
class ExceptionCopy:
    """A closure or special hours, as opening.py reads them."""

    start_date: date
    end_date: date
    closed: bool
    opens_at: time | None
    closes_at: time | None


@dataclass(frozen=True)
class Moment:
    """A search's moment on the Brussels wall clock, as the weekly slots count it."""

    at: datetime
    today: date
    yesterday: date
    weekday: int
    minute: int  # minute of the week, Monday 00:00 = 0

    @classmethod
    def of(cls, at: datetime) -> Moment:
        local = at.astimezone(BRUSSELS)
        weekday = local.weekday()
        return cls(
            at, local.date(), local.date() - timedelta(days=1), weekday, weekday * 1440 + local.hour * 60 + local.minute
        )


class Entry:
    """One published service: what the search tests and what a result prints."""

    __slots__ = (
        "calendars",
        "crisis_closed",
        "crisis_status",
        "crisis_until",
        "days",
        "exceptions",
        "holiday_span",
        "hours_in_slots",
        "modalities",
        "name_fr",
        "name_nl",
        "organisation_id",
        "organisation_names",
        "own",
        "phones",
        "pk",
        "places",
        "rrule_copy",
        "sort_key",
        "tokens",
        "weekly",
    )

    def __init__(self, row: tuple[Any, ...]) -> None:
        self.pk: int = row[0]
        self.name_fr: str = row[1]
        self.name_nl: str = row[2]
        self.crisis_status: str = sys.intern(row[3])
        self.crisis_until: date | None = row[4]
        self.modalities: str = sys.intern(row[5])
        self.hours_in_slots: bool = row[6]
        self.crisis_closed = self.crisis_status == CrisisStatus.CLOSED
        self.organisation_id: int = row[7]
        self.organisation_names: tuple[str, str] = (row[8], row[9])
        # Search keys (keys.py), plus the modalities and "free" the index adds.
        # Interned: the same few hundred tokens are shared by every service instead of copied into each.
        tokens = [sys.intern(t) for t in row[10].split()] + [
            sys.intern(modality_token(modality)) for modality in self.modalities.split()
        ]
        self.tokens: tuple[str, ...] = (*tokens, FREE_TOKEN) if row[11] else tuple(tokens)
        # Name order the same on every database: accents and case folded, then as written, then id.
        self.sort_key = (_folded(self.name_fr), self.name_fr, self.pk)
        self.places: list[Place] = []
        self.phones: list[str] = []
        self.weekly: list[WeeklySlot] = []
        self.exceptions: list[ExceptionCopy | HolidayClosure] | tuple[HolidayClosure, ...] = []
        # Irregular hours: the service with its schedules and exceptions loaded, for rrule.
        self.rrule_copy: Service | None = None
        self.calendars: str = sys.intern(row[12])
        # Weekly slots by weekday as (minute of the day, duration), when none has validity dates (see state()).
        self.days: tuple[tuple[tuple[int, int], ...], ...] | None = None
        # Its own closures and special hours (without the holidays), and the span its holidays were read for.
        self.own: tuple[ExceptionCopy, ...] = ()
        self.holiday_span: tuple[date, date] | None = None

    def add_holidays(self) -> None:
        """Its holiday calendars' days, as closures before its own (which win on their days); from last
        year to next year, shared between the services following the same calendars."""
        self.own = tuple(self.exceptions) if self.exceptions else ()  # type: ignore[arg-type]  # its own only, so far
        if self.calendars:
            today = timezone.localdate()
            self.holiday_span = _span(today.year)
            holidays = holiday_closures(self.calendars, *self.holiday_span)  # one tuple shared by every service
            self.exceptions = [*holidays, *self.exceptions] if self.exceptions else holidays

    def _touched(self, first: date, last: date) -> bool:
        """A closure, special hours or holiday of its touches a day from `first` to `last`. The holidays are
        asked once per calendar set and days (cached), not scanned for each of thousands of candidates."""
        if self.holiday_span is not None and _holidays_between(self.calendars, self.holiday_span, first, last):
            return True
        return any(e.end_date >= first and e.start_date <= last for e in self.own)

    def freeze(self) -> None:
        """Once read: tuples instead of lists, equal ones shared (an empty list costs 56 bytes a service)."""
        self.places = tuple(self.places) if self.places else ()  # type: ignore[assignment]
        self.phones = tuple(self.phones) if self.phones else ()  # type: ignore[assignment]
        self.weekly = _shared(tuple(self.weekly))

    def plain_on(self, moment: Moment) -> bool:
        """Its weekly slots alone decide today and yesterday (no closure, special hours or crisis closing)."""
        if self._crisis_closing_from(moment.yesterday):
            return False
        return not self._touched(moment.yesterday, moment.today)

    def _closed_all_today(self, moment: Moment) -> bool:
        """Today is closed all day by its last closure (holidays come first, the service's own win), and
        no closure, special hours or crisis closing touches yesterday."""
        if self._crisis_closing_from(moment.yesterday):
            return False
        last = None
        for exception in self.exceptions:
            if exception.start_date <= moment.yesterday <= exception.end_date:
                return False
            if exception.start_date <= moment.today <= exception.end_date:
                last = exception
        return last is not None and (last.closed or last.opens_at is None or last.closes_at is None)

    def _crisis_closing_from(self, day: date) -> bool:
        """A crisis closing covers `day` or a later one."""
        return self.crisis_closed and (self.crisis_until is None or self.crisis_until >= day)

    def is_open(self, moment: Moment) -> bool:
        """Open at the moment: the same answer as opening.is_open() on the service (tested)."""
        if self.rrule_copy is not None:
            return opening_state(self.rrule_copy, moment.at)[0]
        if self.plain_on(moment):
            return _weekly_open(self.weekly, moment)
        if self._closed_all_today(moment):
            # A holiday or a closure today, nothing yesterday: only a slot of yesterday past midnight is open.
            return _weekly_open(self.weekly, moment, today=False)
        # A closure, a holiday or a crisis today or yesterday: the slots of those two days decide
        # (as opening.is_open()), not the whole coming week state() reads.
        slots = weekly_slots_between(
            self.weekly, moment.yesterday, moment.today, self.exceptions, self.crisis_closed, self.crisis_until
        )
        return any(slot.start <= moment.at < slot.end for slot in slots)

    def state(self, at: datetime) -> OpeningState:
        """(open, next opening, open until), as opening.opening_state() gives it."""
        if self.rrule_copy is not None:
            return opening_state(self.rrule_copy, at)
        moment = Moment.of(at)
        if self.days is not None and self._nothing_ahead(moment):
            fast = _every_week_state(self.days, moment)
            if fast[1] is not None:
                return fast
        return weekly_opening_state(self.weekly, at, self.exceptions, self.crisis_closed, self.crisis_until)

    def _nothing_ahead(self, moment: Moment) -> bool:
        """No closure, special hours or crisis closing from yesterday to a week ahead: the weekly slots say
        it all for the coming week (state() asks the full answer when they find no next opening in it)."""
        if self._crisis_closing_from(moment.yesterday):
            return False
        return not self._touched(moment.yesterday, moment.today + timedelta(days=8))

    def index_days(self) -> None:
        """Sets `days` when every weekly slot holds all year (no validity dates)."""
        if any(valid_from is not None or valid_to is not None for _s, _e, valid_from, valid_to in self.weekly):
            return
        days: list[list[tuple[int, int]]] = [[] for _weekday in range(7)]
        for start, end, _from, _to in self.weekly:
            days[start // 1440].append(_shared((start % 1440, end - start)))
        # Tuples of shared tuples: most services open at the same few hours.
        self.days = _shared(tuple(_shared(tuple(sorted(slots))) for slots in days))


@lru_cache(maxsize=64)
def _span(year: int) -> tuple[date, date]:
    """The days the holidays are read for, from the first of last year to the end of next year (one tuple)."""
    return date(year - 1, 1, 1), date(year + 1, 12, 31)


@lru_cache(maxsize=4096)
def _holidays_between(calendars: str, span: tuple[date, date], first: date, last: date) -> bool:
    """A holiday of these calendars, as read for `span`, falls from `first` to `last`."""
    return any(h.end_date >= first and h.start_date <= last for h in holiday_closures(calendars, *span))


_SHARED: dict[tuple[object, ...], tuple[object, ...]] = {}


def _shared(value: tuple[Any, ...]) -> Any:
    """One copy of equal small tuples (weekly slots, days) for every service holding them."""
    if len(_SHARED) > 200_000:
        _SHARED.clear()
    return _SHARED.setdefault(value, value)


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _weekly_open(weekly: Sequence[WeeklySlot], moment: Moment, *, today: bool = True) -> bool:
    """A slot of today running now (unless `today` is False: the day is closed), or one of yesterday
    running past midnight, valid on its day."""
    minute, weekday = moment.minute, moment.weekday
    previous = (weekday - 1) % 7
    from_yesterday = minute + WEEK_MINUTES if weekday == 0 else minute
    for start, end, valid_from, valid_to in weekly:
        if today and weekday * 1440 <= start <= minute < end:
            day = moment.today
        elif previous * 1440 <= start < previous * 1440 + 1440 and end > from_yesterday:
            day = moment.yesterday
        else:
            continue
        if (valid_from is None or valid_from <= day) and (valid_to is None or valid_to >= day):
            return True
    return False


def _every_week_state(days: Sequence[Sequence[tuple[int, int]]], moment: Moment) -> OpeningState:
    """weekly_opening_state() for slots that hold every week, without building nine days of slots:
    the slots of yesterday and today running now, and the first start from now in the coming week
    (the same wall-clock arithmetic, so the same answer; tested against rrule)."""
    at = moment.at
    ends = []
    for day in (moment.yesterday, moment.today):
        for minute, duration in days[day.weekday()]:
            opens = datetime.combine(day, time(minute // 60, minute % 60))
            if brussels_time(opens) <= at < (end := brussels_time(opens + timedelta(minutes=duration))):
                ends.append(end)
    for offset in range(8):
        day = moment.today + timedelta(days=offset)
        for minute, _duration in days[day.weekday()]:
            opens = brussels_time(datetime.combine(day, time(minute // 60, minute % 60)))
            if opens >= at:
                return bool(ends), opens, max(ends, default=None)
    return bool(ends), None, max(ends, default=None)


# --- the index ------------------------------------------------------------------------------


class SearchIndex(TokenSets):
    """Published services by search token, in name order, with what their results print.

    Never changed once published to the process: a change makes a new index (built, or updated
    from this one for the services it names), so a search in another thread keeps a consistent one."""

    def __init__(self, generation: Generation, entries: dict[int, Entry]) -> None:
        super().__init__()
        self.generation = generation
        self.entries = entries
        self.rank: dict[int, int] = {}  # position in name order (accents and case folded)
        self.closed_for_good: frozenset[int] = frozenset()  # crisis "closed" with no end date

    @classmethod
    def build(cls, generation: Generation) -> SearchIndex:
        index = cls(generation, _read_entries(None))
        tokens: dict[str, set[int]] = {}
        for pk, entry in index.entries.items():
            for token in entry.tokens:
                tokens.setdefault(token, set()).add(pk)
        index.by_token = {token: frozenset(ids) for token, ids in tokens.items()}
        index._order()
        return index

    def updated(self, changed: set[int], generation: Generation) -> SearchIndex:
        """A new index with these services read again (gone when deleted or no longer published)."""
        fresh = _read_entries(changed)
        entries = {pk: entry for pk, entry in self.entries.items() if pk not in changed}
        entries.update(fresh)
        index = SearchIndex(generation, entries)
        touched = {token for pk in changed if pk in self.entries for token in self.entries[pk].tokens}
        touched.update(token for entry in fresh.values() for token in entry.tokens)
        index.by_token = dict(self.by_token)
        for token in touched:
            ids = (self.by_token.get(token, frozenset()) - changed) | {
                pk for pk, e in fresh.items() if token in e.tokens
            }
            if ids:
                index.by_token[token] = frozenset(ids)
            else:
                index.by_token.pop(token, None)
        index._order()
        return index

    def _order(self) -> None:
        ordered = sorted(self.entries.values(), key=lambda entry: entry.sort_key)
        self.rank = {entry.pk: position for position, entry in enumerate(ordered)}
        self.closed_for_good = frozenset(
            pk for pk, entry in self.entries.items() if entry.crisis_closed and entry.crisis_until is None
        )

    # --- filtering ---

    def matching(self, groups: list[list[str]], *, among: Iterable[int] | None = None) -> set[int]:
        """Services matching every group of tokens (any token of a group), within `among` if given."""
        sets = [self.any_of(group) for group in groups]
        if among is not None:
            sets.append(frozenset(among))
        if not sets:
            return set(self.entries)
        sets.sort(key=len)
        return set(sets[0]).intersection(*sets[1:])

    def in_order(self, ids: Iterable[int]) -> list[int]:
        return sorted(ids, key=self.rank.__getitem__)

    def first_open(self, ordered: list[int], moment: Moment, wanted: int) -> Iterator[int]:
        """The ids of `ordered` open at the moment, in order, at most `wanted`."""
        if wanted <= 0:
            return
        entries = self.entries
        for pk in ordered:
            if entries[pk].is_open(moment):
                yield pk
                wanted -= 1
                if not wanted:
                    return


# Rows read a chunk at a time: the whole result never sits in memory at once, so a worker's memory
# after the build is the index, not the peak of reading it (the allocator keeps freed memory).
CHUNK = 2000


def _read_entries(pks: set[int] | None) -> dict[int, Entry]:
    """The published services (all, or those of `pks`) with their places, phones, slots and closures."""
    published = Q(status=ServiceStatus.PUBLISHED) if pks is None else Q(status=ServiceStatus.PUBLISHED, pk__in=pks)
    of_published = Q(service__status=ServiceStatus.PUBLISHED)
    if pks is not None:
        of_published &= Q(service_id__in=pks)
    entries = {
        row[0]: Entry(row)
        for row in Service.objects.filter(published)
        .values_list(
            "id",
            "name_fr",
            "name_nl",
            "crisis_status",
            "crisis_until",
            "modalities",
            "hours_in_slots",
            "organisation_id",
            "organisation__name_fr",
            "organisation__name_nl",
            "search_keys",
            "is_free",
            "holiday_calendars",
        )
        .iterator(chunk_size=CHUNK)
    }
    for service_id, address, postal_code, city, lat, lon, commune_lat, commune_lon in (
        ServiceAtLocation.objects.filter(of_published)
        .order_by("id")
        .values_list(
            "service_id",
            "location__address",
            "location__postal_code",
            "location__city",
            "location__latitude",
            "location__longitude",
            "location__commune__latitude",
            "location__commune__longitude",
        )
        .iterator(chunk_size=CHUNK)
    ):
        if lat is None or lon is None:
            lat, lon = commune_lat, commune_lon
        entries[service_id].places.append(
            Place(
                address,
                sys.intern(postal_code),
                sys.intern(city),
                None if lat is None else float(lat),
                None if lon is None else float(lon),
            )
        )
    for service_id, number in (
        Phone.objects.filter(of_published).order_by("id").values_list("service_id", "number").iterator(chunk_size=CHUNK)
    ):
        entries[service_id].phones.append(number)
    for service_id, start, end, valid_from, valid_to in (
        OpeningSlot.objects.filter(of_published)
        .order_by("id")
        .values_list("service_id", "start", "end", "valid_from", "valid_to")
        .iterator(chunk_size=CHUNK)
    ):
        entries[service_id].weekly.append(_shared((start, end, valid_from, valid_to)))
    for service_id, start_date, end_date, closed, opens_at, closes_at in (
        ScheduleException.objects.filter(of_published)
        .order_by("id")
        .values_list("service_id", "start_date", "end_date", "closed", "opens_at", "closes_at")
        .iterator(chunk_size=CHUNK)
    ):
        entries[service_id].exceptions.append(ExceptionCopy(start_date, end_date, closed, opens_at, closes_at))  # type: ignore[union-attr]  # a list until freeze()
    names: dict[int, tuple[str, str]] = {}
    for entry in entries.values():
        entry.organisation_names = names.setdefault(entry.organisation_id, entry.organisation_names)
        entry.add_holidays()
        entry.index_days()
        entry.freeze()
    irregular = [pk for pk, entry in entries.items() if not entry.hours_in_slots]
    for service in Service.objects.filter(published, pk__in=irregular).prefetch_related(
        "schedules",
        "schedule_exceptions",
        "service_at_locations__location__schedules",  # hours of the location (Service.location_hours)
        "service_at_locations__location__schedule_exceptions",
    ):
        entries[service.pk].rrule_copy = service
    return entries


_KEPT: KeptIndex[SearchIndex] = KeptIndex(SearchIndex.build)


def current_index() -> SearchIndex:
    """The index of the directory as it is now (see `KeptIndex`)."""
    return _KEPT.current()


def warm_up() -> bool:
    """Build this process's index (and its people index) now — at a worker's start (gunicorn.conf.py), so no user's first
    search pays ~1 s for it. A database that cannot answer yet leaves it to the first search."""
    from maillage.directory.search.people_index import warm_up as warm_up_people

    try:
        current_index()
    except DatabaseError:
        return False
    return warm_up_people()
