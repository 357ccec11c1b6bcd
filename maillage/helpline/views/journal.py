"""The import of a past call journal: upload, then follow its progress (it always ends), start it again."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from maillage.core.http import AuthenticatedRequest
from maillage.core.submission import create_once, previous_result
from maillage.core.tenancy import get_object_for_user_or_404
from maillage.helpline import importer, queries
from maillage.helpline.forms import ImportForm
from maillage.helpline.models import JournalImport
from maillage.helpline.views._common import is_htmx, staff_line_or_404

IMPORT_PURPOSE = "helpline.import"


def _describe_import(job: JournalImport) -> tuple[str, str]:
    return reverse("helpline:import_status", args=[job.pk]), _("The import of %(name)s was already started.") % {
        "name": job.filename
    }


@login_required
def import_journal(request: AuthenticatedRequest) -> HttpResponse:
    line = staff_line_or_404(request)
    if request.method == "POST" and (previous := previous_result(request, IMPORT_PURPOSE)) is not None:
        return previous.redirect(request)  # the same upload sent again: not stored a second time
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        skip = form.cleaned_data["skip_bad_rows"]
        outcome = create_once(
            request,
            IMPORT_PURPOSE,
            lambda: importer.start_import(request.user, line, upload, skip),
            _describe_import,
        )
        if outcome.repeated or outcome.result is None:
            return outcome.redirect(request)
        return redirect("helpline:import_status", pk=outcome.result.pk)
    imports = queries.imports_visible_to(request.user)
    importer.give_up_stale_imports(imports)
    return render(
        request,
        "helpline/import_form.html",
        {"form": form, "columns": importer.COLUMNS, "runs": imports[:10]},
    )


@login_required
def import_status(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    imports = queries.imports_visible_to(request.user)
    run = get_object_for_user_or_404(imports, pk=pk)
    if importer.give_up_stale_imports(imports.filter(pk=run.pk)):
        run.refresh_from_db()
    template = "helpline/_import_progress.html" if is_htmx(request) else "helpline/import_status.html"
    return render(request, template, {"run": run})


@login_required
@require_POST
def import_restart(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = get_object_for_user_or_404(queries.imports_visible_to(request.user), pk=pk)
    if importer.restart_import(request.user, run):
        messages.success(request, _("The import was started again."))
    else:
        messages.error(request, _("Only an import that failed can be started again."))
    return redirect("helpline:import_status", pk=run.pk)
