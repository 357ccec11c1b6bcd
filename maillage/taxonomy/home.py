"""Home panel of federation staff: category drafts waiting to be published."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from maillage.core.models import Role
from maillage.core.navigation import Panel
from maillage.taxonomy.models import SchemeVersion, VersionStatus

STAFF_ROLES = {Role.FEDERATION_STAFF, Role.ADMINISTRATOR}


def panels(request: HttpRequest, roles: set[str]) -> list[Panel]:
    if not roles & STAFF_ROLES:
        return []
    drafts = SchemeVersion.objects.filter(status=VersionStatus.DRAFT).select_related("scheme").order_by("scheme__code")
    return [
        Panel(
            title=_("Category drafts"),
            template="taxonomy/panels/drafts.html",
            context={"drafts": list(drafts)},
            link_url=reverse("taxonomy:schemes"),
            link_label=_("All category schemes"),
        )
    ]
