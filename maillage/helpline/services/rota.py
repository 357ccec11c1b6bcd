"""The rota: slots generated from the line's calendar (rota_calendar), services committing to them,
responders taking them, swaps and covers, reminders, the coverage of a month.

A special day set after the month was generated re-aligns its day (rota_days): a slot a service took
is then cancelled (`cancelled_at`), not deleted; a cancelled slot takes no commitment, responder or
swap, is not on the line, and coverage counts it apart.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.core.audit import log_action
from maillage.core.models import Organisation, User
from maillage.helpline.models import (
    ChangeKind,
    ChangeStatus,
    FeedToken,
    RotaMonth,
    RotaService,
    Slot,
    SlotChange,
)
from maillage.helpline.queries import staff_line_ids
from maillage.helpline.services.rota_calendar import (
    DEFAULT_SLOT_HOURS,
    _aware,
    _require_staff,
    active_slots,
    check_within_hours,
    missing_slots,
    month_bounds,
)

# The calendar and the special days live beside this module; callers keep reading them as `rota.*`.
from maillage.helpline.services.rota_calendar import HOLIDAY_CALENDARS as HOLIDAY_CALENDARS
from maillage.helpline.services.rota_calendar import check_special_hours as check_special_hours
from maillage.helpline.services.rota_calendar import day_hours as day_hours
from maillage.helpline.services.rota_days import DayChange as DayChange
from maillage.helpline.services.rota_days import fill_day as fill_day
from maillage.helpline.services.rota_days import remove_special_day as remove_special_day
from maillage.helpline.services.rota_days import set_special_day as set_special_day


def generate_month(
    actor: User,
    line: Organisation,
    month: date,
    *,
    languages: tuple[str, ...] = ("fr", "nl"),
    slot_hours: int = DEFAULT_SLOT_HOURS,
    deadline: date | None = None,
) -> RotaMonth:
    """The month's slots from the calendar (blocks of `slot_hours`, one per language) over the hours no
    active slot covers yet: run twice, same slots; after a special day gave more hours, only those."""
    _require_staff(actor, line)
    first, last = month_bounds(month)
    with transaction.atomic():
        # The month's row is the lock: two generations (or a day's filling) never make the same slot twice.
        rota_month, _created = RotaMonth.objects.select_for_update().get_or_create(
            organisation=line,
            month=first,
            defaults={
                "deadline": deadline or first - timedelta(days=10),
                "languages": list(languages),
                "slot_hours": slot_hours,
            },
        )
        rota_month.deadline = deadline or rota_month.deadline
        rota_month.languages, rota_month.slot_hours = list(languages), slot_hours
        rota_month.save(update_fields=["deadline", "languages", "slot_hours"])
        taken = active_slots(line, first, last)
        new = []
        day = first
        while day <= last:
            for language in languages:  # a special day may be the French or the Dutch line's only
                new.extend(missing_slots(line, day, language, taken.get((day, language), []), slot_hours))
            day += timedelta(days=1)
        Slot.objects.bulk_create(new)
        log_action(actor, "helpline.rota.generated", rota_month, {"slots": len(new)})
    return rota_month


def add_slot(actor: User, line: Organisation, starts_at: datetime, ends_at: datetime, language: str) -> Slot:
    """One more slot by hand (a crisis evening): refused outside the line's hours."""
    _require_staff(actor, line)
    check_within_hours(line, starts_at, ends_at, language)
    with transaction.atomic():
        slot = Slot.objects.create(organisation=line, starts_at=starts_at, ends_at=ends_at, language=language)
        log_action(actor, "helpline.rota.slot_added", slot)
    return slot


def _locked_slot(slot: Slot, *, related: bool = False) -> Slot:
    """The slot again, locked; a translated refusal when the line's hours removed or cancelled it meanwhile."""
    rows = Slot.objects.select_for_update(of=("self",)) if related else Slot.objects.select_for_update()
    if related:
        rows = rows.select_related("service")
    locked = rows.filter(pk=slot.pk).first()
    if locked is None or locked.cancelled_at is not None:
        raise ValidationError(
            _("This slot is no longer on the rota: the line's hours changed that day."), code="cancelled"
        )
    return locked


def can_commit(actor: User, service: RotaService) -> bool:
    return service.organisation_id in staff_line_ids(actor) or service.responders.filter(pk=actor.pk).exists()


def commit_service(actor: User, slot: Slot, service: RotaService) -> Slot:
    """The service commits to this single-responder slot; refused when another service holds it."""
    if service.organisation_id != slot.organisation_id or not can_commit(actor, service):
        raise PermissionError("Not a responder of this service.")
    with transaction.atomic():
        slot = _locked_slot(slot, related=True)
        if slot.service_id is not None and slot.service_id != service.pk:
            raise ValidationError(
                _("This slot is already taken by %(service)s: one service per slot.") % {"service": slot.service},
                code="taken",
            )
        slot.service = service
        slot.save(update_fields=["service"])
        log_action(actor, "helpline.rota.committed", slot, {"service": service.pk})
    return slot


