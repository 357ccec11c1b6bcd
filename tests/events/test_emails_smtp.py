"""Every kind of email of events, as the local SMTP server receives it (queued in the outbox, sent after commit).

Run with `-s` to print one line per kind: template, subject, recipients, attachments (the closing note's table).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from maillage.core.models import OutboxEmail, OutboxStatus
from maillage.events import services
from maillage.events.models import EventKind, Registration, Status
from tests.events.conftest import confirm
from tests.events.factories import EventFactory, GroupFactory, SessionFactory

pytestmark = pytest.mark.django_db


def test_one_email_of_each_kind_reaches_the_smtp_server(
    smtp_inbox, settings, organiser, register, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "http://127.0.0.1:8123"
    run = django_capture_on_commit_callbacks
    event = EventFactory(capacity=1, contact_email="events@federation.example")
    session = SessionFactory(event=event, starts_at=timezone.now() + timedelta(days=3))
    with run(execute=True):
        first = register(event, email="first@example.org", organisation_name="A", full_name="Ann First")
    with run(execute=True):
        confirm(first.participant)  # → invitation
    with run(execute=True):
        waiting = register(event, email="second@example.org", organisation_name="B", full_name="Bo Second")
    with run(execute=True):
        register(event, email="first@example.org", organisation_name="A")  # → personal link again
    with run(execute=True):
        confirm(waiting.participant)
    with run(execute=True):
        new_start = session.starts_at + timedelta(days=1)
        services.move_session(organiser, session, new_start, new_start + timedelta(hours=2))  # → moved
    with run(execute=True):
        services.change_part(organiser, session, {"place": "Salle 2, COOP"})  # → changed (title or place)
    with run(execute=True):
        services.send_message(organiser, event, "Infos pratiques", "Apportez vos notes.")  # → message
    with run(execute=True):
        services.schedule_message(organiser, event, "Plus tard", "…", timezone.now() + timedelta(minutes=1))
        services.send_due_messages(now=timezone.now() + timedelta(minutes=2))  # → scheduled message
    with run(execute=True):
        services.send_reminders(now=new_start - timedelta(days=1))  # → reminder
    with run(execute=True):
        services.cancel_registration(first.registrations[0])  # → cancellation + offer to the second
    offered = Registration.objects.get(pk=waiting.registrations[0].pk)
    assert offered.status == Status.OFFERED
    with run(execute=True):
        services.accept_offer(offered)  # → invitation of the second
    with run(execute=True):
        services.cancel_session(organiser, session)  # → session cancelled
    cycle = EventFactory(kind=EventKind.INTERVISION, capacity=10)
    group = GroupFactory(event=cycle, name="Groupe A")
    held = SessionFactory(
        event=cycle,
        group=group,
        starts_at=timezone.now() - timedelta(hours=3),
        ends_at=timezone.now() - timedelta(hours=1),
    )
    with run(execute=True):
        member = register(cycle, email="third@example.org", organisation_name="C", full_name="Cy Third")
        confirm(member.participant)  # → confirm, invitation
    with run(execute=True):
        services.place_in_groups(organiser, cycle)
    with run(execute=True):
        services.send_absence_messages(now=held.ends_at + timedelta(minutes=30))  # → absence

    # A long encoded subject is folded onto the next header line; unfolded, it starts with that line's space.
    received = [(message["To"], message["Subject"].strip()) for message in smtp_inbox.messages]
    kinds = list(OutboxEmail.objects.order_by("pk").values_list("template", flat=True))
    assert sorted(set(kinds)) == [
        "events/emails/absence",
        "events/emails/calendar_change",
        "events/emails/confirm",
        "events/emails/invitation",
        "events/emails/message",
        "events/emails/offer",
        "events/emails/personal_link",
        "events/emails/reminder",
    ]
    assert OutboxEmail.objects.exclude(status=OutboxStatus.SENT).count() == 0
    assert len(received) == len(kinds)
    title, cycle_title = event.title_fr, cycle.title_fr
    assert received == [
        ("first@example.org", f"Confirmez votre inscription : {title}"),
        ("first@example.org", f"Votre invitation : {title}"),
        ("second@example.org", f"Confirmez votre inscription : {title}"),
        ("first@example.org", f"Votre inscription : {title}"),
        ("first@example.org", f"Séance déplacée : {title}"),
        ("first@example.org", f"Séance modifiée : {title}"),
        ("first@example.org", f"{title}: Infos pratiques"),
        ("first@example.org", f"{title}: Plus tard"),
        ("first@example.org", f"Demain : {title}"),
        ("first@example.org", f"Inscription annulée : {title}"),
        ("second@example.org", f"Une place s'est libérée pour vous : {title}"),
        ("second@example.org", f"Votre invitation : {title}"),
        ("second@example.org", f"Séance annulée : {title}"),
        ("third@example.org", f"Confirmez votre inscription : {cycle_title}"),
        ("third@example.org", f"Votre invitation : {cycle_title}"),
        ("third@example.org", f"Vous nous avez manqué : {cycle_title}"),
    ]
    waiting_email = smtp_inbox.messages[2].get_body(preferencelist=("plain",)).get_content()
    assert "n° 1 sur la liste d'attente" in waiting_email
    assert f"a {event.offer_hours} heures pour la prendre" in waiting_email
    for message in smtp_inbox.messages:
        body = message.get_body(preferencelist=("plain",)).get_content()
        assert "http://127.0.0.1:8000" not in body
        calendars = [part.get_filename() for part in message.iter_attachments()]
        print(  # noqa: T201 — the closing note's table, with -s
            f"{message['Subject'].strip():<60} | To: {message['To']} | From: {message['From']} | "
            f"Message-ID: {'yes' if message['Message-ID'] else 'no'} | attachments: {', '.join(calendars) or '—'}"
        )
