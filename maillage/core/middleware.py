from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation

from maillage.core.models import ROLES_REQUIRING_2FA
from maillage.core.tenancy import has_role, remember_roles_for_this_request

# Paths a person without 2FA may still reach: signing in and out, setting up 2FA, static files.
_OPEN_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/healthz")


class RequireTwoFactorMiddleware:
    """Coordinators, federation staff and administrators must set up TOTP before anything else.

    Also applies a signed-in person's saved language when they have not picked one in this browser,
    and turns on the per-request memo of their roles (one membership query per request).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            remember_roles_for_this_request(user)
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


class SessionIdleTouchMiddleware:
    """Keep the idle timeout without writing the session on every request.

    `SESSION_COOKIE_AGE` is an idle timeout: a session's expiry must move forward while its
    owner works. Saving the session on every request did that at the cost of one database
    write per request; marking it modified at most once per `MAILLAGE_SESSION_TOUCH_SECONDS`
    keeps the timeout exact to that many seconds. Empty (anonymous) sessions are never
    touched, so public pages create no session row.
    """

    KEY = "_maillage_touched"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        if session.session_key and session.keys():
            now = int(time.time())
            if now - session.get(self.KEY, 0) >= settings.MAILLAGE_SESSION_TOUCH_SECONDS:
                session[self.KEY] = now
        return self.get_response(request)
