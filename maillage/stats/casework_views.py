"""Case-work statistics: a centre's cross-tab builder and saved reports; sector extraction for the federation."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from maillage.casework import services as casework_services
from maillage.casework.models import SavedReport
from maillage.casework.queries import casework_organisations
from maillage.core.audit import log_action
from maillage.core.models import Organisation, Sector, User
from maillage.core.parsing import BadParameter, bad_parameters_answer_400, parse_int
from maillage.core.spreadsheet import separator_from_request
from maillage.core.tenancy import get_object_for_user_or_404, is_federation_staff
from maillage.stats import charts, crosstab_output, exports, sector_extraction
from maillage.stats.crosstab import CrossTabError, Params, Scope, build
from maillage.stats.crosstab_forms import CrossTabForm, SaveReportForm, initial_from
from maillage.stats.disclosure import GRID, DisclosureRefused, GridPeriod, Rule
from maillage.stats.disclosure.periods import LABELS


def _centre(request: HttpRequest) -> Organisation:
    centres = list(casework_organisations(request.user).order_by("short_name"))
    if not centres:
        raise Http404
    chosen = request.GET.get("centre") or request.session.get("casework_centre")
    return next((c for c in centres if str(c.pk) == str(chosen)), centres[0])


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _render_or_export(
    request: HttpRequest,
    form: CrossTabForm,
    scope: Scope | None,
    context: dict[str, Any],
    *,
    suppress: bool,
    organisation: Organisation | None,
    template: str,
) -> HttpResponseBase:
    result = None
    error = ""
    if scope is not None and form.is_bound and form.is_valid():
        try:
            result = build(form.params(), scope)
        except CrossTabError as problem:
            error = str(problem)
        except ValidationError as problem:  # a saved report read in a version that is gone
            error = " ".join(problem.messages)
    export_format = request.GET.get("export")
    if result is not None and export_format in {"csv", "xlsx"}:
        log_action(
            _user(request),
            "stats.crosstab.exported",
            None,
            {"format": export_format, **form.params().to_json(), "suppressed": suppress},
            organisation=organisation,
        )
        return crosstab_output.export(
            export_format, result, suppress=suppress, separator=separator_from_request(request)
        )
    query = request.GET.copy()
    query.pop("export", None)
    context.update(
        {
            "form": form,
            "result": result,
            "error": error,
            "grids": crosstab_output.grids(result, suppress=suppress) if result else [],
            "chart": crosstab_output.chart(result, suppress=suppress) if result else None,
            "query": query.urlencode(),
            "suppress": suppress,
            "description": crosstab_output.description(result) if result else [],
            "active_filters": _active_filters(request, result),
        }
    )
    return render(request, template, context)


def _active_filters(request: HttpRequest, result: Any) -> list[tuple[str, list[tuple[str, str]]]]:
    """Each chosen filter as (dimension, [(value, link to the same table without that value)])."""
    if result is None:
        return []
    base = request.GET.copy()
    base.pop("export", None)
    chosen = []
    for key, dimension, values in result.filter_labels:
        links = []
        for value, label in values:
            query = base.copy()
            query.setlist(f"f_{key}", [other for other, _label in values if other != value])
            links.append((label, "?" + query.urlencode()))
        chosen.append((dimension, links))
    return chosen


@login_required
def crosstab(request: HttpRequest) -> HttpResponseBase:
    centre = _centre(request)
    if request.GET.get("report"):
        try:
            report_id = parse_int(request.GET["report"], name="report", minimum=1)
        except BadParameter:
            raise Http404 from None  # as for a report of another centre
        report = get_object_for_user_or_404(SavedReport.objects.filter(organisation=centre), pk=report_id)
        params = Params.from_json(report.params)
        query = urlencode({k: v for k, v in initial_from(params).items() if v not in (None, "", [])}, doseq=True)
        return redirect(f"{reverse('stats:casework_crosstab')}?{query}&run=1")
    bound = "run" in request.GET
    form = CrossTabForm(request.GET if bound else None, centre=centre)
    reports = SavedReport.objects.filter(organisation=centre).select_related("owner")
    return _render_or_export(
        request,
        form,
        Scope([centre.pk]),
        {"centre": centre, "reports": reports, "save_form": SaveReportForm()},
        suppress=False,
        organisation=centre,
        template="stats/casework/crosstab.html",
    )


@login_required
@require_POST
def save_report(request: HttpRequest) -> HttpResponse:
    centre = _centre(request)
    form = CrossTabForm(request.POST, centre=centre)
    save_form = SaveReportForm(request.POST)
    if form.is_valid() and save_form.is_valid():
        try:
            casework_services.save_report(
                _user(request), centre, save_form.cleaned_data["name"], form.params().to_json()
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Report saved."))
    else:
        messages.error(request, _("The report could not be saved: give it a name and valid settings."))
    return redirect("stats:casework_crosstab")


@login_required
@require_POST
def delete_report(request: HttpRequest, report_id: int) -> HttpResponse:
    centre = _centre(request)
    report = get_object_for_user_or_404(SavedReport.objects.filter(organisation=centre), pk=report_id)
    casework_services.delete_report(_user(request), report)
    messages.success(request, _("Report deleted."))
    return redirect("stats:casework_crosstab")


def _grid_period(request: HttpRequest) -> GridPeriod:
    """The period of the fixed grid asked (`year`, `period`); a translated 400 outside it."""
    latest = timezone.localdate().year
    year = parse_int(request.GET.get("year"), name="year", minimum=2000, maximum=latest, default=latest) or latest
    key = request.GET.get("period") or "year"
    if key not in GRID:
        raise BadParameter("period", _("Choose a year, a four-month period or a quarter."))
    return GridPeriod(year, key)


@login_required
@bad_parameters_answer_400
def sector(request: HttpRequest) -> HttpResponseBase:
    """Federation staff: figures across the centres of a sector or of a subsidy, on the fixed period grid,
    every cell through the disclosure engine (one protection per family of tables, checked by LP)."""
    if not is_federation_staff(request.user):
        raise Http404
    period = _grid_period(request)
    bound = "run" in request.GET
    data = request.GET.copy()
    free_range = bool(data.get("date_from") or data.get("date_to"))
    data["date_from"], data["date_to"] = period.first.isoformat(), period.last.isoformat()
    form = CrossTabForm(data if bound else None, sector_mode=True)
    extraction = None
    error = ""
    if free_range:
        error = _("Shared figures are given for a year, a four-month period or a quarter, not for free dates.")
    elif bound and form.is_valid():
        centres = Organisation.objects.filter(is_member=True).exclude(sector=Sector.FEDERATION)
        if form.cleaned_data.get("sector"):
            centres = centres.filter(sector=form.cleaned_data["sector"])
        subsidy = form.cleaned_data.get("subsidy")
        scope = Scope(list(centres.values_list("pk", flat=True)), int(subsidy) if subsidy else None)
        try:
            extraction = sector_extraction.extract(form.params(), scope, period)
        except (CrossTabError, DisclosureRefused) as problem:
            error = problem.message if isinstance(problem, DisclosureRefused) else str(problem)
        except ValidationError as problem:
            error = " ".join(problem.messages)
    export_format = request.GET.get("export")
    if extraction is not None and export_format in {"csv", "xlsx"}:
        log_action(
            _user(request),
            "stats.crosstab.exported",
            None,
            {
                "format": export_format,
                **extraction.result.params.to_json(),
                "suppressed": True,
                "disclosure": extraction.rule.as_dict(),
            },
        )
        return exports.export_response(
            export_format,
            "sector-" + "-".join(extraction.result.params.dimensions),
            sector_extraction.export_tables(extraction),
            separator=separator_from_request(request),
            header=sector_extraction.header(extraction),
        )
    query = request.GET.copy()
    query.pop("export", None)
    pairs = (extraction.chart_pairs if extraction else [])[:30]
    chart = None
    if extraction is not None and pairs:
        result = extraction.result
        chart = charts.horizontal_bars(
            f"{result.measure_label} — {result.dimension_labels[0]}", [p[0] for p in pairs], [p[1] for p in pairs]
        )
    context = {
        "sector_mode": True,
        "form": form,
        "result": extraction.result if extraction else None,
        "error": error,
        "grids": extraction.grids if extraction else [],
        "chart": chart,
        "query": query.urlencode(),
        "suppress": True,
        "description": sector_extraction.header(extraction) if extraction else [],
        "active_filters": _active_filters(request, extraction.result if extraction else None),
        "years": list(range(timezone.localdate().year, 1999, -1))[:15],
        "periods": [(key, LABELS[key]) for key in GRID],
        "period": period,
        "rule": Rule(),
    }
    return render(request, "stats/casework/sector.html", context)
