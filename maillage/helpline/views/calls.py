"""Views of the helpline: thin — parse, call a service, render."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from maillage.core.forms import add_service_error
from maillage.core.http import AuthenticatedRequest
from maillage.core.models import Organisation, PostalCode, Role, User
from maillage.core.tenancy import get_object_for_user_or_404
from maillage.helpline import importer, queries, referrals, services
from maillage.helpline.forms import (
    CallbackDoneForm,
    CallForm,
    DebriefingForm,
    ImportForm,
    OpeningHoursForm,
    RequestForm,
    RequestFormSet,
    ShiftForm,
    WeeklyNoteForm,
)
from maillage.helpline.models import REQUEST_SCHEME, Call, Callback, Shift
from maillage.taxonomy.models import Category
from maillage.taxonomy.queries import active_categories, search_categories

PAGE_SIZE = 50


def _fragment(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """A piece of a page for htmx: rendered without the page's context processors (navigation, roles)."""
    return HttpResponse(render_to_string(template, {**context, "csrf_token": get_token(request)}))


# The empty call form shown after each call saved through htmx is the same for everyone but for three
# values; it is rendered once per (interface language, call language) with marks in their place.
_CSRF_MARK = "helpline-csrf-mark"
_STARTED_AT_MARK = "helpline-started-at-mark"
_SAVED_MARK = "helpline-saved-call-mark"
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
        }
        html = render_to_string("helpline/_call_form.html", context)
        if settings.DEBUG:  # templates may change under the development server
            return html
        _blank_forms[key] = html
    return html


def _saved_with_blank_form(request: HttpRequest, saved: Call) -> HttpResponse:
    """The htmx answer to a call saved: the confirmation inside a fresh empty form for the next call."""
    started_at = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    html = (
        _blank_form_html(saved.language)
        .replace(_CSRF_MARK, get_token(request), 1)
        .replace(_STARTED_AT_MARK, started_at, 1)
        .replace(_SAVED_MARK, render_to_string("helpline/_call_saved.html", {"saved_call": saved}), 1)
    )
    return HttpResponse(html)


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _line_or_404(request: AuthenticatedRequest) -> Organisation:
    """The line the user works for; nobody else reaches helpline pages."""
    lines = queries.line_organisations(request.user)
    if not lines:
        raise Http404
    wanted = request.GET.get("line") or request.POST.get("line")
    if wanted:
        for line in lines:
            if str(line.pk) == wanted:
                return line
        raise Http404
    return lines[0]


def _staff_line_or_404(request: AuthenticatedRequest) -> Organisation:
    line = _line_or_404(request)
    if line.pk not in queries.staff_line_ids(request.user):
        raise Http404
    return line


def _quiet_category(text: str) -> Category | None:
    try:
        return services.find_category(text) if text.strip() else None
    except ValidationError:
        return None


