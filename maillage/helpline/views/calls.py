"""Logging, correcting and reading calls; the pickers of the call form (htmx)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django_ratelimit import ALL
from django_ratelimit.core import is_ratelimited

from maillage.core import partitions
from maillage.core.forms import add_service_error
from maillage.core.http import AuthenticatedRequest
from maillage.core.models import Organisation, PostalCode
from maillage.core.parsing import (
    BadParameter,
    bad_parameters_answer_400,
    clean_query_text,
    parse_date,
    parse_int,
    parse_page,
)
from maillage.core.submission import Outcome, create_once, hidden_input, previous_result
from maillage.core.tenancy import get_object_for_user_or_404
from maillage.helpline import queries, referrals, services
from maillage.helpline.forms import (
    CallForm,
    RequestForm,
    RequestFormSet,
)
from maillage.helpline.models import REQUEST_SCHEME, Call, LineLanguage
from maillage.helpline.views._common import PAGE_SIZE, fragment, is_htmx, line_or_404
from maillage.taxonomy.queries import active_categories, search_categories

CALL_PURPOSE = "helpline.call"
CATEGORY_TEXT_MAX = referrals.CATEGORY_TEXT_MAX
MAX_ROWS = 20
REFERENCE_RATE = "20/h"


def _describe_call(call: Call) -> tuple[str, str]:
    """What a repeat of the form that saved this call answers (a double click, a resubmit, a second tab)."""
    return reverse("helpline:call_detail", args=[call.pk]), _("Call #%(id)s was already saved.") % {"id": call.pk}


@functools.lru_cache(maxsize=32)
def _blank_parts(language: str, call_language: str) -> dict[str, str]:
    """The next call's empty fields after its start time, and its one empty request row, as HTML: the same
    for every responder of one interface language and call language, with no token, key or time in them —
    rendered once per process (form widgets were most of a logged call's CPU)."""
    with translation.override(language):
        form = CallForm(initial={"language": call_language})
        formset = RequestFormSet(prefix="requests")
        _fill_service_choices({"language": call_language}, formset)
        return {
            "call_fields": render_to_string("helpline/_call_fields.html", {"form": form, "call": None}),
            "rows": render_to_string("helpline/_request_rows.html", {"formset": formset, "call": None}),
        }


@functools.lru_cache(maxsize=16)
def _started_at_field(language: str, time_zone: str, started_at: datetime) -> str:
    """The next call's start field for one start (now, to the minute) as HTML: rendered once a minute per
    process, so a saved call's answer builds no form."""
    with translation.override(language):
        form = CallForm(initial={"started_at": started_at})
        return render_to_string("helpline/_field.html", {"field": form["started_at"]})


def _blank_form(request: HttpRequest, line: Organisation, call_language: str, extra: dict[str, Any]) -> HttpResponse:
    """A fresh empty form for the next call, rendered for this request (its own CSRF token and submission key)
    around the parts that are the same for everyone (the start field: for everyone in the same minute)."""
    if call_language not in LineLanguage.values:
        call_language = LineLanguage.FR
    language = get_language() or settings.LANGUAGE_CODE
    started_at = timezone.localtime().replace(second=0, microsecond=0)  # as CallForm starts an unbound form
    context = {
        "line": line,
        "action_url": reverse("helpline:call_new"),
        "submission_key_slot": hidden_input(None),  # a new key: the next call is another submission
        "blank_parts": {
            **_blank_parts(language, call_language),
            "started_at": _started_at_field(language, timezone.get_current_timezone_name(), started_at),
        },
        **extra,
    }
    return fragment(request, "helpline/_call_form.html", context)


def _repeated(request: HttpRequest, line: Organisation, outcome: Outcome[Any]) -> HttpResponse:
    """The first submission's answer: through htmx a fresh form saying so, else a redirect to the call."""
    if not is_htmx(request):
        return outcome.redirect(request)
    extra = {"repeated_outcome": outcome} if outcome.message else {}
    return _blank_form(request, line, str(request.POST.get("language", "")), extra)


def _row_count(data: QueryDict) -> int:
    """The formset's declared number of rows, bounded; a value that is not a number counts as one row."""
    try:
        total = parse_int(str(data.get("requests-TOTAL_FORMS", "")), name="requests-TOTAL_FORMS", default=1)
    except BadParameter:
        total = 1
    return max(1, min(total or 1, MAX_ROWS))


def _fill_service_choices(values: Mapping[str, Any], formset: Any) -> None:
    """Every request's service picker from the form's raw values: the same function as the live picker."""
    for request_form in formset.forms:
        request_form.set_service_choices(referrals.picker_choices(values, request_form.prefix))


def _with_more_rows(data: QueryDict) -> QueryDict:
    data = data.copy()
    data["requests-TOTAL_FORMS"] = str(min(_row_count(data) + 1, MAX_ROWS))
    return data


def _unbound_copy(data: QueryDict) -> tuple[CallForm, Any]:
    """The same form, redrawn without complaining (adding a row, refreshing the proposed services)."""
    form = CallForm(initial={name: data.get(name, "") for name in CallForm.base_fields})
    rows = [
        {name: data.get(f"requests-{index}-{name}", "") for name in RequestForm.base_fields}
        for index in range(_row_count(data))
    ]
    formset = RequestFormSet(prefix="requests", initial=rows)
    formset.extra = 0
    return form, formset


def _call_initial(call: Call) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    initial = {
        "started_at": timezone.localtime(call.started_at),
        "duration_minutes": call.duration_minutes,
        "language": call.language,
        "caller_sex": call.caller_sex,
        "postal_code": call.postal_code,
        "caller_area": "" if call.postal_code else call.caller_area,
        "caller_type": call.caller_type,
        "heard_via": call.heard_via,
        "urgency": call.urgency,
        "comment": call.comment,
    }
    rows = []
    for item in call.requests.all():
        callback = getattr(item, "callback", None)
        service: Any = getattr(item, "service_id", None)
        if item.unmet_reason:
            service = referrals.NO_SERVICE_PREFIX + item.unmet_reason
        rows.append(
            {
                "category": f"{item.category.code} — {item.category.label}",
                "note": item.note,
                "action": item.action,
                "service": service,
                "callback_at": timezone.localtime(callback.due_at) if callback else None,
            }
        )
    return initial, rows


def _initial_values(initial: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The initial values of a call being corrected, named as the form posts them."""
    values = dict(initial)
    for index, row in enumerate(rows):
        for name, value in row.items():
            values[f"requests-{index}-{name}"] = "" if value is None else str(value)
    return values


def _reference_guessing(request: HttpRequest) -> bool:
    """Quoting references is rate-limited per responder: nobody tries codes until one matches."""
    return bool(
        is_ratelimited(request, group="helpline.reference", key="user", rate=REFERENCE_RATE, method=ALL, increment=True)
    )


def _save(request: AuthenticatedRequest, line: Organisation, call: Call | None, form: CallForm) -> HttpResponse | None:
    """Write the call the form checked (form.clean_call); None when it cannot be (errors put on the form)."""
    try:
        if call is not None:
            saved = services.update_call(request.user, call, form.clean_call)
            messages.success(request, _("Call #%(id)s corrected.") % {"id": saved.pk})
            return redirect("helpline:call_detail", pk=saved.pk)
        outcome = create_once(
            request,
            CALL_PURPOSE,
            lambda: services.log_call(request.user, form.clean_call, organisation=line),
            _describe_call,
        )
    except ValidationError as error:  # the line could not be chosen
        add_service_error(form, error)
        return None
    except IntegrityError as error:  # a year without partition (PostgreSQL): nothing written, said by the start
        if not partitions.is_missing_partition(error):
            raise
        form.add_error("started_at", partitions.refusal_message(partitions.HELPLINE, form.clean_call.started_at))
        return None
    if outcome.repeated:
        return _repeated(request, line, outcome)
    created = outcome.result
    assert created is not None
    if not is_htmx(request):
        messages.success(request, _("Call #%(id)s saved.") % {"id": created.pk})
        return redirect("helpline:call_new")
    return _blank_form(request, line, created.language, {"saved_call": created})


def _call_form_page(request: AuthenticatedRequest, line: Organisation, call: Call | None = None) -> HttpResponse:
    values: Mapping[str, Any]
    if request.method == "POST":
        data: QueryDict = request.POST
        values = data
        wants_save = "save" in data or not ("add_request" in data or "propose" in data)
        if not wants_save:  # adding a row or refreshing the services: redraw, save nothing
            if "add_request" in data:
                data = values = _with_more_rows(data)
            form, formset = _unbound_copy(data)
        elif call is None and (previous := previous_result(request, CALL_PURPOSE)) is not None:
            return _repeated(request, line, previous)
        else:
            formset = RequestFormSet(data, prefix="requests")
            form = CallForm(data, organisation=line, requests=formset)
            if str(data.get("reference", "")).strip() and _reference_guessing(request):
                form.add_error("reference", _("Too many references tried: please wait before trying another."))
            elif form.is_valid():
                answer = _save(request, line, call, form)
                if answer is not None:
                    return answer
    elif call is not None:
        initial, rows = _call_initial(call)
        values = _initial_values(initial, rows)
        form = CallForm(initial=initial)
        formset = RequestFormSet(prefix="requests", initial=rows)
        formset.extra = 0
    else:
        form = CallForm()
        values = {"language": form.fields["language"].initial}
        formset = RequestFormSet(prefix="requests")
    _fill_service_choices(values, formset)
    context = {
        "form": form,
        "formset": formset,
        "call": call,
        "line": line,
        "action_url": reverse("helpline:call_edit", args=[call.pk]) if call else reverse("helpline:call_new"),
    }
    if is_htmx(request) and request.method == "POST":
        return fragment(request, "helpline/_call_form.html", context)
    context["categories"] = active_categories(REQUEST_SCHEME).order_by("position", "code")[:60]
    context["postal_codes"] = PostalCode.objects.select_related("commune").order_by("code")
    return render(request, "helpline/call_form.html", context)


@login_required
def call_new(request: AuthenticatedRequest) -> HttpResponse:
    line = line_or_404(request)
    return _call_form_page(request, line)


@login_required
def call_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    call = get_object_for_user_or_404(queries.calls_visible_to(request.user), pk=pk)
    if not queries.can_edit_call(request.user, call):
        messages.error(request, _("Calls can be changed by their responder for 24 hours, and by the staff."))
        return redirect("helpline:call_detail", pk=call.pk)
    if request.method == "GET" and call.comment:  # the form shows the comment to correct it
        services.record_call_read(request.user, call)
    return _call_form_page(request, call.organisation, call)


@login_required
@require_GET
def request_row(request: AuthenticatedRequest) -> HttpResponse:
    """One more request row for the call form (htmx), with the formset's new total."""
    line_or_404(request)
    try:
        total = parse_int(request.GET.get("requests-TOTAL_FORMS"), name="requests-TOTAL_FORMS", default=1)
    except BadParameter:
        total = 1
    index = min(total or 0, MAX_ROWS - 1)
    form = RequestForm(prefix=f"requests-{index}")
    form.set_service_choices([])
    return fragment(request, "helpline/_request_row.html", {"request_form": form, "new_total": index + 1})


@login_required
@require_GET
@bad_parameters_answer_400
def category_options(request: AuthenticatedRequest) -> HttpResponse:
    line_or_404(request)
    text = clean_query_text(request.GET.get("q"), max_length=CATEGORY_TEXT_MAX)
    for key in request.GET:
        if key.endswith("-category"):
            text = clean_query_text(request.GET.get(key), name=key, max_length=CATEGORY_TEXT_MAX)
    text = text.split(" — ")[0] if " — " in text else text
    return fragment(
        request, "helpline/_category_options.html", {"categories": search_categories(REQUEST_SCHEME, text, 20)}
    )


@login_required
@require_GET
@bad_parameters_answer_400
def postal_options(request: AuthenticatedRequest) -> HttpResponse:
    line_or_404(request)
    text = clean_query_text(request.GET.get("postal_code") or request.GET.get("q"), name="postal_code", max_length=50)
    codes = PostalCode.objects.select_related("commune").order_by("code")
    if text:
        codes = codes.filter(
            Q(code__startswith=text)
            | Q(commune__name_fr__icontains=text)
            | Q(commune__name_nl__icontains=text)
            | Q(locality_fr__icontains=text)
            | Q(locality_nl__icontains=text)
        )
    return fragment(request, "helpline/_postal_options.html", {"postal_codes": codes[:30]})


@login_required
@require_GET
@bad_parameters_answer_400
def referral_options(request: AuthenticatedRequest) -> HttpResponse:
    """The service picker of one request row, for its category, the caller's postal code and language."""
    line_or_404(request)
    prefix = request.GET.get("prefix", "")
    if not prefix.startswith("requests-") or not prefix[len("requests-") :].isdigit() or len(prefix) > 20:
        raise Http404
    for key in (f"{prefix}-category", "postal_code", "language", "started_at", f"{prefix}-service"):
        clean_query_text(request.GET.get(key), name=key, max_length=CATEGORY_TEXT_MAX)  # a 400 when absurd
    selected = request.GET.get(f"{prefix}-service") or None
    form = RequestForm(prefix=prefix, initial={"service": selected})
    form.set_service_choices(referrals.picker_choices(request.GET, prefix))
    category = referrals.referral_query(request.GET, prefix).category
    return fragment(request, "helpline/_service_field.html", {"request_form": form, "category": category})


@login_required
@bad_parameters_answer_400
def call_list(request: AuthenticatedRequest) -> HttpResponse:
    line_or_404(request)
    calls = queries.calls_visible_to(request.user)
    day = parse_date(request.GET.get("day"), name="day")
    if day is not None:
        start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
        calls = calls.filter(started_at__gte=start, started_at__lt=start + timedelta(days=1))
    mine = request.GET.get("mine") == "1"
    if mine:
        calls = calls.filter(responder=request.user)
    page = Paginator(calls, PAGE_SIZE).get_page(parse_page(request.GET.get("page")))
    return render(request, "helpline/call_list.html", {"page": page, "day": day, "mine": mine})


@login_required
def call_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    call = get_object_for_user_or_404(queries.calls_visible_to(request.user), pk=pk)
    if call.comment:  # a free comment may say more than it should: its reads are audited
        services.record_call_read(request.user, call)
    return render(
        request,
        "helpline/call_detail.html",
        {"call": call, "can_edit": queries.can_edit_call(request.user, call)},
    )
