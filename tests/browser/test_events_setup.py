"""An organiser sets a workshop series up in a browser: address, checklist, themes and sessions, then publishes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from maillage.core.models import AuditEntry, Role
from maillage.events.models import Event
from tests.browser.conftest import assert_no_axe_violations, sign_in
from tests.factories import PASSWORD, OrganisationFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_an_organiser_sets_up_and_publishes_a_series(page, live_server, settings):
    settings.SITE_URL = live_server.url
    organiser = member(Role.ORGANISER, OrganisationFactory(short_name="Fédé"), full_name="Olga Organiser")
    # The live server's first answer loads what every page needs: on a busy machine it takes more than 30 s.
    page.goto("/", timeout=120_000)
    sign_in(page, organiser.email, PASSWORD)
    page.goto("/events/manage/new/")
    page.select_option("#id_kind", "workshop_series")
    page.fill("#id_slug", "assises-2026")
    page.fill("#id_title_fr", "Assises du Logement")
    page.fill("#id_title_nl", "Assisen van Huisvesting")
    page.fill("#id_title_en", "Housing conference")
    page.fill("#id_place", "COOP")
    page.fill("#id_street", "Quai Fernand Demets 23")
    page.fill("#id_postal_code", "1299")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_load_state()
    # The error is summed up at the top with a link to the field.
    summary = page.locator(".error-summary")
    assert "1299 n'est pas un code postal de la Région de Bruxelles-Capitale." in summary.inner_text()
    assert summary.get_by_role("link").first.get_attribute("href") == "#id_postal_code"
    assert_no_axe_violations(page)
    page.fill("#id_postal_code", "1070")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url("**/edit/")
    event = Event.objects.get()
    assert (event.city, event.title_en) == ("Anderlecht", "Housing conference")
    checklist = page.locator(".checklist").inner_text()
    assert "Au moins un thème (on s'inscrit par thème)" in checklist
    assert_no_axe_violations(page)

    page.fill("#id_theme-title_fr", "Habitat")
    page.fill("#id_theme-capacity", "20")
    page.locator("form:has(#id_theme-title_fr)").get_by_role("button", name="Ajouter").click()
    page.wait_for_url("**/edit/")
    day = (timezone.localtime() + timedelta(days=20)).strftime("%Y-%m-%d")
    page.fill("#id_session-title", "Atelier 1")
    page.fill("#id_session-starts_at", f"{day}T13:00")
    page.fill("#id_session-ends_at", f"{day}T16:00")
    page.select_option("#id_session-theme", label="Habitat")
    page.locator("form:has(#id_session-title)").get_by_role("button", name="Ajouter").click()
    page.wait_for_url("**/edit/")

    page.get_by_role("link", name="Modifier Habitat").click()
    page.wait_for_url("**/edit/theme/**")
    assert_no_axe_violations(page)
    page.fill("#id_capacity", "25")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url("**/edit/")
    assert page.locator(".messages").inner_text() == "Modifications enregistrées."

    page.check("#id_is_published")
    page.locator("form:has(#id_is_published)").get_by_role("button", name="Enregistrer").click()
    page.wait_for_url("**/edit/")
    event.refresh_from_db()
    assert (event.is_published, event.themes.get().capacity) == (True, 25)
    codes = AuditEntry.objects.filter(code__startswith="events.").exclude(code="events.questions.created")
    assert list(codes.order_by("id").values_list("code", flat=True)) == [
        "events.event.created",
        "events.theme.created",
        "events.session.created",
        "events.theme.updated",
        "events.event.updated",
    ]
    page.goto("/events/assises-2026/")
    assert page.get_by_role("checkbox", name="Habitat").count() == 1
