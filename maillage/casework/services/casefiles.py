"""Case files: reading (audited), closing, reopening, handing over."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.casework.models import CaseFile, Person
from maillage.core.audit import log_action
from maillage.core.models import User


def record_case_file_viewed(actor: User, case_file: CaseFile, page: str = "case_file") -> None:
    """One read entry per request of a page or file showing the case file (its follow-ups, its person)."""
    log_action(actor, "casework.casefile.read", case_file, {"page": page})


def record_person_viewed(actor: User, person: Person, page: str) -> None:
    """One read entry per request of a page showing the person's data (edit form prefilled, erase page)."""
    log_action(actor, "casework.person.read", person, {"page": page})


def close_case_file(actor: User, case_file: CaseFile, closed_on: datetime.date, reason: str) -> CaseFile:
    if closed_on < case_file.opened_on:
        raise ValidationError(
            {"closed_on": _("A case file cannot close before it opened (%(date)s).") % {"date": case_file.opened_on}}
        )
    if closed_on > timezone.localdate():
        raise ValidationError({"closed_on": _("The closing date is in the future.")})
    with transaction.atomic():
        case_file.closed_on = closed_on
        case_file.closing_reason = reason
        case_file.save(update_fields=["closed_on", "closing_reason"])
        log_action(actor, "casework.casefile.closed", case_file, {"reason": reason})
    return case_file


def reopen_case_file(actor: User, case_file: CaseFile) -> CaseFile:
    with transaction.atomic():
        case_file.closed_on = None
        case_file.closing_reason = ""
        case_file.save(update_fields=["closed_on", "closing_reason"])
        log_action(actor, "casework.casefile.reopened", case_file)
    return case_file


def set_workers(actor: User, case_file: CaseFile, workers: Iterable[User]) -> None:
    with transaction.atomic():
        case_file.workers.set(list(workers))
        log_action(
            actor,
            "casework.casefile.workers_changed",
            case_file,
            {"workers": sorted(w.pk for w in case_file.workers.all())},
        )
