"""The public pages of a workshop series and an intervision cycle on a phone: accessible, usable without an account."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from maillage.events.models import EventKind, Registration, Status
from tests.browser.conftest import assert_no_axe_violations
from tests.events.factories import EventFactory, GroupFactory, SessionFactory, ThemeFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_series_and_cycle_pages_on_a_phone(phone_page, live_server, settings):
    settings.SITE_URL = live_server.url
    series = EventFactory(
        kind=EventKind.WORKSHOP_SERIES,
        slug="assises",
        title_fr="Assises du Logement et du Travail social",
        per_organisation=2,
    )
    themes = [ThemeFactory(event=series, title_fr=title, capacity=40) for title in ("Habitat", "Formation", "Réseaux")]
    for theme in themes:
        SessionFactory(event=series, theme=theme, starts_at=timezone.now() + timedelta(days=7))
    cycle = EventFactory(kind=EventKind.INTERVISION, slug="intervisions", title_fr="Cycle d'intervisions", capacity=150)
    GroupFactory(event=cycle, name="Groupe 1")

    phone_page.goto("/events/")
    assert phone_page.get_by_role("link", name="Assises du Logement et du Travail social").count() == 1
    assert_no_axe_violations(phone_page)

    phone_page.goto("/events/assises/")
    assert_no_axe_violations(phone_page)
    phone_page.get_by_label("Votre nom complet").fill("Karim Haddad")
    phone_page.get_by_label("Votre adresse e-mail").fill("karim@example.org")
    phone_page.get_by_label("Organisation (si elle n'est pas dans la liste)").fill("Syndicat des Locataires")
    phone_page.get_by_role("checkbox", name="Habitat").check()
    phone_page.get_by_role("checkbox", name="Réseaux").check()
    phone_page.get_by_role("button", name="S'inscrire").click()
    phone_page.wait_for_url("**/events/assises/registered/")
    # The same page for a new address and a known one: the statuses travel in the email only.
    assert phone_page.locator(".registration-sent").inner_text() == (
        "Nous avons envoyé un e-mail à karim@example.org avec la suite. S'il vous demande de confirmer, "
        f"cliquez sur son lien dans les {series.confirmation_hours} heures ; sans cela, l'inscription expire."
    )
    assert sorted(Registration.objects.filter(event=series).values_list("theme__title_fr", "status")) == [
        ("Habitat", Status.PENDING),
        ("Réseaux", Status.PENDING),
    ]

    phone_page.goto("/events/intervisions/")
    assert_no_axe_violations(phone_page)
    phone_page.get_by_label("Votre nom complet").fill("Sofie Maes")
    phone_page.get_by_label("Votre adresse e-mail").fill("not-an-address")
    phone_page.get_by_role("button", name="S'inscrire").click()
    assert phone_page.locator(".errorlist").all_inner_texts()[:2] == [
        "Ceci n'est pas une adresse e-mail, par ex. nom@exemple.org.",
        "Choisissez votre organisation dans la liste ou tapez son nom.",
    ]
    # On a phone the page comes back at its top, where the summary lists each error with a link to its field.
    summary = phone_page.locator("#error-summary")
    expect(summary).to_be_in_viewport()
    expect(phone_page.locator("#id_email")).not_to_be_in_viewport()
    summary.get_by_role(
        "link", name="Votre adresse e-mail : Ceci n'est pas une adresse e-mail, par ex. nom@exemple.org."
    ).click()
    expect(phone_page.locator("#id_email")).to_be_in_viewport()
    assert_no_axe_violations(phone_page)
    assert Registration.objects.filter(event=cycle).count() == 0
