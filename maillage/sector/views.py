"""The sector pages: my centre and the sector, the centre's year, the federation's cycle and report."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from maillage.casework.queries import casework_organisations
from maillage.core.audit import log_action
from maillage.core.models import Organisation, Role, User
from maillage.core.parsing import BadParameter, bad_parameters_answer_400, parse_int
from maillage.core.spreadsheet import content_disposition, csv_response, separator_from_request, xlsx_response
from maillage.core.submission import create_once
from maillage.core.tenancy import is_federation_staff, organisation_ids
from maillage.sector import declared, disclosure_bridge, exports, services
from maillage.sector.charts import pair_chart
from maillage.sector.comparison import MIN_CENTRES, Comparison
from maillage.sector.completeness import completeness
from maillage.sector.counts import sector_centres
from maillage.sector.forms import CommentForm, FiguresForm, PeriodForm, YearForm
from maillage.sector.indicators import GROUP_LABELS, INDICATORS
from maillage.sector.links import annex_url, nonce_from
from maillage.sector.models import AnnexLink, Comment, CompletionDeclaration, DataYear, ReportRun
from maillage.sector.page_figures import PageFigures, page_figures
from maillage.sector.periods import Period, latest_year, parse_period
from maillage.stats.crosstab import target_version

EXPORTS = {"csv", "xlsx", "pdf"}


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _centre(request: HttpRequest) -> Organisation:
    """The member centre asked (`?centre=`), among the visitor's case-work centres; 404 otherwise."""
    centres = list(casework_organisations(request.user).filter(is_member=True).order_by("short_name"))
    if not centres:
        raise Http404
    raw = request.GET.get("centre") or request.POST.get("centre")
    if not raw:
        return centres[0]
    try:
        centre_id = parse_int(raw, name="centre", minimum=1)
    except BadParameter:
        raise Http404 from None
    chosen = next((c for c in centres if c.pk == centre_id), None)
    if chosen is None:
        raise Http404
    return chosen


def _staff(request: HttpRequest) -> None:
    if not is_federation_staff(request.user):
        raise Http404


def _versions() -> str:
    parts = []
    for axis in ("theme", "institution", "stage"):
        version = target_version(axis, None)
        parts.append(f"{version.scheme.label} v{version.number}" if version else f"{axis}: —")
    return "; ".join(parts)


def about(centre: Organisation | None, period: Period, figures: PageFigures | None = None) -> list[tuple[str, str]]:
    lines = []
    if centre is not None:
        lines.append((_("Centre"), centre.short_name))
    lines.append((_("Period"), f"{period.label} ({period.first:%d/%m/%Y}–{period.last:%d/%m/%Y})"))
    if figures is not None:
        at = f"{timezone.localtime(figures.computed_at):%d/%m/%Y %H:%M}"
        computed = _("%(at)s; being updated, reload in a minute for newer figures") if figures.stale else "%(at)s"
        lines.append((_("Figures computed on"), computed % {"at": at}))
    lines += [
        (_("Compared with"), _("every member centre of the federation (no centre named)")),
        (_("Category versions"), _versions()),
        (_("Disclosure rule"), disclosure_bridge.describe_rule()),
        (_("Median and quartiles"), _("only with at least %(n)d contributing centres") % {"n": MIN_CENTRES}),
    ]
    return lines


def _groups(items: list[Comparison], *, charts: bool = True) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for comparison in items:
        group = groups.setdefault(
            comparison.indicator.group,
            {"label": GROUP_LABELS[comparison.indicator.group], "totals": [], "comparisons": []},
        )
        if comparison.indicator.is_total:
            group["totals"].append(comparison)
            continue
        chart = None
        # Level-2 tables have many lines: the table says it all, the chart would not be read.
        if charts and comparison.lines and not comparison.indicator.code.endswith("2"):
            chart = pair_chart(
                comparison.label,
                [line.label for line in comparison.lines],
                [line.own_share for line in comparison.lines],
                [line.sector_share for line in comparison.lines],
                ["" if line.sector_share is not None else line.sector_state for line in comparison.lines],
                _("The centre"),
                _("The sector"),
            )
        group["comparisons"].append({"comparison": comparison, "chart": chart})
    return list(groups.values())


