"""Issue 11: the sessions page, sessions ended on password change and role removal; private response headers."""

from __future__ import annotations

from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from maillage.core.middleware import PrivateResponseHeadersMiddleware
from maillage.core.models import Organisation, User
from tests.conftest import client_for
from tests.factories import PASSWORD

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(self), payment=(), usb=()"


def _signed_in_client(user: User, agent: str) -> Client:
    client = Client(HTTP_USER_AGENT=agent)
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert client.session["_auth_user_id"] == str(user.pk)
    return client


def _is_signed_in(client: Client) -> bool:
    return bool(client.get("/").context["user"].is_authenticated)


def test_the_sessions_page_lists_them_and_signs_out_everywhere_else(worker: User) -> None:
    laptop = _signed_in_client(worker, "Laptop browser")
    phone = _signed_in_client(worker, "Phone browser")
    page = laptop.get(reverse("usersessions_list"))
    assert page.status_code == 200
    assert sorted(session.user_agent for session in page.context["sessions"]) == ["Laptop browser", "Phone browser"]
    laptop.post(reverse("usersessions_list"))
    assert _is_signed_in(phone) is False
    assert _is_signed_in(laptop) is True


def test_a_password_change_ends_every_session(worker: User) -> None:
    laptop = _signed_in_client(worker, "Laptop browser")
    phone = _signed_in_client(worker, "Phone browser")
    new_password = "Un-autre-mot-de-passe-2026"
    laptop.post(
        "/accounts/password/change/", {"oldpassword": PASSWORD, "password1": new_password, "password2": new_password}
    )
    assert _is_signed_in(phone) is False
    assert _is_signed_in(laptop) is False


def test_removing_the_membership_signs_the_person_out(
    coordinator: User, worker: User, organisation: Organisation
) -> None:
    session = _signed_in_client(worker, "Worker browser")
    membership = worker.memberships.get()
    client_for(coordinator).post(reverse("core:remove_member", args=[organisation.pk, membership.pk]))
    assert _is_signed_in(session) is False


def test_pages_of_every_app_for_a_signed_in_person_are_not_stored(coordinator: User) -> None:
    client = client_for(coordinator)
    paths = ["/", "/audit/", "/casework/", "/helpline/", "/events/", "/directory/", "/stats/", "/categories/"]
    for path in paths:
        response = client.get(path)
        assert response["Cache-Control"] == "no-store, private", path
        assert response["Permissions-Policy"] == PERMISSIONS_POLICY, path
        assert response["Referrer-Policy"] == "same-origin", path


def test_public_pages_keep_their_caching_but_get_the_permissions_policy(db: None) -> None:
    response = Client().get("/directory/")
    assert response.has_header("Cache-Control") is False
    assert response["Permissions-Policy"] == PERMISSIONS_POLICY


def test_every_download_is_not_stored_even_without_a_session() -> None:
    def export(request: object) -> HttpResponse:
        response = HttpResponse(b"a;b\n", content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="export.csv"'
        response["Cache-Control"] = "max-age=3600"
        return response

    request = RequestFactory().get("/export.csv")
    response = PrivateResponseHeadersMiddleware(export)(request)  # type: ignore[arg-type]
    assert response["Cache-Control"] == "no-store, private"
