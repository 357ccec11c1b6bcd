"""Setting events up: the event itself, its themes, groups and sessions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.core.audit import log_action
from maillage.core.models import Organisation, User
from maillage.events.models import (
    Event,
    Group,
    Registration,
    Session,
    Status,
    Theme,
)
from maillage.events.services.calendars import send_calendar_change
from maillage.events.services.locking import covers
from maillage.events.services.synthesis import ensure_questions

PartT = TypeVar("PartT", Theme, Group, Session)


def save_event(
    actor: User, values: dict[str, Any], organisers: Iterable[Organisation], *, event: Event | None = None
) -> Event:
    """Create or change an event; its lead organisation is always one of its organisers."""
    with transaction.atomic():
        if event is None:
            event = Event.objects.create(**values)
            code = "events.event.created"
        else:
            for name, value in values.items():
                setattr(event, name, value)
            event.save(update_fields=list(values))
            code = "events.event.updated"
        event.organisers.set({*organisers, event.organisation})
        ensure_questions(event)
        log_action(actor, code, event, {"kind": event.kind, "published": event.is_published})
    return event


def add_part(actor: User, event: Event, part: PartT) -> PartT:
    """Add a theme, a group or a session to an event."""
    with transaction.atomic():
        part.event = event
        part.save()
        log_action(actor, f"events.{part._meta.model_name}.created", event, {"id": part.pk})
    return part


def _participants_at(session: Session) -> list[Registration]:
    """The confirmed registrations with a seat at this session (its theme's or group's, or everyone's)."""
    registrations = Registration.objects.filter(event_id=session.event_id, status=Status.CONFIRMED).select_related(
        "participant", "event__organisation"
    )
    return [registration for registration in registrations if covers(registration, session)]


def move_session(actor: User, session: Session, starts_at: datetime, ends_at: datetime) -> Session:
    """A session moves: every confirmed participant gets the updated invitation (same UID, higher SEQUENCE)."""
    with transaction.atomic():
        session = Session.objects.select_for_update().select_related("event").get(pk=session.pk)
        event = session.event
        if session.cancelled_at is not None:
            raise ValidationError(_("This session was cancelled: it cannot be moved."))
        if ends_at <= starts_at:
            raise ValidationError({"ends_at": _("The end must come after the start.")})
        if event.opens_at and starts_at < event.opens_at:
            raise ValidationError(
                {
                    "starts_at": _("A session cannot start before registration opens (%(date)s).")
                    % {"date": timezone.localtime(event.opens_at).strftime("%d/%m/%Y %H:%M")}
                }
            )
        before = (session.starts_at, session.ends_at)
        if before == (starts_at, ends_at):
            return session
        session.starts_at, session.ends_at = starts_at, ends_at
        session.sequence += 1
        session.save(update_fields=["starts_at", "ends_at", "sequence"])
        registrations = _participants_at(session)
        for registration in registrations:
            send_calendar_change(registration, [session], change="moved")
        log_action(
            actor,
            "events.session.moved",
            event,
            {
                "session": session.pk,
                "from": before[0].isoformat(),
                "to": starts_at.isoformat(),
                "sequence": session.sequence,
                "told": len(registrations),
            },
        )
    return session


def cancel_session(actor: User, session: Session) -> Session:
    """A session is called off: every confirmed participant gets a cancellation (METHOD:CANCEL)."""
    with transaction.atomic():
        session = Session.objects.select_for_update().select_related("event").get(pk=session.pk)
        if session.cancelled_at is not None:
            return session
        session.cancelled_at = timezone.now()
        session.sequence += 1
        session.save(update_fields=["cancelled_at", "sequence"])
        registrations = _participants_at(session)
        for registration in registrations:
            send_calendar_change(registration, [session], change="session_cancelled", method="CANCEL")
        log_action(
            actor,
            "events.session.cancelled",
            session.event,
            {"session": session.pk, "sequence": session.sequence, "told": len(registrations)},
        )
    return session
