"""The neighbourhood sheet as a PDF: same rows as the HTML sheet, published services only, in the reader's language."""

from __future__ import annotations

from datetime import time
from io import BytesIO

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from maillage.core.models import Commune
from maillage.directory.models import ServiceStatus, Worker
from tests.directory.factories import DirectoryOrganisationFactory, make_service

pytestmark = pytest.mark.django_db

# Monday 23 November 2026, 10:00 in Brussels.
MONDAY_10 = "2026-11-23 09:00:00+00:00"


@pytest.fixture
def anderlecht() -> Commune:
    return Commune.objects.get(postal_codes__code="1070")


@pytest.fixture
def grocery(themes):  # type: ignore[no-untyped-def]
    """A published social grocery in Anderlecht, with a worker who must never be printed."""
    service = make_service(
        name_fr="Épicerie sociale Saint-Guidon",
        name_nl="Sociale kruidenier Sint-Guido",
        organisation=DirectoryOrganisationFactory(name_fr="Association Solidarité Wayez", name_nl="Vereniging Wayez"),
        needs=[themes["FOOD.SOCIALSHOP"]],
        postal_code="1070",
        serves=["1070"],
        hours=[("MO,TU,WE,TH,FR", time(9), time(17))],
        phone="02 555 12 34",
    )
    Worker.objects.create(service=service, full_name="Karim Visible", function_fr="Assistant social", consent=True)
    return service


@pytest.fixture
def elsewhere(themes):  # type: ignore[no-untyped-def]
    """A published food service in Ixelles serving only Ixelles: not on Anderlecht's sheet."""
    return make_service(
        name_fr="Colis d'Ixelles", needs=[themes["FOOD"]], postal_code="1050", serves=["1050"], phone="02 555 50 50"
    )


@pytest.fixture
def draft(themes):  # type: ignore[no-untyped-def]
    return make_service(
        name_fr="Brouillon caché",
        needs=[themes["FOOD"]],
        postal_code="1070",
        serves=["1070"],
        phone="02 555 99 99",
        status=ServiceStatus.DRAFT,
    )


