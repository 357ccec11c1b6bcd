"""Hours given only on a location (HSDS allows it): a service with no schedule of its own takes them,
for opening_state, the weekly slots, the in-memory search and the service page; its own hours win."""

from __future__ import annotations

import copy
import io
import json
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from maillage.directory import hsds
from maillage.directory import services as directory_services
from maillage.directory.models import HOURS_PREFETCH, Frequency, Location, Schedule, Service
from maillage.directory.opening import BRUSSELS, opening_state
from maillage.directory.queries import status_board_services
from maillage.directory.search.engine import SearchCriteria, search
from maillage.directory.search.keys import reindex_all
from tests.directory.factories import make_service

pytestmark = pytest.mark.django_db

from tests.reference import HSDS  # noqa: E402

MONDAY_10 = datetime(2026, 11, 23, 10, tzinfo=BRUSSELS)
MONDAY_20 = datetime(2026, 11, 23, 20, tzinfo=BRUSSELS)
SATURDAY_10 = datetime(2026, 11, 28, 10, tzinfo=BRUSSELS)
WEEKDAYS = "MO,TU,WE,TH,FR"
NINE_TO_FIVE = {"byday": WEEKDAYS, "opens_at": time(9), "closes_at": time(17)}


def _location_of(service: Service) -> Location:
    return Location.objects.get(service_at_locations__service=service)


@pytest.fixture
def building(themes) -> Service:  # type: ignore[no-untyped-def]
    """A service with no hours of its own, in a building open on weekdays from 9 to 17."""
    service = make_service(
        name_fr="Épicerie du bâtiment", needs=[themes["FOOD.PARCEL"]], postal_code="1070", serves=["1070"]
    )
    directory_services.add_location_schedule(None, _location_of(service), NINE_TO_FIVE)
    return service


def _fresh(service: Service) -> Service:
    return Service.objects.prefetch_related(*HOURS_PREFETCH).get(pk=service.pk)


def _open_in_1070(at: datetime) -> list[str]:
    return [r.service.name_fr for r in search(SearchCriteria(postal_code="1070", open_now=True, at=at))]


def _slots(service: Service) -> list[tuple[int, int, date | None, date | None]]:
    return list(service.opening_slots.values_list("start", "end", "valid_from", "valid_to"))


