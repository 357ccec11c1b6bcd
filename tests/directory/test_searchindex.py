"""Search keys and weekly opening slots: derived from the schedules and needs, in step, and agreeing with rrule."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from maillage.core.models import PostalCode
from maillage.directory import services as directory_services
from maillage.directory.models import CrisisStatus, OpeningSlot, Schedule, ScheduleException, Service
from maillage.directory.opening import BRUSSELS, opening_state, weekly_opening_state
from maillage.directory.search.engine import SearchCriteria, search
from maillage.directory.search.index import Moment, current_index
from maillage.directory.search.keys import refresh_search_index, reindex_all, weekly_slots
from tests.directory.factories import DirectoryOrganisationFactory, make_service

pytestmark = pytest.mark.django_db

WEEKDAYS = "MO,TU,WE,TH,FR"
# Tricky weekly hours: two slots a day, past midnight (also Sunday into Monday), a whole day,
# validity ending and starting inside the sampled weeks, a schedule across the DST changes.
TRICKY = {
    "two a day": [(WEEKDAYS, time(9), time(12, 30), None, None), (WEEKDAYS, time(13, 30), time(17), None, None)],
    "night": [("FR,SA", time(22), time(2), None, None), ("SU", time(23, 30), time(1, 15), None, None)],
    "whole day": [("WE", time(8), time(8), None, None)],
    "ends": [
        ("MO,TH", time(10), time(16), None, date(2026, 3, 30)),
        ("TU", time(18), time(0, 30), None, date(2026, 10, 27)),
    ],
    "starts": [
        ("TU,SA", time(9, 15), time(11, 45), date(2026, 3, 28), None),
        ("SU", time(20), time(3), date(2026, 10, 25), None),
    ],
    "early": [("SU,MO", time(1, 30), time(3, 30), None, None)],
}


def _service(hours: list[tuple[str, time, time, date | None, date | None]], **fields: object) -> Service:
    service = make_service(**fields)
    for byday, opens, closes, valid_from, valid_to in hours:
        directory_services.add_schedule(
            None,
            service,
            {"byday": byday, "opens_at": opens, "closes_at": closes, "valid_from": valid_from, "valid_to": valid_to},
        )
    service.refresh_from_db()
    return service


def _instants(first: datetime, days: int, step_minutes: int = 45) -> list[datetime]:
    return [first + timedelta(minutes=step_minutes * i) for i in range(days * 1440 // step_minutes)]


# Around the spring change (29 March 2026), the autumn change (25 October 2026) and an ordinary week.
WINDOWS = [datetime(2026, 3, 25, 0, 7, tzinfo=BRUSSELS), datetime(2026, 10, 21, 0, 7, tzinfo=BRUSSELS)]


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_weekly_slots_agree_with_rrule(name: str) -> None:
    service = _service(TRICKY[name])
    assert service.hours_in_slots is True
    weekly = list(service.opening_slots.values_list("start", "end", "valid_from", "valid_to"))
    service = Service.objects.prefetch_related("schedules", "schedule_exceptions").get(pk=service.pk)
    for first in WINDOWS:
        for moment in _instants(first, 9):
            assert weekly_opening_state(weekly, moment) == opening_state(service, moment), moment


# Closures, special hours (one running past midnight) and crisis closings on top of the weekly
# hours, inside the sampled windows: the in-memory index must still agree with rrule.
EXCEPTIONS = {
    "closed day": {"exceptions": [(date(2026, 3, 27), date(2026, 3, 27), True, None, None)]},
    "special night": {"exceptions": [(date(2026, 10, 24), date(2026, 10, 25), False, time(21), time(4))]},
    "closed week": {"exceptions": [(date(2026, 3, 28), date(2026, 4, 3), True, None, None)]},
    "crisis until": {"crisis_until": date(2026, 10, 23)},
    "crisis for good": {"crisis_until": None},
}


def _index_entry(service: Service):  # type: ignore[no-untyped-def]
    return current_index().entries[service.pk]


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_index_open_now_agrees_with_rrule(name: str) -> None:
    service = _service(TRICKY[name])
    service = Service.objects.prefetch_related("schedules", "schedule_exceptions").get(pk=service.pk)
    entry = _index_entry(service)
    for first in WINDOWS:
        for moment in _instants(first, 9, step_minutes=75):
            expected = opening_state(service, moment)
            assert (entry.is_open(Moment.of(moment)), entry.state(moment)) == (expected[0], expected), moment


@pytest.mark.parametrize("hours", ["two a day", "night"])
@pytest.mark.parametrize("change", sorted(EXCEPTIONS))
def test_index_agrees_with_rrule_with_closures_special_hours_and_crisis(hours: str, change: str) -> None:
    spec = EXCEPTIONS[change]
    fields = (
        {"crisis_status": CrisisStatus.CLOSED, "crisis_until": spec["crisis_until"]} if "crisis_until" in spec else {}
    )
    service = _service(TRICKY[hours], **fields)
    for start, end, closed, opens, closes in spec.get("exceptions", []):
        ScheduleException.objects.create(
            service=service, start_date=start, end_date=end, closed=closed, opens_at=opens, closes_at=closes
        )
    service = Service.objects.prefetch_related("schedules", "schedule_exceptions").get(pk=service.pk)
    entry = _index_entry(service)
    disagreements = [
        moment
        for first in WINDOWS
        for moment in _instants(first, 9, step_minutes=45)
        if (entry.is_open(Moment.of(moment)), entry.state(moment))
        != (opening_state(service, moment)[0], opening_state(service, moment))
    ]
    assert disagreements == []


def test_weekly_slots_in_minutes_of_the_week() -> None:
    schedule = Schedule(byday="MO,SU", opens_at=time(22), closes_at=time(2))
    assert weekly_slots(schedule) == [(22 * 60, 26 * 60), (6 * 1440 + 22 * 60, 6 * 1440 + 26 * 60)]


def test_irregular_schedule_keeps_rrule_and_is_found_open() -> None:
    # The first Wednesday of December 2026 is the 2nd.
    service = make_service()
    directory_services.add_schedule(
        None, service, {"freq": "MONTHLY", "byday": "1WE", "opens_at": time(18), "closes_at": time(20)}
    )
    service.refresh_from_db()
    assert (service.hours_in_slots, service.opening_slots.count()) == (False, 0)
    first_wednesday = datetime(2026, 12, 2, 19, tzinfo=BRUSSELS)
    [result] = search(SearchCriteria(open_now=True, at=first_wednesday))
    assert (result.service.pk, result.is_open, result.open_until) == (
        service.pk,
        True,
        datetime(2026, 12, 2, 20, tzinfo=BRUSSELS),
    )
    assert search(SearchCriteria(open_now=True, at=first_wednesday + timedelta(days=7))) == []


def test_closure_and_special_hours_are_decided_by_rrule() -> None:
    monday_10 = datetime(2026, 11, 23, 10, tzinfo=BRUSSELS)
    closed = make_service(name_fr="Fermé", hours=[(WEEKDAYS, time(9), time(17))])
    ScheduleException.objects.create(service=closed, start_date=date(2026, 11, 23), end_date=date(2026, 11, 23))
    special = make_service(name_fr="Spécial", hours=[("SA", time(9), time(17))])
    ScheduleException.objects.create(
        service=special,
        start_date=date(2026, 11, 23),
        end_date=date(2026, 11, 23),
        closed=False,
        opens_at=time(8),
        closes_at=time(11),
    )
    result = search(SearchCriteria(open_now=True, at=monday_10))
    assert [(r.service.pk, r.open_until) for r in result] == [(special.pk, datetime(2026, 11, 23, 11, tzinfo=BRUSSELS))]
    [later] = [r for r in search(SearchCriteria(at=monday_10)) if r.service.pk == closed.pk]
    assert (later.is_open, later.next_opening) == (False, datetime(2026, 11, 24, 9, tzinfo=BRUSSELS))


def test_slots_follow_schedule_changes() -> None:
    service = make_service(hours=[("MO", time(9), time(12))])
    assert list(service.opening_slots.values_list("start", "end")) == [(540, 720)]
    schedule = directory_services.add_schedule(
        None, service, {"byday": "TU", "opens_at": time(14), "closes_at": time(16)}
    )
    assert list(service.opening_slots.values_list("start", "end")) == [(540, 720), (1440 + 840, 1440 + 960)]
    directory_services.delete_schedule(None, schedule)
    assert list(service.opening_slots.values_list("start", "end")) == [(540, 720)]
    monthly = directory_services.add_schedule(
        None, service, {"freq": "MONTHLY", "byday": "1FR", "opens_at": time(9), "closes_at": time(10)}
    )
    service.refresh_from_db()
    assert (service.hours_in_slots, service.opening_slots.count()) == (False, 0)
    directory_services.delete_schedule(None, monthly)
    service.refresh_from_db()
    assert (service.hours_in_slots, list(service.opening_slots.values_list("start", "end"))) == (True, [(540, 720)])


def test_keys_follow_saved_needs_areas_and_languages(themes) -> None:  # type: ignore[no-untyped-def]
    anderlecht = PostalCode.objects.get(code="1070").commune
    organisation = DirectoryOrganisationFactory()
    parcel, food = themes["FOOD.PARCEL"], themes["FOOD"]
    service = directory_services.save_service(
        None,
        organisation,
        {"name_fr": "Colis", "status": "published", "extra_postal_codes": "1500"},
        needs=[parcel],
        communes=[anderlecht],
        languages=["fr", "AR"],
    )
    assert service.search_keys == f" c{anderlecht.pk} lar lfr n{food.pk} n{parcel.pk} p1500 "
    generic = directory_services.save_service(
        None, organisation, {"name_fr": "Aide alimentaire", "status": "published"}, needs=[food], languages=["nl"]
    )
    # A level-1 search finds its level-2 services; a level-2 search finds the services of its parent too.
    assert {r.service.pk for r in search(SearchCriteria(category=food))} == {service.pk, generic.pk}
    assert {r.service.pk for r in search(SearchCriteria(category=parcel))} == {service.pk, generic.pk}
    assert [r.service.pk for r in search(SearchCriteria(category=parcel, language="ar"))] == [service.pk]
    nearby = search(SearchCriteria(category=food, postal_code="1500"))
    assert [(r.service.pk, r.serves_area) for r in nearby] == [(service.pk, True), (generic.pk, False)]
    directory_services.save_service(
        None, organisation, {"name_fr": "Colis", "status": "published"}, service=service, needs=[], languages=["nl"]
    )
    service.refresh_from_db()
    assert service.search_keys == " lnl p1500 "
    assert [r.service.pk for r in search(SearchCriteria(category=parcel))] == [generic.pk]


def test_reindex_all_rebuilds_what_the_services_keep(themes) -> None:  # type: ignore[no-untyped-def]
    service = make_service(needs=[themes["FOOD"]], serves=["1070"], hours=[("MO,FR", time(9), time(12))])
    kept = (service.search_keys, list(service.opening_slots.values_list("start", "end", "valid_from", "valid_to")))
    Service.objects.filter(pk=service.pk).update(search_keys="", hours_in_slots=False)
    OpeningSlot.objects.all().delete()
    assert reindex_all() == 1
    service.refresh_from_db()
    assert service.hours_in_slots is True
    assert (
        service.search_keys,
        list(service.opening_slots.values_list("start", "end", "valid_from", "valid_to")),
    ) == kept


def test_refresh_is_idempotent() -> None:
    service = make_service(hours=[("MO", time(9), time(12))])
    refresh_search_index(service)
    refresh_search_index(service)
    assert list(service.opening_slots.values_list("start", "end")) == [(540, 720)]


def test_reindex_command(themes) -> None:  # type: ignore[no-untyped-def]
    service = make_service(needs=[themes["FOOD"]], hours=[("MO", time(9), time(12))])
    Service.objects.filter(pk=service.pk).update(search_keys="")
    out = StringIO()
    call_command("directory_reindex", stdout=out)
    service.refresh_from_db()
    assert (out.getvalue(), service.search_keys) == (
        "1 services reindexed.\n",
        f" d{themes['FOOD'].pk} lfr n{themes['FOOD'].pk} ",
    )
