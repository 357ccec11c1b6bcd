"""A coordinator walks through "my centre and the sector": the year, a quarter, the exports, their year's
completeness, and declares the year complete."""

from __future__ import annotations

import pytest

from maillage.sector.models import CompletionDeclaration, DataYear
from tests.browser.conftest import assert_no_axe_violations, sign_in
from tests.conftest import give_totp, totp_code
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_coordinator_walks_through_my_centre_and_the_sector(page, live_server) -> None:  # type: ignore[no-untyped-def]
    from django.core.cache import cache

    from tests.sector.conftest import YEAR, build_world

    cache.clear()
    world = build_world()
    DataYear.objects.create(year=YEAR)
    world.coordinator.language = "fr"
    world.coordinator.save(update_fields=["language"])
    give_totp(world.coordinator)
    sign_in(page, world.coordinator.email, PASSWORD)
    page.fill("input[name=code]", totp_code())
    page.press("input[name=code]", "Enter")
    page.wait_for_url("**/")

    page.get_by_role("link", name="Mon centre et le secteur").click()
    page.wait_for_load_state()
    page.select_option("select[name=year]", str(YEAR))
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == f"CSS A et le secteur — Année entière {YEAR}"
    food = page.locator("tr", has=page.locator("th", has_text="FOOD — Aide alimentaire")).first
    cells = food.locator("td").all_inner_texts()
    assert cells[:2] == ["10", "76,9"]
    assert cells[2] in {"75,0", "x"}  # the sector's share, or hidden by the disclosure engine
    income = page.locator("tr", has=page.locator("th", has_text="INCOME")).first
    assert income.locator("td").nth(2).inner_text() in {"<5", "x"}  # hidden, never a zero
    assert "CSS B" not in page.content()
    assert page.locator("figure.sector-chart img").count() >= 5
    assert_no_axe_violations(page)

    page.select_option("select[name=period]", "q1")
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == f"CSS A et le secteur — 1er trimestre {YEAR}"
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger en CSV").click()
    assert download.value.suggested_filename == f"sector-CSS A-{YEAR}-q1.csv"

    page.get_by_role("link", name="Notre année : complétude").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == f"L'année {YEAR} de CSS A"
    assert_no_axe_violations(page)
    page.get_by_role("button", name=f"Déclarer notre année {YEAR} complète").click()
    page.wait_for_load_state()
    assert page.locator(".messages").inner_text() == f"L'année {YEAR} est déclarée complète."
    assert list(CompletionDeclaration.objects.values_list("organisation__short_name", flat=True)) == ["CSS A"]
