"""The line's thermometer for its staff."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from maillage.core.http import AuthenticatedRequest
from maillage.helpline.thermometer import WEEKS, thermometer
from maillage.helpline.views._common import staff_line_or_404


@login_required
@require_GET
def line_thermometer(request: AuthenticatedRequest) -> HttpResponse:
    line = staff_line_or_404(request)
    hours, themes = thermometer(line.pk)
    return render(
        request,
        "helpline/thermometer.html",
        {"line": line, "hours": hours, "themes": themes, "weeks": WEEKS, "today": timezone.localdate()},
    )