def release_service(actor: User, slot: Slot) -> Slot:
    if slot.service is None or not can_commit(actor, slot.service):
        raise PermissionError("Not a responder of this service.")
    with transaction.atomic():
        slot = _locked_slot(slot)
        slot.service = None
        slot.responder = None
        slot.save(update_fields=["service", "responder"])
        log_action(actor, "helpline.rota.released", slot)
    return slot


def take_slot(actor: User, slot: Slot) -> Slot:
    """A responder of the slot's service takes it."""
    with transaction.atomic():
        slot = _locked_slot(slot, related=True)
        if slot.service is None or not slot.service.responders.filter(pk=actor.pk).exists():
            raise ValidationError(_("Only a responder of the service holding this slot can take it."), code="service")
        if slot.responder_id is not None and slot.responder_id != actor.pk:
            raise ValidationError(_("Someone already takes this slot."), code="taken")
        slot.responder = actor
        slot.save(update_fields=["responder"])
        log_action(actor, "helpline.rota.taken", slot)
    return slot


def request_change(actor: User, slot: Slot, offered_to: User, other_slot: Slot | None = None) -> SlotChange:
    """Ask `offered_to` to cover `slot`, or to swap it with `other_slot` (one of theirs)."""
    if offered_to.pk == actor.pk:
        raise ValidationError(_("You cannot swap or cover a slot with yourself."), code="self")
    slot = Slot.objects.get(pk=slot.pk)
    other_slot = Slot.objects.get(pk=other_slot.pk) if other_slot is not None else None
    if slot.cancelled_at is not None or (other_slot is not None and other_slot.cancelled_at is not None):
        raise ValidationError(
            _("This slot is no longer on the rota: the line's hours changed that day."), code="cancelled"
        )
    if slot.responder_id != actor.pk:
        raise ValidationError(_("Only the responder of a slot can ask to swap or cover it."), code="not_yours")
    if other_slot is not None and (
        other_slot.responder_id != offered_to.pk or other_slot.organisation_id != slot.organisation_id
    ):
        raise ValidationError(_("The slot offered in exchange is not theirs."), code="other_slot")
    with transaction.atomic():
        change = SlotChange.objects.create(
            organisation_id=slot.organisation_id,
            slot=slot,
            other_slot=other_slot,
            kind=ChangeKind.SWAP if other_slot is not None else ChangeKind.COVER,
            requested_by=actor,
            offered_to=offered_to,
        )
        log_action(actor, "helpline.rota.change_requested", change, {"kind": change.kind})
    return change


def answer_change(actor: User, change: SlotChange, accept: bool) -> SlotChange:
    if change.offered_to_id != actor.pk:
        raise PermissionError("Not asked to this person.")
    if change.status != ChangeStatus.PENDING:
        raise ValidationError(_("This request was already answered."), code="answered")
    with transaction.atomic():
        if accept:  # refusing needs no slot: it may have been cancelled since
            slot = _locked_slot(Slot(pk=change.slot_id))
            if slot.responder_id != change.requested_by_id:
                raise ValidationError(_("The slot changed hands in the meantime."), code="moved")
            slot.responder = actor
            slot.swapped = True
            slot.save(update_fields=["responder", "swapped"])
            if change.other_slot_id is not None:
                other = _locked_slot(Slot(pk=change.other_slot_id))
                if other.responder_id != actor.pk:
                    raise ValidationError(_("The slot changed hands in the meantime."), code="moved")
                other.responder = change.requested_by
                other.swapped = True
                other.save(update_fields=["responder", "swapped"])
        change.status = ChangeStatus.ACCEPTED if accept else ChangeStatus.REFUSED
        change.decided_at = timezone.now()
        change.save(update_fields=["status", "decided_at"])
        log_action(actor, "helpline.rota.change_answered", change, {"status": change.status})
    return change


@dataclass
class Coverage:
    month: date
    slots: int = 0
    filled: int = 0  # a service and a responder
    committed: int = 0  # a service, no responder yet
    unfilled: int = 0  # no service
    swapped: int = 0
    # Taken by a service, then cancelled when the line's hours changed: not a slot of the line any more,
    # not a turn of the service (per_service counts active slots), listed apart per service.
    cancelled: int = 0
    cancelled_per_service: dict[str, int] = field(default_factory=dict)
    per_service: dict[str, int] = field(default_factory=dict)
    gaps: list[Slot] = field(default_factory=list)

    @property
    def service_rows(self) -> list[tuple[str, int, int]]:
        """(service, its slots, its cancelled slots), by name: a service with only cancelled slots too."""
        names = sorted(set(self.per_service) | set(self.cancelled_per_service))
        return [(name, self.per_service.get(name, 0), self.cancelled_per_service.get(name, 0)) for name in names]


