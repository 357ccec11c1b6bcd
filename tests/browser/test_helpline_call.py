"""A responder logs a call with two requests and a referral, with the keyboard alone, without a page reload."""

from __future__ import annotations

from datetime import time

import pytest

from maillage.core.models import Role
from maillage.helpline.models import Call
from tests.browser.conftest import assert_no_axe_violations, sign_in
from tests.factories import PASSWORD, OrganisationFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _tab_to(page, selector: str, limit: int = 60) -> None:
    """Press Tab until the element matching `selector` has the focus."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def test_log_a_call_by_keyboard_only(page, request_themes):
    from maillage.taxonomy.models import Category
    from tests.directory.factories import make_service

    line = OrganisationFactory(short_name="FdSS", sector="federation")
    responder = member(Role.RESPONDER, line, email="rita@example.org", full_name="Rita Responder")
    food = Category.objects.get(version__status="published", code="FOOD")
    service = make_service(
        name_fr="Épicerie sociale du Midi",
        needs=[food],
        postal_code="1060",
        serves=["1060"],
        languages=["fr"],
        hours=[("MO,TU,WE,TH,FR,SA,SU", time(0, 0), time(23, 59))],
    )
    sign_in(page, responder.email, PASSWORD)
    page.goto("/helpline/calls/new/")
    page.wait_for_selector("#id_duration_minutes")
    page.evaluate("() => { window.__notReloaded = true; }")

    _tab_to(page, "#id_duration_minutes")
    page.keyboard.type("9")
    _tab_to(page, "#id_postal_code")
    page.keyboard.type("1060")
    _tab_to(page, "#id_requests-0-category")
    page.keyboard.type("FOOD.PARCEL")
    _tab_to(page, "#id_requests-0-note")  # leaving the category asks for the services (htmx)
    page.wait_for_selector(f"#id_requests-0-service option[value='{service.pk}']", state="attached")
    _tab_to(page, "#id_requests-0-action")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # referral
    _tab_to(page, "#id_requests-0-service")
    page.keyboard.press("ArrowDown")
    assert page.eval_on_selector("#id_requests-0-service", "el => el.value") == str(service.pk)

    _tab_to(page, "button[name=add_request]")
    page.keyboard.press("Enter")
    page.wait_for_selector("#id_requests-1-category")
    _tab_to(page, "#id_requests-1-category")
    page.keyboard.type("HOUSING.RENT")
    _tab_to(page, "#id_requests-1-action")
    page.keyboard.press("ArrowDown")  # information
    _tab_to(page, "#id_comment")
    page.keyboard.type("Appel en fin de mois")
    _tab_to(page, "button[name=save]")
    page.keyboard.press("Enter")

    page.wait_for_selector("#call-saved")
    assert page.evaluate("() => window.__notReloaded") is True
    call = Call.objects.get()
    assert list(call.requests.order_by("position").values_list("category__code", "action", "service_id")) == [
        ("FOOD.PARCEL", "referral", service.pk),
        ("HOUSING.RENT", "information", None),
    ]
    assert (call.duration_minutes, call.postal_code, call.responder) == (9, "1060", responder)
    # The fresh form is ready for the next call, focus in the duration.
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'id_duration_minutes'")
    assert_no_axe_violations(page)


def test_the_form_works_without_javascript(browser, live_server, request_themes):
    line = OrganisationFactory(short_name="FdSS", sector="federation")
    responder = member(Role.RESPONDER, line, email="nojs@example.org", full_name="No Script")
    context = browser.new_context(base_url=live_server.url, locale="fr-BE", java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, responder.email, PASSWORD)
        page.goto("/helpline/calls/new/")
        page.fill("#id_duration_minutes", "4")
        page.fill("#id_requests-0-category", "INCOME.DEBT")
        page.select_option("#id_requests-0-action", "information")
        page.click("button[name=add_request]")
        page.wait_for_selector("#id_requests-1-category")
        assert page.input_value("#id_requests-0-category") == "INCOME.DEBT"
        page.fill("#id_requests-1-category", "Logement insalubre")
        page.select_option("#id_requests-1-action", "nothing")
        page.click("button[name=save]")
        page.wait_for_load_state()
        assert page.url.endswith("/helpline/calls/new/")
        assert list(Call.objects.get().requests.values_list("category__code", flat=True)) == [
            "INCOME.DEBT",
            "HOUSING.CONDITION",
        ]
    finally:
        context.close()
