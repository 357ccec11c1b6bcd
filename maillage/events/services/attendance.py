"""Check-in at the door: by the invitation's QR code or by name."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from maillage.core.audit import log_action
from maillage.core.models import User
from maillage.events.models import (
    Attendance,
    Registration,
    Session,
    Status,
)
from maillage.events.services.links import read_checkin_code
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
