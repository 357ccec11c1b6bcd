"""Shifts, opening hours, callbacks and debriefings."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from maillage.core.forms import add_service_error
from maillage.core.http import AuthenticatedRequest
from maillage.core.models import Organisation, Role, User
from maillage.core.parsing import bad_parameters_answer_400, parse_date, parse_iso_week
from maillage.core.submission import create_once
from maillage.core.tenancy import get_object_for_user_or_404
from maillage.helpline import queries, services
from maillage.helpline.forms import (
    CallbackDoneForm,
    DebriefingForm,
    OpeningHoursForm,
    ShiftForm,
    WeeklyNoteForm,
)
from maillage.helpline.models import Call, Shift, ShiftDebriefing
from maillage.helpline.views._common import line_or_404, staff_line_or_404


@login_required
def callback_list(request: AuthenticatedRequest) -> HttpResponse:
    line_or_404(request)
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


def _describe_shift(shift: Shift) -> tuple[str, str]:
    return reverse("helpline:shifts"), _("The shift %(shift)s was already planned.") % {"shift": shift}


def _describe_debriefing(debriefing: ShiftDebriefing) -> tuple[str, str]:
    return reverse("helpline:my_shift"), _("Your debriefing of the shift %(shift)s was already saved.") % {
        "shift": debriefing.shift
    }


def _responder_choices(line: Organisation) -> list[tuple[str, str]]:
    people = User.objects.filter(
        memberships__organisation=line, memberships__role=Role.RESPONDER, memberships__is_active=True
    ).order_by("full_name")
    return [(str(person.pk), person.full_name or person.email) for person in people]


@login_required
def shift_list(request: AuthenticatedRequest) -> HttpResponse:
    line = line_or_404(request)
    is_staff = line.pk in queries.staff_line_ids(request.user)
    form = None
    if is_staff:
        form = ShiftForm(request.POST or None, responders=_responder_choices(line))
        if request.method == "POST" and form.is_valid():
            responders = list(User.objects.filter(pk__in=form.cleaned_data["responders"]))
            cleaned = form.cleaned_data
            try:
                outcome = create_once(
                    request,
                    "helpline.shift",
                    lambda: services.create_shift(
                        request.user, line, cleaned["starts_at"], cleaned["ends_at"], cleaned["languages"], responders
                    ),
                    _describe_shift,
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                if outcome.repeated:
                    return outcome.redirect(request)
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
    line_or_404(request)
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
    shift = get_object_for_user_or_404(queries.shifts_to_debrief(request.user), pk=pk)
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
        cleaned = form.cleaned_data
        try:
            outcome = create_once(
                request,
                "helpline.debriefing",
                lambda: services.write_debriefing(request.user, shift, **cleaned),
                _describe_debriefing,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            if outcome.repeated:
                return outcome.redirect(request)
            messages.success(request, _("Thank you, your debriefing is saved."))
            return redirect("helpline:my_shift")
    return render(request, "helpline/debriefing_form.html", {"shift": shift, "form": form})


@login_required
@bad_parameters_answer_400
def debriefing_week(request: AuthenticatedRequest) -> HttpResponse:
    """Staff: the week's shift debriefings and collective note, next to the week's figures."""
    line = staff_line_or_404(request)
    raw_week = request.GET.get("week")
    # A day of the week (the page's own links) or an ISO week such as 2026-W05.
    if raw_week and "W" in raw_week.upper():
        day = parse_iso_week(raw_week, name="week")
    else:
        day = parse_date(raw_week, name="week")
    day = day or timezone.localdate()
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
    line = line_or_404(request)
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
def home_redirect(request: AuthenticatedRequest) -> HttpResponse:
    line_or_404(request)
    return redirect("helpline:call_new")
