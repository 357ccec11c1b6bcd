"""The blocker of issue 15: after a search, unticking "open now", changing the need and the commune
each change the results (exact lists), and the address bar holds each parameter once."""

from __future__ import annotations

from datetime import time
from urllib.parse import parse_qsl, urlsplit

import pytest
import time_machine

from tests.directory.factories import make_service

# Monday 23 November 2026, 10:00 in Brussels.
MONDAY_10 = "2026-11-23 09:00:00+00:00"
WEEKDAYS = "MO,TU,WE,TH,FR"


def _names(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.locator(".directory-result h3").all_inner_texts()


def _query(page) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return parse_qsl(urlsplit(page.url).query)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_open_now_off_then_need_then_commune(page, request_themes) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    from maillage.taxonomy.models import Category

    food = Category.objects.get(version__scheme=request_themes, code="FOOD")
    housing = Category.objects.get(version__scheme=request_themes, code="HOUSING")
    make_service(
        name_fr="Colis d'Anderlecht",
        needs=[food],
        postal_code="1070",
        serves=["1070"],
        hours=[(WEEKDAYS, time(9), time(17))],
    )
    make_service(
        name_fr="Colis du samedi", needs=[food], postal_code="1070", serves=["1070"], hours=[("SA", time(9), time(12))]
    )
    make_service(
        name_fr="Logement Bruxelles",
        needs=[housing],
        postal_code="1000",
        serves=["1000"],
        hours=[(WEEKDAYS, time(9), time(17))],
    )
    make_service(
        name_fr="Logement du samedi",
        needs=[housing],
        postal_code="1000",
        serves=["1000"],
        hours=[("SA", time(9), time(12))],
    )
    results = page.locator(".directory-result h3")
    with time_machine.travel(MONDAY_10, tick=True):
        page.goto("/directory/")
        page.select_option("select[name=need]", str(food.pk))
        page.fill("input[name=postal_code]", "1070")
        page.check("input[name=open_now]")
        page.locator("form.directory-search button[type=submit]").click()
        expect(results).to_have_text(["Colis d'Anderlecht"])
        page.wait_for_url(f"**/directory/?need={food.pk}&postal_code=1070&open_now=on")

        # Untick "open now": the Saturday service comes back, and open_now leaves the address.
        page.uncheck("input[name=open_now]")
        page.locator("form.directory-search button[type=submit]").click()
        expect(results).to_have_text(["Colis d'Anderlecht", "Colis du samedi"])
        page.wait_for_url(f"**/directory/?need={food.pk}&postal_code=1070")

        # Another need: no housing service serves 1070, the Brussels ones come as the nearest others.
        page.select_option("select[name=need]", str(housing.pk))
        page.locator("form.directory-search button[type=submit]").click()
        expect(results).to_have_text(["Logement Bruxelles", "Logement du samedi"])
        page.wait_for_url(f"**/directory/?need={housing.pk}&postal_code=1070")

        # Another commune, and "open now" again.
        page.fill("input[name=postal_code]", "1000")
        page.check("input[name=open_now]")
        page.locator("form.directory-search button[type=submit]").click()
        expect(results).to_have_text(["Logement Bruxelles"])
        page.wait_for_url(f"**/directory/?need={housing.pk}&postal_code=1000&open_now=on")
        assert _query(page) == [("need", str(housing.pk)), ("postal_code", "1000"), ("open_now", "on")]

        # Each filter can be taken off by its link; the form shows the new state.
        page.locator("a.directory-filter-remove[data-filter=open_now]").click()
        expect(results).to_have_text(["Logement Bruxelles", "Logement du samedi"])
        assert _query(page) == [("need", str(housing.pk)), ("postal_code", "1000")]
        assert not page.is_checked("input[name=open_now]")
        assert page.input_value("select[name=need]") == str(housing.pk)
        page.locator("a.directory-filter-remove[data-filter=need]").click()
        expect(results).to_have_text(
            ["Logement Bruxelles", "Logement du samedi", "Colis d'Anderlecht", "Colis du samedi"]
        )
        assert _query(page) == [("postal_code", "1000")]
        assert page.input_value("select[name=need]") == ""
