from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from maillage.core.models import Role
from maillage.core.navigation import Panel
from maillage.directory.queries import editable_services, stale_after_days, stale_filter


def panels(request: HttpRequest, roles: set[str]) -> list[Panel]:
    """Coordinators and federation staff: services whose information needs confirming."""
    if not roles & {Role.COORDINATOR, Role.FEDERATION_STAFF, Role.ADMINISTRATOR}:
        return []
    stale = list(editable_services(request.user).filter(stale_filter()).order_by("name_fr")[:10])
    return [
        Panel(
            title=_("Directory: information to confirm"),
            template="directory/panels/stale.html",
            context={"services": stale, "days": stale_after_days()},
            link_url=reverse("directory:changes"),
            link_label=_("Recent changes"),
        )
    ]
