from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maillage.core.models import Role
from maillage.core.navigation import Panel
from maillage.helpline.queries import my_shifts, open_callbacks


def panels(request: HttpRequest, roles: set[str]) -> list[Panel]:
    if Role.RESPONDER not in roles:
        return []
    now = timezone.now()
    shifts = list(my_shifts(request.user, now)[:2])  # type: ignore[arg-type]
    current = next((shift for shift in shifts if shift.starts_at <= now), None)
    upcoming = next((shift for shift in shifts if shift.starts_at > now), None)
    return [
        Panel(
            title=_("Helpline"),
            template="helpline/panels/shift.html",
            context={"current": current, "next": upcoming, "callbacks": open_callbacks(request.user).count()},
            link_url=reverse("helpline:call_new"),
            link_label=_("Log a call"),
        )
    ]
