"""The line's opening calendar: the special days of the French and Dutch lines (crisis hours, closures)
next to the public and regional holidays the slots leave out."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from maillage.core.forms import add_service_error
from maillage.core.http import AuthenticatedRequest
from maillage.core.parsing import bad_parameters_answer_400, parse_int
from maillage.core.submission import create_once, previous_result
from maillage.directory.calendars import holiday_days, holiday_name
from maillage.helpline import queries
from maillage.helpline.forms import SpecialDayForm
from maillage.helpline.models import SpecialDay
from maillage.helpline.services import rota
from maillage.helpline.views._common import line_or_404

PURPOSE = "helpline.rota.special_day"
# How far ahead the page lists the holidays.
HOLIDAYS_AHEAD = timedelta(days=366)


def _describe(special: SpecialDay) -> tuple[str, str]:
    return reverse("helpline:calendar"), _("The special day of %(day)s was already saved.") % {
        "day": f"{special.day:%d/%m/%Y}"
    }


@login_required
@bad_parameters_answer_400
def line_calendar(request: AuthenticatedRequest) -> HttpResponse:
    line = line_or_404(request)
    is_staff = line.pk in queries.staff_line_ids(request.user)
    if request.method == "POST" and not is_staff:
        raise Http404
    form = SpecialDayForm(request.POST or None) if is_staff else None
    if request.method == "POST" and request.POST.get("remove"):
        pk = parse_int(request.POST.get("remove"), name="remove", minimum=1)
        special = get_object_or_404(SpecialDay, pk=pk, organisation=line)
        rota.remove_special_day(request.user, special)
        messages.success(request, _("The special day of %(day)s was removed.") % {"day": f"{special.day:%d/%m/%Y}"})
        return redirect("helpline:calendar")
    if request.method == "POST" and (previous := previous_result(request, PURPOSE)) is not None:
        return previous.redirect(request)
    if form is not None and request.method == "POST" and form.is_valid():
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
            if outcome.repeated:
                return outcome.redirect(request)
            messages.success(request, _("Special day saved."))
            return redirect("helpline:calendar")
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
            "specials": specials,
            "holidays": [(day, name, day in reopened) for day, name in holidays],
            "in_force": queries.hours_in_force(line.pk, today),
            "month_value": f"{today:%Y-%m}",
        },
    )
