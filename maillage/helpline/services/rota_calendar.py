"""The line's calendar: when it answers on a day (weekly hours, holidays, special days), and the
slots that would cover the hours no active slot covers yet. Read by the rota and the special days.

The calendar of a day: its special day if any (other hours, or closed), else closed on Belgian
public holidays and the Brussels Region's day (directory.calendars, `holidays` library), else the
weekly opening hours in force that day (OpeningHours, extended here, not duplicated).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.core.models import Organisation, User
from maillage.directory.calendars import holiday_days
from maillage.helpline.models import OpeningHours, Slot, SpecialDay
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


def uncovered(
    line: Organisation, day: date, language: str, taken: list[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    """The line's hours of `day` in `language` that no slot of `taken` (active slots) covers."""
    free = []
    for opens, closes in day_hours(line, day, language):
        start, end = _aware(day, opens), _aware(day, closes)
        for slot_start, slot_end in sorted(taken):
            if slot_end <= start:
                continue
            if slot_start >= end:
                break
            if slot_start > start:
                free.append((start, slot_start))
            start = max(start, slot_end)
        if start < end:
            free.append((start, end))
    return free


def missing_slots(
    line: Organisation, day: date, language: str, taken: list[tuple[datetime, datetime]], slot_hours: int
) -> list[Slot]:
    """New (unsaved) slots of at most `slot_hours` over the uncovered hours: running it again adds nothing."""
    new = []
    for start, end_of_free in uncovered(line, day, language, taken):
        while start < end_of_free:
            end = min(start + timedelta(hours=slot_hours), end_of_free)
            new.append(Slot(organisation=line, starts_at=start, ends_at=end, language=language))
            start = end
    return new


def active_slots(
    line: Organisation, first: date, last: date
) -> dict[tuple[date, str], list[tuple[datetime, datetime]]]:
    """The times of the active (not cancelled) slots from `first` to `last`, by local day and line."""
    taken: dict[tuple[date, str], list[tuple[datetime, datetime]]] = {}
    rows = Slot.objects.filter(
        organisation=line,
        cancelled_at__isnull=True,
        starts_at__gte=_aware(first, time.min),
        starts_at__lt=_aware(last + timedelta(days=1), time.min),
    ).values_list("starts_at", "ends_at", "language")
    for starts_at, ends_at, language in rows:
        taken.setdefault((timezone.localtime(starts_at).date(), language), []).append((starts_at, ends_at))
    return taken