def _started_at(value: object) -> datetime:
    moment = value if isinstance(value, datetime) else parse_datetime(str(value or ""))
    if moment is None:
        return timezone.now()
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


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
    total = int(data.get("requests-TOTAL_FORMS", "1") or 1)
    data["requests-TOTAL_FORMS"] = str(min(total + 1, 20))
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
    total = int(data.get("requests-TOTAL_FORMS", "1") or 1)
    rows = [
        {name: data.get(f"requests-{index}-{name}", "") for name in RequestForm.base_fields}
        for index in range(max(1, min(total, 20)))
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
        else:
            form_ok = form.is_valid()
            formset_ok = formset.is_valid()
            if form_ok and formset_ok:
                filled = [f for f in formset.forms if f.has_changed() and not f.cleaned_data.get("DELETE")]
                payload = {**form.cleaned_data, "requests": [f.cleaned_data for f in filled]}
                try:
                    if call is None:
                        saved = services.log_call(request.user, payload, organisation=line)
                    else:
                        saved = services.update_call(request.user, call, payload)
                except ValidationError as error:
                    if hasattr(error, "error_dict"):
                        request_errors = _apply_errors(error, form, formset, filled)
                    else:
                        add_service_error(form, error)
                else:
                    if call is not None:
                        messages.success(request, _("Call #%(id)s corrected.") % {"id": saved.pk})
                        return redirect("helpline:call_detail", pk=saved.pk)
                    if not _is_htmx(request):
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
    partial = _is_htmx(request) and request.method == "POST"
    context = {
        "form": form,
        "formset": formset,
        "request_errors": request_errors,
        "call": call,
        "line": line,
        "action_url": reverse("helpline:call_edit", args=[call.pk]) if call else reverse("helpline:call_new"),
    }
    if partial:
        return _fragment(request, "helpline/_call_form.html", context)
    context["categories"] = active_categories(REQUEST_SCHEME).order_by("position", "code")[:60]
    context["postal_codes"] = PostalCode.objects.select_related("commune").order_by("code")
    return render(request, "helpline/call_form.html", context)


@login_required
def call_new(request: AuthenticatedRequest) -> HttpResponse:
    line = _line_or_404(request)
    return _call_form_page(request, line)


@login_required
def call_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    call = get_object_for_user_or_404(queries.calls_visible_to(request.user), pk=pk)
    if not queries.can_edit_call(request.user, call):
        messages.error(request, _("Calls can be changed by their responder for 24 hours, and by the staff."))
        return redirect("helpline:call_detail", pk=call.pk)
    return _call_form_page(request, call.organisation, call)


@login_required
@require_GET
def request_row(request: AuthenticatedRequest) -> HttpResponse:
    """One more request row for the call form (htmx), with the formset's new total."""
    _line_or_404(request)
    try:
        index = max(0, min(int(request.GET.get("requests-TOTAL_FORMS", "1")), 19))
    except ValueError:
        index = 1
    form = RequestForm(prefix=f"requests-{index}")
    form.set_service_choices([])
    return _fragment(request, "helpline/_request_row.html", {"request_form": form, "new_total": index + 1})


@login_required
@require_GET
def category_options(request: AuthenticatedRequest) -> HttpResponse:
    _line_or_404(request)
    text = str(request.GET.get("q", ""))
    for key in request.GET:
        if key.endswith("-category"):
            text = str(request.GET.get(key, ""))
    text = text.split(" — ")[0] if " — " in text else text
    return _fragment(
        request, "helpline/_category_options.html", {"categories": search_categories(REQUEST_SCHEME, text, 20)}
    )


@login_required
@require_GET
def postal_options(request: AuthenticatedRequest) -> HttpResponse:
    _line_or_404(request)
    text = (request.GET.get("postal_code") or request.GET.get("q") or "").strip()
    codes = PostalCode.objects.select_related("commune").order_by("code")
    if text:
        codes = codes.filter(
            Q(code__startswith=text)
            | Q(commune__name_fr__icontains=text)
            | Q(commune__name_nl__icontains=text)
            | Q(locality_fr__icontains=text)
            | Q(locality_nl__icontains=text)
        )
    return _fragment(request, "helpline/_postal_options.html", {"postal_codes": codes[:30]})


@login_required
@require_GET
def referral_options(request: AuthenticatedRequest) -> HttpResponse:
    """The service picker of one request row, for its category, the caller's postal code and language."""
    _line_or_404(request)
    prefix = request.GET.get("prefix", "")
    if not prefix.startswith("requests-") or not prefix[len("requests-") :].isdigit():
        raise Http404
    category = _quiet_category(request.GET.get(f"{prefix}-category", ""))
    selected = request.GET.get(f"{prefix}-service") or None
    form = RequestForm(prefix=prefix, initial={"service": selected})
    form.set_service_choices(
        referrals.service_choices(
            category,
            request.GET.get("postal_code", ""),
            request.GET.get("language", ""),
            _started_at(request.GET.get("started_at")),
            selected,
        )
    )
    return _fragment(request, "helpline/_service_field.html", {"request_form": form, "category": category})


@login_required
def call_list(request: AuthenticatedRequest) -> HttpResponse:
    _line_or_404(request)
    calls = queries.calls_visible_to(request.user)
    day = parse_date(request.GET.get("day", "") or "")
    if day is not None:
        start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
        calls = calls.filter(started_at__gte=start, started_at__lt=start + timedelta(days=1))
    mine = request.GET.get("mine") == "1"
    if mine:
        calls = calls.filter(responder=request.user)
    page = Paginator(calls, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "helpline/call_list.html", {"page": page, "day": day, "mine": mine})


@login_required
def call_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    call = get_object_for_user_or_404(queries.calls_visible_to(request.user), pk=pk)
    return render(
        request,
        "helpline/call_detail.html",
        {"call": call, "can_edit": queries.can_edit_call(request.user, call)},
    )


@login_required
def callback_list(request: AuthenticatedRequest) -> HttpResponse:
    _line_or_404(request)
    pending = list(queries.open_callbacks(request.user))
    done = list(queries.done_callbacks(request.user, timezone.now() - timedelta(days=7)))
    return render(
        request, "helpline/callback_list.html", {"pending": pending, "done": done, "form": CallbackDoneForm()}
    )


@login_required
@require_POST
def callback_done(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    callback = get_object_for_user_or_404(queries.open_callbacks(request.user), pk=pk)
    form = CallbackDoneForm(request.POST)
    if form.is_valid():
        services.mark_callback_done(
            request.user, callback, form.cleaned_data["outcome"], form.cleaned_data["outcome_note"]
        )
        messages.success(request, _("Callback marked as done."))
    else:
        messages.error(request, _("Choose the outcome of the callback."))
    return redirect("helpline:callbacks")


def _responder_choices(line: Organisation) -> list[tuple[str, str]]:
    people = User.objects.filter(
        memberships__organisation=line, memberships__role=Role.RESPONDER, memberships__is_active=True
    ).order_by("full_name")
    return [(str(person.pk), person.full_name or person.email) for person in people]


@login_required
def shift_list(request: AuthenticatedRequest) -> HttpResponse:
    line = _line_or_404(request)
    is_staff = line.pk in queries.staff_line_ids(request.user)
    form = None
    if is_staff:
        form = ShiftForm(request.POST or None, responders=_responder_choices(line))
        if request.method == "POST" and form.is_valid():
            responders = list(User.objects.filter(pk__in=form.cleaned_data["responders"]))
            try:
                services.create_shift(
                    request.user,
                    line,
                    form.cleaned_data["starts_at"],
                    form.cleaned_data["ends_at"],
                    form.cleaned_data["languages"],
                    responders,
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("Shift planned."))
                return redirect("helpline:shifts")
    elif request.method == "POST":
        raise Http404
    since = timezone.now() - timedelta(days=1)
    shifts = (
        queries.shifts_visible_to(request.user)
        .filter(organisation=line, ends_at__gte=since)
        .annotate(debriefing_count=Count("debriefings"))
        .order_by("starts_at")[:60]
    )
    return render(
        request,
        "helpline/shift_list.html",
        {
            "line": line,
            "shifts": shifts,
            "form": form,
            "hours": queries.hours_in_force(line.pk, timezone.localdate()),
            "line_open": queries.is_line_open(line.pk, timezone.now()),
        },
    )


@login_required
def my_shift(request: AuthenticatedRequest) -> HttpResponse:
    _line_or_404(request)
    now = timezone.now()
    shifts = list(queries.my_shifts(request.user, now)[:10])
    current = next((shift for shift in shifts if shift.starts_at <= now), None)
    calls = []
    if current is not None:
        calls = list(
            queries.calls_visible_to(request.user).filter(
                responder=request.user, started_at__gte=current.starts_at, started_at__lt=current.ends_at
            )
        )
    return render(
        request,
        "helpline/my_shift.html",
        {
            "current": current,
            "coming": [shift for shift in shifts if shift is not current],
            "calls": calls,
            "callbacks": queries.open_callbacks(request.user)[:10],
        },
    )


@login_required
def debriefing(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    shift = get_object_for_user_or_404(queries.shifts_visible_to(request.user), pk=pk)
    existing = shift.debriefings.filter(author=request.user).first()
    initial = {}
    if existing is not None:
        initial = {
            "stood_out": existing.stood_out,
            "difficult_situations": existing.difficult_situations,
            "signals": existing.signals,
            "calls_felt_heavy": existing.calls_felt_heavy,
        }
    form = DebriefingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.write_debriefing(request.user, shift, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Thank you, your debriefing is saved."))
            return redirect("helpline:my_shift")
    return render(request, "helpline/debriefing_form.html", {"shift": shift, "form": form})


@login_required
def debriefing_week(request: AuthenticatedRequest) -> HttpResponse:
    """Staff: the week's shift debriefings and collective note, next to the week's figures."""
    line = _staff_line_or_404(request)
    day = parse_date(request.GET.get("week", "") or "") or timezone.localdate()
    monday, next_monday = queries.week_bounds(day)
    note = queries.weekly_notes_visible_to(request.user).filter(organisation=line, week_start=monday).first()
    form = WeeklyNoteForm(request.POST or None, initial={"text": note.text if note else ""})
    if request.method == "POST" and form.is_valid():
        try:
            services.write_weekly_note(request.user, line, monday, form.cleaned_data["text"])
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Weekly note saved."))
            return redirect(f"{reverse('helpline:debriefings')}?week={monday.isoformat()}")
    start = timezone.make_aware(datetime.combine(monday, datetime.min.time()))
    calls = Call.objects.filter(organisation=line, started_at__gte=start, started_at__lt=start + timedelta(days=7))
    return render(
        request,
        "helpline/debriefing_week.html",
        {
            "line": line,
            "monday": monday,
            "sunday": next_monday - timedelta(days=1),
            "previous": monday - timedelta(days=7),
            "next": next_monday,
            "debriefings": queries.debriefings_of_week(line.pk, monday),
            "note": note,
            "form": form,
            "call_count": calls.count(),
            "request_count": queries.requests_of_lines({line.pk}).filter(call__in=calls).count(),
        },
    )


@login_required
def opening_hours(request: AuthenticatedRequest) -> HttpResponse:
    line = _line_or_404(request)
    is_staff = line.pk in queries.staff_line_ids(request.user)
    form = OpeningHoursForm(request.POST or None) if is_staff else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                services.set_opening_hours(request.user, line, form.cleaned_data["valid_from"], form.ranges())
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("Opening hours saved."))
                return redirect("helpline:hours")
    from maillage.helpline.models import OpeningHours

    history = OpeningHours.objects.filter(organisation=line).order_by("-valid_from", "weekday", "opens")
    return render(
        request,
        "helpline/opening_hours.html",
        {
            "line": line,
            "form": form,
            "history": history,
            "in_force": queries.hours_in_force(line.pk, timezone.localdate()),
        },
    )


@login_required
def import_journal(request: AuthenticatedRequest) -> HttpResponse:
    line = _staff_line_or_404(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        run = importer.start_import(request.user, line, upload.name, upload.read(), form.cleaned_data["skip_bad_rows"])
        return redirect("helpline:import_status", pk=run.pk)
    return render(
        request,
        "helpline/import_form.html",
        {"form": form, "columns": importer.COLUMNS, "runs": queries.imports_visible_to(request.user)[:10]},
    )


@login_required
def import_status(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = get_object_for_user_or_404(queries.imports_visible_to(request.user), pk=pk)
    template = "helpline/_import_progress.html" if _is_htmx(request) else "helpline/import_status.html"
    return render(request, template, {"run": run})


@login_required
def home_redirect(request: AuthenticatedRequest) -> HttpResponse:
    _line_or_404(request)
    return redirect("helpline:call_new")


__all__ = ["Callback", "Shift"]
