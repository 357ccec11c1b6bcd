from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from maillage.core.models import AuditEntry, Invitation, Membership, Organisation, OutboxEmail, Role, User
from tests.conftest import SMTPInbox, assert_outsider_gets_404, client_for
from tests.factories import PASSWORD, member


def _members_url(organisation: Organisation) -> str:
    return reverse("core:members", args=[organisation.pk])


def invitation_token(address: str) -> str:
    """The token of the last invitation link emailed to `address` (the database keeps only its hash)."""
    email = OutboxEmail.objects.filter(template="core/emails/invitation", to=[address]).latest("pk")
    match = re.search(r"/invitations/([^/\s]+)/", email.body)
    assert match is not None
    return match.group(1)


def test_coordinator_invites_by_email_in_the_chosen_language(
    coordinator: User, organisation: Organisation, smtp_inbox: SMTPInbox, settings, django_capture_on_commit_callbacks
) -> None:
    settings.SITE_URL = "https://maillage.example.org"
    client = client_for(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _members_url(organisation), {"email": "New.Person@Example.org", "role": "worker", "language": "nl"}
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.organisation) == (
        "new.person@example.org",
        "worker",
        organisation,
    )
    message = smtp_inbox.last_to("new.person@example.org")
    assert message["Subject"] == "Uitnodiging om lid te worden van CSS Test op maillage"
    body = message.get_content()
    token = invitation_token("new.person@example.org")
    assert f"https://maillage.example.org/invitations/{token}/" in body
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert AuditEntry.objects.get(code="core.invitation.created").actor == coordinator


def test_accepting_an_invitation_creates_the_account_and_the_membership(
    coordinator: User, organisation: Organisation, smtp_inbox: SMTPInbox
) -> None:
    client_for(coordinator).post(
        _members_url(organisation), {"email": "sam@example.org", "role": "responder", "language": "fr"}
    )
    token = invitation_token("sam@example.org")
    anonymous = Client()
    page = anonymous.get(reverse("core:accept_invitation", args=[token]))
    assert page.status_code == 200
    response = anonymous.post(
        reverse("core:accept_invitation", args=[token]),
        {"full_name": "Sam Nouveau", "password": PASSWORD, "password_again": PASSWORD},
    )
    assert response.status_code == 302
    user = User.objects.get(email="sam@example.org")
    assert user.full_name == "Sam Nouveau"
    assert list(user.memberships.values_list("organisation", "role")) == [(organisation.pk, "responder")]
    assert user.check_password(PASSWORD)
    again = Client().get(reverse("core:accept_invitation", args=[token]))
    assert again.status_code == 410
    assert again.context["reason"] == "Cette invitation a déjà été utilisée. Connectez-vous avec votre adresse e-mail."


