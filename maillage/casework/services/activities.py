"""Collective activities and their sessions; saved cross-tab reports."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.casework.models import (
    Activity,
    ActivitySession,
    Participation,
    SavedReport,
)
from maillage.core.audit import log_action
from maillage.core.models import Organisation, User


def save_activity(
    actor: User, organisation: Organisation, data: Mapping[str, Any], activity: Activity | None = None
) -> Activity:
    themes = data.get("themes", [])
    workers = data.get("workers", [])
    values = {key: data[key] for key in ("title", "kind", "description", "partners", "subsidy") if key in data}
    with transaction.atomic():
        if activity is None:
            activity = Activity.objects.create(organisation=organisation, **values)
            code = "casework.activity.created"
        else:
            for key, value in values.items():
                setattr(activity, key, value)
            activity.save(update_fields=list(values))
            code = "casework.activity.updated"
        activity.themes.set(themes)
        activity.workers.set(workers)
        log_action(actor, code, activity)
    return activity


def record_session(
    actor: User, activity: Activity, date: datetime.date, duration: int | None, counts: Mapping[tuple[str, str], int]
) -> ActivitySession:
    """A session and its participant counts per (sex, age band)."""
    if date > timezone.localdate() + datetime.timedelta(days=366):
        raise ValidationError({"date": _("The session date is too far in the future.")})
    with transaction.atomic():
        session = ActivitySession.objects.create(
            activity=activity, organisation_id=activity.organisation_id, date=date, duration=duration
        )
        Participation.objects.bulk_create(
            Participation(session=session, sex=sex, age_band=band, count=count)
            for (sex, band), count in counts.items()
            if count
        )
        log_action(actor, "casework.session.recorded", activity, {"participants": sum(counts.values())})
    return session


# Saved reports ------------------------------------------------------------------------------------------


def save_report(actor: User, organisation: Organisation, name: str, params: Mapping[str, Any]) -> SavedReport:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the report a name.")})
    with transaction.atomic():
        report, _created = SavedReport.objects.update_or_create(
            organisation=organisation, name=name, defaults={"owner": actor, "params": dict(params)}
        )
        log_action(actor, "casework.report.saved", report)
    return report


def delete_report(actor: User, report: SavedReport) -> None:
    with transaction.atomic():
        log_action(actor, "casework.report.deleted", report)
        report.delete()
