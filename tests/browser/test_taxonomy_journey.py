"""Federation staff start a new version of a scheme, upload a CSV with a bad row, fix it, map and publish."""

from __future__ import annotations

import pytest

from maillage.core.models import Role
from maillage.taxonomy import services
from maillage.taxonomy.models import Scheme, SchemeVersion
from tests.browser.conftest import assert_no_axe_violations, sign_in
from tests.conftest import give_totp, totp_code
from tests.factories import PASSWORD, OrganisationFactory, SchemeFactory, member
from tests.taxonomy.conftest import V1_CSV, V2_CSV

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

BAD_CSV = V2_CSV + "SCHOOL.COSTS,SCHOOL,Frais scolaires,Schoolkosten,School costs,,yes\n"
FIXED_CSV = (
    V2_CSV + "SCHOOL,,École,School,School,,yes\nSCHOOL.COSTS,SCHOOL,Frais scolaires,Schoolkosten,School costs,,yes\n"
)


@pytest.fixture
def v1(transactional_db: None) -> SchemeVersion:
    scheme = SchemeFactory(code="themes", label_fr="Thèmes", label_nl="Thema's", label_en="Themes")
    version = services.create_draft(None, scheme)
    services.import_categories_csv(None, version, V1_CSV)
    return services.publish_version(None, version)


def upload(page, content: str) -> None:  # type: ignore[no-untyped-def]
    page.set_input_files(
        "input[name=file]", files=[{"name": "themes.csv", "mimeType": "text/csv", "buffer": content.encode()}]
    )
    page.get_by_role("button", name="Vérifier et importer").click()
    page.wait_for_load_state()


def test_staff_fix_a_bad_csv_map_and_publish(page, v1: SchemeVersion) -> None:  # type: ignore[no-untyped-def]
    staff = member(
        Role.FEDERATION_STAFF,
        OrganisationFactory(short_name="FdSS", sector="federation"),
        email="fede@example.org",
        full_name="Fede Staff",
    )
    give_totp(staff)
    page.on("dialog", lambda dialog: dialog.accept())  # "Publish this version?"
    sign_in(page, staff.email, PASSWORD)
    page.fill("input[name=code]", totp_code())
    page.press("input[name=code]", "Enter")
    page.wait_for_url("**/")

    page.get_by_role("navigation", name="Principal").get_by_role("link", name="Catégories").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Schémas de catégories"
    assert_no_axe_violations(page)

    page.get_by_role("button", name="Nouveau brouillon de Thèmes").click()
    page.wait_for_url("**/categories/themes/v2/")
    assert (
        page.locator(".messages").inner_text() == "Brouillon themes v2 créé comme copie de la version la plus récente."
    )

    page.get_by_role("link", name="Envoyer un fichier CSV").click()
    page.wait_for_load_state()
    assert_no_axe_violations(page)
    upload(page, BAD_CSV)
    assert page.locator("#errors-title").inner_text() == "Le fichier n'a pas été importé : 1 problème à corriger"
    assert page.evaluate("document.activeElement.id") == "upload-errors"  # read first by screen readers
    assert page.locator(".taxonomy-errors li").all_inner_texts() == [
        "Ligne 6 : le code parent SCHOOL n'existe pas dans ce fichier."
    ]
    assert_no_axe_violations(page)
    assert SchemeVersion.objects.get(number=2).categories.count() == 5  # still the copy of version 1

    upload(page, FIXED_CSV)
    page.wait_for_url("**/categories/themes/v2/")
    assert page.locator(".messages").inner_text() == "6 catégories importées dans themes v2."
    assert page.locator(".warning").inner_text() == (
        "2 catégories de la version précédente n'indiquent pas encore où elles vont. Relier les catégories"
    )
    assert_no_axe_violations(page)

    # Publishing now is refused with a clear message.
    page.get_by_role("button", name="Publier la version 2").click()
    page.wait_for_load_state()
    assert page.locator(".messages").inner_text() == (
        "Indiquez où vont ces anciennes catégories avant de publier : FOOD.PARCEL, FOOD.SHOP."
    )

    page.get_by_role("link", name="Relier les catégories").click()
    page.wait_for_load_state()
    assert_no_axe_violations(page)
    page.get_by_label("FOOD.PARCEL Colis alimentaire").select_option(label="— FOOD.AID · Colis et épicerie")
    page.get_by_label("FOOD.SHOP Épicerie sociale").select_option(label="— FOOD.AID · Colis et épicerie")
    page.get_by_role("button", name="Enregistrer les correspondances").click()
    page.wait_for_load_state()
    assert page.locator(".messages").inner_text() == "2 correspondances enregistrées."

    page.get_by_role("link", name="Retour à la version").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Modifier SCHOOL.COSTS").click()
    page.wait_for_load_state()
    assert_no_axe_violations(page)
    page.get_by_label("Libellé (anglais)").fill("School fees")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url("**/categories/themes/v2/")

    page.get_by_role("button", name="Publier la version 2").click()
    page.wait_for_load_state()
    assert (
        page.locator(".messages").inner_text() == "La version themes v2 est publiée ; c'est désormais celle en vigueur."
    )
    assert page.locator("h1 .badge").inner_text() == "Publiée"
    assert page.get_by_role("link", name="Modifier SCHOOL.COSTS").count() == 0
    assert_no_axe_violations(page)
    scheme = Scheme.objects.get(code="themes")
    assert [(v.number, v.status) for v in scheme.versions.order_by("number")] == [(1, "retired"), (2, "published")]
    assert scheme.versions.get(number=2).categories.get(code="SCHOOL.COSTS").label_en == "School fees"


def test_phone_sees_the_tree(phone_page, v1: SchemeVersion) -> None:  # type: ignore[no-untyped-def]
    staff = member(Role.ADMINISTRATOR, OrganisationFactory(), email="admin@example.org")
    give_totp(staff)
    sign_in(phone_page, staff.email, PASSWORD)
    phone_page.fill("input[name=code]", totp_code())
    phone_page.press("input[name=code]", "Enter")
    phone_page.wait_for_url("**/")
    phone_page.goto("/categories/themes/v1/")
    assert phone_page.locator(".taxonomy-tree tbody tr").count() == 5
    assert_no_axe_violations(phone_page)
