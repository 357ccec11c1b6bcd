from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation

from maillage.core.models import ROLES_REQUIRING_2FA
from maillage.core.tenancy import has_role

# Paths a person without 2FA may still reach: signing in and out, setting up 2FA, static files.
_OPEN_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/healthz")


class RequireTwoFactorMiddleware:
    """Coordinators, federation staff and administrators must set up TOTP before anything else.

    Also applies a signed-in person's saved language when they have not picked one in this browser.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if settings.MAILLAGE_REQUIRE_2FA and user.is_authenticated and not request.path.startswith(_OPEN_PREFIXES):
            from allauth.mfa.models import Authenticator

            if (
                has_role(user, *ROLES_REQUIRING_2FA)
                and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
            ):
                return redirect("mfa_activate_totp")
        if user.is_authenticated and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)
