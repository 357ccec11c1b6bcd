from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import get_language

from maillage.core.outbox import queue_message


@lru_cache(maxsize=1)
def _trusted_networks(proxies: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def client_ip(request: HttpRequest) -> str:
    """The client's address, for throttling (axes and allauth) and the sessions page.

    X-Forwarded-For is believed only when the connection comes from one of
    MAILLAGE_TRUSTED_PROXIES: anyone else could write any address in it. The proxies append
    the address they saw, so the client is MAILLAGE_PROXY_COUNT entries from the right.
    """
    remote = request.META.get("REMOTE_ADDR", "") or ""
    count = settings.MAILLAGE_PROXY_COUNT
    if count and settings.MAILLAGE_TRUSTED_PROXIES and _is_address(remote):
        address = ipaddress.ip_address(remote)
        if any(address in network for network in _trusted_networks(tuple(settings.MAILLAGE_TRUSTED_PROXIES))):
            hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
            if len(hops) >= count and _is_address(hops[-count]):
                return hops[-count]
    return remote


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The account a sign-in attempt names (allauth passes `email`; its form posts `login`)."""
    value = (credentials or {}).get("email") or (credentials or {}).get("username") or request.POST.get("login", "")
    return str(value).strip().lower()


class AccountAdapter(DefaultAccountAdapter):
    """Accounts come from invitations only: nobody signs up on their own."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def get_client_ip(self, request: HttpRequest) -> str:
        return client_ip(request)

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """allauth's emails (password reset, ...) go through the outbox like every other email."""
        request = allauth_context.request
        full_context = {"request": request, "email": email, "current_site": get_current_site(request), **context}
        message = self.render_mail(template_prefix, email, full_context)
        queue_message(message, template=template_prefix, language=get_language() or "fr")

    def post_login(self, request: HttpRequest, user: Any, **kwargs: Any) -> HttpResponse:
        """The "signed in" message and the pages after it in the account's language, and a first
        sign-in that must set up two-factor asks the password once (it was just typed)."""
        language = getattr(user, "language", "") or settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        _mark_password_fresh_for_2fa_setup(request, user)
        response = super().post_login(request, user, **kwargs)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
        return response  # type: ignore[no-any-return]

    def _delete_login_attempts_cached_email(self, request: HttpRequest, **kwargs: Any) -> None:
        """A password reset also lifts django-axes' lock-outs of that account (from every client)."""
        from axes.utils import reset

        super()._delete_login_attempts_cached_email(request, **kwargs)
        email = kwargs.get("email")
        if email:
            reset(username=str(email).strip().lower())


def _mark_password_fresh_for_2fa_setup(request: HttpRequest, user: Any) -> None:
    """Right after a password sign-in, setting up TOTP does not ask for the password again.

    allauth asks to re-authenticate before adding an authenticator; for someone who has none
    yet and just typed their password, that is the same question twice in a row.
    """
    from allauth.account.internal.flows.login import get_authentication_records, record_authentication
    from allauth.mfa.models import Authenticator

    if Authenticator.objects.filter(user=user).exists():
        return
    if any(record.get("method") == "password" for record in get_authentication_records(request, user)):
        record_authentication(request, user, method="password", reauthenticated=True)
