"""Fixtures for events: an organiser of the lead organisation, a registration helper."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client

from maillage.core.models import Organisation, Role, User
from maillage.events import services
from maillage.events.models import Event, Participant, Registration
from tests.conftest import client_for
from tests.events.factories import EventFactory, SessionFactory
from tests.factories import member


@pytest.fixture
def _site_url(settings: object) -> None:
    settings.SITE_URL = "http://testserver"  # type: ignore[attr-defined]


@pytest.fixture
def event(organisation: Organisation) -> Event:
    event = EventFactory(organisation=organisation, capacity=100, per_organisation=None)
    SessionFactory(event=event)
    return event


@pytest.fixture
def organiser(organisation: Organisation) -> User:
    return member(Role.ORGANISER, organisation, full_name="Olga Organiser")


@pytest.fixture
def organiser_client(organiser: User) -> Client:
    return client_for(organiser)


RegisterFn = Callable[..., services.RegistrationResult]


@pytest.fixture
def register() -> RegisterFn:
    counter = iter(range(1, 100_000))

    def _register(event: Event, organisation_name: str = "Asbl Test", **fields: object) -> services.RegistrationResult:
        n = next(counter)
        data = services.RegistrationData(
            full_name=str(fields.pop("full_name", f"Person {n}")),
            email=str(fields.pop("email", f"person{n}@example.org")),
            organisation_name=organisation_name,
            **fields,  # type: ignore[arg-type]
        )
        return services.register(event, data)

    return _register


def confirm(participant: Participant) -> Participant:
    return services.confirm_email(services.confirmation_token(participant))


def statuses(event: Event) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in Registration.objects.filter(event=event).values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts


def link_in(body: str, fragment: str) -> str:
    match = re.search(r"https?://\S*" + re.escape(fragment) + r"\S*", body)
    assert match, f"no link with {fragment!r} in:\n{body}"
    return match.group(0)
