"""Request types for views behind @login_required, so `request.user` is a User for the type checker."""

from __future__ import annotations

from django.http import HttpRequest

from maillage.core.models import User


class AuthenticatedRequest(HttpRequest):
    user: User  # type: ignore[assignment]
