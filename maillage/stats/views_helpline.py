"""Views of the helpline reports: weekly synthesis, bilan, exports, research rows."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from maillage.core.http import AuthenticatedRequest
from maillage.core.models import Organisation
from maillage.helpline.models import WeeklyNote
from maillage.helpline.queries import debriefings_of_week, staff_line_ids, week_bounds
from maillage.stats import charts, helpline_reports
from maillage.stats.exports import export_response, rows_to_xlsx_response, streaming_csv_response
from maillage.stats.shares import Period, default_period

EXPORT_FORMATS = ("csv", "xlsx")


def _line(request: AuthenticatedRequest) -> Organisation:
    """The line whose reports the user may read (federation staff of its organisation); else 404."""
    ids = staff_line_ids(request.user)
    if not ids:
        raise Http404
    wanted = request.GET.get("line")
    if wanted:
        if not wanted.isdigit() or int(wanted) not in ids:
            raise Http404
        return Organisation.objects.get(pk=int(wanted))
    return Organisation.objects.filter(pk__in=ids).order_by("short_name").first()  # type: ignore[return-value]


def _period(request: AuthenticatedRequest) -> tuple[Period, list[str]]:
    errors: list[str] = []
    first = parse_date(request.GET.get("start", "") or "") if request.GET.get("start") else None
    last = parse_date(request.GET.get("end", "") or "") if request.GET.get("end") else None
    if (request.GET.get("start") and first is None) or (request.GET.get("end") and last is None):
        errors.append(_("Write the dates as YYYY-MM-DD."))
    default = default_period(timezone.localdate())
    period = Period(first or default.first, last or default.last)
    if period.first > period.last:
        errors.append(_("The start of the period comes after its end."))
        period = default
    return period, errors


def _chart_rows(section: helpline_reports.Section, limit: int = 12) -> tuple[list[str], list[Any]]:
    rows = section.rows[:limit]
    return [row.label for row in rows], [row.share for row in rows]


@login_required
def weekly(request: AuthenticatedRequest) -> HttpResponse:
    line = _line(request)
    day = parse_date(request.GET.get("week", "") or "") or timezone.localdate()
    monday, next_monday = week_bounds(day)
    period = Period(monday, next_monday - timedelta(days=1))
    report = helpline_reports.synthesis([line.pk], period)
    export_format = request.GET.get("format")
    if export_format in EXPORT_FORMATS:
        return export_response(
            export_format, f"helpline-week-{monday.isoformat()}", helpline_reports.synthesis_tables(report)
        )
    figures = []
    if report.totals.calls:
        labels, values = _chart_rows(report.themes)
        figures.append(charts.horizontal_bars(_("Requests by theme (%)"), labels, values, "%"))
        assert report.hours is not None
        assert report.weekdays is not None
        figures.append(
            charts.columns(
                _("Calls by hour"), [r.label for r in report.hours.rows], [r.count for r in report.hours.rows]
            )
        )
        figures.append(
            charts.columns(
                _("Calls by weekday"), [r.label for r in report.weekdays.rows], [r.count for r in report.weekdays.rows]
            )
        )
    return render(
        request,
        "stats/helpline/weekly.html",
        {
            "line": line,
            "report": report,
            "monday": monday,
            "previous": monday - timedelta(days=7),
            "next": next_monday,
            "charts": figures,
            "debriefings": debriefings_of_week(line.pk, monday),
            "note": WeeklyNote.objects.filter(organisation=line, week_start=monday).select_related("author").first(),
        },
    )


@login_required
def bilan(request: AuthenticatedRequest) -> HttpResponse:
    line = _line(request)
    period, errors = _period(request)
    base = request.GET.get("base", helpline_reports.BASE_REQUESTS)
    if base not in helpline_reports.BASES:
        base = helpline_reports.BASE_REQUESTS
    report = helpline_reports.bilan([line.pk], period, base)
    export_format = request.GET.get("format")
    if export_format in EXPORT_FORMATS and not errors:
        name = f"helpline-bilan-{period.first.isoformat()}-{period.last.isoformat()}"
        return export_response(export_format, name, helpline_reports.bilan_tables(report))
    chart = None
    if report.themes:
        top = report.themes[:12]
        chart = charts.comparison_bars(
            _("Share of each theme (%)"),
            [row.label for row in top],
            [row.share_now for row in top],
            [row.share_before for row in top],
            _("this period"),
            _("previous period"),
        )
    return render(
        request,
        "stats/helpline/bilan.html",
        {
            "line": line,
            "report": report,
            "errors": errors,
            "chart": chart,
            "base": base,
            "bases": helpline_reports.BASES,
        },
    )


@login_required
def research_export(request: AuthenticatedRequest) -> HttpResponse | StreamingHttpResponse:
    """Anonymised call rows (one per request) for researchers: no comments, no notes, no people."""
    line = _line(request)
    period, errors = _period(request)
    if errors:
        raise Http404
    rows = helpline_reports.research_rows([line.pk], period)
    name = f"helpline-calls-{period.first.isoformat()}-{period.last.isoformat()}"
    if request.GET.get("format") == "xlsx":
        return rows_to_xlsx_response(name, helpline_reports.RESEARCH_HEADERS, rows)
    return streaming_csv_response(name, helpline_reports.RESEARCH_HEADERS, rows)


__all__ = ["date"]
