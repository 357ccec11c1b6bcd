"""Organisers set events up: settings and rules, themes, groups and sessions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from maillage.core.models import AuditEntry
from maillage.events.models import Event, EventKind
from tests.conftest import assert_outsider_gets_404, client_for
from tests.events.factories import EventFactory

pytestmark = pytest.mark.django_db


def event_form(organisation, **overrides):
    data = {
        "part": "event",
        "organisation": organisation.pk,
        "kind": EventKind.WORKSHOP_SERIES,
        "slug": "assises-2026",
        "title_fr": "Assises du Logement et du Travail social",
        "title_nl": "Assisen van Huisvesting en Sociaal Werk",
        "description_fr": "Trois ateliers.",
        "place": "COOP, Anderlecht",
        "closes_at": "2026-12-20T12:00",
        "per_organisation": "2",
        "audience": "anyone",
        "ask_function": "on",
        "ask_accessibility": "on",
        "invitation_only": "on",
        "confirmation_hours": "48",
        "offer_hours": "48",
    }
    data.update(overrides)
    return data


def test_organiser_creates_and_sets_up_a_series(organiser_client, organisation, other_organisation):
    response = organiser_client.post(
        reverse("events:new_event"), event_form(organisation, organisers=[other_organisation.pk])
    )
    event = Event.objects.get()
    assert response["Location"] == reverse("events:edit_event", args=[event.pk])
    assert (event.per_organisation, event.invitation_only, event.closes_at.isoformat()) == (
        2,
        True,
        "2026-12-20T11:00:00+00:00",
    )
    assert sorted(o.pk for o in event.organisers.all()) == sorted([organisation.pk, other_organisation.pk])
    assert event.questions.count() == 5
    url = reverse("events:edit_event", args=[event.pk])
    organiser_client.post(
        url, {"part": "theme", "theme-position": 1, "theme-title_fr": "Habitat", "theme-capacity": 40}
    )
    theme = event.themes.get()
    organiser_client.post(
        url,
        {
            "part": "session",
            "session-title": "Atelier 1.1",
            "session-starts_at": "2026-12-01T13:00",
            "session-ends_at": "2026-12-01T16:30",
            "session-theme": theme.pk,
        },
    )
    response = organiser_client.post(
        url, {"part": "session", "session-starts_at": "2026-12-01T13:00", "session-ends_at": "2026-12-01T12:00"}
    )
    assert response.context["parts"]["session"].errors == {"ends_at": ["La fin doit venir après le début."]}
    assert [(s.title, s.theme_id) for s in event.sessions.all()] == [("Atelier 1.1", theme.pk)]
    organiser_client.post(url, event_form(organisation, title_fr="Assises 2026", is_published="on"))
    event.refresh_from_db()
    assert (event.title_fr, event.is_published) == ("Assises 2026", True)
    assert list(
        AuditEntry.objects.filter(target_id=str(event.pk), code__startswith="events.")
        .order_by("id")
        .values_list("code", flat=True)
    ) == [
        "events.questions.created",
        "events.event.created",
        "events.theme.created",
        "events.session.created",
        "events.event.updated",
    ]
    assert organiser_client.get(url).status_code == 200


def test_intervision_groups_are_added(organiser_client, organisation):
    event = EventFactory(organisation=organisation, kind=EventKind.INTERVISION)
    url = reverse("events:edit_event", args=[event.pk])
    organiser_client.post(
        url,
        {
            "part": "group",
            "group-position": 1,
            "group-name": "Groupe 1",
            "group-facilitators": "Anne et Ben",
            "group-capacity": 15,
            "group-per_organisation": 2,
        },
    )
    assert [(g.name, g.capacity, g.per_organisation) for g in event.groups.all()] == [("Groupe 1", 15, 2)]
    response = organiser_client.post(url, {"part": "group", "group-name": ""})
    assert "name" in response.context["parts"]["group"].errors


def test_only_organisers_set_events_up(client, worker, organisation, outsider_client):
    assert client_for(worker).get(reverse("events:new_event")).status_code == 404
    event = EventFactory(organisation=organisation)
    assert_outsider_gets_404(outsider_client, reverse("events:edit_event", args=[event.pk]))
    assert client.get(reverse("events:new_event")).status_code == 302
