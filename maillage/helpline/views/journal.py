"""The import of a past call journal: upload, then follow its progress."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render

from maillage.core.http import AuthenticatedRequest
from maillage.core.tenancy import get_object_for_user_or_404
from maillage.helpline import importer, queries
from maillage.helpline.forms import (
    ImportForm,
)
from maillage.helpline.views._common import is_htmx, staff_line_or_404


@login_required
def import_journal(request: AuthenticatedRequest) -> HttpResponse:
    line = staff_line_or_404(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        run = importer.start_import(request.user, line, upload.name, upload.read(), form.cleaned_data["skip_bad_rows"])
        return redirect("helpline:import_status", pk=run.pk)
    return render(
        request,
        "helpline/import_form.html",
        {"form": form, "columns": importer.COLUMNS, "runs": queries.imports_visible_to(request.user)[:10]},
    )


@login_required
def import_status(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = get_object_for_user_or_404(queries.imports_visible_to(request.user), pk=pk)
    template = "helpline/_import_progress.html" if is_htmx(request) else "helpline/import_status.html"
    return render(request, template, {"run": run})
