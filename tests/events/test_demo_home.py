"""The demo data follows the seeds and the rules; the organisers' home panel."""

from __future__ import annotations

from collections import Counter

import pytest
from django.urls import reverse

from maillage.core import demo as core_demo
from maillage.core.demo_context import DemoContext
from maillage.events import demo, queries
from maillage.events.models import HOLDING, Event, EventKind, Registration, Status
from tests.conftest import client_for
from tests.events.factories import EventFactory

pytestmark = pytest.mark.django_db


def test_demo_loads_the_seeds_events_within_the_rules():
    context = DemoContext()
    core_demo.load(context)
    demo.load(context)
    webinar, cycle, assises = (
        Event.objects.get(kind=kind) for kind in (EventKind.WEBINAR, EventKind.INTERVISION, EventKind.WORKSHOP_SERIES)
    )
    assert (webinar.capacity, webinar.registrations.filter(status=Status.CONFIRMED).count()) == (100, 100)
    assert [(g.capacity, g.per_organisation, g.sessions.count()) for g in cycle.groups.all()] == [(15, 2, 5)] * 10
    placed = Registration.objects.filter(event=cycle, group__isnull=False).values_list(
        "group_id", "participant__organisation_key"
    )
    assert max(Counter(group for group, _key in placed).values()) <= 15
    assert max(Counter(placed).values()) <= 2
    assert [(t.capacity, t.sessions.count()) for t in assises.themes.all()] == [(40, 3)] * 3
    held = set(
        Registration.objects.filter(event=assises, status__in=HOLDING).values_list(
            "participant", "participant__organisation_key"
        )
    )
    assert max(Counter(key for _participant, key in held).values()) == 2
    synthesis = queries.synthesis(webinar)
    assert [len(item.points) for item in synthesis] == [5, 2, 3, 2, 4]
    assert synthesis[0].points[0].sources == ["Sous-groupe 1", "Sous-groupe 2"]
    assert webinar.recommendations.count() == 2


def test_home_panel_for_organisers(organiser, organisation, worker):
    event = EventFactory(organisation=organisation, requires_approval=True)
    response = client_for(organiser).get(reverse("core:home"))
    panels = [panel for panel, _body in response.context["panels"] if panel.template == "events/panels/events.html"]
    assert [[e.pk for e in panel.context["events"]] for panel in panels] == [[event.pk]]
    assert "Vos événements" in response.content.decode()
    response = client_for(worker).get(reverse("core:home"))
    assert [p for p, _body in response.context["panels"] if p.template == "events/panels/events.html"] == []


def test_home_panel_empty_for_an_organiser_without_events(organiser):
    response = client_for(organiser).get(reverse("core:home"))
    assert [p for p, _body in response.context["panels"] if p.template == "events/panels/events.html"] == []
