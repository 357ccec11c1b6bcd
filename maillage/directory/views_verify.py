"""One-click "still accurate" links, the federation's list of records to re-verify, and claims of
directory entries by the coordinators of the organisations they describe."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from maillage.core.audit import log_action
from maillage.core.http import AuthenticatedRequest
from maillage.core.models import Role
from maillage.core.tenancy import get_object_for_user_or_404, is_federation_staff, organisations_of
from maillage.directory.models import DirectoryOrganisation
from maillage.directory.reverification import confirm_by_link, read_token, reverify_days, stale_services


def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the button (a mail scanner writes nothing); POST confirms once."""
    state = read_token(token)
    if state is None:
        raise Http404
    done = None
    if request.method == "POST":
        done = confirm_by_link(state)
        state = read_token(token) or state
    return render(request, "directory/confirm.html", {"state": state, "done": done})


@login_required
def to_verify(request: AuthenticatedRequest) -> HttpResponse:
    if not is_federation_staff(request.user):
        raise Http404
    return render(
        request,
        "directory/to_verify.html",
        {"services": list(stale_services()[:1000]), "days": reverify_days(), "claims": _pending_claims()},
    )


def _pending_claims() -> list[DirectoryOrganisation]:
    return list(
        DirectoryOrganisation.objects.filter(claimed_by__isnull=False, organisation__isnull=True).select_related(
            "claimed_by"
        )
    )


@login_required
@require_POST
def claim(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A coordinator claims an entry nobody keeps yet, for their organisation; the federation confirms."""
    mine = list(organisations_of(request.user, [Role.COORDINATOR]))
    if not mine:
        raise Http404
    entry = get_object_for_user_or_404(DirectoryOrganisation.objects.filter(organisation__isnull=True), pk=pk)
    member = next((o for o in mine if str(o.pk) == request.POST.get("organisation")), mine[0])
    with transaction.atomic():
        entry.claimed_by = member
        entry.claimed_at = timezone.now()
        entry.save(update_fields=["claimed_by", "claimed_at", "updated_at"])
        log_action(
            request.user,
            "directory.organisation.changed",
            entry,
            {"claimed_by": member.pk, "claim": True},
            organisation=member,
        )
    messages.success(request, _("Your claim is sent: the federation will confirm it."))
    return redirect("directory:organisations")


@login_required
@require_POST
def approve_claim(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    if not is_federation_staff(request.user):
        raise Http404
    entry = get_object_for_user_or_404(
        DirectoryOrganisation.objects.filter(claimed_by__isnull=False, organisation__isnull=True), pk=pk
    )
    accepted = request.POST.get("decision") == "accept"
    with transaction.atomic():
        if accepted and not DirectoryOrganisation.objects.filter(organisation=entry.claimed_by).exists():
            entry.organisation = entry.claimed_by
        else:
            accepted = False
        log_action(
            request.user,
            "directory.organisation.accepted" if accepted else "directory.organisation.refused",
            entry,
            {"claimed_by": entry.claimed_by_id},
        )
        entry.claimed_by = None
        entry.claimed_at = None
        entry.save(update_fields=["organisation", "claimed_by", "claimed_at", "updated_at"])
    messages.success(request, _("The claim is accepted.") if accepted else _("The claim is refused."))
    return redirect("directory:to_verify")
