"""Records that keep themselves true: a public "suggest a correction" form (no account, rate-limited),
moderated by the service's organisation or the federation."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_ratelimit.core import is_ratelimited

from maillage.core.adapters import client_ip
from maillage.core.tenancy import get_object_for_user_or_404
from maillage.directory import services_people
from maillage.directory.forms_people import SuggestionForm
from maillage.directory.models import SuggestionStatus
from maillage.directory.queries import editable_services, published_services

# Suggestions one client may send (per hour), across all services.
SUGGESTION_RATE = "5/h"


def _client_key(group: str, request: HttpRequest) -> str:
    return client_ip(request)


def suggest(request: HttpRequest, pk: int) -> HttpResponse:
    service = get_object_for_user_or_404(published_services().select_related("organisation"), pk=pk)
    form = SuggestionForm(request.POST or None)
    if request.method == "POST":
        if is_ratelimited(
            request, group="directory.suggest", key=_client_key, rate=SUGGESTION_RATE, method="POST", increment=True
        ):
            form.add_error(None, _("Too many suggestions from this connection: please try again in an hour."))
            return render(request, "directory/suggest.html", {"service": service, "form": form}, status=429)
        if form.is_valid():
            services_people.suggest_correction(service, form.cleaned_data["text"], form.cleaned_data["contact"])
            messages.success(request, _("Thank you: your suggestion will be read by the people who keep this page."))
            return redirect("directory:service", pk=service.pk)
    return render(request, "directory/suggest.html", {"service": service, "form": form})


@login_required
def suggestions(request: HttpRequest, pk: int) -> HttpResponse:
    """The suggestions about one service, for its organisation's coordinators and the federation."""
    service = get_object_for_user_or_404(editable_services(request.user), pk=pk)
    return render(
        request,
        "directory/suggestions.html",
        {"service": service, "suggestions": service.suggestions.all(), "pending": SuggestionStatus.PENDING},
    )


@login_required
@require_POST
def moderate(request: HttpRequest, pk: int, suggestion_pk: int) -> HttpResponse:
    service = get_object_for_user_or_404(editable_services(request.user), pk=pk)
    suggestion = get_object_for_user_or_404(
        service.suggestions.filter(status=SuggestionStatus.PENDING), pk=suggestion_pk
    )
    services_people.moderate_suggestion(request.user, suggestion, request.POST.get("decision") == "accept")  # type: ignore[arg-type]
    messages.success(request, _("The suggestion is moderated."))
    return redirect("directory:suggestions", pk=service.pk)
