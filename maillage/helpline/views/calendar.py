"""The line's calendar: the special days of the French and Dutch lines (crisis hours, closures)
next to the public and regional holidays the slots leave out.

Saving or removing a special day re-aligns the slots of its day (services.rota_days); the staff read
what it did in one message: slots removed, slots cancelled and the services told, hours left without
a slot, which they add with "Add the missing slots" when they choose.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from maillage.core.forms import add_service_error
from maillage.core.http import AuthenticatedRequest
from maillage.core.models import Organisation
from maillage.core.parsing import BadParameter, bad_parameters_answer_400, parse_date, parse_int
from maillage.core.submission import create_once, previous_result
from maillage.directory.calendars import holiday_days, holiday_name
from maillage.helpline import queries
from maillage.helpline.forms import FillDayForm, SpecialDayForm
from maillage.helpline.models import SpecialDay
from maillage.helpline.services import rota
from maillage.helpline.views._common import line_or_404

PURPOSE = "helpline.rota.special_day"
REMOVE_PURPOSE = "helpline.rota.special_day_removed"
FILL_PURPOSE = "helpline.rota.day_filled"
FILL_PREFIX = "fill"
# How far ahead the page lists the holidays.
HOLIDAYS_AHEAD = timedelta(days=366)


def _day(day: date) -> str:
    return f"{day:%d/%m/%Y}"


def _describe(change: rota.DayChange) -> tuple[str, str]:
    return _after(change), _("The special day of %(day)s was already saved.") % {"day": _day(change.day)}


def _after(change: rota.DayChange) -> str:
    """Back to the calendar; with the day in the "Add the missing slots" form when hours have no slot."""
    url = reverse("helpline:calendar")
    return f"{url}?day={change.day:%Y-%m-%d}#fill-slots" if change.missing else url


def _report(request: AuthenticatedRequest, change: rota.DayChange, done: str) -> None:
    """What the special day did to the day's slots, in one message (and a warning for whom nobody told)."""
    parts = [done]
    if change.removed:
        parts.append(
            ngettext(
                "%(count)d open slot outside the new hours was removed.",
                "%(count)d open slots outside the new hours were removed.",
                change.removed,
            )
            % {"count": change.removed}
        )
    if change.cancelled:
        parts.append(
            ngettext(
                "%(count)d slot a service had taken is outside the new hours: it is cancelled.",
                "%(count)d slots services had taken are outside the new hours: they are cancelled.",
                len(change.cancelled),
            )
            % {"count": len(change.cancelled)}
        )
    if change.told:
        parts.append(_("Told by email: %(services)s.") % {"services": ", ".join(change.told)})
    if change.started:
        parts.append(
            ngettext(
                "%(count)d slot outside the new hours had already begun: it was left as it was.",
                "%(count)d slots outside the new hours had already begun: they were left as they were.",
                change.started,
            )
            % {"count": change.started}
        )
    if change.missing:
        spans = "; ".join(
            f"{language.upper()} {timezone.localtime(start):%H:%M}–{timezone.localtime(end):%H:%M}"
            for language, found in change.missing.items()
            for start, end in found
        )
        parts.append(
            _(
                "%(hours)s h of the line's hours that day have no slot (%(spans)s): nothing was added; "
                "add them with “Add the missing slots” when the services should take them."
            )
            % {"hours": number_format(change.missing_hours), "spans": spans}
        )
    messages.success(request, " ".join(str(part) for part in parts))
    if change.untold:
        messages.warning(
            request,
            _("Nobody of %(services)s could be told by email (no responder with an address): tell them yourself.")
            % {"services": ", ".join(change.untold)},
        )


def _remove(request: AuthenticatedRequest, line: Organisation) -> HttpResponse:
    if (previous := previous_result(request, REMOVE_PURPOSE)) is not None:
        return previous.redirect(request)
    pk = parse_int(request.POST.get("remove"), name="remove", minimum=1)
    special = get_object_or_404(SpecialDay, pk=pk, organisation=line)
    outcome = create_once(
        request,
        REMOVE_PURPOSE,
        lambda: rota.remove_special_day(request.user, special),
        lambda change: (
            _after(change),
            _("The special day of %(day)s was already removed.") % {"day": _day(change.day)},
        ),
    )
    if outcome.repeated or outcome.result is None:
        return outcome.redirect(request)
    _report(request, outcome.result, _("The special day of %(day)s was removed.") % {"day": _day(special.day)})
    return redirect(_after(outcome.result))