def test_a_service_without_hours_is_open_exactly_when_its_location_is(
    building: Service, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    location = Location.objects.prefetch_related("schedules", "schedule_exceptions").get(pk=_location_of(building).pk)
    service = _fresh(building)
    assert opening_state(service, MONDAY_10) == (
        True,
        datetime(2026, 11, 24, 9, tzinfo=BRUSSELS),
        datetime(2026, 11, 23, 17, tzinfo=BRUSSELS),
    )
    assert opening_state(service, MONDAY_20) == (False, datetime(2026, 11, 24, 9, tzinfo=BRUSSELS), None)
    with django_assert_num_queries(0):  # prefetched: no query per service
        for step in range(9 * 24 * 4):
            moment = MONDAY_10 - timedelta(days=1) + timedelta(minutes=15 * step)
            assert opening_state(service, moment) == opening_state(location, moment), moment


def test_the_search_finds_it_open_only_when_the_location_is(building: Service) -> None:
    assert _open_in_1070(MONDAY_10) == ["Épicerie du bâtiment"]
    assert _open_in_1070(MONDAY_20) == []
    assert _open_in_1070(SATURDAY_10) == []


def test_its_weekly_slots_are_those_of_the_same_hours_on_the_service(building: Service) -> None:
    own = make_service(name_fr="Mêmes heures", hours=[(WEEKDAYS, time(9), time(17))])
    building.refresh_from_db()
    assert (building.hours_in_slots, own.hours_in_slots) == (True, True)
    assert _slots(building) == _slots(own) == [(day * 1440 + 540, day * 1440 + 1020, None, None) for day in range(5)]
    reindex_all()
    assert _slots(building) == _slots(own)
    assert Service.objects.get(pk=building.pk).hours_in_slots is True


def test_a_service_with_hours_of_its_own_ignores_the_location(building: Service) -> None:
    directory_services.add_schedule(None, building, {"byday": "SA", "opens_at": time(9), "closes_at": time(12)})
    service = _fresh(building)
    assert service.location_hours() == []
    assert opening_state(service, MONDAY_10)[0] is False
    assert opening_state(service, SATURDAY_10)[0] is True
    assert _slots(building) == [(5 * 1440 + 540, 5 * 1440 + 720, None, None)]
    assert _open_in_1070(MONDAY_10) == []
    assert _open_in_1070(SATURDAY_10) == ["Épicerie du bâtiment"]


def test_changing_the_location_hours_through_the_services_changes_the_next_search(building: Service) -> None:
    assert _open_in_1070(MONDAY_10) == ["Épicerie du bâtiment"]
    location = _location_of(building)
    directory_services.delete_schedule(None, Schedule.objects.get(location=location))
    assert _open_in_1070(MONDAY_10) == []
    assert _slots(building) == []
    directory_services.add_location_schedule(
        None, location, {"byday": "SA", "opens_at": time(9), "closes_at": time(12)}
    )
    assert _open_in_1070(MONDAY_10) == []
    assert _open_in_1070(SATURDAY_10) == ["Épicerie du bâtiment"]
    # Traced on the service that takes these hours: the fixture's hours, their removal, the new ones.
    assert list(building.changes.values_list("kind", flat=True)) == ["updated"] * 3


def test_linking_and_unlinking_the_location_changes_the_next_search(building: Service) -> None:
    other = make_service(name_fr="Sans heures", serves=["1070"], organisation=building.organisation)
    assert _open_in_1070(MONDAY_10) == ["Épicerie du bâtiment"]
    location = _location_of(building)
    link = directory_services.add_location(None, other, location.address, location.postal_code, location.commune, "")
    assert link.location == location
    assert _open_in_1070(MONDAY_10) == ["Sans heures", "Épicerie du bâtiment"]
    directory_services.remove_location(None, link)
    assert _open_in_1070(MONDAY_10) == ["Épicerie du bâtiment"]


def test_a_location_closure_applies_to_the_services_taking_its_hours_only(building: Service) -> None:
    own = make_service(
        name_fr="Heures propres",
        serves=["1070"],
        organisation=building.organisation,
        hours=[(WEEKDAYS, time(9), time(17))],
    )
    location = _location_of(building)
    directory_services.add_location(None, own, location.address, location.postal_code, location.commune, "")
    directory_services.add_location_exception(
        None, location, {"start_date": date(2026, 11, 23), "end_date": date(2026, 11, 23), "reason": "Grève"}
    )
    assert opening_state(_fresh(building), MONDAY_10) == (False, datetime(2026, 11, 24, 9, tzinfo=BRUSSELS), None)
    assert opening_state(_fresh(own), MONDAY_10)[0] is True
    # The in-memory search does not copy location closures: rrule decides for that service.
    assert Service.objects.get(pk=building.pk).hours_in_slots is False
    assert _open_in_1070(MONDAY_10) == ["Heures propres"]
    assert _open_in_1070(MONDAY_10 + timedelta(days=1)) == ["Heures propres", "Épicerie du bâtiment"]


def test_a_monthly_location_schedule_is_decided_by_rrule(themes) -> None:  # type: ignore[no-untyped-def]
    service = make_service(name_fr="Permanence mensuelle", postal_code="1070", serves=["1070"])
    directory_services.add_location_schedule(
        None,
        _location_of(service),
        {"freq": Frequency.MONTHLY, "byday": "1MO", "opens_at": time(9), "closes_at": time(12)},
    )
    service.refresh_from_db()
    assert (service.hours_in_slots, _slots(service)) == (False, [])
    first_monday = datetime(2026, 12, 7, 10, tzinfo=BRUSSELS)
    assert opening_state(_fresh(service), first_monday)[0] is True
    assert opening_state(_fresh(service), first_monday + timedelta(days=7)) == (
        False,
        datetime(2027, 1, 4, 9, tzinfo=BRUSSELS),
        None,
    )
    assert _open_in_1070(first_monday) == ["Permanence mensuelle"]
    assert _open_in_1070(first_monday + timedelta(days=7)) == []


@time_machine.travel(MONDAY_10, tick=False)
def test_the_status_board_reads_the_location_hours_without_a_query_per_service(  # type: ignore[no-untyped-def]
    building: Service, django_assert_num_queries
) -> None:
    services = list(status_board_services())
    with django_assert_num_queries(0):
        assert [(s.name_fr, opening_state(s, MONDAY_10)[0]) for s in services] == [("Épicerie du bâtiment", True)]


@time_machine.travel(MONDAY_10, tick=False)
def test_the_service_page_shows_the_hours_of_the_location(client: Client, building: Service) -> None:
    response = client.get(reverse("directory:service", args=[building.pk]))
    assert (response.context["is_open"], response.context["next_opening"]) == (
        True,
        datetime(2026, 11, 24, 9, tzinfo=BRUSSELS),
    )
    page = " ".join(response.content.decode().split())
    section = page.split("<h2>Horaires</h2>")[1].split("<h2>")[0].split("</ul>")[0]
    assert section == (
        ' <p class="meta">Horaires du lieu : Rue Wayez 1, 1070 Anderlecht</p>'
        " <ul> <li>lun., mar., mer., jeu., ven. · 09:00–17:00</li> "
    )
    assert "Aucun horaire indiqué." not in page


def _organisation_document(hours: list[dict[str, Any]]) -> dict[str, Any]:
    ids = {name: str(uuid.uuid5(uuid.NAMESPACE_URL, f"maillage-test/{name}")) for name in ("org", "loc", "svc", "sal")}
    return {
        "id": ids["org"],
        "name": "Maison de quartier",
        "locations": [
            {
                "id": ids["loc"],
                "name": "Maison de quartier",
                "addresses": [{"address_1": "Rue Wayez 1", "postal_code": "1070", "city": "Anderlecht"}],
                "schedules": hours,
            }
        ],
        "services": [
            {
                "id": ids["svc"],
                "name": "Permanence sociale",
                "status": "active",
                "service_areas": [{"name": "1070"}],
                "service_at_locations": [{"id": ids["sal"], "location_id": ids["loc"]}],
            }
        ],
    }


def _hsds_hours(byday: str, opens: str, closes: str) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, "maillage-test/hours")),
        "freq": "WEEKLY",
        "byday": byday,
        "opens_at": opens,
        "closes_at": closes,
    }


