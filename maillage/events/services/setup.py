"""Setting events up: the event itself, its themes, groups and sessions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Check:
    """One line of the organiser's checklist before publishing."""

    label: str
    ok: bool


def publication_checklist(event: Event | None) -> list[Check]:
    """What an event needs before anyone can register: sessions, themes or groups by kind, a sane window."""
    if event is None or event.pk is None:
        return [Check(_("At least one session"), False)]
    sessions = event.sessions.filter(cancelled_at__isnull=True)
    checks = [Check(_("At least one session"), sessions.exists())]
    if event.has_themes:
        checks.append(Check(_("At least one theme (people register for themes)"), event.themes.exists()))
        checks.append(
            Check(
                _("Every theme has a session"),
                not event.themes.exclude(pk__in=sessions.exclude(theme=None).values("theme")).exists(),
            )
        )
    if event.has_groups:
        checks.append(Check(_("At least one group (the cycle is followed in groups)"), event.groups.exists()))
    if event.opens_at and event.closes_at:
        checks.append(Check(_("The registration deadline comes after the opening"), event.closes_at > event.opens_at))
    return checks


def publication_problems(event: Event | None) -> list[str]:
    return [check.label for check in publication_checklist(event) if not check.ok]


def save_event(
    actor: User, values: dict[str, Any], organisers: Iterable[Organisation], *, event: Event | None = None
) -> Event:
    """Create or change an event; its lead organisation is always one of its organisers.

    Publishing is refused while the checklist has a missing item (no one could register); a published
    book keeps the event's address (its public page is cited).
    """
    with transaction.atomic():
        if event is None:
            if values.get("is_published"):
                raise ValidationError(
                    {"is_published": _("Add the sessions (and themes or groups) first, then publish the event.")}
                )
            event = Event.objects.create(**values)
            code = "events.event.created"
        else:
            event = Event.objects.select_for_update().get(pk=event.pk)
            if event.book_published_at and values.get("slug", event.slug) != event.slug:
                raise ValidationError(
                    {"slug": _("The book of this event is published at this address: it can no longer change.")}
                )
            for name, value in values.items():
                setattr(event, name, value)
            if event.is_published:
                problems = publication_problems(event)
                if problems:
                    raise ValidationError(
                        {
                            "is_published": _("The event cannot be published yet: %(missing)s.")
                            % {"missing": "; ".join(problems)}
                        }
                    )
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