def _fill(request: AuthenticatedRequest, line: Organisation, form: FillDayForm) -> HttpResponse | None:
    """Add the missing slots of a day; None when the form is to be shown again with its error."""
    if not form.is_valid():
        return None
    day = form.cleaned_data["day"]
    grid = reverse("helpline:rota_month", args=[f"{day:%Y-%m}"])
    try:
        outcome = create_once(
            request,
            FILL_PURPOSE,
            lambda: rota.fill_day(request.user, line, day),
            lambda _new: (grid, _("The missing slots of %(day)s were already added.") % {"day": _day(day)}),
        )
    except ValidationError as error:
        add_service_error(form, error)
        return None
    if outcome.repeated or outcome.result is None:
        return outcome.redirect(request)
    added = len(outcome.result)
    if added:
        messages.success(
            request,
            ngettext(
                "%(count)d slot added on %(day)s: the services can take it on the planning grid.",
                "%(count)d slots added on %(day)s: the services can take them on the planning grid.",
                added,
            )
            % {"count": added, "day": _day(day)},
        )
    else:
        messages.info(request, _("Every hour of %(day)s already has its slot: nothing was added.") % {"day": _day(day)})
    return redirect(grid)


def _prefilled_day(request: AuthenticatedRequest) -> date | None:
    try:
        return parse_date(request.GET.get("day"), name="day")
    except BadParameter:
        return None  # a mangled link: the form starts empty


@login_required
@bad_parameters_answer_400
def line_calendar(request: AuthenticatedRequest) -> HttpResponse:
    line = line_or_404(request)
    is_staff = line.pk in queries.staff_line_ids(request.user)
    if request.method == "POST" and not is_staff:
        raise Http404
    if request.method == "POST" and request.POST.get("remove"):
        return _remove(request, line)
    filling = request.method == "POST" and f"{FILL_PREFIX}-day" in request.POST
    form = SpecialDayForm(request.POST if request.method == "POST" and not filling else None) if is_staff else None
    fill_form = (
        FillDayForm(request.POST if filling else None, prefix=FILL_PREFIX, initial={"day": _prefilled_day(request)})
        if is_staff
        else None
    )
    if filling and fill_form is not None and (answer := _fill(request, line, fill_form)) is not None:
        return answer
    if request.method == "POST" and not filling and (previous := previous_result(request, PURPOSE)) is not None:
        return previous.redirect(request)
    if form is not None and form.is_bound and form.is_valid():
        cleaned = form.cleaned_data
        try:
            outcome = create_once(
                request,
                PURPOSE,
                lambda: rota.set_special_day(
                    request.user,
                    line,
                    cleaned["day"],
                    cleaned["opens"],
                    cleaned["closes"],
                    cleaned["note"],
                    language=cleaned["language"],
                ),
                _describe,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            if outcome.repeated or outcome.result is None:
                return outcome.redirect(request)
            _report(request, outcome.result, _("Special day saved."))
            return redirect(_after(outcome.result))
    today = timezone.localdate()
    specials = list(SpecialDay.objects.filter(organisation=line, day__gte=today - timedelta(days=31)))
    language = (get_language() or "fr")[:2]
    holidays = [
        (day, holiday_name(day, rota.HOLIDAY_CALENDARS, language) or _("Holiday"))
        for day in holiday_days(rota.HOLIDAY_CALENDARS, today, today + HOLIDAYS_AHEAD)
    ]
    reopened = {special.day for special in specials if special.opens}
    return render(
        request,
        "helpline/calendar.html",
        {
            "line": line,
            "form": form,
            "fill_form": fill_form,
            "specials": specials,
            "holidays": [(day, name, day in reopened) for day, name in holidays],
            "in_force": queries.hours_in_force(line.pk, today),
            "month_value": f"{today:%Y-%m}",
        },
    )
