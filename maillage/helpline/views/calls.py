"""Logging, correcting and reading calls; the pickers of the call form (htmx)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from maillage.core.forms import add_service_error
from maillage.core.http import AuthenticatedRequest
from maillage.core.models import Organisation, PostalCode
from maillage.core.parsing import (
    BadParameter,
    bad_parameters_answer_400,
    clean_query_text,
    parse_date,
    parse_datetime_local,
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
from maillage.taxonomy.models import Category
from maillage.taxonomy.queries import active_categories, search_categories

# The empty call form shown after each call saved through htmx is the same for everyone but for three
# values; it is rendered once per (interface language, call language) with marks in their place.
_CSRF_MARK = "helpline-csrf-mark"
_STARTED_AT_MARK = "helpline-started-at-mark"
_SAVED_MARK = "helpline-saved-call-mark"
_KEY_MARK = "helpline-submission-key-mark"
CALL_PURPOSE = "helpline.call"
CATEGORY_TEXT_MAX = 250
MAX_ROWS = 20
_blank_forms: dict[tuple[str, str], str] = {}


def _blank_form_html(call_language: str) -> str:
    key = (get_language(), call_language)
    html = _blank_forms.get(key)
    if html is None:
        form = CallForm(initial={"language": call_language, "started_at": _STARTED_AT_MARK})
        formset = RequestFormSet(prefix="requests")
        for request_form in formset.forms:
            request_form.set_service_choices([])
        context = {
            "form": form,
            "formset": formset,
            "request_errors": [],
            "saved_slot": _SAVED_MARK,
            "action_url": reverse("helpline:call_new"),
            "csrf_token": _CSRF_MARK,
            "submission_key_slot": _KEY_MARK,
        }
        html = render_to_string("helpline/_call_form.html", context)
        if settings.DEBUG:  # templates may change under the development server
            return html
        _blank_forms[key] = html
    return html


def _blank_form_with(request: HttpRequest, call_language: str, notice: str) -> HttpResponse:
    """A fresh empty form for the next call (with a new submission key), `notice` at its top."""
    started_at = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    html = (
        _blank_form_html(call_language)
        .replace(_CSRF_MARK, get_token(request), 1)
        .replace(_KEY_MARK, hidden_input(None), 1)
        .replace(_STARTED_AT_MARK, started_at, 1)
        .replace(_SAVED_MARK, notice, 1)
    )
    return HttpResponse(html)


def _saved_with_blank_form(request: HttpRequest, saved: Call) -> HttpResponse:
    """The htmx answer to a call saved: the confirmation inside a fresh empty form for the next call."""
    notice = render_to_string("helpline/_call_saved.html", {"saved_call": saved})
    return _blank_form_with(request, saved.language, notice)


def _describe_call(call: Call) -> tuple[str, str]:
    """What a repeat of the form that saved this call answers (a double click, a resubmit, a second tab)."""
    return reverse("helpline:call_detail", args=[call.pk]), _("Call #%(id)s was already saved.") % {"id": call.pk}


def _repeated(request: HttpRequest, outcome: Outcome[Any]) -> HttpResponse:
    """The first submission's answer: through htmx a fresh form saying so, else a redirect to the call."""
    if not is_htmx(request):
        return outcome.redirect(request)
    language = str(request.POST.get("language", ""))
    if language not in LineLanguage.values:
        language = LineLanguage.FR
    notice = render_to_string("helpline/_call_repeated.html", {"outcome": outcome}) if outcome.message else ""
    return _blank_form_with(request, language, notice)


def _quiet_category(text: str) -> Category | None:
    try:
        return services.find_category(text) if text.strip() else None
    except ValidationError:
        return None


def _started_at(value: object) -> datetime:
    """The moment the proposed services should be open; now when the value is absent or cannot be read."""
    if isinstance(value, datetime):
        return timezone.make_aware(value) if timezone.is_naive(value) else value
    try:
        moment = parse_datetime_local(str(value or ""), name="started_at")
    except BadParameter:
        moment = None
    return moment or timezone.now()


def _row_count(data: QueryDict) -> int:
    """The formset's declared number of rows, bounded; a value that is not a number counts as one row."""
    try:
        total = parse_int(str(data.get("requests-TOTAL_FORMS", "")), name="requests-TOTAL_FORMS", default=1)
    except BadParameter:
        total = 1
    return max(1, min(total or 1, MAX_ROWS))


