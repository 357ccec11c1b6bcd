"""Intervision groups, invitations with QR codes, check-in, reminders and messages."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from maillage.events import services
from maillage.events.models import Attendance, EventKind, Reminder
from tests.events.conftest import confirm
from tests.events.factories import EventFactory, GroupFactory, SessionFactory, ThemeFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_site_url")]


def confirmed(register, event, **fields):
    result = register(event, **fields)
    confirm(result.participant)
    registration = result.registrations[0]
    registration.refresh_from_db()
    return registration


@pytest.fixture
def cycle():
    event = EventFactory(kind=EventKind.INTERVISION, capacity=None)
    groups = [GroupFactory(event=event, capacity=3, per_organisation=2) for _ in range(2)]
    return event, groups


def test_placement_keeps_preferences_and_respects_capacity_and_cap(cycle, register, organiser):
    event, (first, second) = cycle
    people = [confirmed(register, event, organisation_name="Same", preferred_group=first) for _ in range(3)]
    people += [confirmed(register, event, organisation_name=f"Other {n}", preferred_group=first) for n in range(4)]
    result = services.place_in_groups(organiser, event)
    assert (result.placed, result.preferences_kept, [r.pk for r in result.unplaced]) == (6, 3, [people[-1].pk])
    members = {
        group.pk: sorted(group.registrations.values_list("participant__organisation_name", flat=True))
        for group in (first, second)
    }
    assert members == {first.pk: ["Other 0", "Same", "Same"], second.pk: ["Other 1", "Other 2", "Same"]}
    # Running it again places nobody twice.
    assert services.place_in_groups(organiser, event).placed == 0


def test_manual_move_is_rechecked(cycle, register, organiser):
    event, (first, second) = cycle
    a, b = (confirmed(register, event, organisation_name="Same") for _ in range(2))
    c = confirmed(register, event, organisation_name="Same")
    services.move_to_group(organiser, a, first)
    services.move_to_group(organiser, b, first)
    with pytest.raises(ValidationError) as error:
        services.move_to_group(organiser, c, first)
    assert error.value.messages == [f"{first.name} compte déjà le nombre maximum de personnes de cette organisation."]
    others = [confirmed(register, event, organisation_name=f"O{n}") for n in range(2)]
    services.move_to_group(organiser, others[0], second)
    services.move_to_group(organiser, others[1], first)  # 3/3
    with pytest.raises(ValidationError) as error:
        services.move_to_group(organiser, others[0], first)
    assert error.value.messages == [f"{first.name} est complet."]
    assert services.move_to_group(organiser, a, None).group is None
    with pytest.raises(ValidationError):
        services.move_to_group(organiser, a, GroupFactory())


def test_invitation_has_every_session_as_ics_and_qr_codes(register, django_capture_on_commit_callbacks):
    event = EventFactory(
        kind=EventKind.WORKSHOP_SERIES, invitation_only=True, place="COOP, Quai Fernand Demets 23, 1070 Anderlecht"
    )
    theme, other = ThemeFactory(event=event), ThemeFactory(event=event)
    sessions = [
        SessionFactory(event=event, theme=theme, starts_at=timezone.now() + timedelta(days=d)) for d in (5, 20, 40)
    ]
    SessionFactory(event=event, theme=other)
    result = register(event, themes=[theme])
    with django_capture_on_commit_callbacks(execute=True):
        confirm(result.participant)
    invitation = mail.outbox[-1]
    names = [name for name, _c, _t in invitation.attachments]
    assert names == [
        "session-1.ics",
        "entry-session-1.png",
        "session-2.ics",
        "entry-session-2.png",
        "session-3.ics",
        "entry-session-3.png",
    ]
    assert invitation.attachments[1][1][:8] == b"\x89PNG\r\n\x1a\n"
    assert "COOP, Quai Fernand Demets 23, 1070 Anderlecht" in invitation.body
    assert services.personal_url(result.participant) in invitation.body
    assert [s.pk for s in services.sessions_of(result.registrations[0])] == [s.pk for s in sessions]


def test_check_in_by_code_and_by_name(register, organiser):
    event = EventFactory(kind=EventKind.WORKSHOP_SERIES)
    theme, other = ThemeFactory(event=event), ThemeFactory(event=event)
    session, other_session = SessionFactory(event=event, theme=theme), SessionFactory(event=event, theme=other)
    registration = confirmed(register, event, themes=[theme])
    code = services.checkin_url(registration, session)
    first = services.check_in_by_code(organiser, session, code)
    again = services.check_in_by_code(organiser, session, services.checkin_token(registration, session))
    assert (first.created, again.created, Attendance.objects.count()) == (True, False, 1)
    with pytest.raises(ValidationError) as error:
        services.check_in_by_code(organiser, other_session, code)
    assert error.value.messages == [f"Cette invitation est pour une autre séance ({session}), pas pour celle-ci."]
    with pytest.raises(ValidationError) as error:
        services.check_in_by_code(organiser, session, "garbage")
    assert error.value.messages == ["Ce code n'est pas un code d'invitation valable."]
    with pytest.raises(ValidationError) as error:
        services.check_in_by_name(organiser, other_session, registration)
    assert error.value.messages == [f"{registration.participant.full_name} n'est pas attendu·e à cette séance."]
    assert services.check_in_by_name(organiser, session, registration).created is False


def test_code_of_a_deleted_registration_is_refused(register, organiser):
    event = EventFactory()
    session = SessionFactory(event=event)
    registration = confirmed(register, event)
    token = services.checkin_token(registration, session)
    registration.delete()
    with pytest.raises(ValidationError):
        services.check_in_by_code(organiser, session, token)


def test_group_sessions_are_for_the_group_only(cycle, register, organiser):
    event, (first, second) = cycle
    registration = confirmed(register, event)
    services.move_to_group(organiser, registration, first)
    registration.refresh_from_db()
    own, foreign = SessionFactory(event=event, group=first), SessionFactory(event=event, group=second)
    assert (services.covers(registration, own), services.covers(registration, foreign)) == (True, False)
    assert services.covers(registration, SessionFactory()) is False


def test_reminders_the_day_before_are_sent_once(register, django_capture_on_commit_callbacks):
    event = EventFactory()
    tomorrow = timezone.localtime() + timedelta(days=1)
    session = SessionFactory(event=event, starts_at=tomorrow.replace(hour=9, minute=30, second=0, microsecond=0))
    SessionFactory(event=event, starts_at=timezone.now() + timedelta(days=5))
    registration = confirmed(register, event, language="nl")
    register(event)  # unconfirmed: no reminder
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("events_reminders")
        call_command("events_reminders")
    assert [message.subject for message in mail.outbox] == [f"Morgen: {event.title_nl}"]
    assert Reminder.objects.get().registration == registration
    assert session.pk == Reminder.objects.get().session_id


def test_reminders_task_and_expire_task_run():
    from maillage.events import tasks

    assert tasks.send_reminders.call() == 0
    assert tasks.expire_registrations.call() == 0


def test_message_to_a_group_reaches_its_confirmed_members_once(
    cycle, register, organiser, django_capture_on_commit_callbacks
):
    event, (first, _second) = cycle
    inside = confirmed(register, event, email="in@example.org")
    confirmed(register, event, email="out@example.org")
    services.move_to_group(organiser, inside, first)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.send_message(organiser, event, "Salle changée", "Rendez-vous salle 2.", group=first) == 1
    assert [(m.to, m.subject) for m in mail.outbox] == [(["in@example.org"], f"{event.title_fr}: Salle changée")]
    assert services.send_message(organiser, event, "Tous", "Bonjour") == 2
    session = SessionFactory(event=event, group=first)
    assert services.send_message(organiser, event, "Séance", "Bonjour", session=session) == 1


def test_resend_invitations(register, organiser, django_capture_on_commit_callbacks):
    event = EventFactory()
    SessionFactory(event=event)
    confirmed(register, event)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.resend_invitations(organiser, event) == 1
    assert len(mail.outbox) == 1


def test_invitation_is_not_sent_to_an_unconfirmed_registration(event, register):
    registration = register(event).registrations[0]
    services.send_invitation(registration)
    registration.refresh_from_db()
    assert (mail.outbox, registration.invited_at) == ([], None)


def test_calendar_file_has_the_session_times(register):
    event = EventFactory(place="Parlement bruxellois")
    session = SessionFactory(event=event, starts_at=timezone.make_aware(datetime(2026, 12, 1, 9, 30)))
    registration = confirmed(register, event)
    ics = services.session_calendar(session, event, registration).decode()
    assert "DTSTART;TZID=Europe/Brussels:20261201T093000" in ics
    assert "LOCATION:Parlement bruxellois" in ics
