"""Data subjects: export of everything held, erasure, retention."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from maillage.casework.models import (
    FollowUp,
    Person,
)
from maillage.casework.queries import is_coordinator_of
from maillage.casework.services.centre import retention_years
from maillage.casework.services.persons import CODED_FIELDS, IDENTITY_FIELDS
from maillage.core.audit import log_action
from maillage.core.models import User
from maillage.taxonomy.models import Category


def _category_code(category: Category | None) -> str | None:
    return f"{category.version.scheme.code}:{category.code}" if category is not None else None


def export_person(actor: User, person: Person) -> dict[str, Any]:
    """Everything held on a person (data-subject access), as plain data."""
    files = person.case_files.prefetch_related("workers")
    coordinator = is_coordinator_of(actor, person.organisation_id)
    result: dict[str, Any] = {
        "person": {
            "reference": person.reference,
            "centre": person.organisation.short_name,
            **{key: getattr(person, key) for key in CODED_FIELDS},
            "commune": person.commune.name if person.commune else None,
            **{key: getattr(person, key) for key in IDENTITY_FIELDS},
            "created_at": person.created_at.isoformat(),
            "erased_at": person.erased_at.isoformat() if person.erased_at else None,
        },
        "case_files": [],
    }
    for case_file in files:
        followups = case_file.followups.select_related("worker", "subsidy", "referred_service").prefetch_related(
            "requests__theme__version__scheme",
            "requests__institution__version__scheme",
            "requests__stage__version__scheme",
        )
        result["case_files"].append(
            {
                "opened_on": case_file.opened_on.isoformat(),
                "closed_on": case_file.closed_on.isoformat() if case_file.closed_on else None,
                "closing_reason": case_file.closing_reason,
                "workers": [str(worker) for worker in case_file.workers.all()],
                "follow_ups": [
                    {
                        "date": f.date.isoformat(),
                        "mode": f.mode,
                        "duration": f.duration,
                        "worker": str(f.worker),
                        "subsidy": f.subsidy.code if f.subsidy else None,
                        "actions": f.actions,
                        "referred_to": f.referred_to,
                        "referred_service": str(f.referred_service) if f.referred_service else None,
                        "aid_amount": str(f.aid_amount) if f.aid_amount is not None else None,
                        # Private notes only to their author and the coordinator, here as everywhere.
                        "note": f.note if coordinator or f.worker_id == actor.pk else None,
                        "requests": [
                            {
                                "theme": _category_code(r.theme),
                                "institution": _category_code(r.institution),
                                "stage": _category_code(r.stage),
                                "open": r.is_open,
                            }
                            for r in f.requests.all()
                        ],
                    }
                    for f in followups
                ],
            }
        )
    # The one read entry of the request: everything held, exported.
    log_action(actor, "casework.person.read", person, {"page": "data_subject_export"})
    return result


def _erase(person: Person, now: datetime.datetime) -> None:
    for key in IDENTITY_FIELDS:
        setattr(person, key, "")
    person.source_id = ""
    person.birth_year = None  # the age band stays: coded, not identifying
    person.erased_at = now
    person.save(update_fields=[*IDENTITY_FIELDS, "source_id", "birth_year", "erased_at"])
    FollowUp.objects.filter(case_file__person=person).update(note="", referred_to="", source_id="")


def erase_person(actor: User, person: Person) -> Person:
    """Remove what identifies the person; their coded follow-ups stay for anonymous statistics."""
    with transaction.atomic():
        _erase(person, timezone.now())
        log_action(actor, "casework.person.erased", person)
    return person


def erase_expired(years: int | None = None, today: datetime.date | None = None) -> int:
    """Retention: erase persons whose case files all closed more than `years` years ago."""
    years = retention_years() if years is None else years
    today = today or timezone.localdate()
    try:
        limit = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        limit = today.replace(year=today.year - years, day=28)
    persons = (
        Person.objects.filter(erased_at__isnull=True, case_files__closed_on__lt=limit)
        .exclude(case_files__closed_on__isnull=True)
        .exclude(case_files__closed_on__gte=limit)
        .distinct()
    )
    count = 0
    now = timezone.now()
    with transaction.atomic():
        for person in persons.select_related("organisation"):
            _erase(person, now)
            log_action(None, "casework.person.retention_erased", person, {"years": years})
            count += 1
    return count
