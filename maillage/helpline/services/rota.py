"""The rota: the line's opening calendar, slots generated from it, services committing to them,
responders taking them, swaps and covers, reminders, the coverage of a month.

The calendar of a day: its special day if any (other hours, or closed), else closed on Belgian
public holidays and the Brussels Region's day (directory.calendars, `holidays` library), else the
weekly opening hours in force that day (OpeningHours, extended here, not duplicated).
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
from maillage.directory.calendars import holiday_days
from maillage.helpline.models import (
    ChangeKind,
    ChangeStatus,
    FeedToken,
    OpeningHours,
    RotaMonth,
    RotaService,
    Slot,
    SlotChange,
    SpecialDay,
)
from maillage.helpline.queries import staff_line_ids

HOLIDAY_CALENDARS = "be brussels"
DEFAULT_SLOT_HOURS = 4


def month_bounds(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def _aware(day: date, moment: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, moment))


def day_hours(line: Organisation, day: date, language: str = "") -> list[tuple[time, time]]:
    """When the line (in `language`, "" = both lines) answers on `day`: its special day (the one of that
    language's line first), else closed on holidays, else the weekly hours in force."""
    specials = {
        special.language: special
        for special in SpecialDay.objects.filter(organisation=line, day=day, language__in={"", language})
    }
    special = specials.get(language) or specials.get("")
    if special is not None:
        return [(special.opens, special.closes)] if special.opens and special.closes else []
    if holiday_days(HOLIDAY_CALENDARS, day, day):
        return []
    in_force = (
        OpeningHours.objects.filter(organisation=line, valid_from__lte=day)
        .order_by("-valid_from")
        .values_list("valid_from", flat=True)
        .first()
    )
    if in_force is None:
        return []
    rows = OpeningHours.objects.filter(organisation=line, valid_from=in_force, weekday=day.weekday()).order_by("opens")
    return [(row.opens, row.closes) for row in rows]


def check_within_hours(line: Organisation, starts_at: datetime, ends_at: datetime, language: str = "") -> None:
    """A translated ValidationError when the slot is not inside the line's hours of its day."""
    start, end = timezone.localtime(starts_at), timezone.localtime(ends_at)
    if start >= end or start.date() != end.date():
        raise ValidationError(_("A slot starts and ends on the same day, the end after the start."), code="order")
    for opens, closes in day_hours(line, start.date(), language):
        if opens <= start.time() and end.time() <= closes:
            return
    raise ValidationError(
        _("The line is not open from %(start)s to %(end)s on %(day)s: a slot must lie inside its hours.")
        % {"start": f"{start:%H:%M}", "end": f"{end:%H:%M}", "day": f"{start:%d/%m/%Y}"},
        code="outside_hours",
    )


def _require_staff(actor: User, line: Organisation) -> None:
    if line.pk not in staff_line_ids(actor):
        raise PermissionError("Only the line's staff plan the rota.")


def check_special_hours(opens: time | None, closes: time | None) -> None:
    """Both times (other hours) or neither (closed), the closing after the opening; else a translated error."""
    if (opens is None) != (closes is None):
        raise ValidationError(_("Give both the opening and the closing time, or neither."), code="hours")
    if opens is not None and closes is not None and opens >= closes:
        raise ValidationError(_("The line closes after it opens."), code="order")


def set_special_day(
    actor: User,
    line: Organisation,
    day: date,
    opens: time | None,
    closes: time | None,
    note: str,
    language: str = "",
) -> SpecialDay:
    """Other hours (or closed) on `day` for both lines or one; replaces that line's earlier special day."""
    _require_staff(actor, line)
    check_special_hours(opens, closes)
    with transaction.atomic():
        special, _created = SpecialDay.objects.update_or_create(
            organisation=line,
            day=day,
            language=language,
            defaults={"opens": opens, "closes": closes, "note": note[:200]},
        )
        log_action(actor, "helpline.rota.special_day", special, {"day": day.isoformat(), "language": language})
    return special


def remove_special_day(actor: User, special: SpecialDay) -> None:
    """Back to the weekly hours (and holidays) on that day."""
    _require_staff(actor, special.organisation)
    with transaction.atomic():
        log_action(
            actor,
            "helpline.rota.special_day_removed",
            special,
            {"day": special.day.isoformat(), "language": special.language},
        )
        special.delete()


def generate_month(
    actor: User,
    line: Organisation,
    month: date,
    *,
    languages: tuple[str, ...] = ("fr", "nl"),
    slot_hours: int = DEFAULT_SLOT_HOURS,
    deadline: date | None = None,
) -> RotaMonth:
    """The month's slots from the calendar (blocks of `slot_hours`, one per language); run twice, same slots."""
    _require_staff(actor, line)
    first, last = month_bounds(month)
    with transaction.atomic():
        rota_month, _created = RotaMonth.objects.get_or_create(
            organisation=line, month=first, defaults={"deadline": deadline or first - timedelta(days=10)}
        )
        if deadline is not None and rota_month.deadline != deadline:
            rota_month.deadline = deadline
            rota_month.save(update_fields=["deadline"])
        existing = set(
            Slot.objects.filter(
                organisation=line,
                starts_at__date__gte=first - timedelta(days=1),
                starts_at__date__lte=last + timedelta(days=1),
            ).values_list("starts_at", "language")
        )
        new = []
        day = first
        while day <= last:
            for language in languages:  # a special day may be the French or the Dutch line's only
                for opens, closes in day_hours(line, day, language):
                    start = _aware(day, opens)
                    end_of_day = _aware(day, closes)
                    while start < end_of_day:
                        end = min(start + timedelta(hours=slot_hours), end_of_day)
                        if (start, language) not in existing:
                            new.append(Slot(organisation=line, starts_at=start, ends_at=end, language=language))
                        start = end
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


def can_commit(actor: User, service: RotaService) -> bool:
    return service.organisation_id in staff_line_ids(actor) or service.responders.filter(pk=actor.pk).exists()


def commit_service(actor: User, slot: Slot, service: RotaService) -> Slot:
    """The service commits to this single-responder slot; refused when another service holds it."""
    if service.organisation_id != slot.organisation_id or not can_commit(actor, service):
        raise PermissionError("Not a responder of this service.")
    with transaction.atomic():
        slot = Slot.objects.select_for_update(of=("self",)).select_related("service").get(pk=slot.pk)
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
        slot = Slot.objects.select_for_update().get(pk=slot.pk)
        slot.service = None
        slot.responder = None
        slot.save(update_fields=["service", "responder"])
        log_action(actor, "helpline.rota.released", slot)
    return slot


def take_slot(actor: User, slot: Slot) -> Slot:
    """A responder of the slot's service takes it."""
    with transaction.atomic():
        slot = Slot.objects.select_for_update(of=("self",)).select_related("service").get(pk=slot.pk)
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
        slot = Slot.objects.select_for_update().get(pk=change.slot_id)
        if accept:
            if slot.responder_id != change.requested_by_id:
                raise ValidationError(_("The slot changed hands in the meantime."), code="moved")
            slot.responder = actor
            slot.swapped = True
            slot.save(update_fields=["responder", "swapped"])
            if change.other_slot_id is not None:
                other = Slot.objects.select_for_update().get(pk=change.other_slot_id)
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
    per_service: dict[str, int] = field(default_factory=dict)
    gaps: list[Slot] = field(default_factory=list)


def coverage(line: Organisation, month: date) -> Coverage:
    first, last = month_bounds(month)
    start, end = _aware(first, time.min), _aware(last + timedelta(days=1), time.min)
    report = Coverage(month=first)
    for slot in Slot.objects.filter(organisation=line, starts_at__gte=start, starts_at__lt=end).select_related(
        "service"
    ):
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
    return report


def on_the_line(line: Organisation, at: datetime | None = None) -> list[Slot]:
    at = at or timezone.now()
    return list(
        Slot.objects.filter(organisation=line, starts_at__lte=at, ends_at__gt=at)
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
            .filter(starts_at__date=tomorrow, responder__isnull=False, reminded_at__isnull=True)
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
            starts_at__date=in_two_days, service__isnull=True, gap_alerted_at__isnull=True
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
