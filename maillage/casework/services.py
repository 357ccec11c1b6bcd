"""Every change to case work: persons, case files, follow-ups, activities, erasure and retention."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.casework import rollups
from maillage.casework.models import (
    AXES,
    Activity,
    ActivitySession,
    CaseFile,
    CaseworkSettings,
    FollowUp,
    Participation,
    Person,
    Request,
    SavedReport,
    WorkerSubsidy,
    age_band_for,
)
from maillage.core.audit import log_action
from maillage.core.geography import resolve_postal_code
from maillage.core.models import Organisation, User
from maillage.taxonomy.models import Category, VersionStatus
from maillage.taxonomy.queries import mapping_between, published_version

IDENTITY_FIELDS = ("first_name", "last_name", "phone", "email", "address")
CODED_FIELDS = (
    "birth_year",
    "age_band",
    "sex",
    "postal_code",
    "household",
    "children",
    "income_source",
    "nationality_group",
    "language",
)


def retention_years() -> int:
    return int(getattr(settings, "MAILLAGE_CASEWORK_RETENTION_YEARS", 5))


def set_store_identities(actor: User, organisation: Organisation, store: bool) -> CaseworkSettings:
    with transaction.atomic():
        centre, _created = CaseworkSettings.objects.get_or_create(organisation=organisation)
        centre.store_identities = store
        centre.save(update_fields=["store_identities"])
        log_action(actor, "casework.settings.changed", organisation, {"store_identities": store})
    return centre


def set_worker_subsidy(actor: User, organisation: Organisation, worker: User, subsidy_id: int | None) -> None:
    with transaction.atomic():
        if subsidy_id is None:
            WorkerSubsidy.objects.filter(organisation=organisation, worker=worker).delete()
        else:
            WorkerSubsidy.objects.update_or_create(
                organisation=organisation, worker=worker, defaults={"subsidy_id": subsidy_id}
            )
        log_action(actor, "casework.worker_subsidy.changed", organisation, {"worker": worker.pk, "subsidy": subsidy_id})


# Persons ------------------------------------------------------------------------------------------------


def _next_reference(organisation: Organisation) -> str:
    count = Person.objects.filter(organisation=organisation).count() + 1
    while Person.objects.filter(organisation=organisation, reference=f"P-{count:06d}").exists():
        count += 1
    return f"P-{count:06d}"


def clean_person_data(data: Mapping[str, Any], today: datetime.date | None = None) -> dict[str, Any]:
    """Check coded data; errors name their field so forms show them next to it."""
    today = today or timezone.localdate()
    cleaned = dict(data)
    errors: dict[str, list[str]] = {}
    birth_year = cleaned.get("birth_year")
    if birth_year is not None:
        if birth_year > today.year:
            errors.setdefault("birth_year", []).append(
                _("The year of birth %(year)s is in the future.") % {"year": birth_year}
            )
        elif birth_year < today.year - 120:
            errors.setdefault("birth_year", []).append(
                _("The year of birth %(year)s is too far back.") % {"year": birth_year}
            )
        else:
            cleaned["age_band"] = age_band_for(birth_year, today.year)
    postal = (cleaned.get("postal_code") or "").strip()
    cleaned["postal_code"] = postal
    cleaned["commune"] = None
    if postal:
        try:
            cleaned["commune"] = resolve_postal_code(postal).commune
        except ValidationError as error:
            errors.setdefault("postal_code", []).extend(error.messages)
    if errors:
        raise ValidationError(errors)
    return cleaned


def similar_persons(
    organisation: Organisation, data: Mapping[str, Any], exclude: Person | None = None
) -> QuerySet[Person]:
    """Possible duplicates: same birth year, sex and postal code (and a close name when names are stored)."""
    if not data.get("birth_year") or not data.get("postal_code"):
        return Person.objects.none()
    persons = Person.objects.filter(
        organisation=organisation,
        birth_year=data["birth_year"],
        sex=data.get("sex"),
        postal_code=data["postal_code"],
        erased_at__isnull=True,
    )
    if exclude is not None:
        persons = persons.exclude(pk=exclude.pk)
    last_name = (data.get("last_name") or "").strip()
    if last_name:
        close = Q(last_name__iexact=last_name) | Q(last_name__istartswith=last_name[:4]) | Q(last_name="")
        persons = persons.filter(close)
    return persons


def create_person(
    actor: User,
    organisation: Organisation,
    data: Mapping[str, Any],
    *,
    opened_on: datetime.date | None = None,
    source_id: str = "",
) -> CaseFile:
    """A new person and their case file in this centre, the actor in charge."""
    cleaned = clean_person_data(data)
    store = CaseworkSettings.objects.filter(organisation=organisation, store_identities=True).exists()
    values = {key: cleaned.get(key) for key in CODED_FIELDS if key in cleaned}
    values = {key: value for key, value in values.items() if value is not None}
    if store:
        values.update({key: (cleaned.get(key) or "").strip() for key in IDENTITY_FIELDS})
    with transaction.atomic():
        person = Person.objects.create(
            organisation=organisation,
            reference=_next_reference(organisation),
            commune=cleaned.get("commune"),
            source_id=source_id,
            **values,
        )
        case_file = CaseFile.objects.create(
            organisation=organisation, person=person, opened_on=opened_on or timezone.localdate()
        )
        case_file.workers.add(actor)
        log_action(actor, "casework.person.created", person)
        log_action(actor, "casework.casefile.opened", case_file)
    return case_file


def update_person(actor: User, person: Person, data: Mapping[str, Any]) -> Person:
    cleaned = clean_person_data(data)
    fields = [key for key in CODED_FIELDS if key in cleaned]
    for key in fields:
        setattr(person, key, cleaned[key])
    person.commune = cleaned.get("commune")
    fields.append("commune")
    if CaseworkSettings.objects.filter(organisation_id=person.organisation_id, store_identities=True).exists():
        for key in IDENTITY_FIELDS:
            if key in cleaned:
                setattr(person, key, (cleaned[key] or "").strip())
                fields.append(key)
    with rollups.persons_changing([person.pk]):
        person.save(update_fields=fields)
        log_action(actor, "casework.person.updated", person, {"fields": sorted(set(fields) - set(IDENTITY_FIELDS))})
    return person


# Case files ---------------------------------------------------------------------------------------------


def record_case_file_viewed(actor: User, case_file: CaseFile) -> None:
    log_action(actor, "casework.casefile.viewed", case_file)


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


# Follow-ups ---------------------------------------------------------------------------------------------


def current_category(category: Category, axis: str) -> Category:
    """The category to record now: itself if its version is in force, else its mapped successor."""
    scheme = AXES[axis]
    if category.version.scheme.code != scheme:
        raise ValidationError(_("%(code)s is not a category of this axis.") % {"code": category.code})
    if category.version.status == VersionStatus.PUBLISHED:
        return category
    current = published_version(scheme)
    if category.version.status == VersionStatus.RETIRED and current is not None:
        try:
            mapped_code = mapping_between(category.version, current).get(category.code)
        except ValueError:
            mapped_code = None
        if mapped_code:
            mapped = Category.objects.filter(version=current, code=mapped_code).first()
            if mapped is not None:
                return mapped
    raise ValidationError(
        _("%(code)s belongs to a retired version of the categories and has no equivalent in the version in force.")
        % {"code": category.code}
    )


@dataclass
class RequestData:
    theme: Category
    institution: Category | None = None
    stage: Category | None = None
    is_open: bool = True


@dataclass
class FollowUpData:
    date: datetime.date
    mode: str
    worker: User
    duration: int | None = None
    subsidy_id: int | None = None
    actions: list[str] = field(default_factory=list)
    referred_to: str = ""
    referred_service_id: int | None = None
    aid_amount: Decimal | None = None
    note: str = ""
    source_id: str = ""


def clean_follow_up(case_file: CaseFile, data: FollowUpData, requests: list[RequestData]) -> list[RequestData]:
    errors: dict[str, list[str]] = {}
    if data.date < case_file.opened_on:
        errors["date"] = [
            _("The follow-up is dated before its case file opened (%(date)s).")
            % {"date": case_file.opened_on.strftime("%d/%m/%Y")}
        ]
    elif data.date > timezone.localdate():
        errors["date"] = [_("The follow-up date is in the future.")]
    if not requests:
        errors.setdefault("__all__", []).append(_("Code at least one request."))
    cleaned: list[RequestData] = []
    for request in requests:
        try:
            cleaned.append(
                RequestData(
                    theme=current_category(request.theme, "theme"),
                    institution=current_category(request.institution, "institution") if request.institution else None,
                    stage=current_category(request.stage, "stage") if request.stage else None,
                    is_open=request.is_open,
                )
            )
        except ValidationError as error:
            errors.setdefault("__all__", []).extend(error.messages)
    if errors:
        raise ValidationError(errors)
    return cleaned


def create_requests(follow_up: FollowUp, requests: list[RequestData]) -> None:
    """Write a follow-up's coded requests (the caller holds the transaction)."""
    Request.objects.bulk_create(
        Request(
            follow_up=follow_up,
            organisation_id=follow_up.organisation_id,
            date=follow_up.date,
            theme=request.theme,
            institution=request.institution,
            stage=request.stage,
            is_open=request.is_open,
        )
        for request in requests
    )


