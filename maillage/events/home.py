from __future__ import annotations

from django.db.models import Count, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from maillage.core.models import Role
from maillage.core.navigation import Panel
from maillage.events.models import Status
from maillage.events.queries import events_managed_by


def panels(request: HttpRequest, roles: set[str]) -> list[Panel]:
    if not roles & {Role.ORGANISER, Role.FEDERATION_STAFF}:
        return []
    events = list(
        events_managed_by(request.user)
        .annotate(
            confirmed=Count("registrations", filter=Q(registrations__status=Status.CONFIRMED)),
            waiting=Count("registrations", filter=Q(registrations__status=Status.WAITING)),
            to_approve=Count("registrations", filter=Q(registrations__status=Status.AWAITING_APPROVAL)),
        )
        .order_by("-created_at")[:5]
    )
    if not events:
        return []
    return [
        Panel(
            title=_("Your events"),
            template="events/panels/events.html",
            context={"events": events},
            link_url=reverse("events:manage_list"),
            link_label=_("All your events"),
        )
    ]
