from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from maillage.casework.queries import case_file_list
from maillage.core.models import Role
from maillage.core.navigation import Panel


def panels(request: HttpRequest, roles: set[str]) -> list[Panel]:
    if not roles & {Role.WORKER, Role.COORDINATOR}:
        return []
    files = list(case_file_list(request.user, open_only=True).filter(workers__pk=request.user.pk or 0)[:5])
    return [
        Panel(
            title=_("My open case files"),
            template="casework/panels/my_files.html",
            context={"files": files},
            link_url=reverse("casework:case_files"),
            link_label=_("All case files"),
        )
    ]
