"""Check-in at the door: by the invitation's QR code or by name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.core.audit import log_action
from maillage.core.mail import send_templated_mail
from maillage.core.models import User
from maillage.events.models import (
    AbsenceNotice,
    Attendance,
    Event,
    Registration,
    Session,
    Status,
)
from maillage.events.services.links import personal_url, read_checkin_code
from maillage.events.services.locking import covers


@dataclass
class CheckIn:
    registration: Registration
    attendance: Attendance
    created: bool


def _record_attendance(actor: User, session: Session, registration: Registration, method: str) -> CheckIn:
    if registration.status != Status.CONFIRMED or not covers(registration, session):
        raise ValidationError(
            _("%(person)s is not expected at this session.") % {"person": registration.participant.full_name}
        )
    with transaction.atomic():
        attendance, created = Attendance.objects.get_or_create(
            session=session, registration=registration, defaults={"method": method, "checked_in_by": actor}
        )
        if created:
            log_action(
                actor,
                "events.attendance.checked_in",
                registration,
                {"session": session.pk, "method": method},
                organisation=session.event.organisation,
            )
    return CheckIn(registration, attendance, created)


def check_in_by_code(actor: User, session: Session, code: str) -> CheckIn:
    """The QR code of the invitation, scanned at the door of `session`."""
    value = read_checkin_code(code)
    if value["s"] != session.pk:
        other = Session.objects.filter(pk=value["s"]).select_related("theme", "group").first()
        raise ValidationError(
            _("This invitation is for another session (%(other)s), not for this one.")
            % {"other": other if other else _("unknown")}
        )
    registration = Registration.objects.select_related("participant").filter(pk=value["r"], event=session.event).first()
    if registration is None:
        raise ValidationError(_("This code is not a valid invitation code."))
    return _record_attendance(actor, session, registration, Attendance.Method.QR)


def check_in_by_name(actor: User, session: Session, registration: Registration) -> CheckIn:
    return _record_attendance(actor, session, registration, Attendance.Method.NAME)


# Absences are told at most this long after the session ended (a late run does not dig up old ones).
ABSENCE_NOTICE_WINDOW = timedelta(days=3)


@dataclass
class GroupRate:
    """A group's (or the whole event's) attendance over its sessions held so far."""

    label: str
    sessions: int
    expected: int
    present: int

    @property
    def rate(self) -> int | None:
        return round(100 * self.present / self.expected) if self.expected else None


@dataclass
class ParticipantAbsences:
    registration: Registration
    held: int
    absent: int


def _held_sessions(event: Event, now: datetime) -> list[Session]:
    return list(event.sessions.filter(ends_at__lte=now, cancelled_at__isnull=True).select_related("theme", "group"))


def _scope_label(registration: Registration) -> str:
    if registration.group:
        return registration.group.name
    if registration.theme:
        return registration.theme.title
    return _("Without a group")


def attendance_by_group(
    event: Event, *, now: datetime | None = None
) -> tuple[list[GroupRate], list[ParticipantAbsences]]:
    """Per group (or theme, or the event), present ÷ expected over the sessions held; absences per participant."""
    now = now or timezone.now()
    sessions = _held_sessions(event, now)
    registrations = list(
        event.registrations.filter(status=Status.CONFIRMED).select_related("participant", "group", "theme")
    )
    present = set(Attendance.objects.filter(session__in=sessions).values_list("registration_id", "session_id"))
    scopes: dict[str, GroupRate] = {}
    held: dict[str, set[int]] = {}
    people: list[ParticipantAbsences] = []
    for registration in registrations:
        covered = [session for session in sessions if covers(registration, session)]
        absent = sum(1 for session in covered if (registration.pk, session.pk) not in present)
        people.append(ParticipantAbsences(registration, len(covered), absent))
        label = _scope_label(registration)
        rate = scopes.setdefault(label, GroupRate(label, 0, 0, 0))
        rate.expected += len(covered)
        rate.present += len(covered) - absent
        held.setdefault(label, set()).update(session.pk for session in covered)
    for label, rate in scopes.items():
        rate.sessions = len(held[label])
    people.sort(key=lambda entry: (-entry.absent, entry.registration.participant.full_name))
    return sorted(scopes.values(), key=lambda rate: rate.label), people


def send_absence_messages(*, now: datetime | None = None) -> int:
    """After a session of a cycle, each confirmed participant who was not there gets one message."""
    now = now or timezone.now()
    sent = 0
    sessions = Session.objects.filter(
        ends_at__lte=now, ends_at__gte=now - ABSENCE_NOTICE_WINDOW, cancelled_at__isnull=True
    ).select_related("event", "group", "theme")
    for session in sessions:
        # Attendance is followed for closed groups (whole-cycle commitment) and checked-in events only.
        if session.group_id is None and not session.attendances.exists():
            continue
        present = set(session.attendances.values_list("registration_id", flat=True))
        for registration in session.event.registrations.filter(status=Status.CONFIRMED).select_related("participant"):
            if registration.pk in present or not covers(registration, session):
                continue
            with transaction.atomic():
                _notice, created = AbsenceNotice.objects.get_or_create(session=session, registration=registration)
                if not created:
                    continue
                participant = registration.participant
                send_templated_mail(
                    "events/emails/absence",
                    [participant.email],
                    {
                        "participant": participant,
                        "event": session.event,
                        "session": session,
                        "personal_link": personal_url(participant),
                    },
                    language=participant.language,
                )
                log_action(
                    None,
                    "events.attendance.absent",
                    registration,
                    {"session": session.pk},
                    organisation=session.event.organisation,
                )
            sent += 1
    return sent
