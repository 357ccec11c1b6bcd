"""The shell in a real browser: sign in, switch language, each role's home, accessibility."""

from __future__ import annotations

import pytest

from maillage.core.models import Role
from tests.browser.conftest import assert_no_axe_violations, sign_in
from tests.conftest import give_totp, totp_code
from tests.factories import PASSWORD, OrganisationFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_welcome_and_login_pages_are_accessible(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    assert page.locator("h1").inner_text() == "maillage : le réseau des services sociaux, ensemble"
    assert_no_axe_violations(page)
    page.goto("/accounts/login/")
    assert_no_axe_violations(page)


def test_worker_signs_in_switches_to_dutch_and_signs_out(page) -> None:  # type: ignore[no-untyped-def]
    centre = OrganisationFactory(short_name="CSS Sud-Est")
    worker = member(Role.WORKER, centre, full_name="Amina Benali", email="amina@example.org")
    sign_in(page, worker.email, PASSWORD)
    assert page.locator("h1").inner_text() == "Bonjour Amina Benali, voici votre journée"
    page.select_option("#language-select", "nl")
    page.get_by_role("button", name="Changer").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.locator("h1").inner_text() == "Dag Amina Benali, dit is je dag"
    worker.refresh_from_db()
    assert worker.language == "nl"
    page.get_by_role("button", name="Afmelden").click()
    page.wait_for_load_state()
    assert page.locator("header").get_by_role("link", name="Aanmelden").count() == 1


@pytest.mark.parametrize(
    "role", [Role.WORKER, Role.COORDINATOR, Role.RESPONDER, Role.ORGANISER, Role.FEDERATION_STAFF, Role.ADMINISTRATOR]
)
def test_each_roles_home_is_reachable_and_accessible(page, role: str) -> None:  # type: ignore[no-untyped-def]
    organisation = OrganisationFactory(short_name=f"Org {role}")
    person = member(role, organisation, email=f"{role}@example.org", full_name=f"Person {role}")
    give_totp(person)
    sign_in(page, person.email, PASSWORD)
    # TOTP is set up for everyone here; allauth then asks for the code after the password.
    assert page.url.endswith("/accounts/2fa/authenticate/")
    page.fill("input[name=code]", totp_code())
    page.press("input[name=code]", "Enter")
    page.wait_for_url("**/")
    assert page.locator("h1").inner_text() == f"Bonjour Person {role}, voici votre journée"
    assert_no_axe_violations(page)