def test_reimporting_the_location_hours_changes_the_next_search() -> None:
    hsds.import_documents(None, _organisation_document([_hsds_hours(WEEKDAYS, "09:00", "17:00")]))
    assert _open_in_1070(MONDAY_10) == ["Permanence sociale"]
    assert _open_in_1070(SATURDAY_10) == []
    # Only the location this time: the services there are indexed again at the end of the import.
    changed = _organisation_document([_hsds_hours("SA", "09:00", "12:00")])
    changed["services"] = []
    hsds.import_documents(None, changed)
    assert _open_in_1070(MONDAY_10) == []
    assert _open_in_1070(SATURDAY_10) == ["Permanence sociale"]


@pytest.mark.skipif(not (HSDS / "examples").is_dir(), reason=f"the official HSDS 3.0 examples are not in {HSDS}")
def test_the_official_example_with_hours_on_its_location_only() -> None:
    payload = json.loads((HSDS / "examples" / "organization_full.json").read_text())
    location_only = copy.deepcopy(payload)
    for service in location_only["services"]:
        service["schedules"] = []
        for link in service["service_at_locations"]:
            link["schedules"] = []
            link["location"]["schedules"] = []
    for location in location_only["locations"]:
        for schedule in location["schedules"]:
            # The example's validity and recurrence end on one day of 2005 (a bounded recurrence stops:
            # tests/directory/test_bounded_schedules.py); without them, Thursdays and Fridays that are the 2nd–4th.
            schedule["valid_from"] = schedule["valid_to"] = schedule["dtstart"] = schedule["until"] = None
            schedule["count"] = None
            # Its hours read as Brussels time (the offset it gives is honoured: tests/directory/test_hsds_roundtrip.py).
            schedule["timezone"] = None
    hsds.import_documents(None, location_only)
    service = _fresh(Service.objects.get(uuid=payload["services"][0]["id"]))
    assert list(service.schedules.all()) == []
    [hours] = service.location_hours()
    assert (str(hours.location.uuid), [s.rrule_text for s in hours.schedules]) == (
        payload["locations"][0]["id"],
        ["FREQ=WEEKLY;BYDAY=TH,FR;BYMONTHDAY=2,3,4"],
    )
    thursday_2nd = datetime(2026, 7, 2, 11, tzinfo=BRUSSELS)
    assert opening_state(service, thursday_2nd) == (
        True,
        datetime(2026, 7, 3, 10, tzinfo=BRUSSELS),
        datetime(2026, 7, 2, 18, tzinfo=BRUSSELS),
    )
    assert opening_state(service, thursday_2nd + timedelta(days=7))[0] is False
    assert Service.objects.get(pk=service.pk).hours_in_slots is False  # BYMONTHDAY: rrule decides


def test_the_printed_sheets_list_the_hours_of_the_location(client: Client, themes, building: Service) -> None:  # type: ignore[no-untyped-def]
    params = {"commune": _location_of(building).commune_id, "needs": [themes["FOOD"].pk]}
    page = client.get(reverse("directory:sheet"), params).content.decode()
    assert '<span class="meta">lun., mar., mer., jeu., ven. 09:00–17:00</span>' in page
    text = PdfReader(io.BytesIO(client.get(reverse("directory:sheet_pdf"), params).content)).pages[0].extract_text()
    assert "09:00–17:00" in text
