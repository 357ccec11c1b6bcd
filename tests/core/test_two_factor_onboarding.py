"""Hole 8 of issue 11: first sign-in with required 2FA asks the password once, leads on, speaks the account's language."""

from __future__ import annotations

import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.test import Client

from maillage.core.models import User
from tests.factories import PASSWORD


def test_first_sign_in_sets_up_two_factor_with_one_password_and_leads_home(coordinator: User) -> None:
    client = Client()
    signed = client.post("/accounts/login/", {"login": coordinator.email, "password": PASSWORD})
    assert signed["Location"] == "/"
    assert client.get("/")["Location"] == "/accounts/2fa/totp/activate/"
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200  # not a redirect to /accounts/reauthenticate/
    secret = page.context["form"].secret
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    activated = client.post("/accounts/2fa/totp/activate/", {"code": code})
    assert activated["Location"] == "/accounts/2fa/recovery-codes/"
    codes = client.get("/accounts/2fa/recovery-codes/")
    assert len(codes.context["unused_codes"]) == 10
    assert '<a class="button" href="/">Continuer vers maillage</a>' in codes.content.decode()
    assert client.get("/").status_code == 200


def test_after_sign_in_the_message_and_the_pages_are_in_the_accounts_language(worker: User) -> None:
    worker.language = "nl"
    worker.save(update_fields=["language"])
    client = Client()
    client.cookies["django_language"] = "fr"
    signed = client.post("/accounts/login/", {"login": worker.email, "password": PASSWORD})
    assert signed.cookies["django_language"].value == "nl"
    home = client.get("/")
    assert [str(message) for message in home.context["messages"]] == [f"Je bent nu ingelogd als {worker.full_name}."]
    assert home.context["LANGUAGE_CODE"] == "nl"