def record_follow_up(actor: User, case_file: CaseFile, data: FollowUpData, requests: list[RequestData]) -> FollowUp:
    """A follow-up with its coded requests, all or nothing."""
    cleaned = clean_follow_up(case_file, data, requests)
    person = case_file.person
    if data.subsidy_id is None:  # by default, the subsidy that funds the worker's post
        data.subsidy_id = (
            WorkerSubsidy.objects.filter(organisation_id=case_file.organisation_id, worker=data.worker)
            .values_list("subsidy_id", flat=True)
            .first()
        )
    with rollups.persons_changing([case_file.person_id]):
        follow_up = FollowUp.objects.create(
            organisation_id=case_file.organisation_id,
            case_file=case_file,
            person_id=case_file.person_id,
            date=data.date,
            mode=data.mode,
            duration=data.duration,
            worker=data.worker,
            subsidy_id=data.subsidy_id,
            age_band=age_band_for(person.birth_year, data.date.year) if person.birth_year else person.age_band,
            actions=list(data.actions),
            referred_to=data.referred_to,
            referred_service_id=data.referred_service_id,
            aid_amount=data.aid_amount,
            note=data.note,
            source_id=data.source_id,
        )
        create_requests(follow_up, cleaned)
        log_action(
            actor,
            "casework.followup.created",
            follow_up,
            {"requests": len(cleaned)},
            organisation=case_file.organisation,
        )
    return follow_up


# Data subjects: export, erasure, retention --------------------------------------------------------------


def _category_code(category: Category | None) -> str | None:
    return f"{category.version.scheme.code}:{category.code}" if category is not None else None


def export_person(actor: User, person: Person) -> dict[str, Any]:
    """Everything held on a person (data-subject access), as plain data."""
    files = person.case_files.prefetch_related("workers")
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
                        "note": f.note,
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
    log_action(actor, "casework.person.exported", person)
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


# Collective activities ----------------------------------------------------------------------------------


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
