"""Three member services plan a month of the line's rota in the browser; the coverage report matches."""

from __future__ import annotations

from datetime import date, time

import pytest

from maillage.core.models import Role
from maillage.helpline.models import OpeningHours, RotaService, Slot
from tests.browser.conftest import assert_no_axe_violations, sign_in
from tests.conftest import give_totp, totp_code
from tests.factories import PASSWORD, OrganisationFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# May 2027: 21 weekdays less Ascension (6 May) and Whit Monday (17 May): 19 days of one 9–17 slot in French.
PLAN = {"CPAS de Saint-Gilles": [0, 3, 6, 9, 12, 15], "Infor-Jeunes": [1, 4, 7, 10, 13], "Resto du Coeur": [2, 5, 8]}


def _signed_in(browser, live_server, email: str, totp: bool = False):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live_server.url, locale="fr-BE")
    page = context.new_page()
    page.set_default_timeout(30_000)
    sign_in(page, email, PASSWORD)
    if totp:
        page.fill("input[name=code]", totp_code())
        page.press("input[name=code]", "Enter")
        page.wait_for_url("**/")
    return context, page


@pytest.mark.slow(seconds=10)
def test_three_services_plan_a_month_and_the_coverage_report_matches(browser, live_server, request_themes):
    line = OrganisationFactory(short_name="FdSS", sector="federation")
    staff = member(Role.FEDERATION_STAFF, line, email="fede@example.org", full_name="Fede Staff")
    give_totp(staff)
    for weekday in range(5):
        OpeningHours.objects.create(
            organisation=line, valid_from=date(2020, 3, 30), weekday=weekday, opens=time(9), closes=time(17)
        )
    people = {}
    for index, name in enumerate(PLAN):
        service = RotaService.objects.create(organisation=line, name=name)
        person = member(Role.RESPONDER, line, email=f"r{index}@example.org", full_name=f"Répondant {index}")
        service.responders.add(person)
        people[name] = person

    # The staff generate the month from the calendar: 8-hour slots, French line.
    # One staff session for the whole test: a second TOTP sign-in within the same 30 s would reuse the
    # code, which allauth rightly refuses.
    staff_context, page = _signed_in(browser, live_server, staff.email, totp=True)
    page.goto("/helpline/rota/2027-05/")
    page.fill("#id_deadline", "2027-04-20")
    page.fill("#id_slot_hours", "8")
    page.uncheck("#id_lang_nl")
    page.click("text=Générer les créneaux à partir du calendrier")
    page.wait_for_selector("#rota-grid")
    slots = list(Slot.objects.filter(organisation=line).order_by("starts_at"))
    assert len(slots) == 19
    assert page.inner_text("#rota-gaps") == "19"

    # Each service's responder commits it to its slots on the grid.
    for name, indexes in PLAN.items():
        service = RotaService.objects.get(name=name)
        context, page = _signed_in(browser, live_server, people[name].email)
        page.goto("/helpline/rota/2027-05/")
        for index in indexes:
            page.click(f"button[data-service='{service.pk}'][data-slot='{slots[index].pk}']")
            page.wait_for_selector(f"#slot-{slots[index].pk} .rota-taken")
        if name == "Infor-Jeunes":  # a slot another service holds offers no button: one service per slot
            assert page.locator(f"button[data-slot='{slots[0].pk}']").count() == 0
            assert_no_axe_violations(page)
        context.close()

    page = staff_context.pages[0]
    page.goto("/helpline/rota/2027-05/coverage/")
    committed = sum(len(indexes) for indexes in PLAN.values())
    figures = {key: page.inner_text(f"#coverage-{key}") for key in ("slots", "filled", "committed", "unfilled")}
    assert figures == {"slots": "19", "filled": "0", "committed": str(committed), "unfilled": str(19 - committed)}
    rows = page.locator("#coverage-services tbody tr").all_inner_texts()
    assert rows == [f"{name}\t{len(indexes)}" for name, indexes in sorted(PLAN.items())]
    # Independent count from the database.
    assert Slot.objects.filter(organisation=line, service__isnull=True).count() == 19 - committed == 5
    staff_context.close()
