"""A responder logs a call with two requests and a referral, with the keyboard alone, without a page reload."""

from __future__ import annotations

from datetime import time

import pytest

from maillage.core.models import Role
from maillage.helpline.models import Call
from tests.browser.conftest import assert_no_axe_violations, sign_in
from tests.factories import PASSWORD, OrganisationFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


class Keyboard:
    """Presses keys and types text through Playwright, counting every keystroke (a typed character is one)."""

    def __init__(self, page) -> None:  # type: ignore[no-untyped-def]
        self.page = page
        self.count = 0
        self.tabs = 0

    def press(self, key: str, times: int = 1) -> None:
        for _ in range(times):
            self.page.keyboard.press(key)
            self.count += 1
            self.tabs += key == "Tab"

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)
        self.count += len(text)

    def focused(self) -> str:
        return str(self.page.evaluate("() => document.activeElement && document.activeElement.id"))


# The issue measured 68 keystrokes (11 Tabs to reach Save, 6 of them inside the "call back on" date field)
# for a call with 3 requests and a referral. Without the 6 Tabs the date field ate, the same call takes at
# most 62; with the shortcuts (Alt+Q to the requests, Alt+R for a row, Alt+S to save) it takes the number asserted below, and Save
# is 3 Tabs from the last request's action (2 from its service, 1 from its "call back on").
ISSUE_KEYSTROKES = 68
DATE_FIELD_TABS = 6
KEYSTROKES = 59


def _line_with_service(request_themes):  # type: ignore[no-untyped-def]
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
    return line, responder, service


def test_log_a_call_with_three_requests_and_a_referral_by_keyboard_only(page, request_themes):
    line, responder, service = _line_with_service(request_themes)
    sign_in(page, responder.email, PASSWORD)
    page.goto("/helpline/calls/new/")
    page.wait_for_selector("#id_duration_minutes")
    page.evaluate("() => { window.__notReloaded = true; }")
    # The shortcuts are written on the page, and in the help panel Alt+K opens.
    assert page.inner_text("#shortcut-hint") == (
        "Clavier : Alt+S enregistrer l'appel · Alt+Q aux demandes · Alt+R ajouter une demande · "
        "Alt+P actualiser les services proposés · Alt+K tous les raccourcis"
    )
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'id_duration_minutes'")
    keys = Keyboard(page)
    keys.press("Alt+k")
    assert page.evaluate("() => document.getElementById('shortcut-help').open") is True
    assert page.locator("#shortcut-help tbody tr").count() == 9
    keys.press("Alt+k")
    page.focus("#id_duration_minutes")  # the help panel gave the focus to its summary: back to the autofocus
    keys.count = 0

    keys.type("9")
    keys.press("Tab", 5)  # language, urgency, caller sex, caller type, postal code
    assert keys.focused() == "id_postal_code"
    keys.type("1060")
    keys.press("Alt+q")  # to the requests: the first category
    assert keys.focused() == "id_requests-0-category"
    keys.type("FOOD.PARCEL")
    keys.press("Tab", 2)  # note, action (leaving the category asks for the services)
    keys.type("o")  # « Orientation vers un service »: a letter picks the first option starting with it
    page.wait_for_selector(f"#id_requests-0-service option[value='{service.pk}']", state="attached")
    keys.press("Tab")
    assert keys.focused() == "id_requests-0-service"
    keys.press("ArrowDown")
    assert page.eval_on_selector("#id_requests-0-service", "el => el.value") == str(service.pk)

    for index, code in ((1, "HOUSING.RENT"), (2, "INCOME.DEBT")):
        keys.press("Alt+r")  # one more request, the cursor in its category
        page.wait_for_function(
            f"() => document.activeElement && document.activeElement.id === 'id_requests-{index}-category'"
        )
        keys.type(code)
        keys.press("Tab", 2)
        keys.press("ArrowDown")  # information
        assert page.eval_on_selector(f"#id_requests-{index}-action", "el => el.value") == "information"

    # From the last request, Save is 3 Tabs away from its action (service, call back on, Save).
    tabs_before = keys.tabs
    focus_now = keys.focused()
    keys.press("Tab", 3)
    assert keys.focused() == ""  # the Save button has no id: check it by name
    assert page.evaluate("() => document.activeElement.name") == "save"
    assert (focus_now, keys.tabs - tabs_before) == ("id_requests-2-action", 3)
    page.focus("#id_requests-2-action")  # back to the last request (not counted: the Tabs above were a check)
    keys.count -= 3

    keys.press("Alt+s")  # save from anywhere on the form
    page.wait_for_selector("#call-saved")
    assert page.evaluate("() => window.__notReloaded") is True
    call = Call.objects.get()
    assert list(
        call.requests.order_by("position").values_list("category__code", "action", "service_id", "unmet_reason")
    ) == [
        ("FOOD.PARCEL", "referral", service.pk, ""),
        ("HOUSING.RENT", "information", None, ""),
        ("INCOME.DEBT", "information", None, ""),
    ]
    assert (
        call.duration_minutes,
        call.postal_code,
        call.commune.name_fr,
        call.caller_area,
        call.language,
        call.caller_sex,
        call.caller_type,
        call.urgency,
        call.comment,
        call.responder,
        call.organisation,
    ) == (9, "1060", "Saint-Gilles", "brussels", "fr", "unknown", "concerned", "low", "", responder, line)
    assert keys.count == KEYSTROKES
    assert KEYSTROKES <= ISSUE_KEYSTROKES - DATE_FIELD_TABS
    # The fresh form is ready for the next call, focus in the duration.
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'id_duration_minutes'")
    assert_no_axe_violations(page)


def test_save_shortcut_after_adding_a_row_saves_and_on_an_empty_form_says_why(page, request_themes):
    _line, responder, _service = _line_with_service(request_themes)
    sign_in(page, responder.email, PASSWORD)
    page.goto("/helpline/calls/new/")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'id_duration_minutes'")
    page.keyboard.press("Alt+s")  # nothing filled: a translated answer, nothing saved
    page.wait_for_selector(".errorlist.nonfield")
    assert page.inner_text(".errorlist.nonfield") == (
        "Rien n'a été enregistré : corrigez les champs signalés ci-dessous."
    )
    assert Call.objects.count() == 0
    page.focus("#id_duration_minutes")
    page.keyboard.type("4")
    page.focus("#id_requests-0-category")
    page.keyboard.type("INCOME.DEBT")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Alt+r")  # the bug: Alt+R then Alt+S added an empty row instead of saving
    page.wait_for_selector("#id_requests-1-category")
    page.keyboard.press("Alt+s")
    page.wait_for_selector("#call-saved")
    assert list(Call.objects.get().requests.values_list("category__code", "action")) == [("INCOME.DEBT", "information")]


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
