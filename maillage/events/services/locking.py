"""Scarce places: the capacity rows locked in one order, then the seats re-counted inside the lock.

ARCHITECTURE.md, "Scarce places": lock the event, then its themes, then its groups, each by id, with a
short lock timeout; re-count inside the lock; then write, all in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import OperationalError, connection
from django.db.models import Q
from django.utils.translation import gettext as _

from maillage.events.models import (
    HOLDING,
    Event,
    Group,
    Participant,
    Registration,
    Session,
    Theme,
)

LOCK_TIMEOUT = "5s"


class BusyError(Exception):
    """The capacity rows stayed locked longer than the lock timeout: ask the person to try again."""


def sessions_of(registration: Registration) -> list[Session]:
    """The sessions a registration gives a seat at: the event's own, its theme's and its group's."""
    scope = Q(theme__isnull=True, group__isnull=True)
    if registration.theme_id:
        scope |= Q(theme_id=registration.theme_id)
    if registration.group_id:
        scope |= Q(group_id=registration.group_id)
    sessions = Session.objects.filter(scope, event_id=registration.event_id, cancelled_at__isnull=True)
    return list(sessions.select_related("theme", "group"))


def covers(registration: Registration, session: Session) -> bool:
    if session.event_id != registration.event_id:
        return False
    if session.theme_id is not None:
        return session.theme_id == registration.theme_id
    if session.group_id is not None:
        return session.group_id == registration.group_id
    return True


def _lock(event_id: int, theme_ids: Iterable[int] = (), group_ids: Iterable[int] = ()) -> Event:
    """Lock the capacity rows in one fixed order; the caller re-counts after this."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
    try:
        event = Event.objects.select_for_update().get(pk=event_id)
        theme_ids, group_ids = sorted(set(theme_ids)), sorted(set(group_ids))
        if theme_ids:
            list(Theme.objects.select_for_update().filter(pk__in=theme_ids).order_by("pk").values("pk"))
        if group_ids:
            list(Group.objects.select_for_update().filter(pk__in=group_ids).order_by("pk").values("pk"))
    except OperationalError as error:
        raise BusyError from error
    return event


@dataclass
class SeatCheck:
    full: list[str] = field(default_factory=list)
    over_cap: list[str] = field(default_factory=list)


def _check_seat(
    event: Event,
    participant: Participant | None,
    theme: Theme | None,
    group: Group | None,
    *,
    exclude: int | None = None,
    key: str = "",
) -> SeatCheck:
    """Re-count, inside the lock, whether this participant (or a newcomer of `key`) may take one more seat."""
    result = SeatCheck()
    holding = Registration.objects.filter(event=event, status__in=HOLDING)
    if exclude is not None:
        holding = holding.exclude(pk=exclude)
    same_org = Q(participant__organisation_key=participant.organisation_key if participant else key)
    scopes: list[tuple[Any, Any, str]] = []
    if event.capacity is not None or event.per_organisation is not None:
        # Event-wide limits count people, not their themes.
        already = participant is not None and holding.filter(participant=participant).exists()
        if not already:
            scopes.append((event, holding, event.title))
    if theme is not None:
        scopes.append((theme, holding.filter(theme=theme), theme.title))
    if group is not None:
        scopes.append((group, holding.filter(group=group), group.name))
    for rules, queryset, label in scopes:
        if rules.per_organisation is not None:
            taken = queryset.filter(same_org).values("participant").distinct().count()
            if taken >= rules.per_organisation:
                result.over_cap.append(label)
        if rules.capacity is not None:
            taken = queryset.values("participant").distinct().count()
            if taken >= rules.capacity:
                result.full.append(label)
    return result


def _over_cap_error(check: SeatCheck) -> ValidationError:
    return ValidationError(
        _(
            "%(scope)s already has the maximum number of people of your organisation. "
            "Ask a colleague who cannot come to cancel, or contact the organisers."
        )
        % {"scope": ", ".join(check.over_cap)}
    )
