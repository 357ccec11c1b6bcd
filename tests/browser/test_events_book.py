"""The published book and its follow-up page, walked on a phone in French and Dutch with the accessibility audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from maillage.core.models import Role
from maillage.events import services
from maillage.events.models import FollowStatus
from tests.browser.conftest import assert_no_axe_violations
from tests.events.factories import EventFactory
from tests.factories import member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_public_book_and_follow_up(phone_page, live_server, settings):
    settings.SITE_URL = live_server.url
    event = EventFactory(slug="assises-2026", title_fr="Assises du Logement", title_nl="Assisen van Huisvesting")
    organiser = member(Role.ORGANISER, event.organisation, full_name="Olga Organiser")
    question = services.ensure_questions(event)[0]
    first = services.add_points(None, services.add_breakout(organiser, event, "Groupe A"), question, "- Guichet unique")
    second = services.add_points(None, services.add_breakout(organiser, event, "Groupe B"), question, "- Une porte")
    services.merge_points(organiser, first[0], second)
    recommendation = services.save_recommendation(
        organiser,
        event,
        {
            "diagnosis": "Les personnes sont renvoyées d'un service à l'autre.",
            "recommendation": "Créer un guichet unique par commune",
            "addressed_to": "Cocof",
            "sources": [second[0]],
        },
    )
    services.publish_book(organiser, event)
    services.add_follow_up(
        organiser, recommendation, FollowStatus.TAKEN_UP, timezone.localdate() - timedelta(days=10), "Reçue."
    )

    phone_page.goto("/events/assises-2026/book/")
    assert phone_page.get_by_role("heading", level=1).inner_text() == "Assises du Logement"
    assert phone_page.locator(".sources li").inner_text() == "Une porte (Groupe A, Groupe B)"
    assert_no_axe_violations(phone_page)
    phone_page.get_by_role("link", name="Ce que sont devenues ces recommandations").click()
    phone_page.wait_for_url("**/events/assises-2026/book/follow-up/")
    assert phone_page.locator(".steps li").inner_text().endswith("Reprise — Reçue.")
    assert_no_axe_violations(phone_page)
    pdf = phone_page.request.get(f"{live_server.url}/events/assises-2026/book.pdf")
    assert (pdf.status, pdf.body()[:5]) == (200, b"%PDF-")

    # In Dutch: the same address, the labels in the reader's language.
    phone_page.goto("/events/assises-2026/book/")
    phone_page.select_option("#language-select", "nl")
    phone_page.get_by_role("button", name="Changer").click()
    phone_page.wait_for_load_state()
    assert phone_page.locator("html").get_attribute("lang") == "nl"
    assert phone_page.get_by_role("heading", level=1).inner_text() == "Assisen van Huisvesting"
    assert_no_axe_violations(phone_page)
    phone_page.goto("/events/assises-2026/book/follow-up/")
    assert "Opgenomen" in phone_page.locator(".steps li").inner_text()
    assert_no_axe_violations(phone_page)
