"""Exports prepared in the background (`export_runs`): asked for by a form, followed on a page, downloaded once ready.

Every run answers its author only, while they still read the line's reports: anyone else, a forwarded link
included, gets the same 404 as a run that does not exist.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from maillage.core import spreadsheet
from maillage.core.audit import log_action
from maillage.core.http import AuthenticatedRequest
from maillage.core.parsing import BadParameter, bad_parameters_answer_400, bad_request
from maillage.core.submission import create_once
from maillage.core.tenancy import get_object_for_user_or_404
from maillage.stats import export_runs
from maillage.stats.helpline_reading import parse_version
from maillage.stats.models import ExportFormat, ExportRun
from maillage.stats.views_helpline import _line_ids, line_and_exact_period


@login_required
@require_POST
@bad_parameters_answer_400
def research_export_start(request: AuthenticatedRequest) -> HttpResponseBase:
    """Queue the anonymised call rows of the period in the query string, in the format posted."""
    line, period = line_and_exact_period(request)
    export_format = request.POST.get("format")
    if export_format not in ExportFormat.values:
        return bad_request(request, BadParameter("format", _("Choose CSV or XLSX.")))
    reading = parse_version(request.GET.get("version"))
    user = request.user
    outcome = create_once(
        request,
        "stats.research_export",
        lambda: export_runs.start_export(
            user,
            line,
            period,
            reading,
            export_format,
            spreadsheet.separator_from_request(request),
            f"helpline-calls-{period.first.isoformat()}-{period.last.isoformat()}",
        ),
        lambda run: (
            reverse("stats:helpline_export_run", args=[run.pk]),
            _("This export was already asked for; here it is."),
        ),
    )
    if outcome.repeated:
        return outcome.redirect(request)
    assert outcome.result is not None
    return redirect("stats:helpline_export_run", run_id=outcome.result.pk)


def _own_run(request: AuthenticatedRequest, run_id: int) -> ExportRun:
    return get_object_for_user_or_404(
        export_runs.runs_of(request.user, _line_ids(request)).select_related("organisation"), pk=run_id
    )


@login_required
def export_run(request: AuthenticatedRequest, run_id: int) -> HttpResponse:
    """The run's progress (the fragment alone for htmx, which asks every second until it ends) and its link."""
    run = _own_run(request, run_id)
    template = "stats/_export_progress.html" if request.headers.get("HX-Request") else "stats/export_run.html"
    return render(request, template, {"run": run})


@login_required
def export_download(request: AuthenticatedRequest, run_id: int) -> HttpResponseBase:
    run = _own_run(request, run_id)
    if not run.downloadable or not default_storage.exists(run.stored_file):
        raise Http404
    log_action(request.user, "stats.research_export.downloaded", run, organisation=run.organisation)
    content_type = spreadsheet.XLSX_TYPE if run.export_format == ExportFormat.XLSX else spreadsheet.CSV_TYPE
    response = FileResponse(default_storage.open(run.stored_file, "rb"), content_type=content_type)
    return spreadsheet.private_download(response, run.filename)
