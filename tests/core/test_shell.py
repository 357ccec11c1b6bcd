from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.test import Client

from maillage.core.models import Role, User
from tests.conftest import client_for
from tests.factories import member


def test_anonymous_visitor_sees_the_welcome_page_with_security_headers(db: None) -> None:
    response = Client().get("/")
    assert response.status_code == 200
    assert next(t.name for t in response.templates) == "core/welcome.html"
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response["X-Frame-Options"] == "DENY"


def test_worker_home_says_what_appears_when_there_is_nothing_yet(db: None) -> None:
    person = User.objects.create_user("alone@example.org", "x", full_name="Alone")
    response = client_for(person).get("/")
    assert response.status_code == 200
    assert response.context["panels"] == []
    assert "Vous n'avez pas encore de rôle dans une organisation." in response.content.decode()


def test_coordinator_home_shows_the_team_panel(coordinator: User) -> None:
    response = client_for(coordinator).get("/")
    titles = [str(panel.title) for panel, _body in response.context["panels"]]
    assert "Équipe de CSS Test" in titles


def test_navigation_depends_on_roles(coordinator: User, worker: User) -> None:
    coordinator_nav = [url for _item, url, _active in client_for(coordinator).get("/").context["nav"]]
    worker_nav = [url for _item, url, _active in client_for(worker).get("/").context["nav"]]
    assert "/audit/" in coordinator_nav
    assert "/audit/" not in worker_nav
    assert "/" in worker_nav


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.FEDERATION_STAFF, Role.ADMINISTRATOR])
def test_roles_needing_two_factor_are_sent_to_set_it_up(role: str, organisation) -> None:  # type: ignore[no-untyped-def]
    person = member(role, organisation)
    client = Client()
    client.force_login(person)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    # Our middleware lets the setup pages through (allauth asks for the password again first).
    assert (
        client.get("/accounts/2fa/totp/activate/")["Location"]
        == "/accounts/reauthenticate/?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F"
    )
    Authenticator.objects.create(user=person, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"})
    assert client.get("/").status_code == 200


def test_workers_do_not_need_two_factor(worker: User) -> None:
    client = Client()
    client.force_login(worker)
    response = client.get("/")
    assert response.status_code == 200
    assert "core/home.html" in [template.name for template in response.templates]


def test_two_factor_requirement_can_be_switched_off(coordinator: User, settings) -> None:  # type: ignore[no-untyped-def]
    settings.MAILLAGE_REQUIRE_2FA = False
    client = Client()
    client.force_login(coordinator)
    response = client.get("/")
    assert response.status_code == 200
    assert "core/home.html" in [template.name for template in response.templates]


def test_switching_language_is_remembered_on_the_account(worker: User) -> None:
    client = client_for(worker)
    response = client.post("/i18n/setlang/", {"language": "nl", "next": "/"})
    assert response.status_code == 302
    worker.refresh_from_db()
    assert worker.language == "nl"
    page = client.get("/")
    assert 'lang="nl"' in page.content.decode()
    assert "Naar de inhoud" in page.content.decode()


def test_saved_language_applies_on_a_new_browser(worker: User) -> None:
    worker.language = "nl"
    worker.save(update_fields=["language"])
    page = client_for(worker).get("/")
    assert 'lang="nl"' in page.content.decode()


def test_anonymous_language_switch_sets_the_cookie(db: None) -> None:
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert "Skip to content" in client.get("/").content.decode()


def test_healthz_answers_ok(db: None) -> None:
    response = Client().get("/healthz")
    assert (response.status_code, response.json()["status"], response.json()["database"]) == (200, "ok", "ok")


def test_signup_is_closed(db: None) -> None:
    response = Client().post(
        "/accounts/signup/", {"email": "x@example.org", "password1": "a-Long-pass-123", "password2": "a-Long-pass-123"}
    )
    assert User.objects.filter(email="x@example.org").exists() is False
    assert response.status_code == 200


def test_failed_logins_are_throttled(worker: User) -> None:
    client = Client()
    for _ in range(5):
        client.post("/accounts/login/", {"login": worker.email, "password": "wrong"})
    response = client.post("/accounts/login/", {"login": worker.email, "password": "correct-horse-battery-staple"})
    # Even the right password is refused from this client until the cool-off passes (tests/core/test_throttling.py).
    assert "_auth_user_id" not in client.session
    assert response.status_code == 429
    assert "<h1>Trop de tentatives</h1>" in response.content.decode()


@pytest.mark.argon2
def test_passwords_are_hashed_with_argon2(db: None) -> None:
    person = User.objects.create_user("hashed@example.org", "a-long-password-2026", full_name="Hashed")
    assert person.password.startswith("argon2$")
