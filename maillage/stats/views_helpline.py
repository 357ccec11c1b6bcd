"""Views of the helpline reports: weekly synthesis, bilan, exports, research rows."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from maillage.core.http import AuthenticatedRequest
from maillage.core.models import Organisation
from maillage.core.parsing import (
    BadParameter,
    bad_parameters_answer_400,
    parse_date,
    parse_int,
    parse_iso_week,
)
from maillage.core.parsing import parse_period as parse_dates
from maillage.core.spreadsheet import separator_from_request
from maillage.helpline import unmet
from maillage.helpline.models import WeeklyNote
from maillage.helpline.queries import debriefings_of_week, staff_line_ids, week_bounds
from maillage.stats import charts, helpline_reports, helpline_tables
from maillage.stats.exports import export_response
from maillage.stats.helpline_reading import (
    SINCE_START,
    line_first_day,
    parse_fixed_period,
    parse_version,
    period_choices,
    version_choices,
)
from maillage.stats.helpline_research import research_response
from maillage.stats.shares import Period, default_period

EXPORT_FORMATS = ("csv", "xlsx")
# A bilan compares a period with the one before it; ten years is more than any report asks.
MAX_PERIOD_DAYS = 3660


def _line_ids(request: AuthenticatedRequest) -> set[int]:
    ids = staff_line_ids(request.user)
    if not ids:
        raise Http404
    return ids


def _line(request: AuthenticatedRequest) -> Organisation:
    """The line whose reports the user may read (federation staff of its organisation); else 404."""
    ids = _line_ids(request)
    try:
        wanted = parse_int(request.GET.get("line"), name="line", minimum=1)
    except BadParameter:
        raise Http404 from None  # a line one may not read and a malformed one answer alike
    if wanted is not None:
        if wanted not in ids:
            raise Http404
        return Organisation.objects.get(pk=wanted)
    return Organisation.objects.filter(pk__in=ids).order_by("short_name").first()  # type: ignore[return-value]


def _period(request: AuthenticatedRequest) -> tuple[Period, dict[str, str]]:
    """The period asked for, or the default one with a message per field that could not be used."""
    default = default_period(timezone.localdate())
    try:
        first, last = parse_dates(
            request.GET.get("start"),
            request.GET.get("end"),
            max_days=MAX_PERIOD_DAYS,
            default_start=default.first,
            default_end=default.last,
        )
    except BadParameter as error:
        return default, {error.name: error.message}
    return Period(first, last), {}


def line_and_exact_period(request: AuthenticatedRequest) -> tuple[Organisation, Period]:
    """For an export: the line and the very period asked for; a bad one is a BadParameter (a 400), never the
    default period in its place."""
    line = _line(request)
    period, errors = _period(request)
    if errors:
        name, message = next(iter(errors.items()))
        raise BadParameter(name, message)
    return line, period


def _week_day(request: AuthenticatedRequest) -> date:
    """`?week=` as a day of the week (`2026-02-03`, what the page's links carry) or an ISO week (`2026-W06`)."""
    raw = request.GET.get("week")
    iso_week = bool(raw) and "W" in str(raw).upper()
    day = parse_iso_week(raw, name="week") if iso_week else parse_date(raw, name="week")
    return day or timezone.localdate()


@login_required
def index(request: AuthenticatedRequest) -> HttpResponse:
    """What the federation staff of a line can read: the weekly synthesis and the bilan, per line."""
    lines = Organisation.objects.filter(pk__in=_line_ids(request)).order_by("short_name")
    return render(request, "stats/helpline/index.html", {"lines": lines})


def _chart_rows(section: helpline_reports.Section, limit: int = 12) -> tuple[list[str], list[Any]]:
    rows = section.rows[:limit]
    return [row.label for row in rows], [row.share for row in rows]


@login_required
@bad_parameters_answer_400
def weekly(request: AuthenticatedRequest) -> HttpResponseBase:
    line = _line(request)
    day = _week_day(request)
    monday, next_monday = week_bounds(day)
    period = Period(monday, next_monday - timedelta(days=1))
    reading = parse_version(request.GET.get("version"))
    report = helpline_reports.synthesis([line.pk], period, reading)
    export_format = request.GET.get("format")
    if export_format in EXPORT_FORMATS:
        return export_response(
            export_format,
            f"helpline-week-{monday.isoformat()}",
            helpline_tables.synthesis_tables(report),
            separator=separator_from_request(request),
            header=helpline_tables.synthesis_header(report),
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
            "unanswered_needs": unmet.unanswered_needs([line.pk], *helpline_reports.bounds(period)),
            "version_line": helpline_tables.version_line(reading),
            "version": request.GET.get("version") or "",
            "versions": version_choices(),
        },
    )


def _bilan_period(request: AuthenticatedRequest, line: Organisation) -> tuple[Period, dict[str, str], str, bool]:
    """The period (a fixed four-month one, from the line's start, or custom), errors per field, the fixed
    period's value, and whether it has periods to be compared with."""
    raw = (request.GET.get("period") or "").strip()
    if raw:
        try:
            fixed = parse_fixed_period(raw, line.pk, timezone.localdate())
        except BadParameter as error:
            return default_period(timezone.localdate()), {error.name: error.message}, "", True
        assert fixed is not None
        return fixed, {}, raw, raw != SINCE_START
    period, errors = _period(request)
    return period, errors, "", True


@login_required
@bad_parameters_answer_400
def bilan(request: AuthenticatedRequest) -> HttpResponseBase:
    line = _line(request)
    period, errors, fixed, compared = _bilan_period(request, line)
    base = request.GET.get("base", helpline_reports.BASE_REQUESTS)
    if base not in helpline_reports.BASES:
        base = helpline_reports.BASE_REQUESTS
    reading = parse_version(request.GET.get("version"))
    report = helpline_reports.bilan([line.pk], period, base, reading=reading, compared=compared)
    query: dict[str, str | int] = {"line": line.pk, "base": base, "version": request.GET.get("version") or ""}
    if fixed:
        query["period"] = fixed
    else:
        query.update({"start": period.first.isoformat(), "end": period.last.isoformat()})
    export_format = request.GET.get("format")
    if export_format in EXPORT_FORMATS and not errors:
        name = f"helpline-bilan-{period.first.isoformat()}-{period.last.isoformat()}"
        return export_response(
            export_format,
            name,
            helpline_tables.bilan_tables(report),
            separator=separator_from_request(request),
            header=helpline_tables.bilan_header(report),
        )
    chart = None
    if report.themes and report.previous is None:
        top = report.themes[:12]
        chart = charts.horizontal_bars(
            _("Share of each theme (%)"), [row.label for row in top], [row.share_now for row in top], "%"
        )
    elif report.themes:
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
            "fixed": fixed,
            "periods": period_choices(line.pk, timezone.localdate(), line_first_day(line.pk)),
            "query": urlencode(query),
            "version": request.GET.get("version") or "",
            "versions": version_choices(),
            "version_line": helpline_tables.version_line(reading),
            "unanswered_needs": unmet.unanswered_needs([line.pk], *helpline_reports.bounds(period)),
        },
    )


@login_required
@bad_parameters_answer_400
def research_export(request: AuthenticatedRequest) -> HttpResponseBase:
    """Anonymised call rows (one per request) for researchers: no comments, no notes, no people."""
    line, period = line_and_exact_period(request)
    return research_response(
        f"helpline-calls-{period.first.isoformat()}-{period.last.isoformat()}",
        [line.pk],
        period,
        parse_version(request.GET.get("version")),
        export_format="xlsx" if request.GET.get("format") == "xlsx" else "csv",
        separator=separator_from_request(request),
    )