def _fill_service_choices(form: CallForm, formset: Any) -> None:
    data = form.data if form.is_bound else {}
    postal_code = str(data.get("postal_code", "") or "")
    language = str(data.get("language", "") or form.initial.get("language", "fr"))
    at = _started_at(data.get("started_at"))
    for request_form in formset.forms:
        prefix = request_form.prefix
        if request_form.is_bound:
            category_text = str(request_form.data.get(f"{prefix}-category", "") or "")
            selected = request_form.data.get(f"{prefix}-service") or None
        else:
            category_text = str(request_form.initial.get("category", "") or "")
            selected = request_form.initial.get("service")
        category = _quiet_category(category_text)
        request_form.set_service_choices(referrals.service_choices(category, postal_code, language, at, selected))


def _with_more_rows(data: QueryDict) -> QueryDict:
    data = data.copy()
    data["requests-TOTAL_FORMS"] = str(min(_row_count(data) + 1, MAX_ROWS))
    return data


def _apply_errors(error: ValidationError, form: CallForm, formset: Any, filled: list[Any]) -> list[str]:
    """Put each of the service's errors next to its field; returns the errors of the request list."""
    request_errors: list[str] = []
    for key, field_errors in error.error_dict.items():
        messages_ = [message for item in field_errors for message in item.messages]
        if key == "requests":
            request_errors.extend(messages_)
        elif key.startswith("requests-"):
            _prefix, index, name = key.split("-", 2)
            filled[int(index)].add_error(name, messages_)
        else:
            form.add_error(key if key in form.fields else None, messages_)
    return request_errors


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
        rows.append(
            {
                "category": f"{item.category.code} — {item.category.label}",
                "note": item.note,
                "action": item.action,
                "service": getattr(item, "service_id", None),
                "callback_at": timezone.localtime(callback.due_at) if callback else None,
            }
        )
    return initial, rows


def _call_form_page(request: AuthenticatedRequest, line: Organisation, call: Call | None = None) -> HttpResponse:
    saved: Call | None = None
    request_errors: list[str] = []
    if request.method == "POST":
        data: QueryDict = request.POST
        if "add_request" in data:
            data = _with_more_rows(data)
        form = CallForm(data)
        formset = RequestFormSet(data, prefix="requests")
        if "add_request" in data or "propose" in data:
            form, formset = _unbound_copy(data)
        elif call is None and (previous := previous_result(request, CALL_PURPOSE)) is not None:
            return _repeated(request, previous)
        else:
            form_ok = form.is_valid()
            formset_ok = formset.is_valid()
            if form_ok and formset_ok:
                filled = [f for f in formset.forms if f.has_changed() and not f.cleaned_data.get("DELETE")]
                payload = {**form.cleaned_data, "requests": [f.cleaned_data for f in filled]}
                try:
                    if call is None:
                        outcome = create_once(
                            request,
                            CALL_PURPOSE,
                            lambda: services.log_call(request.user, payload, organisation=line),
                            _describe_call,
                        )
                        if outcome.repeated:
                            return _repeated(request, outcome)
                        saved = outcome.result
                    else:
                        saved = services.update_call(request.user, call, payload)
                except ValidationError as error:
                    if hasattr(error, "error_dict"):
                        request_errors = _apply_errors(error, form, formset, filled)
                    else:
                        add_service_error(form, error)
                else:
                    assert saved is not None
                    if call is not None:
                        messages.success(request, _("Call #%(id)s corrected.") % {"id": saved.pk})
                        return redirect("helpline:call_detail", pk=saved.pk)
                    if not is_htmx(request):
                        messages.success(request, _("Call #%(id)s saved.") % {"id": saved.pk})
                        return redirect("helpline:call_new")
                    return _saved_with_blank_form(request, saved)
    elif call is not None:
        initial, rows = _call_initial(call)
        form = CallForm(initial=initial)
        formset = RequestFormSet(prefix="requests", initial=rows)
        formset.extra = 0
    else:
        form = CallForm()
        formset = RequestFormSet(prefix="requests")
    _fill_service_choices(form, formset)
    partial = is_htmx(request) and request.method == "POST"
    context = {
        "form": form,
        "formset": formset,
        "request_errors": request_errors,
        "call": call,
        "line": line,
        "action_url": reverse("helpline:call_edit", args=[call.pk]) if call else reverse("helpline:call_new"),
    }
    if partial:
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
    category = _quiet_category(
        clean_query_text(request.GET.get(f"{prefix}-category"), name="category", max_length=CATEGORY_TEXT_MAX)
    )
    selected = request.GET.get(f"{prefix}-service") or None
    form = RequestForm(prefix=prefix, initial={"service": selected})
    form.set_service_choices(
        referrals.service_choices(
            category,
            clean_query_text(request.GET.get("postal_code"), name="postal_code", max_length=10),
            clean_query_text(request.GET.get("language"), name="language", max_length=10),
            _started_at(request.GET.get("started_at")),
            selected,
        )
    )
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
