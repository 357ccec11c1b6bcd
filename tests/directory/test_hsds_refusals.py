"""HSDS files whose content is not what the import expects: a clear translated message, nothing saved."""

from __future__ import annotations

import copy
import io
import json
import zipfile
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from maillage.core.models import AuditEntry, User
from maillage.directory import hsds
from maillage.directory.models import DirectoryOrganisation, Location, Phone, Schedule, Service
from tests.conftest import client_for
from tests.reference import HSDS

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not (HSDS / "examples").is_dir(), reason=f"the official HSDS 3.0 examples are not in {HSDS}"),
]

LOCATION = "[0]: this is an HSDS location, not an organisation or a service: import the document of the organisation it belongs to, which holds its locations"
TAXONOMY = "[0]: this is an HSDS taxonomy or taxonomy term, not an organisation or a service: the directory's needs come from the request themes of the taxonomy module"
LINK = "[0]: this is an HSDS service-at-location document, not an organisation or a service: import the organisation's or the service's document, which holds it"


def _example(name: str) -> Any:
    return json.loads((HSDS / "examples" / name).read_text())


def _nothing_saved() -> bool:
    counts = (
        DirectoryOrganisation.objects.count(),
        Service.objects.count(),
        Location.objects.count(),
        Phone.objects.count(),
        Schedule.objects.count(),
        AuditEntry.objects.count(),
    )
    return counts == (0, 0, 0, 0, 0, 0)


def _refusal(payload: Any) -> list[str]:
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        hsds.import_documents(None, payload)
    assert _nothing_saved()
    return refused.value.messages


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("location.json", LOCATION),
        ("taxonomy_term.json", TAXONOMY),
        ("taxonomy.json", TAXONOMY),
        ("service_at_location_full.json", LINK),
    ],
)
def test_an_official_example_that_is_not_an_organisation_or_a_service_is_refused(name: str, message: str) -> None:
    assert _refusal(_example(name)) == [message]


def test_a_page_of_taxonomy_terms_is_refused_term_by_term() -> None:
    page = _example("taxonomy_term_list.json")
    assert _refusal(page) == [TAXONOMY.replace("[0]", f"[{i}]") for i in range(len(page["contents"]))]


def test_a_good_organisation_beside_a_location_saves_nothing() -> None:
    assert _refusal([_example("organization_full.json"), _example("location.json")]) == [LOCATION.replace("[0]", "[1]")]


def test_an_empty_file_is_refused() -> None:
    assert _refusal([]) == ["The file holds no HSDS document to import."]
    assert _refusal({"contents": [], "total_items": 0}) == ["The file holds no HSDS document to import."]


def test_bad_values_of_the_kept_fields_are_named() -> None:
    document = _example("organization_full.json")
    service = document["services"][0]
    service["phones"][0]["extension"] = "12a"
    service["schedules"][0]["count"] = 0
    service["schedules"][0]["timezone"] = 99
    document["locations"][0]["schedules"][0]["timezone"] = -12  # 10:00 at UTC-12 is 23:00 in Brussels: same day
    document["locations"][0]["schedules"][0]["closes_at"] = "18:00"  # 06:00 the next day in Brussels
    service["attributes"] = [{"id": "x", "taxonomy_term": {"taxonomy": "maillage-holiday-calendars", "code": "xmas"}}]
    assert _refusal(document) == [
        (
            "[0].locations[0].schedules[0].timezone: at the offset -12 these hours fall on another day in Brussels"
            " time: give them in Brussels time (timezone +1)"
        ),
        "[0].services[0].phones[0].extension: a phone extension must be a whole number of at most 10 digits: 12a",
        "[0].services[0].schedules[0].timezone: the time zone must be an offset in hours from UTC, from -14 to 14: 99",
        "[0].services[0].schedules[0].count: the count must be a whole number from 1: 0",
        "[0].services[0].attributes: unknown holiday calendar: xmas",
    ]


def test_a_count_without_a_first_occurrence_is_refused() -> None:
    """COUNT counts from the first occurrence: without dtstart (or valid_from) it would bound nothing."""
    document = _example("organization_full.json")
    schedule = document["services"][0]["schedules"][0]
    schedule["dtstart"] = schedule["valid_from"] = None
    schedule["count"] = 3
    assert _refusal(document) == [
        "[0].services[0].schedules[0].count: a count of occurrences needs the date of the first one (dtstart)"
    ]


def _zip(files: dict[str, bytes]) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return SimpleUploadedFile("package.zip", buffer.getvalue())


def test_a_datapackage_of_locations_and_taxonomy_terms_only_is_refused() -> None:
    csv_dir = HSDS / "examples" / "csv"
    upload = _zip({name: (csv_dir / name).read_bytes() for name in ("locations.csv", "taxonomy_terms.csv")})
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        hsds.import_upload(None, upload)
    assert refused.value.messages == [
        (
            "The datapackage has no organisation in organizations.csv, so nothing can be imported (it holds: "
            "locations.csv, taxonomy_terms.csv). Export the organisations with their services and locations."
        )
    ]
    assert _nothing_saved()


def test_the_import_page_shows_the_refusal_in_french_and_dutch(federation_staff: User) -> None:
    """(The middleware activates the reader's language: restored afterwards for the next tests.)"""
    with translation.override("fr"):
        client = client_for(federation_staff)
        content = json.dumps(_example("location.json")).encode()
        french = client.post(reverse("directory:import"), {"file": SimpleUploadedFile("location.json", content)})
        assert french.context["errors"] == [
            (
                "[0]: ceci est un lieu HSDS, pas une organisation ni un service : importez le document de "
                "l'organisation à laquelle il appartient, qui contient ses lieux"
            )
        ]
        client.cookies["django_language"] = "nl"
        dutch = client.post(
            reverse("directory:import"),
            {
                "file": SimpleUploadedFile(
                    "terms.json", json.dumps(copy.deepcopy(_example("taxonomy_term.json"))).encode()
                )
            },
            HTTP_ACCEPT_LANGUAGE="nl",
        )
        assert dutch.context["errors"] == [
            (
                "[0]: dit is een HSDS-taxonomie of -taxonomieterm, geen organisatie of dienst: de behoeften van de gids "
                "komen uit de aanvraagthema's van de taxonomiemodule"
            )
        ]
        assert DirectoryOrganisation.objects.count() == 0