def coverage(line: Organisation, month: date) -> Coverage:
    first, last = month_bounds(month)
    start, end = _aware(first, time.min), _aware(last + timedelta(days=1), time.min)
    report = Coverage(month=first)
    for slot in Slot.objects.filter(organisation=line, starts_at__gte=start, starts_at__lt=end).select_related(
        "service"
    ):
        if slot.cancelled_at is not None:
            report.cancelled += 1
            name = slot.service.name if slot.service is not None else "—"
            report.cancelled_per_service[name] = report.cancelled_per_service.get(name, 0) + 1
            continue
        report.slots += 1
        if slot.service is None:
            report.unfilled += 1
            report.gaps.append(slot)
        else:
            report.per_service[slot.service.name] = report.per_service.get(slot.service.name, 0) + 1
            if slot.responder_id is None:
                report.committed += 1
            else:
                report.filled += 1
        report.swapped += slot.swapped
    report.per_service = dict(sorted(report.per_service.items()))
    report.cancelled_per_service = dict(sorted(report.cancelled_per_service.items()))
    return report


def on_the_line(line: Organisation, at: datetime | None = None) -> list[Slot]:
    at = at or timezone.now()
    return list(
        Slot.objects.filter(organisation=line, starts_at__lte=at, ends_at__gt=at, cancelled_at__isnull=True)
        .select_related("service", "responder")
        .order_by("language")
    )


def new_feed(actor: User, line: Organisation, *, service: RotaService | None = None) -> FeedToken:
    """A feed URL key for the actor's own slots, or for a service's (its responders and the staff)."""
    if service is not None and not can_commit(actor, service):
        raise PermissionError("Not a responder of this service.")
    with transaction.atomic():
        feed = FeedToken.objects.create(
            organisation=line,
            token=secrets.token_urlsafe(32),
            user=None if service is not None else actor,
            service=service,
        )
        log_action(actor, "helpline.rota.feed_created", feed)
    return feed


def revoke_feed(actor: User, feed: FeedToken) -> None:
    if feed.user_id != actor.pk and not (feed.service is not None and can_commit(actor, feed.service)):
        raise PermissionError("Not this person's feed.")
    with transaction.atomic():
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at"])
        log_action(actor, "helpline.rota.feed_revoked", feed)


def feed_slots(feed: FeedToken) -> list[Slot]:
    slots = Slot.objects.filter(
        organisation_id=feed.organisation_id, starts_at__gte=timezone.now() - timedelta(days=31)
    )
    slots = slots.filter(service=feed.service) if feed.service_id else slots.filter(responder_id=feed.user_id)
    return list(slots.select_related("service").order_by("starts_at"))


def ical(feed: FeedToken) -> bytes:
    import icalendar

    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//maillage//helpline rota//FR")
    calendar.add("version", "2.0")
    for slot in feed_slots(feed):
        event = icalendar.Event()
        event.add("uid", f"slot-{slot.pk}@maillage")
        event.add("dtstart", slot.starts_at)
        event.add("dtend", slot.ends_at)
        event.add("summary", f"{_('Helpline')} {slot.language.upper()} — {slot.service or _('gap')}")
        if slot.cancelled_at is not None:
            event.add("status", "CANCELLED")
        calendar.add_component(event)
    return calendar.to_ical()


def send_reminders(now: datetime | None = None) -> tuple[int, int]:
    """The day before a slot, its responder; two days before a gap, the line's staff. Each once."""
    from maillage.core.models import Membership, Role
    from maillage.core.outbox import queue_email

    now = now or timezone.now()
    tomorrow = timezone.localtime(now).date() + timedelta(days=1)
    reminded = gaps = 0
    with transaction.atomic():
        for slot in (
            Slot.objects.select_for_update(of=("self",))
            .filter(
                starts_at__date=tomorrow, responder__isnull=False, reminded_at__isnull=True, cancelled_at__isnull=True
            )
            .select_related("responder", "service")
        ):
            responder: Any = slot.responder
            queue_email(
                "helpline/emails/slot_reminder",
                [responder.email],
                {"slot": slot},
                language=getattr(responder, "language", "") or settings.LANGUAGE_CODE,
            )
            slot.reminded_at = now
            slot.save(update_fields=["reminded_at"])
            reminded += 1
        in_two_days = tomorrow + timedelta(days=1)
        for slot in Slot.objects.select_for_update().filter(
            starts_at__date=in_two_days, service__isnull=True, gap_alerted_at__isnull=True, cancelled_at__isnull=True
        ):
            staff = Membership.objects.filter(
                organisation_id=slot.organisation_id, role=Role.FEDERATION_STAFF, is_active=True
            ).select_related("user")
            for membership in staff:
                queue_email(
                    "helpline/emails/slot_gap",
                    [membership.user.email],
                    {"slot": slot},
                    language=getattr(membership.user, "language", "") or settings.LANGUAGE_CODE,
                )
            slot.gap_alerted_at = now
            slot.save(update_fields=["gap_alerted_at"])
            gaps += 1
    return reminded, gaps