def _pdf_text(content: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(BytesIO(content))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def _pdf(content: bytes) -> tuple[PdfReader, list[str]]:
    reader = PdfReader(BytesIO(content))
    return reader, [line for page in reader.pages for line in page.extract_text().splitlines()]


@time_machine.travel(MONDAY_10, tick=False)
def test_sheet_pdf_lists_the_published_services_of_the_commune(  # type: ignore[no-untyped-def]
    client: Client, themes, anderlecht, grocery, elsewhere, draft
) -> None:
    response = client.get(reverse("directory:sheet_pdf"), {"commune": anderlecht.pk, "needs": [themes["FOOD"].pk]})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="maillage-anderlecht.pdf"'
    assert response.content.startswith(b"%PDF-")
    reader, lines = _pdf(response.content)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    assert lines == [
        "Où aller à Anderlecht ?",
        "Scannez pour les horaires à jour",
        f"http://testserver/directory/?need={themes['FOOD'].pk}&postal_code=1070",
        "Aide alimentaire",
        "Épicerie sociale Saint-Guidon",
        "Association Solidarité Wayez",
        "Rue Wayez 1, 1070 Anderlecht",
        "lun., mar., mer., jeu., ven. 09:00–17:00",
        "☎ 02 555 12 34",
        "Imprimé le 23 novembre 2026 — maillage 1/1",
    ]
    text = "\n".join(lines)
    assert "Karim Visible" not in text
    assert "Brouillon" not in text
    assert "Ixelles" not in text


@time_machine.travel(MONDAY_10, tick=False)
def test_sheet_pdf_in_dutch(client: Client, themes, anderlecht, grocery) -> None:  # type: ignore[no-untyped-def]
    response = client.get(
        reverse("directory:sheet_pdf"),
        {"commune": anderlecht.pk, "needs": [themes["FOOD"].pk, themes["HOUSING"].pk]},
        HTTP_ACCEPT_LANGUAGE="nl",
    )
    assert response["Content-Disposition"] == 'inline; filename="maillage-anderlecht.pdf"'
    _reader, lines = _pdf(response.content)
    assert lines == [
        "Waar terecht in Anderlecht?",
        "Scan voor actuele openingsuren",
        # Several needs: the QR code opens the online sheet with the same needs.
        f"http://testserver/directory/sheet/?commune={anderlecht.pk}&needs={themes['FOOD'].pk}&needs={themes['HOUSING'].pk}",
        "Voedselhulp",
        "Sociale kruidenier Sint-Guido",
        "Vereniging Wayez",
        "Rue Wayez 1, 1070 Anderlecht",
        "ma, di, wo, do, vr 09:00–17:00",
        "☎ 02 555 12 34",
        "Huisvesting en dakloosheid",
        "Geen dienst vermeld.",
        "Afgedrukt op 23 november 2026 — maillage 1/1",
    ]


@time_machine.travel(MONDAY_10, tick=False)
def test_sheet_pdf_without_needs_lists_all_services(client: Client, anderlecht, grocery, elsewhere) -> None:  # type: ignore[no-untyped-def]
    response = client.get(reverse("directory:sheet_pdf"), {"commune": anderlecht.pk}, HTTP_ACCEPT_LANGUAGE="en")
    _reader, lines = _pdf(response.content)
    assert lines == [
        "Where to go in Anderlecht?",
        "Scan for up-to-date hours",
        "http://testserver/directory/?postal_code=1070",
        "All services",
        "Épicerie sociale Saint-Guidon",
        "Association Solidarité Wayez",
        "Rue Wayez 1, 1070 Anderlecht",
        "Mon, Tue, Wed, Thu, Fri 09:00–17:00",
        "☎ 02 555 12 34",
        "Printed on 23 November 2026 — maillage 1/1",
    ]


def test_sheet_pdf_long_sheet_keeps_each_service_on_one_page(client: Client, themes, anderlecht) -> None:  # type: ignore[no-untyped-def]
    for index in range(30):
        make_service(
            name_fr=f"Restaurant social {index:02}",
            needs=[themes["FOOD.MEALS"]],
            postal_code="1070",
            serves=["1070"],
            hours=[("MO,WE", time(9), time(12))],
            phone=f"02 555 00 {index:02}",
        )
    response = client.get(reverse("directory:sheet_pdf"), {"commune": anderlecht.pk, "needs": [themes["FOOD"].pk]})
    reader, _lines = _pdf(response.content)
    assert len(reader.pages) == 2
    # The sheet shows twelve services per need, as the HTML sheet; none split between two pages.
    pages = [page.extract_text().splitlines() for page in reader.pages]
    names = [line for page in pages for line in page if line.startswith("Restaurant social")]
    assert len(names) == 12
    for page in pages:
        shown = [line for line in page if line.startswith("Restaurant social")]
        phones = [line for line in page if line.startswith("☎")]
        assert len(shown) == len(phones)


def test_sheet_pdf_bad_commune_gives_the_form_with_its_error(client: Client, themes) -> None:  # type: ignore[no-untyped-def]
    response = client.get(reverse("directory:sheet_pdf"), {"commune": 999999, "needs": [themes["FOOD"].pk]})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response.templates[0].name == "directory/sheet_form.html"
    assert response.context["form"].errors == {
        "commune": ["Sélectionnez un choix valide. Ce choix ne fait pas partie de ceux disponibles."]
    }
    assert not response.content.startswith(b"%PDF")


def test_sheet_pdf_query_count_is_flat(client: Client, themes, anderlecht, grocery) -> None:  # type: ignore[no-untyped-def]
    params = {"commune": anderlecht.pk, "needs": [themes["FOOD"].pk]}
    client.get(reverse("directory:sheet_pdf"), params)  # the process's search index reads the directory once
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("directory:sheet_pdf"), params)
    for index in range(5):
        make_service(
            needs=[themes["FOOD"]],
            postal_code="1070",
            serves=["1070"],
            hours=[("MO", time(9), time(12))],
            phone=f"02 555 01 0{index}",
        )
    client.get(reverse("directory:sheet_pdf"), params)  # ... and the new services once
    with CaptureQueriesContext(connection) as six:
        response = client.get(reverse("directory:sheet_pdf"), params)
    assert len(six.captured_queries) == len(one.captured_queries) > 0
    _reader, lines = _pdf(response.content)
    assert len([line for line in lines if line.startswith("☎")]) == 6


def test_html_sheet_links_to_the_pdf(client: Client, themes, anderlecht, grocery) -> None:  # type: ignore[no-untyped-def]
    response = client.get(reverse("directory:sheet"), {"commune": anderlecht.pk, "needs": [themes["FOOD"].pk]})
    url = f"/directory/sheet.pdf?commune={anderlecht.pk}&amp;needs={themes['FOOD'].pk}"
    assert response.context["pdf_url"] == f"/directory/sheet.pdf?commune={anderlecht.pk}&needs={themes['FOOD'].pk}"
    assert (
        f'<p class="actions no-print"><a href="{url}" type="application/pdf">Télécharger en PDF</a></p>'
        in response.content.decode()
    )
