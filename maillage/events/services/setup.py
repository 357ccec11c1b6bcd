"""Setting events up: the event itself, its themes, groups and sessions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.core.audit import log_action
from maillage.core.models import Organisation, User
from maillage.events.models import (
    ACTIVE,
    Event,
    Group,
    Registration,
    ScheduledMessage,
    Session,
    Status,
    Theme,
)
from maillage.events.services.calendars import send_calendar_change
from maillage.events.services.locking import _lock, covers
from maillage.events.services.registration import _offer_freed_seats
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


def _more_seats(rules: Event | Theme, values: dict[str, Any]) -> bool:
    """Whether new limits free seats: a capacity or a per-organisation cap raised or lifted."""
    for name in ("capacity", "per_organisation"):
        if name not in values:
            continue
        before, after = getattr(rules, name), values[name]
        if before is not None and (after is None or after > before):
            return True
    return False


def _changed(instance: Any, values: dict[str, Any]) -> list[str]:
    return sorted(name for name, value in values.items() if getattr(instance, name) != value)


def save_event(
    actor: User, values: dict[str, Any], organisers: Iterable[Organisation], *, event: Event | None = None
) -> Event:
    """Create or change an event; its lead organisation is always one of its organisers.

    Publishing is refused while the checklist has a missing item (no one could register); a published
    book keeps the event's address (its public page is cited). Seats freed by a raised capacity or cap
    go to the waiting list at once, under the registrations' lock.
    """
    offered: list[Registration] = []
    with transaction.atomic():
        if event is None:
            if values.get("is_published"):
                raise ValidationError(
                    {"is_published": _("Add the sessions (and themes or groups) first, then publish the event.")}
                )
            event = Event.objects.create(**values)
            code, changed = "events.event.created", sorted(values)
        else:
            event = _lock(event.pk)
            if event.book_published_at and values.get("slug", event.slug) != event.slug:
                raise ValidationError(
                    {"slug": _("The book of this event is published at this address: it can no longer change.")}
                )
            changed, seats_grew = _changed(event, values), _more_seats(event, values)
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
            if seats_grew and event.is_published:
                waiting_scopes = event.registrations.filter(status=Status.WAITING).values_list("theme_id", flat=True)
                offered = _offer_freed_seats(event, set(waiting_scopes), timezone.now())
        wanted = {*organisers, event.organisation}
        if set(event.organisers.all()) != wanted:
            event.organisers.set(wanted)
            changed = sorted({*changed, "organisers"})
        ensure_questions(event)
        log_action(
            actor,
            code,
            event,
            {"kind": event.kind, "published": event.is_published, "fields": changed, "offered": len(offered)},
        )
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


# A session's calendar invitation shows these: changing one sends the participants the updated invitation.
SESSION_CALENDAR_FIELDS = {"title", "place"}


def change_part(actor: User, part: Theme | Group | Session, values: dict[str, Any]) -> Theme | Group | Session:
    """Change a theme's, a group's or a session's wording, place or limits (a session's date: `move_session`).

    A raised theme capacity offers its seats to the waiting list; a session whose title or place changes
    sends its confirmed participants the updated invitation (same UID, higher SEQUENCE). Once people have
    registered, a session keeps its theme and group (it would change who is expected): cancel it and add
    another instead.
    """
    model = type(part)
    with transaction.atomic():
        event = _lock_event_of(part)
        current = model.objects.select_for_update().get(pk=part.pk, event=event)
        changed = _changed(current, values)
        if not changed:
            return current
        told, offered = 0, []
        if isinstance(current, Session):
            if current.cancelled_at is not None:
                raise ValidationError(_("This session was cancelled: it can no longer change."))
            if {"theme", "group"} & set(changed) and event.registrations.filter(status__in=ACTIVE).exists():
                raise ValidationError(
                    _(
                        "People have registered: this session keeps its theme and group. "
                        "Cancel it and add another one instead."
                    )
                )
        seats_grew = isinstance(current, Theme) and _more_seats(current, values)
        for name in changed:
            setattr(current, name, values[name])
        update = list(changed)
        if isinstance(current, Session) and SESSION_CALENDAR_FIELDS & set(changed):
            current.sequence += 1
            update.append("sequence")
        current.save(update_fields=update)
        if isinstance(current, Session) and "sequence" in update:
            registrations = _participants_at(current)
            for registration in registrations:
                send_calendar_change(registration, [current], change="changed")
            told = len(registrations)
        if seats_grew and event.is_published:
            offered = _offer_freed_seats(event, [current.pk], timezone.now())
        log_action(
            actor,
            f"events.{model._meta.model_name}.updated",
            event,
            {"id": current.pk, "fields": changed, "told": told, "offered": len(offered)},
        )
    return current


def part_in_use(part: Theme | Group | Session) -> str:
    """Why this theme, group or session cannot be removed any more (empty: it can)."""
    if isinstance(part, Theme) and part.registrations.exists():
        return _("People registered for this theme: it can no longer be removed.")
    if isinstance(part, Group) and part.registrations.exists():
        return _("People are placed in this group: move them to another group first.")
    if isinstance(part, Session) and (
        part.attendances.exists() or part.calendar_copies.exists() or _participants_at(part)
    ):
        return _("People are expected at this session: cancel it instead, so that they are told.")
    if isinstance(part, Group | Session):
        target = Q(group=part) if isinstance(part, Group) else Q(session=part)
        addressed = ScheduledMessage.objects.filter(target, sent_at__isnull=True)
        if addressed.exists():
            return _("A scheduled message is addressed to it: withdraw the message first.")
    return ""


def _lock_event_of(part: Theme | Group | Session) -> Event:
    """Lock the part's event, and the part itself where it is a theme or a group (their seats are counted)."""
    return _lock(
        part.event_id,
        theme_ids=[part.pk] if isinstance(part, Theme) else [],
        group_ids=[part.pk] if isinstance(part, Group) else [],
    )


def remove_part(actor: User, part: Theme | Group | Session) -> None:
    """Remove a theme, a group or a session no one is registered for (set up by mistake)."""
    model = type(part)
    with transaction.atomic():
        event = _lock_event_of(part)
        current = model.objects.select_for_update().filter(pk=part.pk, event=event).first()
        if current is None:
            return
        reason = part_in_use(current)
        if reason:
            raise ValidationError(reason)
        log_action(actor, f"events.{model._meta.model_name}.removed", event, {"id": current.pk, "label": str(current)})
        current.delete()
