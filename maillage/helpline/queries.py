"""The read side of the helpline, scoped to the line(s) a user works for.

A line is run by an organisation; its responders and the federation staff of that
organisation see its calls. Anyone else, including a responder of another line, gets 404.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from maillage.core.models import Organisation, Role, User
from maillage.core.tenancy import AnyUser
from maillage.helpline.models import (
    OWN_EDIT_WINDOW,
    Call,
    Callback,
    JournalImport,
    OpeningHours,
    Request,
    Shift,
    ShiftDebriefing,
    WeeklyNote,
)

LINE_ROLES = (Role.RESPONDER, Role.FEDERATION_STAFF, Role.ADMINISTRATOR)
STAFF_ROLES = (Role.FEDERATION_STAFF, Role.ADMINISTRATOR)


# The user's helpline memberships with their organisations, as active_memberships(user, LINE_ROLES) reads
# them, in one plain statement: every helpline request asks (building the ORM query cost more CPU than the
# database spent on it).
_LINES_SQL = (
    'SELECT o.*, m.role AS line_role FROM "core_membership" m JOIN "core_organisation" o ON o.id = m.organisation_id '
    "WHERE m.user_id = %s AND m.is_active AND (m.expires_at IS NULL OR m.expires_at > %s) AND m.role IN (%s, %s, %s) "
    "ORDER BY o.short_name, m.role"
)


def _read_lines(user: AnyUser) -> tuple[dict[str, set[int]], list[Organisation]]:
    """The user's helpline roles by organisation and those organisations, read once per loaded user
    (one query per request)."""
    cached = getattr(user, "_helpline_lines", None)
    if cached is None:
        roles: dict[str, set[int]] = {role: set() for role in LINE_ROLES}
        organisations: dict[int, Organisation] = {}
        if user.is_authenticated:
            now = connection.ops.adapt_datetimefield_value(timezone.now())
            for organisation in Organisation.objects.raw(_LINES_SQL, [user.pk, now, *LINE_ROLES]):
                roles[organisation.__dict__.pop("line_role")].add(organisation.pk)
                organisations[organisation.pk] = organisation
        cached = (roles, sorted(organisations.values(), key=lambda organisation: organisation.short_name))
        if user.is_authenticated:
            user._helpline_lines = cached  # type: ignore[union-attr,attr-defined]
    return cached


def _line_roles(user: AnyUser) -> dict[str, set[int]]:
    return _read_lines(user)[0]


def line_organisations(user: AnyUser) -> list[Organisation]:
    """The organisations whose line the user works for, by short name (no query of its own)."""
    return list(_read_lines(user)[1])


def line_ids(user: AnyUser) -> set[int]:
    """Organisations whose line the user works for (as responder or staff)."""
    roles = _line_roles(user)
    return set().union(*roles.values())


def staff_line_ids(user: AnyUser) -> set[int]:
    roles = _line_roles(user)
    return roles[Role.FEDERATION_STAFF] | roles[Role.ADMINISTRATOR]


def responder_line_ids(user: AnyUser) -> set[int]:
    return set(_line_roles(user)[Role.RESPONDER])


def lines_of(user: AnyUser) -> QuerySet[Organisation]:
    return Organisation.objects.filter(id__in=line_ids(user)).order_by("short_name")


def calls_visible_to(user: AnyUser) -> QuerySet[Call]:
    return (
        Call.objects.filter(organisation_id__in=line_ids(user))
        .select_related("responder", "commune", "organisation")
        .prefetch_related(
            Prefetch(
                "requests",
                queryset=Request.objects.select_related("category", "theme", "service").order_by("position", "id"),
            )
        )
    )


def can_edit_call(user: User, call: Call, now: datetime | None = None) -> bool:
    """Staff of the line correct any call; a responder their own for 24 hours."""
    if call.organisation_id in staff_line_ids(user):
        return True
    now = now or timezone.now()
    return (
        call.responder_id == user.pk
        and call.organisation_id in responder_line_ids(user)
        and now - call.created_at <= OWN_EDIT_WINDOW
    )


def requests_of_lines(organisation_ids: set[int]) -> QuerySet[Request]:
    return Request.objects.filter(organisation_id__in=organisation_ids)


def shifts_visible_to(user: AnyUser) -> QuerySet[Shift]:
    return Shift.objects.filter(organisation_id__in=line_ids(user)).prefetch_related("responders")


def shifts_to_debrief(user: AnyUser) -> QuerySet[Shift]:
    """The shifts a user may write a debriefing of: their own as a responder, any of the line as its staff."""
    staff = staff_line_ids(user)
    own = Q(organisation_id__in=responder_line_ids(user), responders=user.pk)
    return Shift.objects.filter(Q(organisation_id__in=staff) | own).distinct().prefetch_related("responders")


def my_shifts(user: User, now: datetime | None = None) -> QuerySet[Shift]:
    """The user's current and coming shifts."""
    now = now or timezone.now()
    return (
        Shift.objects.filter(organisation_id__in=responder_line_ids(user), responders=user, ends_at__gte=now)
        .prefetch_related("responders")
        .order_by("starts_at")
    )


