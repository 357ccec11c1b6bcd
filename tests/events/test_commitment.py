"""Commitment followed session by session: attendance rates per group, absences per participant, a message after one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.core.models import AuditEntry, OutboxEmail
from maillage.events import services
from maillage.events.models import EventKind
from tests.conftest import assert_outsider_gets_404
from tests.events.conftest import confirm
from tests.events.factories import EventFactory, GroupFactory, SessionFactory

pytestmark = pytest.mark.django_db


def _member(register, event, group, email):
    result = register(event, email=email, organisation_name=email)
    confirm(result.participant)
    return services.move_to_group(None, result.registrations[0], group)


def test_rates_per_group_absences_and_one_message_after_an_absence(register, organiser, organiser_client, organisation):
    event = EventFactory(organisation=organisation, kind=EventKind.INTERVISION, capacity=30)
    north, south = GroupFactory(event=event, name="Nord"), GroupFactory(event=event, name="Sud")
    now = timezone.now()
    held = [
        SessionFactory(
            event=event, group=north, starts_at=now - timedelta(days=d, hours=3), ends_at=now - timedelta(days=d)
        )
        for d in (14, 1)
    ]
    SessionFactory(event=event, group=north, starts_at=now + timedelta(days=14))  # not held yet
    south_session = SessionFactory(
        event=event, group=south, starts_at=now - timedelta(days=1, hours=3), ends_at=now - timedelta(days=1)
    )
    ann, bob = (_member(register, event, north, email) for email in ("ann@x.org", "bob@x.org"))
    cleo = _member(register, event, south, "cleo@x.org")
    services.check_in_by_name(organiser, held[0], ann)
    services.check_in_by_name(organiser, held[0], bob)
    services.check_in_by_name(organiser, held[1], ann)
    services.check_in_by_name(organiser, south_session, cleo)

    rates, people = services.attendance_by_group(event)
    assert [(r.label, r.sessions, r.expected, r.present, r.rate) for r in rates] == [
        ("Nord", 2, 4, 3, 75),
        ("Sud", 1, 1, 1, 100),
    ]
    assert [(p.registration.participant.email, p.held, p.absent) for p in people] == [
        ("bob@x.org", 2, 1),
        ("ann@x.org", 2, 0),
        ("cleo@x.org", 1, 0),
    ]

    # Bob missed yesterday's session: one message, however often the job runs; the older session is past the window.
    assert services.send_absence_messages() == 1
    assert services.send_absence_messages() == 0
    [email] = OutboxEmail.objects.filter(template="events/emails/absence")
    assert email.to == ["bob@x.org"]
    assert email.subject == f"Vous nous avez manqué : {event.title_fr}"

    page = organiser_client.get(reverse("events:attendance", args=[event.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "75 %" in text
    assert AuditEntry.objects.filter(code="events.attendance.read", target_id=str(event.pk)).count() == 1


def test_attendance_page_is_the_organisers(outsider_client, organisation):
    event = EventFactory(organisation=organisation)
    assert_outsider_gets_404(outsider_client, reverse("events:attendance", args=[event.pk]))