@login_required
@bad_parameters_answer_400
def centre_and_sector(request: HttpRequest) -> HttpResponseBase:
    centre = _centre(request)
    period = parse_period(request.GET.get("year"), request.GET.get("period"))
    figures = page_figures(centre.pk, period)
    items = figures.items
    export_format = request.GET.get("export")
    title = _("%(centre)s and the sector — %(period)s") % {"centre": centre.short_name, "period": period.label}
    if export_format is not None:
        if export_format not in EXPORTS:
            raise BadParameter("export", _("Choose CSV, XLSX or PDF."))
        log_action(
            _user(request),
            "sector.comparison.exported",
            centre,
            {"format": export_format, "year": period.year, "period": period.key},
        )
        return exports.export(
            export_format,
            title,
            about(centre, period, figures),
            items,
            separator=separator_from_request(request),
            filename=f"sector-{centre.short_name}-{period.year}-{period.key}",
        )
    centres = list(casework_organisations(request.user).filter(is_member=True).order_by("short_name"))
    query = urlencode({"centre": str(centre.pk), "year": str(period.year), "period": period.key})
    return render(
        request,
        "sector/centre_and_sector.html",
        {
            "centre": centre,
            "centres": centres,
            "period": period,
            "form": PeriodForm(initial={"year": period.year, "period": period.key}),
            "groups": _groups(items),
            "about": about(centre, period, figures),
            "query": query,
            "title": title,
        },
    )


# The centre's year --------------------------------------------------------------------------------------


@login_required
@bad_parameters_answer_400
def my_year(request: HttpRequest) -> HttpResponse:
    centre = _centre(request)
    raw = request.GET.get("year")
    year = parse_int(raw, name="year", minimum=2000, maximum=latest_year()) if raw else None
    data_year = (
        DataYear.objects.filter(year=year).first()
        if year
        else DataYear.objects.filter(status=DataYear.Status.OPEN).first()
    )
    year = data_year.year if data_year else (year or latest_year())
    declaration = (
        CompletionDeclaration.objects.filter(data_year=data_year, organisation=centre)
        .select_related("declared_by")
        .first()
        if data_year
        else None
    )
    links = (
        AnnexLink.objects.filter(
            organisation=centre, revoked_at__isnull=True, report__status=ReportRun.Status.SUCCEEDED
        )
        .select_related("report")
        .order_by("-report__created_at")[:5]
    )
    is_coordinator = centre.pk in organisation_ids(request.user, [Role.COORDINATOR])
    return render(
        request,
        "sector/my_year.html",
        {
            "centre": centre,
            "data_year": data_year,
            "year": year,
            "completeness": completeness(centre.pk, year),
            "declaration": declaration,
            "is_coordinator": is_coordinator,
            "annexes": [(link, annex_url(link)) for link in links],
            "figures_form": FiguresForm(organisation=centre, initial={"year": year}),
        },
    )


def _coordinated_centre(request: HttpRequest) -> Organisation:
    centre = _centre(request)
    if centre.pk not in organisation_ids(request.user, [Role.COORDINATOR]):
        raise Http404
    return centre


@login_required
@require_POST
def declare_complete(request: HttpRequest) -> HttpResponse:
    centre = _coordinated_centre(request)
    form = YearForm(request.POST)
    data_year = DataYear.objects.filter(year=form.cleaned_data["year"]).first() if form.is_valid() else None
    if data_year is None:
        messages.error(request, _("This year is not open."))
    else:
        try:
            services.declare_complete(_user(request), centre, data_year)
            messages.success(request, _("The year %(year)d is declared complete.") % {"year": data_year.year})
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    return redirect(f"{reverse('sector:my_year')}?{urlencode({'centre': centre.pk})}")


