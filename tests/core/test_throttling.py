"""Hole 6 of issue 11: sign-in throttling per (account, client), behind a proxy only when it is trusted.

The choice (settings.py): django-axes locks one (account, client) pair after 5 failures for a
cool-off; allauth's rate limit is the softer per-client limit (30 in 5 minutes) and a per-account
ceiling of 100 an hour. No limit is keyed on the account alone at a level one client reaches.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory
from django.utils import timezone

from maillage.core.adapters import client_ip
from maillage.core.models import OutboxEmail, User
from tests.factories import PASSWORD, UserFactory

PROXY = "10.0.0.5"


@pytest.fixture
def behind_proxy(settings) -> None:  # type: ignore[no-untyped-def]
    settings.MAILLAGE_TRUSTED_PROXIES = ["10.0.0.0/24"]
    settings.MAILLAGE_PROXY_COUNT = 1


def _sign_in(email: str, password: str, *, remote: str = "127.0.0.1", forwarded: str | None = None) -> Client:
    client = Client(REMOTE_ADDR=remote, **({"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}))
    client.post("/accounts/login/", {"login": email, "password": password})
    return client


def _attempt(client: Client, email: str, password: str) -> int:
    return client.post("/accounts/login/", {"login": email, "password": password}).status_code


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_thirty_wrong_passwords_through_the_proxy_lock_out_nobody_else(behind_proxy: None, worker: User) -> None:
    attacker = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.9")
    targets = [UserFactory() for _ in range(6)]
    statuses = [_attempt(attacker, target.email, "wrong") for target in targets for _ in range(5)]
    assert statuses.count(200) == 24  # the fifth failure on each account answers the lock-out page
    assert statuses.count(429) == 6
    assert _attempt(attacker, worker.email, "wrong") == 429  # the attacker's client is slowed down as a whole
    colleague = _sign_in(worker.email, PASSWORD, remote=PROXY, forwarded="198.51.100.7")
    assert _signed_in(colleague)
    for target in targets:
        assert _signed_in(_sign_in(target.email, PASSWORD, remote=PROXY, forwarded="198.51.100.8"))


def test_a_forwarded_header_from_an_untrusted_client_is_ignored(worker: User) -> None:
    for number in range(5):
        attacker = Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"192.0.2.{number}")
        _attempt(attacker, worker.email, "wrong")
    assert list(AccessAttempt.objects.values_list("ip_address", "failures_since_start")) == [("203.0.113.9", 5)]
    again = _sign_in(worker.email, PASSWORD, remote="203.0.113.9", forwarded="192.0.2.200")
    assert _signed_in(again) is False
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="192.0.2.1")
    assert client_ip(request) == "203.0.113.9"


def test_the_trusted_proxy_header_gives_the_client_the_proxy_saw(behind_proxy: None) -> None:
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7")
    assert client_ip(request) == "198.51.100.7"  # the first entry was written by the client itself
    garbage = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="not-an-address")
    assert client_ip(garbage) == PROXY


def test_failures_from_one_client_do_not_lock_the_owner_out_from_another(coordinator: User) -> None:
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(12):
        _attempt(attacker, coordinator.email, "wrong")
    assert _attempt(attacker, coordinator.email, PASSWORD) == 429
    owner = _sign_in(coordinator.email, PASSWORD, remote="198.51.100.7")
    assert _signed_in(owner)


def test_the_lock_out_ends_after_the_cool_off(worker: User) -> None:
    client = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(5):
        _attempt(client, worker.email, "wrong")
    assert _attempt(client, worker.email, PASSWORD) == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    _attempt(client, worker.email, PASSWORD)
    assert _signed_in(client)


def test_a_successful_sign_in_clears_the_failures(worker: User) -> None:
    client = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(4):
        _attempt(client, worker.email, "wrong")
    _attempt(client, worker.email, PASSWORD)
    assert _signed_in(client)
    assert AccessAttempt.objects.count() == 0


def test_a_password_reset_lifts_the_lock_out(worker: User) -> None:
    client = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(5):
        _attempt(client, worker.email, "wrong")
    assert AccessAttempt.objects.count() == 1
    client.post("/accounts/password/reset/", {"email": worker.email})
    body = OutboxEmail.objects.filter(to=[worker.email]).latest("pk").body
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+)", body)
    assert link is not None
    form_page = client.get(link.group(1), follow=True)
    new_password = "Un-nouveau-mot-de-passe-2026"
    client.post(form_page.redirect_chain[-1][0], {"password1": new_password, "password2": new_password})
    assert AccessAttempt.objects.count() == 0
    _attempt(client, worker.email, new_password)
    assert _signed_in(client)
