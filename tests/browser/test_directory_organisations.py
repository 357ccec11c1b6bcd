"""A coordinator puts their organisation in the directory; a professional follows a commune's changes."""

from __future__ import annotations

import pytest

from tests.browser.conftest import assert_no_axe_violations, sign_in
from tests.conftest import give_totp, totp_code
from tests.factories import PASSWORD


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_coordinator_adds_their_organisation_then_a_service(page, request_themes) -> None:  # type: ignore[no-untyped-def]
    from maillage.core.models import Role
    from maillage.directory.models import DirectoryOrganisation
    from tests.factories import OrganisationFactory, member

    organisation = OrganisationFactory(short_name="CSS Midi")
    coordinator = member(Role.COORDINATOR, organisation, email="coord@example.org")
    give_totp(coordinator)
    sign_in(page, coordinator.email, PASSWORD)
    page.fill("input[name=code]", totp_code())
    page.press("input[name=code]", "Enter")
    page.wait_for_url("**/")

    page.goto("/directory/services/new/")
    page.wait_for_url("**/directory/organisations/new/")
    assert page.locator("h1").inner_text() == "Nouvelle organisation"
    assert_no_axe_violations(page)
    page.fill("input[name=name_fr]", "Centre social du Midi")
    page.fill("input[name=phone]", "12")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_load_state()
    assert page.locator(".errorlist").inner_text() == (
        "Saisissez un numéro de téléphone belge, par ex. 02 512 34 56 ou +32 470 12 34 56."
    )
    assert_no_axe_violations(page)
    page.fill("input[name=phone]", "02 512 34 56")
    page.get_by_role("button", name="Enregistrer").click()
    entry = DirectoryOrganisation.objects.get()
    page.wait_for_url(f"**/directory/organisations/{entry.pk}/")
    assert entry.organisation == organisation
    page.get_by_role("link", name="Ajouter un service").click()
    page.wait_for_url("**/directory/services/new/")
    assert page.locator("h1").inner_text() == "Nouveau service"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_professional_follows_a_commune(page, request_themes) -> None:  # type: ignore[no-untyped-def]
    from maillage.core.models import Commune, Role
    from maillage.directory.models import Subscription
    from tests.factories import member

    user = member(Role.WORKER)
    anderlecht = Commune.objects.get(postal_codes__code="1070")
    sign_in(page, user.email, PASSWORD)
    page.goto(f"/directory/changes/?commune={anderlecht.pk}")
    page.get_by_role("button", name="M'envoyer ces changements par e-mail").click()
    page.wait_for_load_state()
    assert page.locator("#follows-title").inner_text() == "Changements que vous recevez par e-mail"
    assert_no_axe_violations(page)
    assert list(Subscription.objects.values_list("user", "commune")) == [(user.pk, anderlecht.pk)]
    page.get_by_role("button", name="Arrêter").click()
    page.wait_for_load_state()
    assert Subscription.objects.count() == 0
