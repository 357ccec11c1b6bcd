"""Shifts, opening hours, debriefings and the weekly note."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.core.audit import log_action
from maillage.core.models import Organisation, Role, User
from maillage.helpline.models import (
    LineLanguage,
    OpeningHours,
    Shift,
    ShiftDebriefing,
    WeeklyNote,
)
from maillage.helpline.queries import responder_line_ids, staff_line_ids

# ---------------------------------------------------------------------------------------------
# Shifts, opening hours, debriefings


def _require_staff(actor: User, organisation: Organisation) -> None:
    if organisation.pk not in staff_line_ids(actor):
        raise PermissionError("Only the staff of the line can do this.")


def create_shift(
    actor: User,
    organisation: Organisation,
    starts_at: datetime,
    ends_at: datetime,
    languages: Sequence[str],
    responders: Sequence[User],
) -> Shift:
    _require_staff(actor, organisation)
    errors: dict[str, str] = {}
    if ends_at <= starts_at:
        errors["ends_at"] = _("A shift ends after it starts.")
    unknown = [code for code in languages if code not in LineLanguage.values]
    if not languages or unknown:
        errors["languages"] = _("Choose at least one language of the line.")
    allowed = set(
        User.objects.filter(
            memberships__organisation=organisation, memberships__role=Role.RESPONDER, memberships__is_active=True
        ).values_list("pk", flat=True)
    )
    if any(person.pk not in allowed for person in responders):
        errors["responders"] = _("Only responders of the line can take a shift.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        shift = Shift.objects.create(
            organisation=organisation, starts_at=starts_at, ends_at=ends_at, languages=list(languages)
        )
        shift.responders.set(responders)
        log_action(actor, "helpline.shift.created", shift, {"responders": [p.pk for p in responders]})
    return shift


def set_opening_hours(
    actor: User, organisation: Organisation, valid_from: date, ranges: Sequence[tuple[int, time, time]]
) -> list[OpeningHours]:
    """Replace the hours in force from `valid_from` (earlier sets stay for the past)."""
    _require_staff(actor, organisation)
    for weekday, opens, closes in ranges:
        if not 0 <= weekday <= 6 or opens >= closes:
            raise ValidationError({"ranges": _("Each range opens before it closes, on a weekday.")})
    with transaction.atomic():
        OpeningHours.objects.filter(organisation=organisation, valid_from=valid_from).delete()
        rows = OpeningHours.objects.bulk_create(
            OpeningHours(organisation=organisation, valid_from=valid_from, weekday=w, opens=o, closes=c)
            for w, o, c in ranges
        )
        log_action(
            actor,
            "helpline.hours.set",
            organisation,
            {"valid_from": valid_from.isoformat(), "ranges": [[w, o.isoformat(), c.isoformat()] for w, o, c in ranges]},
        )
    return rows


def write_debriefing(actor: User, shift: Shift, **fields: Any) -> ShiftDebriefing:
    """A responder of the shift (or the line's staff) passes on what happened; one debriefing each, rewritable."""
    is_staff = shift.organisation_id in staff_line_ids(actor)
    took_it = shift.organisation_id in responder_line_ids(actor) and shift.responders.filter(pk=actor.pk).exists()
    if not (is_staff or took_it):
        raise PermissionError("Not a responder of this shift.")
    values = {
        "stood_out": str(fields.get("stood_out") or "").strip(),
        "difficult_situations": str(fields.get("difficult_situations") or "").strip(),
        "signals": str(fields.get("signals") or "").strip(),
        "calls_felt_heavy": bool(fields.get("calls_felt_heavy")),
    }
    if not any([values["stood_out"], values["difficult_situations"], values["signals"]]):
        raise ValidationError({"stood_out": _("Write at least one of the three parts.")})
    with transaction.atomic():
        debriefing, created = ShiftDebriefing.objects.update_or_create(
            shift=shift, author=actor, defaults={"organisation_id": shift.organisation_id, **values}
        )
        log_action(actor, "helpline.debriefing.written" if created else "helpline.debriefing.changed", debriefing)
    return debriefing


def write_weekly_note(actor: User, organisation: Organisation, week_start: date, text: str) -> WeeklyNote:
    _require_staff(actor, organisation)
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("The note is empty.")})
    monday = week_start - timedelta(days=week_start.weekday())
    with transaction.atomic():
        note, created = WeeklyNote.objects.update_or_create(
            organisation=organisation,
            week_start=monday,
            defaults={"text": text, "author": actor, "updated_at": timezone.now()},
        )
        log_action(actor, "helpline.weekly_note.written" if created else "helpline.weekly_note.changed", note)
    return note
