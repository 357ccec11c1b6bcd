"""The line's thermometer for its staff: two SVG charts (drawn on the server) and their figures as tables."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from maillage.core.http import AuthenticatedRequest
from maillage.helpline.thermometer import WEEKS, Row, thermometer
from maillage.helpline.views._common import staff_line_or_404
from maillage.stats.charts import Chart, comparison_bars

# Themes in the chart: the busiest ones; the table below it lists every theme.
CHART_THEMES = 12


def _chart(title: str, rows: list[Row], label: str) -> Chart:
    # The project's one chart helper (matplotlib → SVG, cached by its figures): it draws, it reads no data.
    average = ngettext(
        "average of the same weekday, last week",
        "average of the same weekday, last %(weeks)s weeks",
        WEEKS,
    ) % {"weeks": WEEKS}
    return comparison_bars(
        title,
        [row.label if label == "label" else f"{row.key} {row.label}" for row in rows],
        [row.today for row in rows],
        [row.average for row in rows],
        _("today"),
        average,
        unit="",
    )


@login_required
@require_GET
def line_thermometer(request: AuthenticatedRequest) -> HttpResponse:
    line = staff_line_or_404(request)
    hours, themes = thermometer(line.pk)
    return render(
        request,
        "helpline/thermometer.html",
        {
            "line": line,
            "hours": hours,
            "themes": themes,
            "weeks": WEEKS,
            "today": timezone.localdate(),
            "hours_chart": _chart(_("Calls by hour"), hours, "label") if hours else None,
            "themes_chart": _chart(_("Requests by theme"), themes[:CHART_THEMES], "key") if themes else None,
        },
    )
