"""Messages on a date: an organiser schedules a message to an event's, a group's or a session's participants."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from maillage.core.models import OutboxEmail
from maillage.events import services
from maillage.events.models import EventKind, ScheduledMessage
from tests.events.conftest import confirm
from tests.events.factories import EventFactory, GroupFactory, SessionFactory

pytestmark = pytest.mark.django_db


def _confirmed_in(register, event, group=None, **fields):
    result = register(event, **fields)
    confirm(result.participant)
    registration = result.registrations[0]
    if group is not None:
        registration.group = group
        registration.save(update_fields=["group"])
    return registration


def test_a_message_scheduled_for_a_group_leaves_at_its_time_once(register, organiser, organiser_client, organisation):
    event = EventFactory(organisation=organisation, kind=EventKind.INTERVISION, capacity=20)
    first, second = GroupFactory(event=event), GroupFactory(event=event)
    SessionFactory(event=event, group=first)
    member = _confirmed_in(register, event, first, email="in@example.org", organisation_name="A")
    _confirmed_in(register, event, second, email="out@example.org", organisation_name="B")
    when = timezone.localtime() + timedelta(days=2)
    response = organiser_client.post(
        reverse("events:message", args=[event.pk]),
        {
            "audience": f"group-{first.pk}",
            "subject": "Préparer la séance",
            "body": "Relisez vos notes.",
            "send_at": when.strftime("%Y-%m-%dT%H:%M"),
            "submission_key": "s1",
        },
    )
    assert response.status_code == 302
    message = ScheduledMessage.objects.get()
    assert (message.group, message.sent_at) == (first, None)
    before = OutboxEmail.objects.filter(template="events/emails/message").count()
    assert services.send_due_messages(now=timezone.now()) == 0
    assert services.send_due_messages(now=when + timedelta(minutes=1)) == 1
    assert services.send_due_messages(now=when + timedelta(minutes=2)) == 0
    sent = OutboxEmail.objects.filter(template="events/emails/message")[before:]
    assert [(email.to, email.subject) for email in sent] == [
        ([member.participant.email], f"{event.title_fr}: Préparer la séance")
    ]
    message.refresh_from_db()
    assert message.recipients == 1
    page = organiser_client.get(reverse("events:message", args=[event.pk])).content.decode()
    assert "Préparer la séance" in page


def test_a_date_in_the_past_is_refused_on_its_field(organiser_client, organisation):
    event = EventFactory(organisation=organisation)
    response = organiser_client.post(
        reverse("events:message", args=[event.pk]),
        {
            "audience": "event",
            "subject": "Trop tard",
            "body": "…",
            "send_at": (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "submission_key": "s2",
        },
    )
    assert response.status_code == 422
    assert response.context["form"].errors["send_at"] == ["Choisissez une date et une heure à venir."]
    assert not ScheduledMessage.objects.exists()
    assert len(mail.outbox) == 0


def test_a_message_for_a_session_and_its_withdrawal(register, organiser, organiser_client, organisation):
    event = EventFactory(organisation=organisation, capacity=20)
    session = SessionFactory(event=event)
    _confirmed_in(register, event, email="a@example.org", organisation_name="A")
    message = services.schedule_message(
        organiser, event, "Rappel", "À demain", timezone.now() + timedelta(hours=3), session=session
    )
    organiser_client.post(reverse("events:cancel_scheduled", args=[event.pk, message.pk]))
    assert not ScheduledMessage.objects.exists()
    assert services.send_due_messages(now=timezone.now() + timedelta(days=1)) == 0


def test_the_scheduled_task_sends_what_is_due(register, organiser, organisation):
    from django.core.management import call_command

    event = EventFactory(organisation=organisation, capacity=20)
    SessionFactory(event=event)
    _confirmed_in(register, event, email="a@example.org", organisation_name="A")
    message = services.schedule_message(organiser, event, "Bientôt", "…", timezone.now() + timedelta(minutes=5))
    ScheduledMessage.objects.filter(pk=message.pk).update(send_at=timezone.now() - timedelta(minutes=1))
    call_command("events_scheduled")
    message.refresh_from_db()
    assert message.recipients == 1
