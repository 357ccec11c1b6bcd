"""What every helpline view shares: the line the user works for, htmx fragments."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string

from maillage.core.http import AuthenticatedRequest
from maillage.core.models import Organisation
from maillage.helpline import queries

PAGE_SIZE = 50


def fragment(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """A piece of a page for htmx: rendered without the page's context processors (navigation, roles)."""
    return HttpResponse(render_to_string(template, {**context, "request": request, "csrf_token": get_token(request)}))


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def line_or_404(request: AuthenticatedRequest) -> Organisation:
    """The line the user works for; nobody else reaches helpline pages."""
    lines = queries.line_organisations(request.user)
    if not lines:
        raise Http404
    wanted = request.GET.get("line") or request.POST.get("line")
    if wanted:
        for line in lines:
            if str(line.pk) == wanted:
                return line
        raise Http404
    return lines[0]


def staff_line_or_404(request: AuthenticatedRequest) -> Organisation:
    line = line_or_404(request)
    if line.pk not in queries.staff_line_ids(request.user):
        raise Http404
    return line
