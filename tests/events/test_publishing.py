"""An event cannot be published in a state no one can register for; the organiser sees what is missing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.events.models import Event, EventKind
from tests.events.factories import EventFactory, GroupFactory, SessionFactory, ThemeFactory
from tests.events.test_setup import event_form

pytestmark = pytest.mark.django_db


def _publish(client, event, organisation, **overrides):
    return client.post(
        reverse("events:edit_event", args=[event.pk]),
        event_form(organisation, kind=event.kind, slug=event.slug, is_published="on", **overrides),
    )


def test_a_new_event_is_not_published_before_its_sessions(organiser_client, organisation):
    response = organiser_client.post(reverse("events:new_event"), event_form(organisation, is_published="on"))
    assert response.status_code == 200
    assert response.context["form"].errors["is_published"] == [
        "Ajoutez d'abord les séances (et les thèmes ou les groupes), puis publiez l'événement."
    ]
    assert not Event.objects.exists()
    assert 'class="error-summary warning"' in response.content.decode()
    assert 'href="#id_is_published"' in response.content.decode()


def test_a_series_without_themes_shows_the_checklist_and_stays_unpublished(organiser_client, organisation):
    event = EventFactory(organisation=organisation, kind=EventKind.WORKSHOP_SERIES, is_published=False)
    response = _publish(organiser_client, event, organisation)
    event.refresh_from_db()
    assert not event.is_published
    assert response.context["form"].errors["is_published"] == [
        "L'événement ne peut pas encore être publié : Au moins une séance; Au moins un thème (on s'inscrit par thème)."
    ]
    assert [(check.label, check.ok) for check in response.context["checklist"]] == [
        ("Au moins une séance", False),
        ("Au moins un thème (on s'inscrit par thème)", False),
        ("Tous les thèmes ont une séance", True),
    ]
    theme = ThemeFactory(event=event)
    SessionFactory(event=event, theme=theme)
    _publish(organiser_client, event, organisation)
    event.refresh_from_db()
    assert event.is_published


def test_a_cycle_needs_groups_and_a_deadline_after_the_opening(organiser_client, organisation):
    event = EventFactory(organisation=organisation, kind=EventKind.INTERVISION, is_published=False)
    SessionFactory(event=event)
    opening = timezone.localtime() + timedelta(days=5)
    response = _publish(
        organiser_client,
        event,
        organisation,
        opens_at=opening.strftime("%Y-%m-%dT%H:%M"),
        closes_at=(opening - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
    )
    assert response.context["form"].errors["is_published"] == [
        (
            "L'événement ne peut pas encore être publié : Au moins un groupe (le cycle se suit en groupes); "
            "La date limite d'inscription vient après l'ouverture."
        )
    ]
    event.refresh_from_db()
    assert (event.is_published, event.opens_at) == (False, None)
    GroupFactory(event=event)
    _publish(organiser_client, event, organisation, closes_at=(opening + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"))
    event.refresh_from_db()
    assert event.is_published
