"""Returning callers: give a reference at the end of a call, look up the calls of a quoted one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit import ALL
from django_ratelimit.core import is_ratelimited

from maillage.core.http import AuthenticatedRequest
from maillage.core.tenancy import get_object_for_user_or_404
from maillage.helpline import queries
from maillage.helpline.services import references
from maillage.helpline.views._common import fragment, is_htmx, line_or_404

REFERENCE_RATE = "20/h"


@login_required
@require_POST
def reference_give(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    call = get_object_for_user_or_404(queries.calls_visible_to(request.user), pk=pk)
    reference = references.give_reference(request.user, call)
    if is_htmx(request):
        return fragment(request, "helpline/_reference_given.html", {"reference": reference})
    messages.success(request, _("Reference to read to the caller: %(code)s") % {"code": reference.code})
    return redirect("helpline:call_detail", pk=call.pk)


@login_required
@require_GET
def reference_lookup(request: AuthenticatedRequest) -> HttpResponse:
    """The earlier calls of a quoted reference (rate-limited per responder: no guessing)."""
    line = line_or_404(request)
    text = str(request.GET.get("reference", ""))[:20]
    if not text.strip():
        return HttpResponse("")
    if is_ratelimited(request, group="helpline.reference", key="user", rate=REFERENCE_RATE, method=ALL, increment=True):
        context = {"reference_error": _("Too many references tried: please wait before trying another.")}
        response = fragment(request, "helpline/_reference_history.html", context)
        response.status_code = 429
        return response
    try:
        reference = references.find_reference(line, text)
    except ValidationError as error:
        return fragment(request, "helpline/_reference_history.html", {"reference_error": error.messages[0]})
    return fragment(
        request,
        "helpline/_reference_history.html",
        {"reference": reference, "earlier_calls": references.earlier_calls(reference)},
    )
