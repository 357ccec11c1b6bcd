"""Special days of the line, and what they do to slots already generated.

Setting, changing or removing a special day re-aligns that day's slots with the day's new hours in
the same transaction:
- an open slot (no service) no longer inside the hours is deleted: nobody is committed to it;
- a slot a service took and no longer inside the hours is cancelled (`cancelled_at`), never deleted:
  it stays on the grid and in the service's calendar feed marked cancelled, and every responder of
  the service (and the slot's own responder) is told by email through the outbox;
- a slot that has already begun is left as it was: the past is not rewritten.
More hours (or a closure removed) create nothing by themselves: services would see slots nobody
planned appear. The staff are told how many hours have no slot and add them when they choose with
`fill_day`, which only fills the uncovered hours (run twice, nothing more).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.core.audit import log_action
from maillage.core.models import Organisation, User
from maillage.core.outbox import queue_email
from maillage.helpline.models import RotaMonth, RotaService, Slot, SpecialDay
from maillage.helpline.services.rota_calendar import (
    DEFAULT_SLOT_HOURS,
    _aware,
    _require_staff,
    active_slots,
    check_special_hours,
    day_hours,
    missing_slots,
    uncovered,
)

EMAIL_TEMPLATE = "helpline/emails/slots_cancelled"


@dataclass
class DayChange:
    """What a special day (set or removed) did to the slots of its day."""

    day: date
    special: SpecialDay | None = None
    removed: int = 0  # open slots deleted
    cancelled: list[Slot] = field(default_factory=list)
    told: list[str] = field(default_factory=list)  # services whose responders got an email
    untold: list[str] = field(default_factory=list)  # services with nobody to email: the staff must call
    started: int = 0  # outside the new hours but already begun: left as they were
    # Hours of the day without any slot, by line, when the month is generated (nothing was added).
    missing: dict[str, list[tuple[datetime, datetime]]] = field(default_factory=dict)

    @property
    def missing_hours(self) -> int | float:
        """Hours without a slot over both lines: 8, or 1.5 (never "8.0" in the staff's message)."""
        seconds = sum((end - start).total_seconds() for spans in self.missing.values() for start, end in spans)
        hours = round(seconds / 3600, 1)
        return int(hours) if hours.is_integer() else hours


def _inside(slot: Slot, hours: list[tuple[time, time]]) -> bool:
    start, end = timezone.localtime(slot.starts_at), timezone.localtime(slot.ends_at)
    return start.date() == end.date() and any(opens <= start.time() and end.time() <= closes for opens, closes in hours)


def _day_range(day: date) -> tuple[datetime, datetime]:
    return _aware(day, time.min), _aware(day + timedelta(days=1), time.min)


def _tell(service: RotaService, slots: list[Slot], day: date, hours: dict[str, list[tuple[time, time]]]) -> bool:
    """Queue one email to each responder of the service (and each slot's responder); False if nobody has one."""
    people = {person.pk: person for person in service.responders.all()}
    people.update({person.pk: person for person in User.objects.filter(pk__in={s.responder_id for s in slots})})
    recipients = [person for person in people.values() if person.is_active and person.email]
    month = timezone.localtime(slots[0].starts_at)
    context = {
        "service": service.name,
        "day": day,
        "slots": [
            {
                "starts_at": slot.starts_at,
                "ends_at": slot.ends_at,
                "language": slot.language.upper(),
                "hours": hours.get(slot.language, []),
            }
            for slot in slots
        ],
        "grid_url": settings.SITE_URL + reverse("helpline:rota_month", args=[f"{month:%Y-%m}"]),
    }
    for person in recipients:
        queue_email(
            EMAIL_TEMPLATE, [person.email], context, language=getattr(person, "language", "") or settings.LANGUAGE_CODE
        )
    return bool(recipients)


def realign_day(actor: User, line: Organisation, day: date) -> DayChange:
    """Bring the day's slots in line with its hours now (call inside the special day's transaction)."""
    now = timezone.now()
    change = DayChange(day=day)
    start, end = _day_range(day)
    # The month's row, the lock generate_month and fill_day take: they never add slots from the old hours.
    rota_month = RotaMonth.objects.select_for_update().filter(organisation=line, month=day.replace(day=1)).first()
    # Locked: a service committing to an open slot meanwhile waits, then finds it gone or cancelled.
    slots = list(
        Slot.objects.select_for_update()
        .filter(organisation=line, cancelled_at__isnull=True, starts_at__gte=start, starts_at__lt=end)
        .order_by("starts_at", "language")
    )
    hours: dict[str, list[tuple[time, time]]] = {}
    gone: list[Slot] = []
    for slot in slots:
        if slot.language not in hours:
            hours[slot.language] = day_hours(line, day, slot.language)
        if _inside(slot, hours[slot.language]):
            continue
        if slot.starts_at <= now:
            change.started += 1
        elif slot.service_id is None:
            gone.append(slot)
        else:
            change.cancelled.append(slot)
    if gone:
        Slot.objects.filter(pk__in=[slot.pk for slot in gone]).delete()
        change.removed = len(gone)
        log_action(
            actor,
            "helpline.rota.slots_removed",
            None,
            {"day": day.isoformat(), "slots": [str(slot) for slot in gone]},
            organisation=line,
        )
    if change.cancelled:
        Slot.objects.filter(pk__in=[slot.pk for slot in change.cancelled]).update(cancelled_at=now)
        by_service: dict[int, list[Slot]] = {}
        for slot in change.cancelled:
            slot.cancelled_at = now
            by_service.setdefault(slot.service_id or 0, []).append(slot)
            log_action(
                actor,
                "helpline.rota.slot_cancelled",
                slot,
                {"day": day.isoformat(), "service": slot.service_id, "responder": slot.responder_id},
            )
        for service in RotaService.objects.filter(pk__in=by_service).prefetch_related("responders"):
            told = _tell(service, by_service[service.pk], day, hours)
            (change.told if told else change.untold).append(service.name)
    change.missing = _missing(line, day, rota_month)
    return change


def _missing(line: Organisation, day: date, rota_month: RotaMonth | None) -> dict[str, list[tuple[datetime, datetime]]]:
    """The day's hours without a slot, by line, if its month is generated (else generation will add them)."""
    if rota_month is None:
        return {}
    taken = active_slots(line, day, day)
    missing = {}
    for language in rota_month.languages or ["fr", "nl"]:
        spans = uncovered(line, day, language, taken.get((day, language), []))
        if spans:
            missing[language] = spans
    return missing


def set_special_day(
    actor: User,
    line: Organisation,
    day: date,
    opens: time | None,
    closes: time | None,
    note: str,
    language: str = "",
) -> DayChange:
    """Other hours (or closed) on `day` for both lines or one; replaces that line's earlier special day,
    and re-aligns the day's slots with the new hours."""
    _require_staff(actor, line)
    check_special_hours(opens, closes)
    with transaction.atomic():
        special, _created = SpecialDay.objects.update_or_create(
            organisation=line,
            day=day,
            language=language,
            defaults={"opens": opens, "closes": closes, "note": note[:200]},
        )
        change = realign_day(actor, line, day)
        change.special = special
        log_action(actor, "helpline.rota.special_day", special, _audit(day, language, change))
    return change


def remove_special_day(actor: User, special: SpecialDay) -> DayChange:
    """Back to the weekly hours (and holidays) on that day; the day's slots re-aligned with them."""
    line = special.organisation
    _require_staff(actor, line)
    with transaction.atomic():
        # A second removal (another tab, another coordinator) finds nothing more to do.
        SpecialDay.objects.filter(pk=special.pk).delete()
        change = realign_day(actor, line, special.day)
        change.special = special
        log_action(actor, "helpline.rota.special_day_removed", special, _audit(special.day, special.language, change))
    return change


def _audit(day: date, language: str, change: DayChange) -> dict[str, object]:
    return {
        "day": day.isoformat(),
        "language": language,
        "removed": change.removed,
        "cancelled": [slot.pk for slot in change.cancelled],
        "told": change.told,
        "untold": change.untold,
        "missing_hours": change.missing_hours,
    }


def fill_day(actor: User, line: Organisation, day: date) -> list[Slot]:
    """The staff's choice: slots over the day's hours no active slot covers, cut as the month was
    generated (its lines, its hours per slot). Run twice, nothing more."""
    _require_staff(actor, line)
    with transaction.atomic():
        # The month's row is the lock shared with generate_month: never two slots for one time.
        rota_month = RotaMonth.objects.select_for_update().filter(organisation=line, month=day.replace(day=1)).first()
        if rota_month is None:
            raise ValidationError(
                _("The slots of %(month)s are not generated yet: generate the month on the planning grid.")
                % {"month": f"{day:%m/%Y}"},
                code="not_generated",
            )
        taken = active_slots(line, day, day)
        hours = rota_month.slot_hours or DEFAULT_SLOT_HOURS
        new = []
        for language in rota_month.languages or ["fr", "nl"]:
            new.extend(missing_slots(line, day, language, taken.get((day, language), []), hours))
        Slot.objects.bulk_create(new)
        log_action(actor, "helpline.rota.day_filled", rota_month, {"day": day.isoformat(), "slots": len(new)})
    return new
