"""Accessibility of the other public directory pages, and the professional page with workers."""

from __future__ import annotations

from datetime import time

import pytest

from tests.browser.conftest import assert_no_axe_violations, sign_in
from tests.directory.factories import make_service
from tests.factories import PASSWORD


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_public_directory_pages_pass_axe(page, request_themes) -> None:  # type: ignore[no-untyped-def]
    from maillage.core.models import Commune
    from maillage.directory.services import set_crisis_status
    from maillage.taxonomy.models import Category

    food = Category.objects.get(version__scheme=request_themes, code="FOOD")
    service = make_service(
        name_fr="Colis du Midi", needs=[food], postal_code="1070", serves=["1070"], hours=[("MO", time(9), time(12))]
    )
    set_crisis_status(None, service, "reduced", "Sur rendez-vous")
    anderlecht = Commune.objects.get(postal_codes__code="1070")
    for url in (
        "/directory/changes/",
        "/directory/status/",
        f"/directory/sheet/?commune={anderlecht.pk}&needs={food.pk}",
        "/directory/sheet/",
        f"/directory/?postal_code=1070&need={food.pk}",
    ):
        page.goto(url)
        assert_no_axe_violations(page)
    page.goto(f"/directory/sheet/?commune={anderlecht.pk}&needs={food.pk}")
    assert page.locator(".directory-sheet__qr img").get_attribute("src").startswith("data:image/svg+xml")  # type: ignore[union-attr]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_professional_page_shows_workers(page, request_themes) -> None:  # type: ignore[no-untyped-def]
    from maillage.core.models import Role
    from maillage.directory.models import Worker
    from tests.factories import member

    service = make_service(name_fr="Permanence", postal_code="1060", serves=["1060"])
    Worker.objects.create(service=service, full_name="Karim Visible", function_fr="Assistant social", consent=True)
    user = member(Role.WORKER)
    sign_in(page, user.email, PASSWORD)
    page.goto("/directory/pro/?postal_code=1060")
    assert page.locator(".directory-workers li").inner_text().startswith("Karim Visible")
    assert_no_axe_violations(page)
