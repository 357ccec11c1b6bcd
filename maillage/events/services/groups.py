"""Intervision groups: placing confirmed participants, moving one by hand."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from maillage.core.audit import log_action
from maillage.core.models import User
from maillage.events.models import (
    HOLDING,
    Event,
    Group,
    Registration,
    Status,
)
from maillage.events.services.locking import _check_seat, _lock


@dataclass
class Placement:
    placed: int = 0
    preferences_kept: int = 0
    unplaced: list[Registration] = field(default_factory=list)


def place_in_groups(actor: User, event: Event) -> Placement:
    """Place confirmed, unplaced participants: preferences first where capacity and the cap allow, then the emptiest group."""
    result = Placement()
    with transaction.atomic():
        groups = list(event.groups.order_by("pk"))
        event = _lock(event.pk, group_ids=[group.pk for group in groups])
        placed = Registration.objects.filter(event=event, status__in=HOLDING, group__isnull=False).select_related(
            "participant"
        )
        size: Counter[int] = Counter()
        per_org: Counter[tuple[int, str]] = Counter()
        for registration in placed:
            assert registration.group_id is not None
            size[registration.group_id] += 1
            per_org[(registration.group_id, registration.participant.organisation_key)] += 1
        todo = list(
            Registration.objects.filter(event=event, status=Status.CONFIRMED, group__isnull=True)
            .select_related("participant")
            .order_by("confirmed_at", "id")
        )

        def fits(group: Group, key: str) -> bool:
            if group.capacity is not None and size[group.pk] >= group.capacity:
                return False
            return group.per_organisation is None or per_org[(group.pk, key)] < group.per_organisation

        by_position = sorted(groups, key=lambda group: (group.position, group.pk))
        for registration in todo:
            key = registration.participant.organisation_key
            preferred = next((g for g in groups if g.pk == registration.preferred_group_id), None)
            if preferred is not None and fits(preferred, key):
                chosen: Group | None = preferred
                result.preferences_kept += 1
            else:
                candidates = [group for group in by_position if fits(group, key)]
                chosen = min(candidates, key=lambda group: size[group.pk]) if candidates else None
            if chosen is None:
                result.unplaced.append(registration)
                continue
            registration.group = chosen
            registration.save(update_fields=["group"])
            size[chosen.pk] += 1
            per_org[(chosen.pk, key)] += 1
            result.placed += 1
        log_action(
            actor,
            "events.groups.placed",
            event,
            {"placed": result.placed, "preferences_kept": result.preferences_kept, "unplaced": len(result.unplaced)},
        )
    return result


def move_to_group(actor: User, registration: Registration, group: Group | None) -> Registration:
    """A move by hand, re-checked against the new group's capacity and per-organisation cap."""
    with transaction.atomic():
        if group is not None and group.event_id != registration.event_id:
            raise ValidationError(_("Choose a group of this event."))
        event = _lock(registration.event_id, group_ids=[group.pk] if group else [])
        registration = Registration.objects.select_for_update().select_related("participant").get(pk=registration.pk)
        if group is not None:
            check = _check_seat(event, registration.participant, None, group, exclude=registration.pk)
            if check.over_cap:
                raise ValidationError(
                    _("%(group)s already has the maximum number of people of this organisation.") % {"group": group}
                )
            if check.full:
                raise ValidationError(_("%(group)s is full.") % {"group": group})
        previous = registration.group_id
        registration.group = group
        registration.save(update_fields=["group"])
        log_action(
            actor,
            "events.registration.moved",
            registration,
            {"from": previous, "to": group.pk if group else None},
            organisation=event.organisation,
        )
    return registration
