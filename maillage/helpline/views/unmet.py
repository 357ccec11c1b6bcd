"""The unanswered needs of a period: the line's staff for every commune, a coordinator for their area."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from maillage.core.http import AuthenticatedRequest
from maillage.core.models import Membership, Role
from maillage.core.parsing import bad_parameters_answer_400, parse_period
from maillage.core.tenancy import organisation_ids
from maillage.helpline import queries, unmet


@login_required
@require_GET
@bad_parameters_answer_400
def unmet_needs(request: AuthenticatedRequest) -> HttpResponse:
    today = timezone.localdate()
    first, last = parse_period(
        request.GET.get("start"), request.GET.get("end"), default_start=today - timedelta(days=27), default_end=today
    )
    start = timezone.make_aware(datetime.combine(first, time.min))
    end = timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min))
    staff_lines = queries.staff_line_ids(request.user)
    coordinated = organisation_ids(request.user, [Role.COORDINATOR])
    if staff_lines:
        table = unmet.unanswered_needs(staff_lines, start, end)
        area_limited = False
    elif coordinated:
        lines = set(
            Membership.objects.filter(role=Role.RESPONDER, is_active=True).values_list("organisation_id", flat=True)
        )
        table = unmet.unanswered_needs(lines, start, end, unmet.served_commune_ids(coordinated))
        area_limited = True
    else:
        raise Http404
    return render(
        request,
        "helpline/unmet_needs.html",
        {"unanswered_needs": table, "first": first, "last": last, "area_limited": area_limited},
    )
