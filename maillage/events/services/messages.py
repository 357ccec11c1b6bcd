"""Invitations, reminders and messages to participants, all queued in the outbox (sent by the worker)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.core.audit import log_action
from maillage.core.mail import send_templated_mail
from maillage.core.models import User
from maillage.events.models import (
    Event,
    Group,
    Participant,
    Registration,
    Reminder,
    ScheduledMessage,
    Session,
    Status,
)
from maillage.events.services.calendars import mark_changed, session_calendar
from maillage.events.services.documents import qr_png
from maillage.events.services.links import checkin_url, personal_url
from maillage.events.services.locking import sessions_of


def send_invitation(registration: Registration) -> None:
    """The invitation: every session as .ics, the practical details, the personal link, QR codes for the door.

    Recorded in the outbox in the caller's transaction (or its own), so it leaves exactly when the
    confirmation that decided it is committed.
    """
    with transaction.atomic():
        registration = Registration.objects.select_related("participant", "event", "theme", "group").get(
            pk=registration.pk
        )
        if registration.status != Status.CONFIRMED:
            return
        participant, event = registration.participant, registration.event
        sessions = sessions_of(registration)
        attachments: list[tuple[str, bytes | str, str]] = []
        for number, session in enumerate(sessions, start=1):
            attachments.append(
                (f"session-{number}.ics", session_calendar(session, event, registration), "text/calendar")
            )
            if event.invitation_only:
                png = qr_png(checkin_url(registration, session))
                attachments.append((f"entry-session-{number}.png", png, "image/png"))
        send_templated_mail(
            "events/emails/invitation",
            [participant.email],
            {
                "participant": participant,
                "event": event,
                "registration": registration,
                "sessions": sessions,
                "personal_link": personal_url(participant),
            },
            language=participant.language,
            attachments=attachments,
        )
        mark_changed((registration, session) for session in sessions)
        Registration.objects.filter(pk=registration.pk).update(invited_at=timezone.now())
        log_action(None, "events.registration.invited", registration, organisation=event.organisation)


def resend_invitations(actor: User, event: Event) -> int:
    """Every confirmed participant's invitation again, queued in one transaction with its audit entry."""
    with transaction.atomic():
        registrations = list(event.registrations.filter(status=Status.CONFIRMED))
        for registration in registrations:
            send_invitation(registration)
        log_action(actor, "events.invitations.sent", event, {"count": len(registrations)})
    return len(registrations)


def confirmed_registrations(
    event: Event, *, group: Group | None = None, session: Session | None = None
) -> list[Registration]:
    registrations = event.registrations.filter(status=Status.CONFIRMED).select_related("participant")
    if group is not None:
        registrations = registrations.filter(group=group)
    if session is not None:
        if session.theme_id:
            registrations = registrations.filter(theme_id=session.theme_id)
        if session.group_id:
            registrations = registrations.filter(group_id=session.group_id)
    return list(registrations)


def _queue_message(
    event: Event, subject: str, body: str, *, group: Group | None = None, session: Session | None = None
) -> int:
    """Inside a transaction: one email per confirmed participant of the scope, queued in the outbox."""
    participants = {
        r.participant_id: r.participant for r in confirmed_registrations(event, group=group, session=session)
    }
    for participant in participants.values():
        # Queued, not sent: the worker sends them after commit, so the request never loops over SMTP.
        send_templated_mail(
            "events/emails/message",
            [participant.email],
            {
                "participant": participant,
                "event": event,
                "subject": subject,
                "body": body,
                "personal_link": personal_url(participant),
            },
            language=participant.language,
        )
    return len(participants)


def _check_scope(event: Event, group: Group | None, session: Session | None) -> None:
    if group is not None and group.event_id != event.pk:
        raise ValidationError({"group": _("Choose a group of this event.")})
    if session is not None and session.event_id != event.pk:
        raise ValidationError({"session": _("Choose a session of this event.")})


def send_message(
    actor: User,
    event: Event,
    subject: str,
    body: str,
    *,
    group: Group | None = None,
    session: Session | None = None,
) -> int:
    """One email to every confirmed participant of the event, a group or a session (each person once)."""
    _check_scope(event, group, session)
    with transaction.atomic():
        count = _queue_message(event, subject, body, group=group, session=session)
        log_action(
            actor,
            "events.message.sent",
            event,
            {"recipients": count, "group": group.pk if group else None, "session": session.pk if session else None},
        )
    return count


def schedule_message(
    actor: User,
    event: Event,
    subject: str,
    body: str,
    send_at: datetime,
    *,
    group: Group | None = None,
    session: Session | None = None,
    now: datetime | None = None,
) -> ScheduledMessage:
    """A message for a chosen date and time, to the participants confirmed then (sent by `send_due_messages`)."""
    now = now or timezone.now()
    _check_scope(event, group, session)
    if send_at <= now:
        raise ValidationError({"send_at": _("Choose a date and time in the future.")})
    with transaction.atomic():
        message = ScheduledMessage.objects.create(
            event=event,
            group=group,
            session=session,
            subject=subject.strip(),
            body=body,
            send_at=send_at,
            created_by=actor,
        )
        log_action(actor, "events.message.scheduled", event, {"id": message.pk, "send_at": send_at.isoformat()})
    return message


def cancel_scheduled_message(actor: User, message: ScheduledMessage) -> None:
    with transaction.atomic():
        message = ScheduledMessage.objects.select_for_update().get(pk=message.pk)
        if message.sent_at is not None:
            raise ValidationError(_("This message has already been sent."))
        log_action(actor, "events.message.cancelled", message.event, {"id": message.pk})
        message.delete()


def send_due_messages(*, now: datetime | None = None) -> int:
    """Every scheduled message whose time has come, each sent once however often this runs."""
    now = now or timezone.now()
    sent = 0
    due = ScheduledMessage.objects.filter(sent_at__isnull=True, send_at__lte=now).values_list("pk", flat=True)
    for message_id in list(due):
        with transaction.atomic():
            message = (
                ScheduledMessage.objects.select_for_update(of=("self",))
                .select_related("event", "group", "session")
                .filter(pk=message_id, sent_at__isnull=True)
                .first()
            )
            if message is None:
                continue
            count = _queue_message(
                message.event, message.subject, message.body, group=message.group, session=message.session
            )
            message.sent_at, message.recipients = now, count
            message.save(update_fields=["sent_at", "recipients"])
            log_action(
                message.created_by,
                "events.message.sent",
                message.event,
                {"recipients": count, "scheduled": message.pk},
            )
        sent += 1
    return sent


def send_reminders(*, now: datetime | None = None) -> int:
    """The day before each session, one reminder per confirmed participant; run twice, sent once."""
    now = now or timezone.now()
    tomorrow = timezone.localdate(now) + timedelta(days=1)
    sent = 0
    sessions = Session.objects.filter(starts_at__date=tomorrow).select_related("event", "theme", "group")
    for session in sessions:
        for registration in confirmed_registrations(session.event, session=session):
            with transaction.atomic():
                _reminder, created = Reminder.objects.get_or_create(session=session, registration=registration)
                if not created:
                    continue
                log_action(
                    None,
                    "events.reminder.sent",
                    registration,
                    {"session": session.pk},
                    organisation=session.event.organisation,
                )
                _send_reminder(registration.participant, session)
            sent += 1
    return sent


def _send_reminder(participant: Participant, session: Session) -> None:
    send_templated_mail(
        "events/emails/reminder",
        [participant.email],
        {
            "participant": participant,
            "event": session.event,
            "session": session,
            "personal_link": personal_url(participant),
        },
        language=participant.language,
    )
