from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from maillage.core.models import Invitation, Role
from maillage.core.navigation import Panel
from maillage.core.queries import coordinated_organisations


def panels(request: HttpRequest, roles: set[str]) -> list[Panel]:
    if Role.COORDINATOR not in roles:
        return []
    result = []
    for organisation in coordinated_organisations(request.user):
        pending = Invitation.objects.filter(organisation=organisation, accepted_at=None, revoked_at=None).count()
        result.append(
            Panel(
                title=_("Team of %(organisation)s") % {"organisation": organisation.short_name},
                template="core/panels/team.html",
                context={
                    "organisation": organisation,
                    "pending": pending,
                    "members": organisation.memberships.filter(is_active=True).count(),
                },
                link_url=reverse("core:members", args=[organisation.pk]),
                link_label=_("Manage the team"),
            )
        )
    return result