def current_shift_id(user: User, organisation_id: int, at: datetime) -> int | None:
    """The shift covering `at` on that line, the user's own first (then the earliest).

    One plain statement (a call is logged many times a minute; the ORM query cost more CPU than the
    database): one row per covering shift, with the user's id when they are one of its responders."""
    sql = (
        'SELECT s.id, r.user_id FROM "helpline_shift" s LEFT JOIN "helpline_shift_responders" r '
        "ON r.shift_id = s.id AND r.user_id = %s "
        "WHERE s.organisation_id = %s AND s.starts_at <= %s AND s.ends_at > %s ORDER BY s.starts_at, s.id"
    )
    moment = connection.ops.adapt_datetimefield_value(at)
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk, organisation_id, moment, moment])
        rows = cursor.fetchall()
    if not rows:
        return None
    return next((shift_id for shift_id, responder_id in rows if responder_id is not None), rows[0][0])


def open_callbacks(user: AnyUser) -> QuerySet[Callback]:
    return (
        Callback.objects.filter(organisation_id__in=line_ids(user), done_at__isnull=True)
        .select_related("request__call", "request__category")
        .order_by("due_at", "id")
    )


def done_callbacks(user: AnyUser, since: datetime) -> QuerySet[Callback]:
    return (
        Callback.objects.filter(organisation_id__in=line_ids(user), done_at__gte=since)
        .select_related("request__call", "request__category", "done_by")
        .order_by("-done_at")
    )


def debriefings_visible_to(user: AnyUser) -> QuerySet[ShiftDebriefing]:
    """Staff read every debriefing of their line; a responder reads their own."""
    staff = staff_line_ids(user)
    queryset = ShiftDebriefing.objects.select_related("shift", "author")
    if staff:
        return queryset.filter(organisation_id__in=staff)
    return queryset.filter(organisation_id__in=line_ids(user), author_id=user.pk)


def weekly_notes_visible_to(user: AnyUser) -> QuerySet[WeeklyNote]:
    return WeeklyNote.objects.filter(organisation_id__in=line_ids(user)).select_related("author")


def week_bounds(day: date) -> tuple[date, date]:
    """Monday and the next Monday of the week holding `day`."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=7)


def debriefings_of_week(organisation_id: int, monday: date) -> QuerySet[ShiftDebriefing]:
    start = timezone.make_aware(datetime.combine(monday, datetime.min.time()))
    return (
        ShiftDebriefing.objects.filter(
            organisation_id=organisation_id, shift__starts_at__gte=start, shift__starts_at__lt=start + timedelta(days=7)
        )
        .select_related("shift", "author")
        .order_by("shift__starts_at")
    )


def hours_in_force(organisation_id: int, day: date) -> list[OpeningHours]:
    """The opening hours in force on `day` (the newest set that started on or before it)."""
    valid_from = (
        OpeningHours.objects.filter(organisation_id=organisation_id, valid_from__lte=day)
        .order_by("-valid_from")
        .values_list("valid_from", flat=True)
        .first()
    )
    if valid_from is None:
        return []
    return list(
        OpeningHours.objects.filter(organisation_id=organisation_id, valid_from=valid_from).order_by("weekday", "opens")
    )


def is_line_open(organisation_id: int, at: datetime) -> bool:
    local = timezone.localtime(at)
    return any(
        hours.weekday == local.weekday() and hours.opens <= local.time() < hours.closes
        for hours in hours_in_force(organisation_id, local.date())
    )


def imports_visible_to(user: AnyUser) -> QuerySet[JournalImport]:
    return JournalImport.objects.filter(organisation_id__in=staff_line_ids(user))
