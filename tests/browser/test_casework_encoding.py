"""A worker encodes a follow-up with two requests, by keyboard only, without a page reload."""

from __future__ import annotations

import pytest

from maillage.casework.models import FollowUp
from maillage.core.models import Role
from tests.browser.conftest import assert_no_axe_violations, sign_in
from tests.casework.factories import CaseFileFactory, PersonFactory
from tests.factories import PASSWORD, OrganisationFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_worker_encodes_a_follow_up_with_two_requests_by_keyboard(page, live_server):  # type: ignore[no-untyped-def]
    from maillage.casework.schemes import ensure_casework_schemes

    ensure_casework_schemes()
    centre = OrganisationFactory(short_name="CSS Clavier")
    worker = member(Role.WORKER, centre, full_name="Kim Keyboard", email="kim@example.org")
    case_file = CaseFileFactory(person=PersonFactory(organisation=centre, reference="P-000042"), workers=[worker])
    sign_in(page, "kim@example.org", PASSWORD)
    page.goto(f"/casework/files/{case_file.pk}/followups/new/")
    assert page.evaluate("document.activeElement.name") == "date"  # the form opens ready to type
    page.focus("select[name=mode]")
    page.keyboard.press("ArrowDown")  # Appointment → Phone
    page.focus("input[name=requests-0-theme]")
    page.keyboard.type("FOOD.PARCEL")
    page.keyboard.press("Tab")
    page.keyboard.type("PUBLIC.CPAS")
    page.keyboard.press("Tab")
    page.keyboard.type("INFO.GENERAL")
    page.focus("#add-request")
    page.keyboard.press("Enter")
    page.wait_for_selector("input[name=requests-1-theme]")
    assert page.evaluate("document.activeElement.name") == "requests-1-theme"
    page.keyboard.type("FOREIGN.RESIDENCE")
    page.keyboard.press("Tab")
    page.keyboard.type("MIGRATION.OE")
    assert_no_axe_violations(page)
    url_before = page.url
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#encoding .message--success")
    assert page.url == url_before
    follow_up = FollowUp.objects.get(case_file=case_file)
    assert (follow_up.mode, follow_up.worker) == ("phone", worker)
    assert [
        (r.theme.code, r.institution.code, r.stage.code if r.stage else None) for r in follow_up.requests.order_by("id")
    ] == [
        ("FOOD.PARCEL", "PUBLIC.CPAS", "INFO.GENERAL"),
        ("FOREIGN.RESIDENCE", "MIGRATION.OE", None),
    ]
    # The fresh form offers both open requests again.
    assert page.input_value("input[name=requests-1-theme]").startswith("FOREIGN.RESIDENCE")
