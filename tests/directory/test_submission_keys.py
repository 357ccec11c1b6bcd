"""One record per intention: every creating form of the directory carries a one-time submission key."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from maillage.core import submission
from maillage.core.models import Commune, Organisation, User
from maillage.directory.models import (
    DirectoryOrganisation,
    Location,
    Phone,
    Schedule,
    ScheduleException,
    Service,
    ServiceAtLocation,
    Subscription,
    Worker,
)
from tests.conftest import client_for
from tests.directory.factories import DirectoryOrganisationFactory, location_in, make_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def service(organisation: Organisation) -> Service:
    entry = DirectoryOrganisationFactory(organisation=organisation, name_fr="CSS Test")
    service = make_service(organisation=entry, name_fr="Permanence")
    ServiceAtLocation.objects.create(service=service, location=location_in("1060", entry))
    return service


def _service_form(name: str = "Aide alimentaire") -> dict[str, Any]:
    return {"name_fr": name, "status": "published", "is_free": "on", "languages": ["fr"]}


HOURS = {"days": ["MO"], "opens_at": "09:00", "closes_at": "12:00"}
CLOSURE = {"closure-start_date": "2026-12-24", "closure-end_date": "2026-12-26", "closure-closed": "on"}

# (name, URL of the page and of its post, data, the rows counted, what a repeat reads, where it leads)
Case = tuple[str, Callable[[Service], str], dict[str, Any], Callable[[Service], Any], str, Callable[[Service], str]]
CASES: list[Case] = [
    (
        "service",
        lambda s: reverse("directory:service_new"),
        _service_form(),
        lambda s: Service.objects.filter(name_fr="Aide alimentaire"),
        "Le service Aide alimentaire était déjà enregistré.",
        lambda s: reverse("directory:service", args=[Service.objects.get(name_fr="Aide alimentaire").pk]),
    ),
    (
        "hours",
        lambda s: reverse("directory:hours", args=[s.pk]),
        HOURS,
        lambda s: Schedule.objects.filter(service=s),
        "Ces horaires étaient déjà ajoutés.",
        lambda s: reverse("directory:hours", args=[s.pk]),
    ),
    (
        "location hours",
        lambda s: reverse("directory:location_hours", args=[s.service_at_locations.get().location_id]),
        HOURS,
        lambda s: Schedule.objects.filter(location__isnull=False),
        "Ces horaires étaient déjà ajoutés.",
        lambda s: reverse("directory:location_hours", args=[s.service_at_locations.get().location_id]),
    ),
    (
        "closure",
        lambda s: reverse("directory:closure_add", args=[s.pk]),
        CLOSURE,
        lambda s: ScheduleException.objects.filter(service=s),
        "Cette fermeture était déjà ajoutée.",
        lambda s: reverse("directory:hours", args=[s.pk]),
    ),
    (
        "location closure",
        lambda s: reverse("directory:location_closure_add", args=[s.service_at_locations.get().location_id]),
        CLOSURE,
        lambda s: ScheduleException.objects.filter(location__isnull=False),
        "Cette fermeture était déjà ajoutée.",
        lambda s: reverse("directory:location_hours", args=[s.service_at_locations.get().location_id]),
    ),
    (
        "address",
        lambda s: reverse("directory:contacts", args=[s.pk]),
        {"location-address": "Rue Haute 1", "location-postal_code": "1000"},
        lambda s: Location.objects.filter(address="Rue Haute 1"),
        "Cette adresse était déjà ajoutée.",
        lambda s: reverse("directory:contacts", args=[s.pk]),
    ),
    (
        "phone",
        lambda s: reverse("directory:contacts", args=[s.pk]),
        {"phone-number": "02 512 34 56"},
        lambda s: Phone.objects.filter(service=s),
        "Ce numéro de téléphone était déjà ajouté.",
        lambda s: reverse("directory:contacts", args=[s.pk]),
    ),
    (
        "worker",
        lambda s: reverse("directory:worker_new", args=[s.pk]),
        {"full_name": "Awa Diallo", "function_fr": "Assistante sociale", "consent": "on", "is_active": "on"},
        lambda s: Worker.objects.filter(service=s),
        "Le·la travailleur·euse Awa Diallo était déjà enregistré·e.",
        lambda s: reverse("directory:service", args=[s.pk]),
    ),
    (
        "organisation",
        lambda s: reverse("directory:organisation_new"),
        {"name_fr": "Nouvelle asbl"},
        lambda s: DirectoryOrganisation.objects.filter(name_fr="Nouvelle asbl"),
        "L'organisation Nouvelle asbl était déjà enregistrée.",
        lambda s: reverse(
            "directory:organisation_edit", args=[DirectoryOrganisation.objects.get(name_fr="Nouvelle asbl").pk]
        ),
    ),
]


def _client(user: User, federation_staff: User, name: str) -> Client:
    # A new directory organisation with no member link is federation staff's to make.
    return client_for(federation_staff if name == "organisation" else user)


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_a_repeated_post_makes_one_record_and_answers_with_the_first(
    case: Case, coordinator: User, federation_staff: User, service: Service
) -> None:
    name, url, data, rows, message, first_url = case
    client = _client(coordinator, federation_staff, name)
    page = client.get(url(service))
    assert page.content.decode().count('name="submission_key"') >= 1
    key = submission.new_key()
    first = client.post(url(service), {**data, "submission_key": key})
    assert first.status_code == 302, getattr(first, "context", None) and first.context.get("form", "")
    again = client.post(url(service), {**data, "submission_key": key}, follow=True)
    assert rows(service).count() == 1
    assert again.redirect_chain[0][0] == first_url(service)
    assert [str(m) for m in again.context["messages"]][-1] == message
    # A new visit of the form is a new intention.
    client.post(url(service), {**data, "submission_key": submission.new_key()})
    assert rows(service).count() == (1 if name in ("address",) else 2)


def test_following_twice_with_one_key_answers_already_followed(worker: User) -> None:
    anderlecht = Commune.objects.get(postal_codes__code="1070")
    client = client_for(worker)
    page = client.get(reverse("directory:changes"), {"commune": anderlecht.pk})
    assert page.content.decode().count('name="submission_key"') == 1
    key = submission.new_key()
    client.post(reverse("directory:subscribe"), {"commune": anderlecht.pk, "submission_key": key})
    again = client.post(reverse("directory:subscribe"), {"commune": anderlecht.pk, "submission_key": key}, follow=True)
    assert Subscription.objects.count() == 1
    assert [str(m) for m in again.context["messages"]][-1] == "Vous suivez déjà ces changements."


def _concurrent_posts(user: User, url: str, data: dict[str, Any], threads: int = 4) -> list[int]:
    key = submission.new_key()
    barrier = threading.Barrier(threads)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def post() -> None:
        try:
            client = Client()
            client.force_login(user)
            barrier.wait()
            statuses.append(client.post(url, {**data, "submission_key": key}).status_code)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=post) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    assert errors == []
    return statuses


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_of_one_service_form_make_one_service(coordinator: User, service: Service) -> None:
    """Four posts of the same form at once (SQLite: writes wait their turn; PostgreSQL: the key's unique index)."""
    client_for(coordinator)  # second factor set up where the role needs it
    statuses = _concurrent_posts(coordinator, reverse("directory:service_new"), _service_form("En même temps"))
    assert statuses == [302, 302, 302, 302]
    assert Service.objects.filter(name_fr="En même temps").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_of_one_hours_form_make_one_schedule(coordinator: User, service: Service) -> None:
    client_for(coordinator)
    statuses = _concurrent_posts(coordinator, reverse("directory:hours", args=[service.pk]), HOURS)
    assert statuses == [302, 302, 302, 302]
    assert Schedule.objects.filter(service=service).count() == 1
