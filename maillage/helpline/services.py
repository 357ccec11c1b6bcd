"""Every change of state of the helpline: one function each, owning its transaction and audit entry."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.core.audit import log_action
from maillage.core.geography import cached_postal_location
from maillage.core.models import Organisation, Role, User
from maillage.helpline.models import (
    ACTIONS_WITH_SERVICE,
    REQUEST_SCHEME,
    Action,
    Call,
    Callback,
    CallbackOutcome,
    CallerArea,
    CallerSex,
    CallerType,
    HeardVia,
    LineLanguage,
    OpeningHours,
    Request,
    Shift,
    ShiftDebriefing,
    Urgency,
    WeeklyNote,
)
from maillage.helpline.queries import can_edit_call, current_shift_id, responder_line_ids, staff_line_ids
from maillage.taxonomy.models import Category, SchemeVersion, VersionStatus
from maillage.taxonomy.queries import published_version

MAX_DURATION_MINUTES = 600
DEFAULT_CALLBACK_DELAY = timedelta(days=1)


def comment_retention_days() -> int:
    return int(getattr(settings, "MAILLAGE_HELPLINE_COMMENT_RETENTION_DAYS", 365))


# ---------------------------------------------------------------------------------------------
# Categories and services named in a call


@dataclass(frozen=True)
class _CategoryIndex:
    """The categories of one published version by code and by label, as find_category looks them up."""

    key: tuple[int, datetime | None]
    by_code: dict[str, Category]
    by_code_upper: dict[str, Category]
    by_label_upper: tuple[dict[str, Category], ...]  # FR, NL, EN: the order find_category tries them


# One per process. A published version never changes (taxonomy services refuse to edit a frozen
# version), so the index is good for as long as that version is the one in force; the key names
# the version, and the version in force is read from the database on every call (one query), so a
# newly published version is seen by every process at once. Saving or deleting a version or a
# category in this process also drops it (tests, shell edits): see HelplineConfig.ready.
_category_index: _CategoryIndex | None = None


def forget_category_index(**_signal: Any) -> None:
    global _category_index
    _category_index = None


def _categories_of(version: SchemeVersion) -> _CategoryIndex:
    global _category_index
    key = (version.pk, version.published_at)
    index = _category_index
    if index is not None and index.key == key:
        return index
    by_code: dict[str, Category] = {}
    by_code_upper: dict[str, Category] = {}
    by_label_upper: tuple[dict[str, Category], ...] = ({}, {}, {})
    for category in Category.objects.select_related("parent").filter(version=version).order_by("position", "code"):
        category.version = version
        by_code[category.code] = category
        by_code_upper.setdefault(category.code.upper(), category)
        for labels, label in zip(
            by_label_upper, (category.label_fr, category.label_nl, category.label_en), strict=True
        ):
            labels.setdefault(label.upper(), category)
    index = _CategoryIndex(key, by_code, by_code_upper, by_label_upper)
    _category_index = index
    return index


def _lookup_category(version: SchemeVersion, text: str, code: str) -> Category | None:
    """By exact code, then code in any case, then a label (FR, NL, EN) in any case."""
    if version.status == VersionStatus.PUBLISHED:
        index = _categories_of(version)
        found = index.by_code.get(code) or index.by_code_upper.get(code.upper())
        if found is None:
            wanted = text.upper()
            found = next((labels[wanted] for labels in index.by_label_upper if wanted in labels), None)
        return found
    return (
        Category.objects.select_related("parent").filter(version=version, code=code).first()
        or Category.objects.select_related("parent").filter(version=version, code__iexact=code).first()
        or Category.objects.filter(version=version).filter(label_fr__iexact=text).first()
        or Category.objects.filter(version=version, label_nl__iexact=text).first()
        or Category.objects.filter(version=version, label_en__iexact=text).first()
    )


def find_category(value: object, version: SchemeVersion | None = None) -> Category:
    """The category in force for a code, a label (FR/NL/EN), an id or a Category; refuses retired ones."""
    version = version or published_version(REQUEST_SCHEME)
    if version is None:
        raise ValidationError(_("No version of the request themes is published yet."), code="no_scheme")
    category: Category | None
    if isinstance(value, Category):
        category = value
    elif isinstance(value, int):
        category = Category.objects.select_related("version").filter(pk=value).first()
    else:
        text = str(value or "").strip()
        if not text:
            raise ValidationError(_("Choose the category of the request."), code="required")
        # The autocomplete fills "CODE — label"; the code alone is enough.
        code = text.split(" — ")[0].split()[0]
        category = _lookup_category(version, text, code)
        if category is None:
            old = Category.objects.filter(version__scheme__code=REQUEST_SCHEME, code__iexact=code).exists()
            if old:
                raise ValidationError(
                    _("%(value)s belongs to a retired version of the request themes; choose a current category.")
                    % {"value": text},
                    code="retired_category",
                )
            raise ValidationError(
                _("%(value)s is not a category of the request themes.") % {"value": text}, code="unknown_category"
            )
    if category is None:
        raise ValidationError(_("This category does not exist."), code="unknown_category")
    if category.version_id != version.pk or not category.is_active:
        if category.version.scheme_id != version.scheme_id:
            raise ValidationError(
                _("%(code)s is not a category of the request themes.") % {"code": category.code},
                code="unknown_category",
            )
        if category.version.status == VersionStatus.RETIRED or category.version_id != version.pk:
            raise ValidationError(
                _("%(code)s belongs to a retired version of the request themes; choose a current category.")
                % {"code": category.code},
                code="retired_category",
            )
        raise ValidationError(
            _("%(code)s is no longer in use; choose a current category.") % {"code": category.code},
            code="retired_category",
        )
    return category


def find_service(value: object) -> Any:
    """The directory service a referral points at (an id or a Service)."""
    from maillage.directory.models import Service, ServiceStatus

    if isinstance(value, Service):
        return value
    try:
        service_id = int(str(value).strip())
    except (TypeError, ValueError):
        service_id = None
    service = None
    if service_id:
        # A referral keeps only the service's id; its names suffice to show it (a full row is wide).
        published = Service.objects.filter(pk=service_id, status=ServiceStatus.PUBLISHED)
        service = published.only("id", "name_fr", "name_nl").first()
    if service is None:
        raise ValidationError(_("This service does not exist in the directory."), code="unknown_service")
    return service


# ---------------------------------------------------------------------------------------------
# Logging and correcting calls


@dataclass
class CleanRequest:
    category: Category
    note: str
    action: str
    service: Any = None
    callback_at: datetime | None = None


@dataclass
class CleanCall:
    organisation: Organisation
    started_at: datetime
    duration_minutes: int
    language: str
    caller_sex: str
    caller_area: str
    postal_code: str
    commune: Any
    caller_type: str
    heard_via: str
    urgency: str
    comment: str
    requests: list[CleanRequest] = field(default_factory=list)


def _choice(
    data: Mapping[str, Any],
    key: str,
    choices: Iterable[str],
    errors: dict[str, list[str]],
    *,
    blank_ok: bool = False,
    default: str | None = None,
) -> str:
    value = str(data.get(key) or default or "").strip()
    if not value and blank_ok:
        return ""
    if value not in set(choices):
        errors.setdefault(key, []).append(_("Choose one of the options."))
    return value


def clean_call_data(organisation: Organisation, data: Mapping[str, Any], *, require_service: bool = True) -> CleanCall:
    """Check everything a call carries; one ValidationError naming every bad field.

    Keys of the error: call fields by name, "requests" for the list as a whole, and
    "requests-<i>-<field>" for a field of the i-th request (the formset's own names).
    """
    errors: dict[str, list[str]] = {}
    started_at = data.get("started_at") or timezone.now()
    if isinstance(started_at, datetime) and timezone.is_naive(started_at):
        started_at = timezone.make_aware(started_at)
    if not isinstance(started_at, datetime):
        errors["started_at"] = [_("Give the date and time the call started.")]
        started_at = timezone.now()
    elif started_at > timezone.now() + timedelta(minutes=5):
        errors["started_at"] = [_("The call cannot start in the future.")]
    raw_duration: Any = data.get("duration_minutes")
    duration: int | None = None
    try:
        duration = int(raw_duration) if raw_duration not in (None, "") else None
    except (TypeError, ValueError):
        duration = None
        errors["duration_minutes"] = [_("The duration is a whole number of minutes.")]
    if duration is None and "duration_minutes" not in errors:
        errors["duration_minutes"] = [_("Give the duration of the call in minutes.")]
    elif duration is not None and duration < 0:
        errors["duration_minutes"] = [_("A duration cannot be negative (%(value)s minutes).") % {"value": duration}]
    elif duration is not None and duration > MAX_DURATION_MINUTES:
        errors["duration_minutes"] = [_("A call lasts at most %(max)s minutes.") % {"max": MAX_DURATION_MINUTES}]
    language = _choice(data, "language", LineLanguage.values, errors)
    caller_sex = _choice(data, "caller_sex", CallerSex.values, errors, default=CallerSex.UNKNOWN)
    caller_type = _choice(data, "caller_type", CallerType.values, errors)
    heard_via = _choice(data, "heard_via", HeardVia.values, errors, blank_ok=True)
    urgency = _choice(data, "urgency", Urgency.values, errors, default=Urgency.LOW)
    postal_code = str(data.get("postal_code") or "").strip()
    caller_area = str(data.get("caller_area") or "").strip()
    commune = None
    if postal_code:
        try:
            location = cached_postal_location(postal_code)
        except ValidationError as error:
            errors["postal_code"] = list(error.messages)
        else:
            commune = location.commune
            caller_area = CallerArea.BRUSSELS if location.in_brussels else CallerArea.OUTSIDE
    elif caller_area == CallerArea.BRUSSELS:
        errors["postal_code"] = [_("Give the Brussels postal code, or choose unknown.")]
    elif caller_area not in (CallerArea.OUTSIDE, CallerArea.UNKNOWN):
        caller_area = CallerArea.UNKNOWN
    comment = str(data.get("comment") or "").strip()

    requests: list[CleanRequest] = []
    raw_requests: Sequence[Mapping[str, Any]] = list(data.get("requests") or [])
    if not raw_requests:
        errors["requests"] = [_("A call carries at least one request.")]
    version = published_version(REQUEST_SCHEME) if raw_requests else None
    for index, raw in enumerate(raw_requests):
        prefix = f"requests-{index}-"
        category = None
        try:
            category = find_category(raw.get("category"), version)
        except ValidationError as error:
            errors[prefix + "category"] = list(error.messages)
        action = str(raw.get("action") or "").strip()
        if action not in Action.values:
            errors[prefix + "action"] = [_("Say what you did for this request.")]
        service = None
        service_value = raw.get("service")
        if service_value not in (None, ""):
            try:
                service = find_service(service_value)
            except ValidationError as error:
                errors[prefix + "service"] = list(error.messages)
        elif action in ACTIONS_WITH_SERVICE and require_service:
            errors[prefix + "service"] = [_("Choose the service you referred the caller to.")]
        callback_at = raw.get("callback_at") or None
        if isinstance(callback_at, datetime) and timezone.is_naive(callback_at):
            callback_at = timezone.make_aware(callback_at)
        if action == Action.CALLBACK and callback_at is None and isinstance(started_at, datetime):
            callback_at = started_at + DEFAULT_CALLBACK_DELAY
        if category is not None and action in Action.values:
            requests.append(
                CleanRequest(
                    category=category,
                    note=str(raw.get("note") or "").strip()[:300],
                    action=action,
                    service=service if action in ACTIONS_WITH_SERVICE or service else None,
                    callback_at=callback_at if action == Action.CALLBACK else None,
                )
            )
    if errors:
        raise ValidationError(
            {key: [ValidationError(message) for message in messages] for key, messages in errors.items()}
        )
    assert isinstance(duration, int)
    return CleanCall(
        organisation=organisation,
        started_at=started_at,
        duration_minutes=duration,
        language=language,
        caller_sex=caller_sex,
        caller_area=caller_area,
        postal_code=postal_code,
        commune=commune,
        caller_type=caller_type,
        heard_via=heard_via,
        urgency=urgency,
        comment=comment,
        requests=requests,
    )


def line_for_responder(responder: User, organisation: Organisation | None = None) -> Organisation:
    """The line the responder logs for: the one given, or their only one."""
    ids = responder_line_ids(responder) | staff_line_ids(responder)
    if organisation is not None:
        if organisation.pk not in ids:
            raise PermissionError("Not a responder of this line.")
        return organisation
    if len(ids) != 1:
        raise ValidationError(_("Choose the line you answer for."), code="line")
    return Organisation.objects.get(pk=next(iter(ids)))


def _write_requests(call: Call, requests: list[CleanRequest]) -> list[Request]:
    rows = []
    for position, clean in enumerate(requests):
        request = Request(
            organisation=call.organisation,
            call=call,
            position=position,
            category=clean.category,
            theme=clean.category.top,
            note=clean.note,
            action=clean.action,
            started_at=call.started_at,
        )
        request.service = clean.service
        rows.append(request)
    Request.objects.bulk_create(rows)
    callbacks = [
        Callback(organisation=call.organisation, request=request, due_at=clean.callback_at)
        for request, clean in zip(rows, requests, strict=True)
        if clean.action == Action.CALLBACK and clean.callback_at is not None
    ]
    if callbacks:
        Callback.objects.bulk_create(callbacks)
    return rows


def _request_summary(requests: list[CleanRequest]) -> list[dict[str, Any]]:
    return [
        {
            "category": clean.category.code,
            "action": clean.action,
            "service": getattr(clean.service, "pk", None),
            "note": clean.note,
        }
        for clean in requests
    ]


def log_call(responder: User, data: Mapping[str, Any], *, organisation: Organisation | None = None) -> Call:
    """Record a call and all its requests in one transaction; nothing is saved if anything is wrong."""
    line = line_for_responder(responder, organisation or data.get("organisation"))
    clean = clean_call_data(line, data)
    now = timezone.now()
    with transaction.atomic():
        call = Call.objects.create(
            organisation=line,
            responder=responder,
            shift_id=current_shift_id(responder, line.pk, clean.started_at),
            started_at=clean.started_at,
            duration_minutes=clean.duration_minutes,
            language=clean.language,
            caller_sex=clean.caller_sex,
            caller_area=clean.caller_area,
            postal_code=clean.postal_code,
            commune=clean.commune,
            caller_type=clean.caller_type,
            heard_via=clean.heard_via,
            urgency=clean.urgency,
            comment=clean.comment,
            created_at=now,
            updated_at=now,
        )
        _write_requests(call, clean.requests)
        log_action(responder, "helpline.call.logged", call, {"requests": _request_summary(clean.requests)})
    return call


CALL_FIELDS = (
    "started_at",
    "duration_minutes",
    "language",
    "caller_sex",
    "caller_area",
    "postal_code",
    "commune",
    "caller_type",
    "heard_via",
    "urgency",
    "comment",
)


def update_call(actor: User, call: Call, data: Mapping[str, Any]) -> Call:
    """Correct a call: its own responder within 24 hours, staff of the line at any time."""
    if not can_edit_call(actor, call):
        raise PermissionError("This call can no longer be changed by this person.")
    clean = clean_call_data(call.organisation, data)
    with transaction.atomic():
        call = Call.objects.select_for_update().get(pk=call.pk)
        changed = []
        for name in CALL_FIELDS:
            new = getattr(clean, name)
            if getattr(call, name) != new:
                changed.append(name)
                setattr(call, name, new)
        old_requests = _request_summary(
            [
                CleanRequest(r.category, r.note, r.action, r.service)
                for r in call.requests.select_related("category").order_by("position", "id")
            ]
        )
        call.updated_at = timezone.now()
        call.save(update_fields=[*changed, "updated_at"])
        new_requests = _request_summary(clean.requests)
        if old_requests != new_requests:
            call.requests.all().delete()
            _write_requests(call, clean.requests)
            changed.append("requests")
        log_action(
            actor,
            "helpline.call.corrected",
            call,
            {"fields": changed, "requests_before": old_requests, "requests_after": new_requests},
        )
    return call


def record_call_read(actor: User, call: Call) -> None:
    """Audit one reading of a call's free comment (it may say more than it should)."""
    log_action(actor, "helpline.call.read", call)


def mark_callback_done(actor: User, callback: Callback, outcome: str, note: str = "") -> Callback:
    if outcome not in CallbackOutcome.values:
        raise ValidationError({"outcome": _("Choose the outcome of the callback.")})
    if callback.organisation_id not in responder_line_ids(actor) | staff_line_ids(actor):
        raise PermissionError("Not a responder of this line.")
    with transaction.atomic():
        callback.done_at = timezone.now()
        callback.done_by = actor
        callback.outcome = outcome
        callback.outcome_note = note.strip()[:300]
        callback.save(update_fields=["done_at", "done_by", "outcome", "outcome_note"])
        log_action(actor, "helpline.callback.done", callback, {"outcome": outcome})
    return callback


# ---------------------------------------------------------------------------------------------
# Shifts, opening hours, debriefings


def _require_staff(actor: User, organisation: Organisation) -> None:
    if organisation.pk not in staff_line_ids(actor):
        raise PermissionError("Only the staff of the line can do this.")


def create_shift(
    actor: User,
    organisation: Organisation,
    starts_at: datetime,
    ends_at: datetime,
    languages: Sequence[str],
    responders: Sequence[User],
) -> Shift:
    _require_staff(actor, organisation)
    errors: dict[str, str] = {}
    if ends_at <= starts_at:
        errors["ends_at"] = _("A shift ends after it starts.")
    unknown = [code for code in languages if code not in LineLanguage.values]
    if not languages or unknown:
        errors["languages"] = _("Choose at least one language of the line.")
    allowed = set(
        User.objects.filter(
            memberships__organisation=organisation, memberships__role=Role.RESPONDER, memberships__is_active=True
        ).values_list("pk", flat=True)
    )
    if any(person.pk not in allowed for person in responders):
        errors["responders"] = _("Only responders of the line can take a shift.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        shift = Shift.objects.create(
            organisation=organisation, starts_at=starts_at, ends_at=ends_at, languages=list(languages)
        )
        shift.responders.set(responders)
        log_action(actor, "helpline.shift.created", shift, {"responders": [p.pk for p in responders]})
    return shift


def set_opening_hours(
    actor: User, organisation: Organisation, valid_from: date, ranges: Sequence[tuple[int, time, time]]
) -> list[OpeningHours]:
    """Replace the hours in force from `valid_from` (earlier sets stay for the past)."""
    _require_staff(actor, organisation)
    for weekday, opens, closes in ranges:
        if not 0 <= weekday <= 6 or opens >= closes:
            raise ValidationError({"ranges": _("Each range opens before it closes, on a weekday.")})
    with transaction.atomic():
        OpeningHours.objects.filter(organisation=organisation, valid_from=valid_from).delete()
        rows = OpeningHours.objects.bulk_create(
            OpeningHours(organisation=organisation, valid_from=valid_from, weekday=w, opens=o, closes=c)
            for w, o, c in ranges
        )
        log_action(
            actor,
            "helpline.hours.set",
            organisation,
            {"valid_from": valid_from.isoformat(), "ranges": [[w, o.isoformat(), c.isoformat()] for w, o, c in ranges]},
        )
    return rows


def write_debriefing(actor: User, shift: Shift, **fields: Any) -> ShiftDebriefing:
    """A responder of the shift (or the line's staff) passes on what happened; one debriefing each, rewritable."""
    is_staff = shift.organisation_id in staff_line_ids(actor)
    took_it = shift.organisation_id in responder_line_ids(actor) and shift.responders.filter(pk=actor.pk).exists()
    if not (is_staff or took_it):
        raise PermissionError("Not a responder of this shift.")
    values = {
        "stood_out": str(fields.get("stood_out") or "").strip(),
        "difficult_situations": str(fields.get("difficult_situations") or "").strip(),
        "signals": str(fields.get("signals") or "").strip(),
        "calls_felt_heavy": bool(fields.get("calls_felt_heavy")),
    }
    if not any([values["stood_out"], values["difficult_situations"], values["signals"]]):
        raise ValidationError({"stood_out": _("Write at least one of the three parts.")})
    with transaction.atomic():
        debriefing, created = ShiftDebriefing.objects.update_or_create(
            shift=shift, author=actor, defaults={"organisation_id": shift.organisation_id, **values}
        )
        log_action(actor, "helpline.debriefing.written" if created else "helpline.debriefing.changed", debriefing)
    return debriefing


def write_weekly_note(actor: User, organisation: Organisation, week_start: date, text: str) -> WeeklyNote:
    _require_staff(actor, organisation)
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("The note is empty.")})
    monday = week_start - timedelta(days=week_start.weekday())
    with transaction.atomic():
        note, created = WeeklyNote.objects.update_or_create(
            organisation=organisation,
            week_start=monday,
            defaults={"text": text, "author": actor, "updated_at": timezone.now()},
        )
        log_action(actor, "helpline.weekly_note.written" if created else "helpline.weekly_note.changed", note)
    return note


# ---------------------------------------------------------------------------------------------
# Privacy


def purge_comments(days: int | None = None, now: datetime | None = None) -> int:
    """Erase free comments older than the retention period; the coded data stays. Idempotent."""
    days = comment_retention_days() if days is None else days
    now = now or timezone.now()
    cutoff = now - timedelta(days=days)
    with transaction.atomic():
        erased = (
            Call.objects.filter(started_at__lt=cutoff).exclude(comment="").update(comment="", comment_erased_at=now)
        )
        if erased:
            log_action(None, "helpline.comments.purged", None, {"calls": erased, "days": days})
    return erased
