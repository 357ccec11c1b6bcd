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


class PrivateResponseHeadersMiddleware:
    """No copy of a page or file with personal data is kept by a browser or a proxy.

    Every response to a signed-in person, and every download (a response with a
    Content-Disposition), is `Cache-Control: no-store`; every response carries the
    Permissions-Policy of settings.MAILLAGE_PERMISSIONS_POLICY. Static files never get here
    (WhiteNoise answers them earlier), so they stay cacheable.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or response.has_header("Content-Disposition"):
            response["Cache-Control"] = "no-store, private"
            response.headers.pop("Expires", None)
        response.setdefault("Permissions-Policy", settings.MAILLAGE_PERMISSIONS_POLICY)
        return response


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


class RejectControlCharactersMiddleware:
    """Answer 400 to a NUL byte or another control character in the path, the query or a form field.

    PostgreSQL refuses NUL in text and a search box turned it into a server error; refusing it
    here, once, spares every view. Tab, CR and LF pass in POSTed text fields only (a comment may
    hold line breaks); uploaded files are not looked at (only `request.POST`, never `FILES`).
    An over-long query string (`MAILLAGE_MAX_QUERY_STRING_CHARS`) is refused too.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        message = self.problem(request)
        if message is not None:
            from maillage.core.errors import render_error
            from maillage.core.parsing import BadParameter

            # LocaleMiddleware has not run yet: pick the language the same way it would.
            with translation.override(translation.get_language_from_request(request)):
                return render_error(request, 400, "400.html", {"error": BadParameter("request", str(message()))})
        return self.get_response(request)

    @staticmethod
    def problem(request: HttpRequest) -> Callable[[], str] | None:
        """None when the request is clean, else a callable giving the translated reason."""
        from django.utils.translation import gettext

        from maillage.core.parsing import has_control_characters

        def control() -> str:
            return gettext("The address or the form contains characters that are not allowed.")

        limit = settings.MAILLAGE_MAX_QUERY_STRING_CHARS
        if len(request.META.get("QUERY_STRING", "")) > limit:
            return lambda: gettext("The address is too long (more than %(max)d characters).") % {"max": limit}
        if has_control_characters(request.path):
            return control
        for key, values in request.GET.lists():
            if has_control_characters(key) or any(has_control_characters(value) for value in values):
                return control
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            for key, values in request.POST.lists():
                if has_control_characters(key) or any(
                    has_control_characters(value, allow_newlines=True) for value in values
                ):
                    return control
        return None
