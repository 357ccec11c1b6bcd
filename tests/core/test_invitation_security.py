"""Holes 1 and 2 of issue 11: an invitation link never signs anyone in around allauth, and joins only the invited address."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from maillage.core import services
from maillage.core.models import AuditEntry, Invitation, Membership, Organisation, Role, User
from tests.conftest import client_for, give_totp, totp_code
from tests.core.test_members_and_invitations import invitation_token
from tests.factories import PASSWORD


def _invite(coordinator: User, organisation: Organisation, email: str, role: str = "coordinator") -> str:
    client_for(coordinator).post(
        reverse("core:members", args=[organisation.pk]), {"email": email, "role": role, "language": "en"}
    )
    return invitation_token(email)


def _url(token: str) -> str:
    return reverse("core:accept_invitation", args=[token])


def test_an_invitation_to_an_existing_account_asks_to_sign_in_and_grants_nothing_to_the_link_holder(
    coordinator: User, organisation: Organisation, federation_staff: User
) -> None:
    give_totp(federation_staff)
    token = _invite(coordinator, organisation, federation_staff.email)
    attacker = Client()
    page = attacker.get(_url(token), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert page.context["form"] is None
    assert page.context["login_url"] == f"/accounts/login/?next=%2Finvitations%2F{token}%2F"
    forged = attacker.post(
        _url(token), {"full_name": "Anyone", "password": "whatever-123", "password_again": "whatever-123"}
    )
    assert forged.status_code == 200
    assert "_auth_user_id" not in attacker.session
    assert attacker.get("/admin/").status_code == 302
    assert Membership.objects.filter(user=federation_staff, organisation=organisation).exists() is False
    assert Invitation.objects.get().accepted_at is None
    federation_staff.refresh_from_db()
    assert federation_staff.full_name == "Fede Staff"


def test_the_invited_person_signs_in_with_password_and_second_factor_then_joins(
    coordinator: User, organisation: Organisation, federation_staff: User
) -> None:
    give_totp(federation_staff)
    token = _invite(coordinator, organisation, federation_staff.email)
    client = Client()
    signed = client.post(
        "/accounts/login/", {"login": federation_staff.email, "password": PASSWORD, "next": _url(token)}
    )
    assert signed["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session  # the password alone opens nothing
    done = client.post("/accounts/2fa/authenticate/", {"code": totp_code()})
    assert done["Location"] == _url(token)
    assert client.get(_url(token)).status_code == 200
    joined = client.post(_url(token))
    assert joined["Location"] == "/"
    assert list(
        Membership.objects.filter(user=federation_staff, organisation=organisation).values_list("role", "is_active")
    ) == [("coordinator", True)]
    granted = AuditEntry.objects.get(code="core.membership.granted")
    assert (granted.organisation, granted.data["via"], granted.data["role"]) == (
        organisation,
        "invitation",
        "coordinator",
    )


def test_a_signed_in_person_cannot_accept_an_invitation_sent_to_another_address(
    coordinator: User, organisation: Organisation, outsider: User
) -> None:
    token = _invite(coordinator, organisation, "someone.else@example.org")
    client = client_for(outsider)
    client.cookies["django_language"] = "en"
    page = client.get(_url(token))
    assert page.status_code == 403
    response = client.post(_url(token))
    assert response.status_code == 403
    assert response.context["refusal"] == (
        "This invitation was sent to another email address. Sign out and sign in with the invited address,"
        " or ask your coordinator to invite the address of your account."
    )
    assert Membership.objects.filter(user=outsider, organisation=organisation).exists() is False
    assert Invitation.objects.get().is_pending is True
    refused = AuditEntry.objects.get(code="core.invitation.refused_mismatch")
    assert (refused.actor, refused.organisation) == (outsider, organisation)


def test_the_mismatch_message_is_translated(coordinator: User, organisation: Organisation, outsider: User) -> None:
    token = _invite(coordinator, organisation, "someone.else@example.org")
    client = client_for(outsider)
    client.cookies["django_language"] = "nl"
    response = client.post(_url(token))
    assert response.context["refusal"] == (
        "Deze uitnodiging werd naar een ander e-mailadres gestuurd. Meld je af en meld je aan met het"
        " uitgenodigde adres, of vraag je coördinator om het adres van je account uit te nodigen."
    )


def test_a_new_account_is_signed_in_through_allauth_and_sets_up_two_factor_without_a_second_password(
    coordinator: User, organisation: Organisation
) -> None:
    token = _invite(coordinator, organisation, "new.coordinator@example.org")
    client = Client()
    response = client.post(
        _url(token), {"full_name": "Nina Nouvelle", "password": PASSWORD, "password_again": PASSWORD}
    )
    assert response["Location"] == "/"
    user = User.objects.get(email="new.coordinator@example.org")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.session["_auth_user_backend"] == "allauth.account.auth_backends.AuthenticationBackend"
    home = client.get("/")
    assert home["Location"] == "/accounts/2fa/totp/activate/"
    activate = client.get("/accounts/2fa/totp/activate/")
    assert activate.status_code == 200  # no second password question (hole 8)
    assert list(user.memberships.values_list("organisation", "role")) == [(organisation.pk, "coordinator")]


def test_a_used_invitation_cannot_be_used_again_even_by_its_owner(
    coordinator: User, organisation: Organisation, outsider: User
) -> None:
    token = _invite(coordinator, organisation, outsider.email, role="worker")
    client = client_for(outsider)
    assert client.post(_url(token))["Location"] == "/"
    again = client.post(_url(token))
    assert again.status_code == 410
    assert Membership.objects.filter(user=outsider, organisation=organisation).count() == 1


@pytest.mark.parametrize("damage", ["tampered", "expired", "revoked", "used"])
def test_a_damaged_invitation_link_gives_a_clear_410_and_changes_nothing(
    coordinator: User, organisation: Organisation, damage: str
) -> None:
    token = _invite(coordinator, organisation, "victim@example.org")
    invitation = Invitation.objects.get()
    if damage == "tampered":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    elif damage == "expired":
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    elif damage == "revoked":
        services.revoke_invitation(coordinator, invitation)
    else:
        Invitation.objects.filter(pk=invitation.pk).update(accepted_at=timezone.now())
    users_before = User.objects.count()
    response = Client().post(
        _url(token), {"full_name": "X", "password": PASSWORD, "password_again": PASSWORD}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 410
    assert response.templates[0].name == "core/invitation_invalid.html"
    assert User.objects.count() == users_before
    assert Membership.objects.filter(organisation=organisation, role="coordinator").count() == 1


def test_the_database_keeps_only_a_hash_of_the_link(coordinator: User, organisation: Organisation) -> None:
    token = _invite(coordinator, organisation, "hashed@example.org")
    invitation = Invitation.objects.get()
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert Client().get(_url(invitation.token_hash)).status_code == 410


def test_the_service_refuses_an_address_that_already_has_an_account(
    coordinator: User, organisation: Organisation, worker: User
) -> None:
    token = _invite(coordinator, organisation, worker.email, role="responder")
    with pytest.raises(services.ValidationError):
        services.create_account_from_invitation(token, full_name="Taken", password=PASSWORD)
    assert worker.memberships.filter(role=Role.RESPONDER).exists() is False
