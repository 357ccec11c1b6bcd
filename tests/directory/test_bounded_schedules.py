"""HSDS `dtstart`, `until` and `count` bound a recurrence: rrule stops it, and the search agrees.

Monday 2 November 2026 is a Monday; the schedules below open 9:00–12:00.
"""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from maillage.directory import services as directory_services
from maillage.directory.models import HOURS_PREFETCH, Location, Service
from maillage.directory.opening import BRUSSELS, is_open, next_opening, opening_state, slots_between
from maillage.directory.search.engine import SearchCriteria, search
from maillage.directory.search.index import Moment, current_index
from tests.directory.factories import make_service

pytestmark = pytest.mark.django_db


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=BRUSSELS)


def _monday_mornings(**bounds: object) -> Service:
    service = make_service(name_fr="Permanence bornée")
    directory_services.add_schedule(
        None, service, {"byday": "MO", "opens_at": time(9), "closes_at": time(12), **bounds}
    )
    service.refresh_from_db()
    return Service.objects.prefetch_related("schedules", "schedule_exceptions").get(pk=service.pk)


def _starts(service: Service, first: date, last: date) -> list[datetime]:
    return [slot.start for slot in slots_between(service, first, last)]


def test_count_stops_after_its_occurrences() -> None:
    service = _monday_mornings(dtstart=date(2026, 11, 2), count=3)
    assert _starts(service, date(2026, 10, 1), date(2026, 12, 31)) == [
        at(11, 2, 9),
        at(11, 9, 9),
        at(11, 16, 9),
    ]
    assert is_open(service, at(11, 16)) is True
    assert is_open(service, at(11, 23)) is False  # the fourth Monday: the count is spent
    assert next_opening(service, at(11, 16, 13)) is None
    assert opening_state(service, at(11, 23)) == (False, None, None)


def test_count_counts_from_dtstart_even_when_the_window_is_later() -> None:
    # Weekly from Monday 5 October, 6 times: the last one is Monday 9 November.
    service = _monday_mornings(dtstart=date(2026, 10, 5), count=6)
    assert _starts(service, date(2026, 11, 1), date(2026, 11, 30)) == [at(11, 2, 9), at(11, 9, 9)]
    assert next_opening(service, at(11, 3)) == at(11, 9, 9)
    assert next_opening(service, at(11, 10)) is None


def test_until_is_the_last_day_with_an_occurrence() -> None:
    service = _monday_mornings(until=date(2026, 11, 16))
    assert _starts(service, date(2026, 11, 1), date(2026, 11, 30)) == [at(11, 2, 9), at(11, 9, 9), at(11, 16, 9)]
    assert is_open(service, at(11, 16, 11)) is True
    assert is_open(service, at(11, 23)) is False
    assert next_opening(service, at(11, 16, 12)) is None


def test_dtstart_is_the_first_occurrence() -> None:
    service = _monday_mornings(dtstart=date(2026, 11, 16))
    assert is_open(service, at(11, 9)) is False
    assert next_opening(service, at(11, 2)) == at(11, 16, 9)
    assert _starts(service, date(2026, 11, 1), date(2026, 11, 30)) == [at(11, 16, 9), at(11, 23, 9), at(11, 30, 9)]


def test_count_and_until_together_end_at_the_earlier() -> None:
    # As the official HSDS examples give both: 3 occurrences, but not after Monday 9 November.
    service = _monday_mornings(dtstart=date(2026, 11, 2), count=3, until=date(2026, 11, 9))
    assert _starts(service, date(2026, 11, 1), date(2026, 11, 30)) == [at(11, 2, 9), at(11, 9, 9)]


def test_every_other_week_takes_its_phase_from_dtstart() -> None:
    service = _monday_mornings(interval=2, dtstart=date(2026, 11, 9), count=2)
    assert _starts(service, date(2026, 11, 1), date(2026, 12, 31)) == [at(11, 9, 9), at(11, 23, 9)]


