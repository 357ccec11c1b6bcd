"""The hours of a location, edited by the coordinators of its organisation (and federation staff):
the services there that give no hours of their own take them; outsiders get 404."""

from __future__ import annotations

from datetime import datetime, time

import pytest
from django.urls import reverse

from maillage.core.models import AuditEntry, Organisation, User
from maillage.directory.models import Location, Schedule, ScheduleException, Service
from maillage.directory.opening import BRUSSELS
from maillage.directory.search.engine import SearchCriteria, search
from tests.conftest import assert_outsider_gets_404, client_for
from tests.directory.factories import DirectoryOrganisationFactory, make_service

pytestmark = pytest.mark.django_db

MONDAY_10 = datetime(2026, 11, 23, 10, tzinfo=BRUSSELS)


@pytest.fixture
def service(organisation: Organisation, themes) -> Service:  # type: ignore[no-untyped-def]
    """A service of the coordinator's organisation with no hours of its own, at one location."""
    entry = DirectoryOrganisationFactory(organisation=organisation)
    return make_service(organisation=entry, name_fr="Maison de quartier", needs=[themes["INCOME"]], postal_code="1070")


def _location(service: Service) -> Location:
    return Location.objects.get(service_at_locations__service=service)


def _urls(location: Location) -> list[str]:
    return [
        reverse("directory:location_hours", args=[location.pk]),
        reverse("directory:location_closure_add", args=[location.pk]),
    ]


def _open_in_1070() -> list[str]:
    return [r.service.name_fr for r in search(SearchCriteria(postal_code="1070", open_now=True, at=MONDAY_10))]


def test_outsiders_and_workers_get_404(outsider_client, worker: User, service: Service) -> None:  # type: ignore[no-untyped-def]
    location = _location(service)
    assert_outsider_gets_404(outsider_client, *_urls(location))
    assert_outsider_gets_404(outsider_client, *_urls(location), method="post")
    assert_outsider_gets_404(client_for(worker), *_urls(location))


def test_the_coordinator_gives_the_location_hours_and_the_service_takes_them(  # type: ignore[no-untyped-def]
    coordinator: User, service: Service
) -> None:
    location = _location(service)
    client = client_for(coordinator)
    page = client.get(reverse("directory:hours", args=[service.pk])).content.decode()
    assert f'<a href="/directory/locations/{location.pk}/hours/">{location}</a>' in page
    assert _open_in_1070() == []
    response = client.post(
        reverse("directory:location_hours", args=[location.pk]),
        {"days": ["MO", "TU", "WE", "TH", "FR"], "opens_at": "09:00", "closes_at": "17:00"},
    )
    assert response.status_code == 302
    schedule = Schedule.objects.get(location=location)
    assert (schedule.service_id, schedule.rrule_text) == (None, "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR")
    assert _open_in_1070() == ["Maison de quartier"]
    assert AuditEntry.objects.filter(actor=coordinator, code="directory.schedule.created").count() == 1
    page = client.get(reverse("directory:location_hours", args=[location.pk])).content.decode()
    assert "lun., mar., mer., jeu., ven. · 09:00–17:00" in page
    client.post(
        reverse("directory:location_closure_add", args=[location.pk]),
        {"closure-start_date": "2026-11-23", "closure-end_date": "2026-11-23", "closure-closed": "on"},
    )
    assert ScheduleException.objects.filter(location=location, service=None).count() == 1
    assert _open_in_1070() == []
    client.post(reverse("directory:location_schedule_delete", args=[location.pk, schedule.pk]))
    assert not Schedule.objects.filter(pk=schedule.pk).exists()


def test_bad_hours_are_refused_next_to_the_field_and_nothing_is_saved(coordinator: User, service: Service) -> None:
    location = _location(service)
    response = client_for(coordinator).post(
        reverse("directory:location_hours", args=[location.pk]),
        {"days": ["MO"], "opens_at": "17:00", "closes_at": "09:00"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"closes_at": ["L'heure de fermeture doit suivre l'heure d'ouverture."]}
    assert not Schedule.objects.filter(location=location).exists()


def test_a_service_schedule_cannot_be_deleted_through_its_location(coordinator: User, service: Service) -> None:
    location = _location(service)
    own = Schedule.objects.create(service=service, byday="MO", opens_at=time(9), closes_at=time(12))
    response = client_for(coordinator).post(reverse("directory:location_schedule_delete", args=[location.pk, own.pk]))
    assert response.status_code == 404
    assert Schedule.objects.filter(pk=own.pk).exists()


def test_federation_staff_edit_any_location(federation_staff: User, service: Service) -> None:
    location = _location(service)
    response = client_for(federation_staff).get(reverse("directory:location_hours", args=[location.pk]))
    assert response.context["is_location"] is True
    assert f"Horaires du lieu {location}" in response.content.decode()
    client_for(federation_staff).post(
        reverse("directory:location_hours", args=[location.pk]),
        {"days": ["SA"], "opens_at": "09:00", "closes_at": "12:00"},
    )
    assert [s.days_display for s in Schedule.objects.filter(location=location, service=None)] == ["sam."]