@login_required
def submit_figures(request: HttpRequest) -> HttpResponse:
    centre = _coordinated_centre(request)
    form = FiguresForm(request.POST or None, request.FILES or None, organisation=centre)
    if request.method == "POST" and form.is_valid():
        assert form.data_year is not None
        data_year = form.data_year
        outcome = create_once(
            request,
            "sector.figures",
            lambda: services.submit_figures(
                _user(request), centre, data_year, form.cleaned_data["file"].name, form.figures
            ),
            lambda submission: (
                f"{reverse('sector:my_year')}?{urlencode({'centre': centre.pk, 'year': data_year.year})}",
                _("These figures were already received."),
            ),
        )
        if not outcome.repeated:
            messages.success(
                request, _("%(n)d figures received for %(year)d.") % {"n": len(form.figures), "year": data_year.year}
            )
            return redirect(f"{reverse('sector:my_year')}?{urlencode({'centre': centre.pk, 'year': data_year.year})}")
        return outcome.redirect(request)
    return render(
        request, "sector/submit_figures.html", {"centre": centre, "form": form}, status=400 if form.is_bound else 200
    )


@login_required
@bad_parameters_answer_400
def figures_template(request: HttpRequest) -> HttpResponseBase:
    centre = _coordinated_centre(request)
    raw = request.GET.get("year")
    year = (parse_int(raw, name="year", minimum=2000, maximum=latest_year()) if raw else None) or latest_year() - 1
    rows = declared.template_rows(centre, year)
    name = f"sector-figures-{centre.short_name}-{year}"
    if request.GET.get("format") == "xlsx":
        return xlsx_response(f"{name}.xlsx", [(str(year), declared.HEADER, rows)])
    return csv_response(f"{name}.csv", declared.HEADER, rows, separator=separator_from_request(request))


# Federation staff -----------------------------------------------------------------------------------------


@login_required
def cycle(request: HttpRequest) -> HttpResponse:
    _staff(request)
    years = list(DataYear.objects.prefetch_related("declarations__organisation"))
    centres = list(Organisation.objects.filter(pk__in=sector_centres()).order_by("short_name"))
    table = []
    for data_year in years:
        declared_ids = {d.organisation_id: d for d in data_year.declarations.all()}
        table.append(
            {
                "year": data_year,
                "declared": [(c, declared_ids.get(c.pk)) for c in centres],
                "count": len(declared_ids),
            }
        )
    return render(
        request,
        "sector/cycle.html",
        {"years": table, "centres": centres, "open_form": YearForm(initial={"year": latest_year()})},
    )


@login_required
@require_POST
def open_year(request: HttpRequest) -> HttpResponse:
    _staff(request)
    form = YearForm(request.POST)
    if form.is_valid():
        services.open_year(_user(request), form.cleaned_data["year"])
        messages.success(request, _("The year %(year)d is open.") % {"year": form.cleaned_data["year"]})
    else:
        messages.error(request, " ".join(str(e) for e in form.errors.get("year", [])))
    return redirect("sector:cycle")


@login_required
@require_POST
def close_year(request: HttpRequest) -> HttpResponse:
    _staff(request)
    form = YearForm(request.POST)
    data_year = DataYear.objects.filter(year=form.cleaned_data["year"]).first() if form.is_valid() else None
    if data_year is None:
        raise Http404
    services.close_year(_user(request), data_year)
    messages.success(request, _("The year %(year)d is closed.") % {"year": data_year.year})
    return redirect("sector:cycle")


