from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language as django_set_language

from maillage.core import observability, services
from maillage.core.forms import AcceptInvitationForm, AuditFilterForm, InvitationForm, add_service_error
from maillage.core.http import AuthenticatedRequest
from maillage.core.models import Invitation, Membership, Role, User
from maillage.core.navigation import home_panels
from maillage.core.queries import (
    audit_entries_visible_to,
    audit_people_visible_to,
    coordinated_organisations,
    filter_audit,
    members_of,
)
from maillage.core.tenancy import get_object_for_user_or_404, has_role, is_federation_staff, user_roles


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "core/welcome.html")
    roles = user_roles(request.user)
    panels = [(panel, panel.render(request)) for panel in home_panels(request, roles)]
    return render(request, "core/home.html", {"panels": panels})


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The database (503 when it does not answer), the task queue, the outbox and the replica's lag."""
    return observability.healthz_response()


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus's text format, for a scraper holding MAILLAGE_METRICS_TOKEN (404 to anyone else)."""
    if not observability.metrics_allowed(request):
        raise Http404
    return HttpResponse(observability.metrics_text(), content_type="text/plain; version=0.0.4; charset=utf-8")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's switcher, remembering the choice on the account so emails follow it."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in {"fr", "nl", "en"}:
        services.set_user_language(request.user, language)
    return response


@login_required
def members(request: AuthenticatedRequest, organisation_id: int) -> HttpResponse:
    organisation = get_object_for_user_or_404(coordinated_organisations(request.user), pk=organisation_id)
    form = InvitationForm(request.POST or None, initial={"language": request.user.language})
    if request.method == "POST" and form.is_valid():
        try:
            services.invite_member(request.user, organisation, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]})
            return redirect("core:members", organisation_id=organisation.pk)
    invitations = Invitation.objects.filter(
        organisation=organisation, accepted_at=None, revoked_at=None
    ).select_related("invited_by")
    return render(
        request,
        "core/members.html",
        {"organisation": organisation, "members": members_of(organisation), "invitations": invitations, "form": form},
    )


@login_required
@require_POST
def remove_member(request: AuthenticatedRequest, organisation_id: int, membership_id: int) -> HttpResponse:
    organisation = get_object_for_user_or_404(coordinated_organisations(request.user), pk=organisation_id)
    membership = get_object_for_user_or_404(
        Membership.objects.filter(organisation=organisation, is_active=True), pk=membership_id
    )
    if membership.user_id == request.user.pk and membership.role == "coordinator":
        messages.error(request, _("You cannot remove your own coordinator role."))
    else:
        services.remove_member(request.user, membership)
        messages.success(request, _("%(person)s no longer has this role.") % {"person": membership.user})
    return redirect("core:members", organisation_id=organisation.pk)


@login_required
@require_POST
def revoke_invitation(request: AuthenticatedRequest, organisation_id: int, invitation_id: int) -> HttpResponse:
    organisation = get_object_for_user_or_404(coordinated_organisations(request.user), pk=organisation_id)
    invitation = get_object_for_user_or_404(Invitation.objects.filter(organisation=organisation), pk=invitation_id)
    services.revoke_invitation(request.user, invitation)
    messages.success(request, _("Invitation withdrawn."))
    return redirect("core:members", organisation_id=organisation.pk)


def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Join an organisation from an invitation link.

    Signed in with the invited address: confirm and join. Signed in with another address:
    refused (audited). Not signed in and the address has an account: sign in first (password
    and second factor, through allauth), then come back. No account yet: create it, then sign
    in through allauth's flow so that its stages (second factor) apply.
    """
    try:
        invitation = services.find_pending_invitation(token)
    except ValidationError as error:
        return render(request, "core/invitation_invalid.html", {"reason": error.messages[0]}, status=410)
    context: dict[str, object] = {"invitation": invitation, "form": None}
    if request.user.is_authenticated:
        if request.user.email.strip().lower() != invitation.email:
            if request.method == "POST":
                try:
                    services.check_invitation_is_for(invitation, request.user)
                except ValidationError as error:
                    context["refusal"] = error.messages[0]
            else:
                context["refusal"] = services.INVITATION_MISMATCH
            return render(request, "core/accept_invitation.html", context, status=403)
        if request.method == "POST":
            try:
                services.accept_invitation(token, request.user)
            except ValidationError as error:
                return render(request, "core/invitation_invalid.html", {"reason": error.messages[0]}, status=410)
            messages.success(request, _("You joined %(organisation)s.") % {"organisation": invitation.organisation})
            return redirect("core:home")
        return render(request, "core/accept_invitation.html", context)
    if services.account_exists_for(invitation):
        context["login_url"] = f"{reverse('account_login')}?{urlencode({'next': request.path})}"
        return render(request, "core/accept_invitation.html", context)
    form = AcceptInvitationForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.create_account_from_invitation(
                token, full_name=form.cleaned_data["full_name"], password=form.cleaned_data["password"]
            )
        except ValidationError as error:
            return render(request, "core/invitation_invalid.html", {"reason": error.messages[0]}, status=410)
        messages.success(
            request, _("Welcome! You joined %(organisation)s.") % {"organisation": invitation.organisation}
        )
        return sign_in_new_account(request, user)
    context["form"] = form
    return render(request, "core/accept_invitation.html", context)


def sign_in_new_account(request: HttpRequest, user: User) -> HttpResponse:
    """Sign a just-created account in through allauth's login flow (its stages, signals, messages)."""
    from allauth.account.internal.flows.login import record_authentication
    from allauth.account.utils import perform_login

    record_authentication(request, user, method="password")  # the password typed on the form
    return perform_login(request, user, email_verification="none", redirect_url=reverse("core:home"))


@login_required
def audit_log(request: AuthenticatedRequest) -> HttpResponse:
    if not (is_federation_staff(request.user) or has_role(request.user, Role.COORDINATOR)):
        raise Http404
    entries = audit_entries_visible_to(request.user)
    form = AuditFilterForm(request.GET or None, people=audit_people_visible_to(request.user))
    if form.is_valid():
        entries = filter_audit(entries, form.cleaned_data)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "core/audit_log.html", {"form": form, "page": page})
