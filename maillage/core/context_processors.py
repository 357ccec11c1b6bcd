from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from maillage.core.navigation import nav_items
from maillage.core.tenancy import user_roles


def shell(request: HttpRequest) -> dict[str, Any]:
    """What every page's layout needs: the navigation for this person's roles."""
    roles = user_roles(request.user) if hasattr(request, "user") else set()
    return {"nav": list(nav_items(request, roles)) if hasattr(request, "user") else [], "user_roles": roles}
