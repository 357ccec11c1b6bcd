"""Federation staff list the emails the outbox recorded; nobody else sees that page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from maillage.core.models import Role
from maillage.events import services
from tests.conftest import client_for
from tests.events.factories import EventFactory
from tests.factories import member

pytestmark = pytest.mark.django_db


def test_staff_see_the_emails_sent_and_others_get_404(organisation, organiser_client, worker):
    event = EventFactory(organisation=organisation)
    services.register(event, services.RegistrationData(full_name="Ann", email="ann@example.org", organisation_name="X"))
    staff = client_for(member(Role.FEDERATION_STAFF, organisation, full_name="Stef Staff"))
    page = staff.get(reverse("events:outbox"))
    text = page.content.decode()
    assert page.status_code == 200
    assert "ann@example.org" in text
    assert "Confirmez votre inscription" in text or event.title_fr in text
    assert page.context["total"] == 1
    assert organiser_client.get(reverse("events:outbox")).status_code == 404
    assert client_for(worker).get(reverse("events:outbox")).status_code == 404
    assert staff.get(reverse("events:outbox") + "?page=zzz").status_code == 200
