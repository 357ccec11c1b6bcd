"""Setting events up: the event itself, its themes, groups and sessions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.db import transaction

from maillage.core.audit import log_action
from maillage.core.models import Organisation, User
from maillage.events.models import (
    Event,
    Group,
    Session,
    Theme,
)
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
