"""A person registers on a phone, confirms through the emailed link (real SMTP), and is checked in at the door."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from maillage.core.models import Role
from maillage.events.models import Attendance, Registration, Status
from tests.browser.conftest import assert_no_axe_violations, sign_in
from tests.events.factories import EventFactory, SessionFactory
from tests.factories import PASSWORD, OrganisationFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_register_confirm_by_email_and_check_in(phone_page, page, live_server, smtp_inbox, settings):
    settings.SITE_URL = live_server.url
    organisation = OrganisationFactory(short_name="FdSS Test")
    event = EventFactory(
        organisation=organisation,
        slug="covid-reponses-locales",
        title_fr="COVID : préparer des réponses locales",
        capacity=100,
        per_organisation=2,
        invitation_only=True,
    )
    session = SessionFactory(event=event, starts_at=timezone.now() + timedelta(minutes=30))
    organiser = member(Role.ORGANISER, organisation, full_name="Olga Organiser")

    phone_page.goto(f"/events/{event.slug}/")
    assert phone_page.locator("h1").inner_text() == "COVID : préparer des réponses locales"
    assert_no_axe_violations(phone_page)
    phone_page.get_by_label("Votre nom complet").fill("Awa Diallo")
    phone_page.get_by_label("Votre adresse e-mail").fill("awa@example.org")
    phone_page.get_by_label("Organisation (si elle n'est pas dans la liste)").fill("Maison de quartier Bonnevie")
    phone_page.get_by_label("Votre fonction").fill("Assistante sociale")
    phone_page.get_by_role("button", name="S'inscrire").click()
    phone_page.wait_for_url(f"**/events/{event.slug}/registered/")
    assert phone_page.locator("h1").inner_text() == "Inscription reçue"
    assert_no_axe_violations(phone_page)

    message = smtp_inbox.last_to("awa@example.org")
    assert message["Subject"].strip() == "Confirmez votre inscription : COVID : préparer des réponses locales"
    body = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"http://\S+/events/confirm/\S+/", body).group(0)
    phone_page.goto(link)
    assert_no_axe_violations(phone_page)
    phone_page.get_by_role("button", name="Confirmer mon inscription").click()
    phone_page.wait_for_url("**/events/me/**")
    assert phone_page.locator(".messages").inner_text() == "Merci, votre adresse e-mail est confirmée."
    assert phone_page.get_by_role("link", name="https://meet.example.org/secret-room").count() == 1
    assert phone_page.get_by_role("img", name="Code QR d'entrée pour cette séance").count() == 1
    assert_no_axe_violations(phone_page)
    invitation = smtp_inbox.last_to("awa@example.org")
    assert invitation["Subject"].strip() == "Votre invitation : COVID : préparer des réponses locales"
    assert [part.get_filename() for part in invitation.iter_attachments()] == ["session-1.ics", "entry-session-1.png"]

    registration = Registration.objects.get(event=event)
    assert registration.status == Status.CONFIRMED
    sign_in(page, organiser.email, PASSWORD)
    page.goto(f"/events/manage/{event.pk}/sessions/{session.pk}/door/")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Awa Diallo est là").click()
    assert page.locator(".messages").inner_text() == "Bienvenue, Awa Diallo : présence enregistrée."
    page.goto(f"/events/manage/{event.pk}/")
    assert_no_axe_violations(page)
    assert Attendance.objects.get().registration == registration
