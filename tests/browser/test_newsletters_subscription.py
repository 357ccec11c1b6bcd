"""A person subscribes on a phone with double opt-in (the confirmation through the real local SMTP server),
changes their language on the preference page, receives an edition in that language with its RFC 8058
headers, and their mail program unsubscribes them in one click; every page passes axe."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from maillage.newsletters import sending
from maillage.newsletters.models import Consent, ConsentHow, Edition, EditionStatus, NewsletterList, Subscriber
from tests.browser.conftest import assert_no_axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ADDRESS = "awa@example.org"


def test_subscribe_confirm_preferences_edition_and_one_click_unsubscribe(phone_page, live_server, smtp_inbox, settings):  # type: ignore[no-untyped-def]
    settings.SITE_URL = live_server.url
    newsletter = NewsletterList.objects.create(name_fr="Lettre du réseau", name_nl="Netwerkbrief", language="both")
    page = phone_page

    # Subscribe: nothing is sent but the confirmation.
    page.goto("/newsletters/")
    assert page.locator("h1").inner_text() == "S'inscrire aux lettres d'information"
    assert_no_axe_violations(page)
    page.get_by_label("Adresse e-mail").fill(ADDRESS)
    page.get_by_label("Français").check()
    page.get_by_label("Lettre du réseau").check()
    page.get_by_role("button", name="S'inscrire").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Consultez vos e-mails"
    assert_no_axe_violations(page)
    subscriber = Subscriber.objects.get(email=ADDRESS)
    assert subscriber.confirmed_at is None
    assert list(subscriber.consents.all()) == []

    # The confirmation, received by the SMTP server; its link shows a button (mail scanners follow links).
    confirmation = smtp_inbox.last_to(ADDRESS)
    assert confirmation["Subject"].strip() == "Confirmez votre inscription"
    link = re.search(r"http://\S+/newsletters/confirm/\S+/", confirmation.get_content()).group(0)  # type: ignore[union-attr]
    page.goto(link)
    assert_no_axe_violations(page)
    subscriber.refresh_from_db()
    assert subscriber.confirmed_at is None
    page.get_by_role("button", name="Confirmer").click()
    page.wait_for_url("**/newsletters/preferences/**")
    assert page.locator(".messages").inner_text() == "Votre inscription est confirmée. Merci."
    assert_no_axe_violations(page)
    subscriber.refresh_from_db()
    assert subscriber.confirmed_at is not None
    assert [consent.how for consent in subscriber.consents.all()] == [ConsentHow.FORM]

    # The preference page: Dutch from now on, by keyboard.
    page.get_by_label("Néerlandais").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Enregistrer mes préférences").press("Enter")
    page.wait_for_load_state()
    assert page.locator(".messages").inner_text() == "Vos préférences sont enregistrées."
    subscriber.refresh_from_db()
    assert subscriber.language == "nl"

    # An edition, sent by the sender to the SMTP server: in Dutch, with the one-click headers.
    edition = Edition.objects.create(
        newsletter=newsletter, subject_fr="Des nouvelles", subject_nl="Nieuws", body_fr="Bonjour **à tous**",
        body_nl="Hallo **iedereen**<script>alert(1)</script>", status=EditionStatus.SCHEDULED,
        scheduled_at=timezone.now(),
    )  # fmt: skip
    assert sending.run(edition.pk, rate=1000)["outcome"] == "sent"
    received = smtp_inbox.last_to(ADDRESS)
    unsubscribe_url = f"{live_server.url}/newsletters/unsubscribe/{subscriber.token}/"
    assert received["Subject"].strip() == "Nieuws"
    # (A long header is folded: unfolded, its value starts after the whitespace.)
    assert received["List-Unsubscribe"].strip() == f"<{unsubscribe_url}>"
    assert received["List-Unsubscribe-Post"].strip() == "List-Unsubscribe=One-Click"
    html = received.get_body(preferencelist=("html",)).get_content()
    assert "<strong>iedereen</strong>" in html
    assert "<script" not in html
    assert "<img" not in html  # no tracking pixel

    # The person following the link gets a page with a button; the GET changes nothing.
    page.goto(unsubscribe_url)
    assert_no_axe_violations(page)
    subscriber.refresh_from_db()
    assert subscriber.unsubscribed_at is None

    # The mail program's one-click POST (RFC 8058): no cookie, no CSRF token.
    answer = page.context.request.post(unsubscribe_url, form={"List-Unsubscribe": "One-Click"})
    assert answer.status == 200
    subscriber.refresh_from_db()
    assert subscriber.unsubscribed_at is not None
    assert [consent.how for consent in Consent.objects.filter(subscriber=subscriber)] == [
        ConsentHow.FORM,
        ConsentHow.PREFERENCES,
        ConsentHow.ONE_CLICK,
    ]
    page.goto(f"/newsletters/preferences/{subscriber.token}/")
    assert page.locator("p.meta").inner_text() == f"{ADDRESS} · désinscrit"
    assert_no_axe_violations(page)
    assert sending.recipients_count(newsletter) == 0
