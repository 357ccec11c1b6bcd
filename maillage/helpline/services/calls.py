"""Logging and correcting calls, reading their comments, closing callbacks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.core.audit import log_action
from maillage.core.geography import cached_postal_location
from maillage.core.models import Organisation, User
from maillage.helpline.models import (
    ACTIONS_WITH_SERVICE,
    Action,
    Call,
    Callback,
    CallbackOutcome,
    CallerArea,
    CallerSex,
    CallerType,
    HeardVia,
    LineLanguage,
    Request,
    UnmetReason,
    Urgency,
)
from maillage.helpline.queries import can_edit_call, current_shift_id, responder_line_ids, staff_line_ids
from maillage.helpline.referrals import NO_SERVICE_PREFIX
from maillage.helpline.services.categories import find_category, find_service, version_in_force
from maillage.taxonomy.models import Category

MAX_DURATION_MINUTES = 600
DEFAULT_CALLBACK_DELAY = timedelta(days=1)


# ---------------------------------------------------------------------------------------------
# Logging and correcting calls


@dataclass
class CleanRequest:
    category: Category
    note: str
    action: str
    service: Any = None
    callback_at: datetime | None = None
    unmet_reason: str = ""


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
    reference: Any = None


def check_duration(raw: Any, errors: dict[str, list[str]]) -> int | None:
    """A call's duration in whole minutes (the form's and the journal import's rule), or None with the reason
    under "duration_minutes" in errors."""
    try:
        duration = int(raw) if raw not in (None, "") else None
    except (TypeError, ValueError):
        errors["duration_minutes"] = [_("The duration is a whole number of minutes.")]
        return None
    if duration is None:
        errors["duration_minutes"] = [_("Give the duration of the call in minutes.")]
    elif duration < 0:
        errors["duration_minutes"] = [_("A duration cannot be negative (%(value)s minutes).") % {"value": duration}]
    elif duration > MAX_DURATION_MINUTES:
        errors["duration_minutes"] = [_("A call lasts at most %(max)s minutes.") % {"max": MAX_DURATION_MINUTES}]
    else:
        return duration
    return None


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
    duration = check_duration(data.get("duration_minutes"), errors)
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
    version = version_in_force() if raw_requests else None
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
            action = ""
        service = None
        service_value = raw.get("service")
        unmet_reason = str(raw.get("unmet_reason") or "").strip()
        if isinstance(service_value, str) and service_value.startswith(NO_SERVICE_PREFIX):
            unmet_reason, service_value = service_value[len(NO_SERVICE_PREFIX) :], None
        if unmet_reason and unmet_reason not in UnmetReason.values:
            errors[prefix + "service"] = [_("Choose one of the options.")]
        elif unmet_reason and action in ACTIONS_WITH_SERVICE:
            errors[prefix + "service"] = [
                _("A referral needs a service; when none suits, choose the action “No suitable service”.")
            ]
        elif unmet_reason and not action:
            action = Action.NO_SERVICE
            errors.pop(prefix + "action", None)
        elif action == Action.NO_SERVICE and not unmet_reason:
            errors[prefix + "service"] = [_("Say why no service suits: choose the reason in the list of services.")]
        if service_value not in (None, ""):
            try:
                service = find_service(service_value)
            except ValidationError as error:
                errors[prefix + "service"] = list(error.messages)
        elif action in ACTIONS_WITH_SERVICE and require_service and not unmet_reason:
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
                    unmet_reason=unmet_reason if action == Action.NO_SERVICE else "",
                )
            )
    reference = None
    reference_text = str(data.get("reference") or "").strip()
    if reference_text:
        from maillage.helpline.services.references import find_reference

        try:
            reference = find_reference(organisation, reference_text)
        except ValidationError as error:
            errors["reference"] = list(error.messages)
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
        reference=reference,
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
            unmet_reason=clean.unmet_reason,
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
            "unmet_reason": clean.unmet_reason,
        }
        for clean in requests
    ]


def log_call(responder: User, data: Mapping[str, Any] | CleanCall, *, organisation: Organisation | None = None) -> Call:
    """Record a call and all its requests in one transaction; nothing is saved if anything is wrong.

    The call form hands over the CleanCall its clean() obtained from clean_call_data (validated once);
    other callers (imports, tests, the shell) hand raw data, checked here by the same function.
    """
    if isinstance(data, CleanCall):
        line = line_for_responder(responder, organisation or data.organisation)
        if line.pk != data.organisation.pk:
            raise PermissionError("Not a responder of this line.")
        clean = data
    else:
        line = line_for_responder(responder, organisation or data.get("organisation"))
        clean = clean_call_data(line, data)
    now = timezone.now()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            call = _insert_call_postgresql(responder, line, clean, now)
        else:
            call = Call.objects.create(
                **_call_values(responder, line, clean, now),
                shift_id=current_shift_id(responder, line.pk, clean.started_at),
            )
            _write_requests(call, clean.requests)
        log_action(responder, "helpline.call.logged", call, {"requests": _request_summary(clean.requests)})
    return call


def _call_values(responder: User, line: Organisation, clean: CleanCall, now: datetime) -> dict[str, Any]:
    return {
        "organisation": line,
        "responder": responder,
        "started_at": clean.started_at,
        "duration_minutes": clean.duration_minutes,
        "language": clean.language,
        "caller_sex": clean.caller_sex,
        "caller_area": clean.caller_area,
        "postal_code": clean.postal_code,
        "commune": clean.commune,
        "caller_type": clean.caller_type,
        "heard_via": clean.heard_via,
        "urgency": clean.urgency,
        "comment": clean.comment,
        "reference": clean.reference,
        "created_at": now,
        "updated_at": now,
    }


# The rows the ORM path writes (Call.objects.create with current_shift_id, _write_requests), in one
# statement: a call is logged many times a minute and each round trip and ORM query cost CPU. The shift
# is chosen as current_shift_id chooses it: the user's own first, then the earliest.
_INSERT_CALL = """WITH chosen_shift AS (
    SELECT s.id FROM "helpline_shift" s
    LEFT JOIN "helpline_shift_responders" r ON r.shift_id = s.id AND r.user_id = %(responder)s
    WHERE s.organisation_id = %(line)s AND s.starts_at <= %(started)s AND s.ends_at > %(started)s
    ORDER BY r.user_id IS NULL, s.starts_at, s.id LIMIT 1
), new_call AS (
    INSERT INTO "helpline_call" (
        organisation_id, responder_id, shift_id, started_at, duration_minutes, language, caller_sex, caller_area,
        postal_code, commune_id, caller_type, heard_via, urgency, comment, comment_erased_at, reference_id,
        external_ref, created_at, updated_at
    ) VALUES (
        %(line)s, %(responder)s, (SELECT id FROM chosen_shift), %(started)s, %(duration)s, %(language)s,
        %(caller_sex)s, %(caller_area)s, %(postal_code)s, %(commune)s, %(caller_type)s, %(heard_via)s,
        %(urgency)s, %(comment)s, NULL, %(reference)s, '', %(now)s, %(now)s
    ) RETURNING id, shift_id
), new_requests AS (
    INSERT INTO "helpline_request" (
        organisation_id, call_id, position, category_id, theme_id, note, action, service_id, unmet_reason, started_at
    )
    SELECT %(line)s, new_call.id, r.position, r.category_id, r.theme_id, r.note, r.action, r.service_id,
        r.unmet_reason, %(started)s
    FROM new_call, UNNEST(
        %(positions)s::smallint[], %(categories)s::bigint[], %(themes)s::bigint[], %(notes)s::varchar[],
        %(actions)s::varchar[], %(services)s::bigint[], %(unmet)s::varchar[]
    ) WITH ORDINALITY AS r(position, category_id, theme_id, note, action, service_id, unmet_reason, n)
    ORDER BY r.n
    RETURNING id, position
), new_callbacks AS (
    INSERT INTO "helpline_callback" (organisation_id, request_id, due_at, done_at, done_by_id, outcome, outcome_note)
    SELECT %(line)s, new_requests.id, c.due_at, NULL, NULL, '', ''
    FROM new_requests JOIN UNNEST(%(callback_positions)s::smallint[], %(callback_due)s::timestamptz[])
        AS c(position, due_at) ON c.position = new_requests.position
)
SELECT id, shift_id FROM new_call
"""


def _insert_call_postgresql(responder: User, line: Organisation, clean: CleanCall, now: datetime) -> Call:
    """The call, its requests and their callbacks as the ORM path writes them, in one statement (PostgreSQL);
    the Call returned as Call.objects.create returns it."""
    requests = clean.requests
    callbacks = [
        (position, item.callback_at)
        for position, item in enumerate(requests)
        if item.action == Action.CALLBACK and item.callback_at is not None
    ]
    values = _call_values(responder, line, clean, now)
    params = {
        "responder": responder.pk,
        "line": line.pk,
        "started": clean.started_at,
        "duration": clean.duration_minutes,
        "language": clean.language,
        "caller_sex": clean.caller_sex,
        "caller_area": clean.caller_area,
        "postal_code": clean.postal_code,
        "commune": getattr(clean.commune, "pk", None),
        "caller_type": clean.caller_type,
        "heard_via": clean.heard_via,
        "urgency": clean.urgency,
        "comment": clean.comment,
        "reference": getattr(clean.reference, "pk", None),
        "now": now,
        "positions": list(range(len(requests))),
        "categories": [item.category.pk for item in requests],
        "themes": [item.category.top.pk for item in requests],
        "notes": [item.note for item in requests],
        "actions": [item.action for item in requests],
        "services": [getattr(item.service, "pk", None) for item in requests],
        "unmet": [item.unmet_reason for item in requests],
        "callback_positions": [position for position, _due in callbacks],
        "callback_due": [due for _position, due in callbacks],
    }
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_CALL, params)
        call_id, shift_id = cursor.fetchone()
    call = Call(pk=call_id, shift_id=shift_id, **values)
    call._state.adding = False
    call._state.db = connection.alias
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


def update_call(actor: User, call: Call, data: Mapping[str, Any] | CleanCall) -> Call:
    """Correct a call: its own responder within 24 hours, staff of the line at any time."""
    if not can_edit_call(actor, call):
        raise PermissionError("This call can no longer be changed by this person.")
    clean = data if isinstance(data, CleanCall) else clean_call_data(call.organisation, data)
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
                CleanRequest(r.category, r.note, r.action, r.service, unmet_reason=r.unmet_reason)
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
        elif "started_at" in changed:
            # The requests keep a copy of the call's start, which the reports filter on.
            call.requests.update(started_at=call.started_at)
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
