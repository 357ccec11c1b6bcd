"""Follow-ups and their coded requests, all or nothing."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.casework import rollups
from maillage.casework.models import (
    AXES,
    CaseFile,
    FollowUp,
    Request,
    WorkerSubsidy,
    age_band_for,
)
from maillage.core.audit import log_action
from maillage.core.models import User
from maillage.taxonomy.models import Category, VersionStatus
from maillage.taxonomy.queries import mapping_between, published_version


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


# A follow-up like one saved this recently is taken for "Save" pressed again, unless confirmed.
SAME_FOLLOW_UP_WINDOW = datetime.timedelta(minutes=15)


def _same_follow_up_just_saved(case_file: CaseFile, data: FollowUpData, requests: list[RequestData]) -> bool:
    """The same worker, date, mode and themes for this case file a moment ago (the form saved again)."""
    themes = sorted(request.theme.pk for request in requests)
    recent = FollowUp.objects.filter(
        case_file=case_file,
        date=data.date,
        mode=data.mode,
        worker=data.worker,
        created_at__gte=timezone.now() - SAME_FOLLOW_UP_WINDOW,
    ).prefetch_related("requests")
    return any(sorted(request.theme_id for request in follow_up.requests.all()) == themes for follow_up in recent)


def record_follow_up(
    actor: User,
    case_file: CaseFile,
    data: FollowUpData,
    requests: list[RequestData],
    *,
    allow_same: bool = False,
) -> FollowUp:
    """A follow-up with its coded requests, all or nothing.

    Unless `allow_same`, a follow-up identical to one saved minutes ago is refused (field `confirm_same`),
    checked inside the writing transaction: the encoding form offered again after saving must not make a
    second one by a second press.
    """
    cleaned = clean_follow_up(case_file, data, requests)
    person = case_file.person
    if data.subsidy_id is None:  # by default, the subsidy that funds the worker's post
        data.subsidy_id = (
            WorkerSubsidy.objects.filter(organisation_id=case_file.organisation_id, worker=data.worker)
            .values_list("subsidy_id", flat=True)
            .first()
        )
    with rollups.persons_changing([case_file.person_id]):
        if not allow_same and _same_follow_up_just_saved(case_file, data, cleaned):
            raise ValidationError(
                {
                    "confirm_same": _(
                        "A follow-up of %(date)s with the same requests was saved a moment ago for this person. "
                        "Tick the box to save another one."
                    )
                    % {"date": data.date.strftime("%d/%m/%Y")}
                }
            )
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
