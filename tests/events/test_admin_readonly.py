"""The admin only shows events: every change goes through the set-up page and the services (audit)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from maillage.core.models import AuditEntry, User
from maillage.events.models import Event
from tests.conftest import client_for
from tests.events.factories import EventFactory, SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def root_client():
    return client_for(User.objects.create_superuser("root@example.org", "root-password-2026", full_name="Root"))


def test_the_admin_shows_an_event_and_changes_nothing(root_client, organisation):
    event = EventFactory(organisation=organisation, title_fr="Assises", capacity=40)
    SessionFactory(event=event)
    change = reverse("admin:events_event_change", args=[event.pk])
    page = root_client.get(change)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="_save"' not in body
    assert 'name="title_fr"' not in body
    assert (
        reverse("events:edit_event", args=[event.pk])
        in root_client.get(reverse("admin:events_event_changelist")).content.decode()
    )

    posted = root_client.post(change, {"title_fr": "Renamed in the admin", "capacity": 4000, "kind": event.kind})
    assert posted.status_code == 403
    assert root_client.post(reverse("admin:events_event_add"), {"title_fr": "New"}).status_code == 403
    assert root_client.post(reverse("admin:events_event_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert (event.title_fr, event.capacity, Event.objects.count()) == ("Assises", 40, 1)
    assert not AuditEntry.objects.filter(code__startswith="events.").exists()