@login_required
def comments(request: HttpRequest) -> HttpResponse:
    _staff(request)
    form = CommentForm(request.POST or None, initial={"year": latest_year() - 1})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        outcome = create_once(
            request,
            "sector.comment",
            lambda: services.add_comment(_user(request), data["year"], data["indicator"], data["text"]),
            lambda comment: (reverse("sector:comments"), _("This comment was already saved.")),
        )
        if not outcome.repeated:
            messages.success(request, _("The comment is saved."))
            return redirect("sector:comments")
        return outcome.redirect(request)
    listed = Comment.objects.select_related("author").order_by("-year", "indicator", "created_at")[:200]
    rows = [(c, INDICATORS[c.indicator].label if c.indicator in INDICATORS else c.indicator) for c in listed]
    return render(
        request, "sector/comments.html", {"form": form, "comments": rows}, status=400 if form.is_bound else 200
    )


@login_required
def reports(request: HttpRequest) -> HttpResponse:
    _staff(request)
    form = YearForm(request.POST or None, initial={"year": latest_year() - 1})
    if request.method == "POST" and form.is_valid():
        year = form.cleaned_data["year"]
        outcome = create_once(
            request,
            "sector.report",
            lambda: services.start_report(_user(request), year),
            lambda run: (reverse("sector:report", kwargs={"run_id": run.pk}), _("This report was already started.")),
        )
        if outcome.result is not None:
            return redirect("sector:report", run_id=outcome.result.pk)
        return outcome.redirect(request)
    runs = ReportRun.objects.defer("html", "pdf").select_related("actor")[:30]
    return render(request, "sector/reports.html", {"form": form, "runs": runs}, status=400 if form.is_bound else 200)


def _run(request: HttpRequest, run_id: int) -> ReportRun:
    _staff(request)
    return get_object_or_404(ReportRun, pk=run_id)


@login_required
def report(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run(request, run_id)
    if run.status != ReportRun.Status.SUCCEEDED:
        return render(request, "sector/report_status.html", {"run": run})
    if request.GET.get("view") == "document":
        return HttpResponse(run.html)
    annexes = [
        (link, annex_url(link))
        for link in run.annexes.select_related("organisation").order_by("organisation__short_name")
    ]
    return render(request, "sector/report_status.html", {"run": run, "annexes": annexes})


@login_required
def report_pdf(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run(request, run_id)
    if run.status != ReportRun.Status.SUCCEEDED:
        raise Http404
    response = HttpResponse(bytes(run.pdf), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition(f"sector-report-{run.year}.pdf")
    return response


@login_required
@require_POST
def annex_revoke(request: HttpRequest, link_id: int) -> HttpResponse:
    _staff(request)
    link = get_object_or_404(AnnexLink.objects.select_related("report", "organisation"), pk=link_id)
    services.revoke_annex(_user(request), link)
    messages.success(request, _("The link of %(centre)s no longer opens.") % {"centre": link.organisation.short_name})
    return redirect("sector:report", run_id=link.report_id)


@login_required
def annex(request: HttpRequest, token: str) -> HttpResponseBase:
    """A centre's annex: the link is signed and random, and opens only for a signed-in member of that centre
    (a forwarded or replayed link shows nothing to anyone else); revoked links answer 404."""
    nonce = nonce_from(token)
    if nonce is None:
        raise Http404
    link = (
        AnnexLink.objects.select_related("report", "organisation").filter(nonce=nonce, revoked_at__isnull=True).first()
    )
    if link is None or link.organisation_id not in casework_organisations(request.user).values_list("pk", flat=True):
        raise Http404
    period = Period(link.report.year)
    centre = link.organisation
    figures = page_figures(centre.pk, period)
    items = figures.items
    title = _("%(centre)s in the sector report %(year)d") % {"centre": centre.short_name, "year": period.year}
    if request.GET.get("export") == "pdf":
        return exports.pdf_response(
            title, about(centre, period, figures), items, filename=f"annex-{centre.short_name}-{period.year}"
        )
    notes: dict[str, list[str]] = {}
    for comment in Comment.objects.filter(year=period.year):
        notes.setdefault(comment.indicator, []).append(comment.text)
    return render(
        request,
        "sector/annex.html",
        {
            "centre": centre,
            "period": period,
            "groups": _groups(items),
            "about": about(centre, period, figures),
            "title": title,
            "notes": notes,
        },
    )
