"""The annual re-verification: due services, emails through the outbox, the one-click link (a GET
writes nothing; replayed or forwarded after a confirmation it writes nothing; forged: 404), the
federation's list, and claims of unkept entries."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from maillage.core.models import Role
from maillage.core.outbox import OutboxEmail
from maillage.directory.models import DirectoryOrganisation, Service, ServiceStatus
from maillage.directory.reverification import confirmation_token, due_services, read_token, send_requests
from tests.conftest import client_for
from tests.directory.factories import make_service
from tests.factories import OrganisationFactory, member

pytestmark = pytest.mark.django_db


def _old(service: Service, days: int) -> None:
    Service.objects.filter(pk=service.pk).update(verified_at=timezone.now() - timedelta(days=days))


def test_due_services_and_emails_to_the_organisations_contacts() -> None:
    organisation = OrganisationFactory()
    coordinator = member(Role.COORDINATOR, organisation, email="coord@example.org")
    entry = DirectoryOrganisation.objects.create(name_fr="Centre", organisation=organisation, email="info@example.org")
    due = make_service(name_fr="Ancien", organisation=entry)
    _old(due, 400)
    fresh = make_service(name_fr="Récent", organisation=entry)
    _old(fresh, 30)
    make_service(name_fr="Brouillon", organisation=entry, status=ServiceStatus.DRAFT)
    assert [s.name_fr for s in due_services()] == ["Ancien"]
    assert send_requests() == 1
    email = OutboxEmail.objects.get()
    assert sorted(email.to) == sorted(["coord@example.org", "info@example.org"])
    assert "Ancien" in email.subject
    token = re.search(r"/directory/confirm/([^/\s]+)/", email.body).group(1)  # type: ignore[union-attr]
    state = read_token(token)
    assert state is not None
    assert (state.service, state.already) == (due, False)
    # Asked once a year: running again sends nothing.
    assert send_requests() == 0
    assert coordinator.email == "coord@example.org"


def test_one_click_link_get_writes_nothing_post_confirms_replay_is_harmless(client: Client) -> None:
    service = make_service(name_fr="Colis")
    _old(service, 400)
    sent = timezone.now()
    url = reverse("directory:confirm", args=[confirmation_token(service, sent)])
    page = client.get(url)
    assert page.status_code == 200
    assert Service.objects.get(pk=service.pk).verified_at < sent  # a mail scanner's GET changes nothing
    assert client.post(url).context["done"] is True
    verified = Service.objects.get(pk=service.pk).verified_at
    assert verified >= sent
    # Replayed, or forwarded to someone else: already confirmed, nothing written.
    again = Client().post(url)
    assert again.context["done"] is False
    assert again.context["state"].already is True
    assert Service.objects.get(pk=service.pk).verified_at == verified
    assert client.get(reverse("directory:confirm", args=["forged"])).status_code == 404


def test_expired_link_is_refused(client: Client) -> None:
    service = make_service(name_fr="Colis")
    url = reverse("directory:confirm", args=[confirmation_token(service, timezone.now())])
    with time_machine.travel(timezone.now() + timedelta(days=61)):
        assert client.get(url).status_code == 404


def test_federation_list_and_claims() -> None:
    stale = make_service(name_fr="Oublié")
    _old(stale, 800)
    make_service(name_fr="À jour").__class__.objects.filter(name_fr="À jour").update(verified_at=timezone.now())
    staff = client_for(member(Role.FEDERATION_STAFF))
    page = staff.get(reverse("directory:to_verify"))
    assert [s.name_fr for s in page.context["services"]] == ["Oublié"]
    assert client_for(member(Role.WORKER)).get(reverse("directory:to_verify")).status_code == 404
    # A coordinator claims an imported entry for their organisation; the federation accepts.
    organisation = OrganisationFactory()
    coordinator = client_for(member(Role.COORDINATOR, organisation))
    imported = DirectoryOrganisation.objects.create(name_fr="Importée")
    assert [e.name_fr for e in coordinator.get(reverse("directory:organisations")).context["claimable"]][-1] == (
        "Importée"
    )
    coordinator.post(reverse("directory:claim", args=[imported.pk]))
    imported.refresh_from_db()
    assert (imported.claimed_by, imported.organisation) == (organisation, None)
    staff.post(reverse("directory:approve_claim", args=[imported.pk]), {"decision": "accept"})
    imported.refresh_from_db()
    assert (imported.claimed_by, imported.organisation) == (None, organisation)
    # Now theirs: the coordinator edits it; a linked entry cannot be claimed again.
    assert coordinator.get(reverse("directory:organisation_edit", args=[imported.pk])).status_code == 200
    other = client_for(member(Role.COORDINATOR))
    assert other.post(reverse("directory:claim", args=[imported.pk])).status_code == 404