def test_accepting_with_mismatched_passwords_keeps_nothing(
    coordinator: User, organisation: Organisation, smtp_inbox: SMTPInbox
) -> None:
    client_for(coordinator).post(
        _members_url(organisation), {"email": "sam@example.org", "role": "worker", "language": "en"}
    )
    token = invitation_token("sam@example.org")
    response = Client().post(
        reverse("core:accept_invitation", args=[token]),
        {"full_name": "Sam", "password": PASSWORD, "password_again": PASSWORD + "x"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"password_again": ["The two passwords differ."]}
    assert User.objects.filter(email="sam@example.org").exists() is False


def test_an_expired_invitation_is_refused_with_a_clear_message(
    coordinator: User, organisation: Organisation, smtp_inbox: SMTPInbox
) -> None:
    client_for(coordinator).post(
        _members_url(organisation), {"email": "late@example.org", "role": "worker", "language": "fr"}
    )
    invitation = Invitation.objects.get()
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = Client().get(
        reverse("core:accept_invitation", args=[invitation_token("late@example.org")]), HTTP_ACCEPT_LANGUAGE="nl"
    )
    assert response.status_code == 410
    assert response.context["reason"] == "Deze uitnodigingslink is verlopen. Vraag je coördinator om een nieuwe."
    assert User.objects.filter(email="late@example.org").exists() is False


def test_an_unknown_role_is_refused_next_to_the_field(coordinator: User, organisation: Organisation) -> None:
    response = client_for(coordinator).post(
        _members_url(organisation), {"email": "x@example.org", "role": "boss", "language": "en"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"role": ["Sélectionnez un choix valide. boss n’en fait pas partie."]}
    assert Invitation.objects.count() == 0


def test_signed_in_person_joins_a_second_organisation(
    coordinator: User, organisation: Organisation, outsider: User, smtp_inbox: SMTPInbox
) -> None:
    client_for(coordinator).post(
        _members_url(organisation), {"email": outsider.email, "role": "responder", "language": "fr"}
    )
    token = invitation_token(outsider.email)
    response = client_for(outsider).post(reverse("core:accept_invitation", args=[token]))
    assert response.status_code == 302
    assert (
        Membership.objects.filter(user=outsider, organisation=organisation, role="responder", is_active=True).count()
        == 1
    )


def test_coordinator_removes_a_member_and_revokes_an_invitation(
    coordinator: User, worker: User, organisation: Organisation, smtp_inbox: SMTPInbox
) -> None:
    client = client_for(coordinator)
    membership = worker.memberships.get()
    response = client.post(reverse("core:remove_member", args=[organisation.pk, membership.pk]))
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.is_active is False
    client.post(_members_url(organisation), {"email": "y@example.org", "role": "worker", "language": "fr"})
    invitation = Invitation.objects.get()
    client.post(reverse("core:revoke_invitation", args=[organisation.pk, invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert Client().get(reverse("core:accept_invitation", args=[invitation_token("y@example.org")])).status_code == 410
    codes = list(AuditEntry.objects.order_by("id").values_list("code", flat=True))
    assert codes == ["core.membership.removed", "core.invitation.created", "core.invitation.revoked"]


def test_coordinator_cannot_remove_their_own_coordinator_role(coordinator: User, organisation: Organisation) -> None:
    membership = coordinator.memberships.get()
    client_for(coordinator).post(reverse("core:remove_member", args=[organisation.pk, membership.pk]))
    membership.refresh_from_db()
    assert membership.is_active is True


def test_members_page_lists_the_team_without_extra_queries_per_member(
    coordinator: User, organisation: Organisation, django_assert_max_num_queries
) -> None:
    client = client_for(coordinator)
    with django_assert_max_num_queries(14):
        first = client.get(_members_url(organisation))
    for _ in range(5):
        member(Role.WORKER, organisation)
    with django_assert_max_num_queries(14):
        second = client.get(_members_url(organisation))
    assert len(first.context["members"]) == 1
    assert len(second.context["members"]) == 6


def test_others_get_404_on_team_pages(
    coordinator: User, worker: User, organisation: Organisation, outsider_client: Client, smtp_inbox: SMTPInbox
) -> None:
    client_for(coordinator).post(
        _members_url(organisation), {"email": "z@example.org", "role": "worker", "language": "fr"}
    )
    invitation = Invitation.objects.get()
    membership = worker.memberships.get()
    assert_outsider_gets_404(outsider_client, _members_url(organisation))
    assert_outsider_gets_404(
        outsider_client,
        reverse("core:remove_member", args=[organisation.pk, membership.pk]),
        reverse("core:revoke_invitation", args=[organisation.pk, invitation.pk]),
        method="post",
    )
    # A worker of the same centre is not its coordinator: 404 too.
    assert_outsider_gets_404(client_for(worker), _members_url(organisation))
    membership.refresh_from_db()
    assert membership.is_active is True


@pytest.mark.django_db
def test_an_unknown_invitation_link_is_refused() -> None:
    response = Client().get(reverse("core:accept_invitation", args=["nope"]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 410
    assert response.context["reason"] == "This invitation link is not valid. Ask your coordinator for a new one."
