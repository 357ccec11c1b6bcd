"""On a phone in the street: find an open food-aid service in 1070 from the public page."""

from __future__ import annotations

from datetime import time

import pytest
import time_machine

from tests.browser.conftest import assert_no_axe_violations
from tests.directory.factories import make_service

# Monday 23 November 2026, 10:00 in Brussels.
MONDAY_10 = "2026-11-23 09:00:00+00:00"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_phone_finds_open_food_aid_in_1070(phone_page, request_themes) -> None:  # type: ignore[no-untyped-def]
    from maillage.taxonomy.models import Category

    food = Category.objects.get(version__scheme=request_themes, code="FOOD.PARCEL")
    make_service(
        name_fr="Colis alimentaires d'Anderlecht",
        needs=[food],
        postal_code="1070",
        serves=["1070"],
        hours=[("MO,TU,WE,TH,FR", time(9), time(17))],
        phone="02 555 12 34",
    )
    make_service(name_fr="Colis du samedi", needs=[food], postal_code="1070", hours=[("SA", time(9), time(12))])
    with time_machine.travel(MONDAY_10, tick=True):
        page = phone_page
        page.goto("/directory/")
        assert_no_axe_violations(page)
        parent = Category.objects.get(version__scheme=request_themes, code="FOOD")
        page.select_option("select[name=need]", str(parent.pk))
        page.fill("input[name=postal_code]", "1070")
        page.check("input[name=open_now]")
        page.locator("form.directory-search button[type=submit]").click()
        result = page.locator(".directory-result").first
        result.wait_for()
        assert page.locator(".directory-result").count() == 1
        assert result.locator("h3").inner_text() == "Colis alimentaires d'Anderlecht"
        assert result.locator(".badge--ok").inner_text() != ""
        assert result.locator("a[href^='tel:']").inner_text() == "02 555 12 34"
        assert_no_axe_violations(page)
        result.locator("h3 a").click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == "Colis alimentaires d'Anderlecht"
        assert_no_axe_violations(page)
