"""`{% load taxonomy_notice %}{% published_notice %}`: "Request themes: version 2 in force since 4 December
2026 — what changed", for a while after each publication, in any module's page."""

from __future__ import annotations

from typing import Any

from django import template

from maillage.core.tenancy import is_federation_staff
from maillage.taxonomy.queries import latest_publications

register = template.Library()

RECENT_DAYS = 90


@register.inclusion_tag("taxonomy/_published_notice.html", takes_context=True)
def published_notice(context: Any, scheme: str = "", days: int = RECENT_DAYS) -> dict[str, Any]:
    """The schemes whose version in force was published in the last `days` days (`scheme`: only that one)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    publications = [
        publication for publication in latest_publications(days) if not scheme or publication.scheme.code == scheme
    ]
    return {
        "publications": publications,
        "show_changes": user is not None and user.is_authenticated and is_federation_staff(user),
    }
