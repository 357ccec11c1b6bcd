"""A professional finds a colleague by need and language, opens their card, then sees the services
on the map: one marker per result of the data endpoint, tiles blocked (nothing fetched outside)."""

from __future__ import annotations

from datetime import time

import pytest
import time_machine

from tests.browser.conftest import sign_in
from tests.directory.factories import make_service

MONDAY_10 = "2026-11-23 09:00:00+00:00"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_people_search_card_and_map(page, request_themes) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    from maillage.core.models import Role
    from maillage.directory.models import Worker
    from maillage.taxonomy.models import Category
    from tests.factories import PASSWORD, member

    food = Category.objects.get(version__scheme=request_themes, code="FOOD")
    housing = Category.objects.get(version__scheme=request_themes, code="HOUSING")
    midi = make_service(name_fr="Colis du Midi", needs=[food], postal_code="1060", serves=["1060"],
                        hours=[("MO", time(9), time(17))])  # fmt: skip
    make_service(name_fr="Colis d'Anderlecht", needs=[food], postal_code="1070", serves=["1070"])
    make_service(name_fr="Logement", needs=[housing], postal_code="1000", serves=["1000"])
    Worker.objects.create(service=midi, full_name="Amina Diallo", function_fr="Assistante sociale", consent=True,
                          languages="fr ar", email="amina@example.org")  # fmt: skip
    Worker.objects.create(service=midi, full_name="Bart Peeters", function_fr="Éducateur", consent=True, languages="nl")
    user = member(Role.WORKER, email="pro@example.org")
    outside: list[str] = []

    def block(route) -> None:  # type: ignore[no-untyped-def]
        outside.append(route.request.url)
        route.abort()

    page.route("**/*", lambda route: block(route) if "127.0.0.1" not in route.request.url and "localhost" not in route.request.url else route.continue_())  # fmt: skip
    with time_machine.travel(MONDAY_10, tick=True):
        sign_in(page, user.email, PASSWORD)
        page.goto("/directory/people/")
        page.select_option("form.directory-people-search select[name=need]", str(food.pk))
        page.select_option("form.directory-people-search select[name=language]", "ar")
        page.locator("form.directory-people-search button[type=submit]").click()
        people = page.locator(".directory-person-name")
        expect(people).to_have_text(["Amina Diallo"])
        assert "language=ar" in page.url
        page.select_option("form.directory-people-search select[name=language]", "")
        page.locator("form.directory-people-search button[type=submit]").click()
        expect(people).to_have_text(["Amina Diallo", "Bart Peeters"])
        people.first.click()
        expect(page.locator("h1")).to_have_text("Amina Diallo")
        expect(page.locator("a[href='mailto:amina@example.org']")).to_have_count(1)

        page.goto(f"/directory/map/?need={food.pk}")
        expect(page.locator("#directory-map")).to_be_visible()
        data = page.request.get(f"/directory/map/data.json?need={food.pk}").json()
        assert [s["name"] for s in data["services"]] == ["Colis du Midi", "Colis d'Anderlecht"]  # open first
        markers = page.locator("#directory-map .leaflet-marker-icon")
        expect(markers).to_have_count(data["count"])
        expect(page.locator("#directory-map")).to_have_attribute("data-markers", str(data["count"]))
        assert page.locator(".directory-map-list li").count() == data["count"]
        assert outside
        assert all("tile.openstreetmap.org" in url for url in outside)