def test_a_counted_schedule_is_left_to_rrule_by_the_search() -> None:
    service = _monday_mornings(dtstart=date(2026, 11, 2), count=2)
    assert (service.hours_in_slots, service.opening_slots.count()) == (False, 0)
    assert [r.service.pk for r in search(SearchCriteria(open_now=True, at=at(11, 9)))] == [service.pk]
    assert search(SearchCriteria(open_now=True, at=at(11, 16))) == []
    [closed] = search(SearchCriteria(at=at(11, 16)))
    assert (closed.is_open, closed.next_opening) == (False, None)


def test_until_and_dtstart_narrow_the_weekly_slots_the_search_reads() -> None:
    service = _monday_mornings(dtstart=date(2026, 11, 9), until=date(2026, 11, 23), valid_to=date(2026, 12, 31))
    assert service.hours_in_slots is True
    assert list(service.opening_slots.values_list("start", "end", "valid_from", "valid_to")) == [
        (540, 720, date(2026, 11, 9), date(2026, 11, 23))
    ]
    entry = current_index().entries[service.pk]
    for moment, expected in [(at(11, 2), False), (at(11, 9), True), (at(11, 23), True), (at(11, 30), False)]:
        assert entry.is_open(Moment.of(moment)) is expected, moment
        assert entry.state(moment) == opening_state(service, moment), moment
    open_ids = [r.service.pk for r in search(SearchCriteria(open_now=True, at=at(11, 30)))]
    assert open_ids == []


def test_a_location_with_bounded_hours_stops_opening_its_services() -> None:
    """A service without hours of its own takes its building's, bounds included (search too)."""
    service = make_service(name_fr="Dans le bâtiment", postal_code="1070")
    location = Location.objects.get(service_at_locations__service=service)
    directory_services.add_location_schedule(
        None,
        location,
        {"byday": "MO", "opens_at": time(9), "closes_at": time(12), "dtstart": date(2026, 11, 2), "count": 1},
    )
    service = Service.objects.prefetch_related(*HOURS_PREFETCH).get(pk=service.pk)
    assert (is_open(service, at(11, 2)), is_open(service, at(11, 9))) == (True, False)
    assert [r.service.pk for r in search(SearchCriteria(open_now=True, at=at(11, 2)))] == [service.pk]
    assert search(SearchCriteria(open_now=True, at=at(11, 9))) == []


def test_migration_0013_leaves_services_with_bounded_schedules_to_rrule() -> None:
    """Slots written before the bounds counted are dropped for those services (own or location hours)."""
    import importlib

    from django.apps import apps

    from maillage.directory.models import OpeningSlot

    migration = importlib.import_module("maillage.directory.migrations.0013_bounded_schedules_left_to_rrule")
    plain = make_service(name_fr="Sans bornes", hours=[("MO", time(9), time(12))])
    bounded = _monday_mornings(until=date(2026, 11, 16))
    building = make_service(name_fr="Dans le bâtiment", postal_code="1070")
    location = Location.objects.get(service_at_locations__service=building)
    directory_services.add_location_schedule(
        None, location, {"byday": "TU", "opens_at": time(9), "closes_at": time(12), "dtstart": date(2026, 11, 3)}
    )
    # As 0012 left them: weekly slots that ignore the bounds.
    Service.objects.filter(pk__in=[bounded.pk, building.pk]).update(hours_in_slots=True)
    OpeningSlot.objects.create(service=bounded, start=540, end=720)
    migration.leave_bounded_to_rrule(apps, None)
    kept = {s.name_fr: (s.hours_in_slots, s.opening_slots.count()) for s in Service.objects.all()}
    assert kept == {"Sans bornes": (True, 1), "Permanence bornée": (False, 0), "Dans le bâtiment": (False, 0)}
    assert plain.opening_slots.count() == 1


def test_the_service_page_says_when_a_bounded_schedule_ends() -> None:
    from django.test import Client
    from django.urls import reverse

    service = _monday_mornings(
        dtstart=date(2026, 11, 2), count=3, until=date(2026, 11, 16), valid_to=date(2026, 12, 31)
    )
    page = Client().get(reverse("directory:service", args=[service.pk])).content.decode()
    assert "09:00–12:00 (jusqu'au 16 novembre 2026) (3 fois)" in page
