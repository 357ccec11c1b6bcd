"""HSDS 3.0 without loss: the official examples and a Brussels service, imported, then exported by
`hsds.json`, `datapackage.zip` and the API; every field HSDS defines that the directory holds comes
back unchanged (ids included), and every export is valid against the official compiled schemas."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from maillage.directory import hsds
from maillage.directory.hsds.export.documents import profile_url
from maillage.directory.hsds.tables import NUMBER_COLUMNS
from maillage.directory.models import (
    DirectoryOrganisation,
    Location,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceLanguage,
)
from maillage.directory.models_network import Quartier
from tests.directory.factories import make_service
from tests.reference import HSDS

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not (HSDS / "schema" / "compiled").is_dir(),
        reason=f"the official HSDS 3.0 schemas are not in {HSDS}/schema (see tests/reference.py)",
    ),
]

# The fields HSDS 3.0 defines that the directory holds, per table (links are compared apart).
HELD: dict[str, tuple[str, ...]] = {
    "organizations": ("name", "alternate_name", "description", "email", "website"),
    "phones": ("number", "extension", "type", "description"),
    "locations": ("name", "transportation", "latitude", "longitude"),
    "addresses": ("address_1", "city", "postal_code"),
    "schedules": (
        "valid_from",
        "valid_to",
        "dtstart",
        "until",
        "count",
        "freq",
        "interval",
        "byday",
        "bymonthday",
        "description",
        "notes",
        "opens_at",
        "closes_at",
    ),
    "services": (
        "name",
        "alternate_name",
        "description",
        "url",
        "email",
        "status",
        "fees_description",
        "eligibility_description",
        "alert",
        "assured_date",
    ),
    "service_areas": ("name", "description", "extent", "extent_type", "uri"),
    "languages": ("name", "code", "note"),
    "service_at_location": ("description",),
}
LINKS = ("organization_id", "location_id", "service_id", "service_at_location_id")


def _schema_validator(name: str) -> Any:
    from jsonschema import FormatChecker
    from jsonschema.validators import validator_for

    schema = json.loads((HSDS / "schema" / "compiled" / name).read_text())
    return validator_for(schema)(schema, format_checker=FormatChecker())


def _schema_errors(name: str, document: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in _schema_validator(name).iter_errors(document)]


def _minutes_utc(value: str, offset: Any) -> int:
    """A wall-clock time at an offset, as minutes of the day in UTC (what must survive a change of offset)."""
    moment = time.fromisoformat(str(value)[:8])
    return (moment.hour * 60 + moment.minute - round(float(offset or 0) * 60)) % 1440


def _held(table: str, row: dict[str, Any]) -> dict[str, Any]:
    held = {}
    for field in HELD[table]:
        value: Any = row.get(field)
        if value in (None, ""):
            continue
        if field in NUMBER_COLUMNS and isinstance(value, str):
            value = float(value)
        if table == "phones" and field == "number":
            value = value.strip('"')  # the official example's CSV-style quotes (profile: stored without)
        if table == "locations" and field in ("latitude", "longitude") and not -90 <= float(value) <= 90:
            continue  # the official example's latitude 100 is no place on Earth: not held
        if table == "schedules" and field in ("opens_at", "closes_at"):
            value = _minutes_utc(value, row.get("timezone"))
        held[field] = value
    return held


class Flat(dict[tuple[str, str], dict[str, Any]]):
    """Every record of some HSDS documents by (table, id): its held fields and the links it was met under."""

    def record(self, table: str, row: dict[str, Any], **links: str) -> None:
        entry = self.setdefault((table, row["id"]), {})
        entry.update(_held(table, row))
        for link, value in links.items():
            entry.setdefault(link, set()).add(value)

    def organisation(self, document: dict[str, Any]) -> None:
        self.record("organizations", document)
        for phone in document.get("phones") or []:
            self.record("phones", phone, organization_id=document["id"])
        for location in document.get("locations") or []:
            self.location(location)
        for service in document.get("services") or []:
            self.service(service, document["id"])

    def location(self, location: dict[str, Any]) -> None:
        self.record("locations", location)
        for address in location.get("addresses") or []:
            self.record("addresses", address, location_id=location["id"])
        for phone in location.get("phones") or []:
            self.record("phones", phone, location_id=location["id"])
        for schedule in location.get("schedules") or []:
            self.record("schedules", schedule, location_id=location["id"])

    def service(self, service: dict[str, Any], organisation_id: str | None = None) -> None:
        if isinstance(service.get("organization"), dict):
            self.organisation(service["organization"])
            organisation_id = service["organization"]["id"]
        self.record("services", service, organization_id=organisation_id or service["organization_id"])
        for key, table in (
            ("phones", "phones"),
            ("schedules", "schedules"),
            ("service_areas", "service_areas"),
            ("languages", "languages"),
        ):
            for row in service.get(key) or []:
                self.record(table, row, service_id=service["id"])
        for link in service.get("service_at_locations") or []:
            location_id = link.get("location_id") or link["location"]["id"]
            self.record("service_at_location", link, service_id=service["id"], location_id=location_id)
            for schedule in link.get("schedules") or []:
                self.record("schedules", schedule, service_at_location_id=link["id"])
            if isinstance(link.get("location"), dict):
                self.location(link["location"])


def _flat_documents(organisations: list[dict[str, Any]] = (), services: list[dict[str, Any]] = ()) -> Flat:  # type: ignore[assignment]
    flat = Flat()
    for document in organisations:
        flat.organisation(document)
    for document in services:
        flat.service(document)
    return flat


def _flat_datapackage(archive: bytes) -> Flat:
    flat = Flat()
    with zipfile.ZipFile(io.BytesIO(archive)) as package:
        for name in package.namelist():
            table = name.removesuffix(".csv")
            if table not in HELD:
                continue
            for raw in csv.DictReader(io.StringIO(package.read(name).decode("utf-8"))):
                # A text a spreadsheet would run as a formula has a neutralising quote (tabular.restore).
                row = {column: hsds.restore(value) for column, value in raw.items()}
                links = {link: row[link] for link in LINKS if row.get(link)}
                flat.record(table, row, **links)
    return flat


def _losses(given: Flat, exported: Flat) -> list[str]:
    """Every held field or link of `given` that `exported` does not carry unchanged, named."""
    losses = []
    for key, fields in given.items():
        if key not in exported:
            losses.append(f"{key}: missing")
            continue
        for field, value in fields.items():
            if field in LINKS:
                missing = value - exported[key].get(field, set())
                if missing:
                    losses.append(f"{key}.{field}: {sorted(missing)} not linked")
            elif exported[key].get(field) != value:
                losses.append(f"{key}.{field}: {value!r} became {exported[key].get(field)!r}")
    return losses


def _exports(client: Client, organisation_ids: list[str], service_ids: list[str]) -> dict[str, Flat]:
    """The directory as the three exports give it, each validated against the official compiled schemas."""
    response = client.get(reverse("directory:export_json"))
    assert response.status_code == 200
    assert response["Link"] == f'<{profile_url()}>; rel="profile"'
    documents = json.loads(response.content)
    for document in documents:
        assert _schema_errors("organization.json", document) == [], document["id"]
    api_organisations = []
    for key in organisation_ids:
        answer = client.get(f"{reverse('directory:api:api-root')}organizations/{key}")
        assert answer.status_code == 200, key
        assert _schema_errors("organization.json", answer.json()) == [], key
        api_organisations.append(answer.json())
    api_services = []
    for key in service_ids:
        answer = client.get(f"{reverse('directory:api:api-root')}services/{key}")
        assert answer.status_code == 200, key
        assert _schema_errors("service.json", answer.json()) == [], key
        api_services.append(answer.json())
    archive = client.get(reverse("directory:export_datapackage")).content
    return {
        "hsds.json": _flat_documents(documents),
        "api": _flat_documents(api_organisations, api_services),
        "datapackage.zip": _flat_datapackage(archive),
    }


@pytest.mark.parametrize("name", ["organization_full.json", "service_full.json"])
def test_official_example_survives_import_and_every_export(client: Client, name: str) -> None:
    payload = json.loads((HSDS / "examples" / name).read_text())
    hsds.import_documents(None, payload)
    if name == "organization_full.json":
        given = _flat_documents([payload])
        organisation_ids, service_ids = [payload["id"]], [s["id"] for s in payload["services"]]
    else:
        given = _flat_documents(services=[payload])
        organisation_ids, service_ids = [payload["organization"]["id"]], [payload["id"]]
    assert len(given) >= 9  # organisation, phone, location, address, schedule, service, area, language, link
    for export, flat in _exports(client, organisation_ids, service_ids).items():
        assert _losses(given, flat) == [], export


def test_official_example_held_values_one_by_one(client: Client) -> None:
    """The issue's losses, on the official organisation example, read in the JSON export."""
    payload = json.loads((HSDS / "examples" / "organization_full.json").read_text())
    hsds.import_documents(None, payload)
    [document] = json.loads(client.get(reverse("directory:export_json")).content)
    [service] = document["services"]
    # Organisation-level phones kept, extension a number.
    assert [(p["id"], p["number"], p["extension"]) for p in document["phones"]] == [
        ("1554f2e2-a373-45db-a3fa-9fc48a61c15e", "+44 1234 234567", 100)
    ]
    assert service["phones"][0]["extension"] == 100
    # Language id and name ("Urdu", not "ur") kept.
    assert service["languages"] == [
        {
            "id": "2989d3ed-c547-48f8-8f9d-432d81c7892e",
            "service_id": service["id"],
            "code": "ur",
            "name": "Urdu",
            "note": "Translation services provided via bilingual staff when they are available",
        }
    ]
    # A service area that is no Brussels commune: kept with its id, description, extent and uri.
    [area] = service["service_areas"]
    given_area = payload["services"][0]["service_areas"][0]
    assert {key: area[key] for key in ("id", "name", "description", "extent", "extent_type", "uri")} == {
        key: given_area[key] for key in ("id", "name", "description", "extent", "extent_type", "uri")
    }
    # A bounded recurrence stays bounded; 10:00 at UTC+3 on 1 January 2005 is 08:00 in Brussels (UTC+1).
    [schedule] = service["schedules"]
    assert {k: schedule[k] for k in ("dtstart", "until", "count", "timezone", "opens_at", "closes_at")} == {
        "dtstart": "2005-01-01",
        "until": "2005-01-01",
        "count": 3,
        "timezone": 1.0,
        "opens_at": "08:00:00",
        "closes_at": "16:00:00",
    }
    # The location's address keeps its id.
    assert document["locations"][0]["addresses"][0]["id"] == "74706e55-df26-4b84-80fe-ecc30b5befb4"


def test_datapackage_keeps_every_link_of_a_shared_phone_and_schedule(client: Client) -> None:
    """The example's phone and schedule ids are shared by the organisation, its location and its service:
    one row each, with every link."""
    payload = json.loads((HSDS / "examples" / "organization_full.json").read_text())
    hsds.import_documents(None, payload)
    archive = client.get(reverse("directory:export_datapackage")).content
    with zipfile.ZipFile(io.BytesIO(archive)) as package:
        phones = list(csv.DictReader(io.StringIO(package.read("phones.csv").decode())))
        schedules = list(csv.DictReader(io.StringIO(package.read("schedules.csv").decode())))
        descriptor = json.loads(package.read("datapackage.json"))
    assert [(p["id"], p["organization_id"], p["location_id"], p["service_id"], p["extension"]) for p in phones] == [
        (
            "1554f2e2-a373-45db-a3fa-9fc48a61c15e",
            "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610",
            "3a19ff88-4620-4d17-9830-ac1d859eb5d5",
            "ac148810-d857-441c-9679-408f346de14b",
            "100",
        )
    ]
    assert [
        (s["id"], s["location_id"], s["service_id"], s["service_at_location_id"], s["count"], s["until"])
        for s in schedules
    ] == [
        (
            "48102e86-bb50-41c4-8f1e-e269368c41d1",
            "3a19ff88-4620-4d17-9830-ac1d859eb5d5",
            "ac148810-d857-441c-9679-408f346de14b",
            "e94c9f38-1e8f-4564-91d4-d53501ab1765",
            "3",
            "2005-01-01",
        )
    ]
    # The profile is named in the package's metadata, and served.
    assert descriptor["hsds_profile"].endswith("/directory/api/profile")
    assert client.get(reverse("directory:api:hsds_profile")).content.startswith(b"# HSDS 3.0")
    # And the package imports back to the same links.
    Service.objects.all().delete()
    DirectoryOrganisation.objects.all().delete()
    hsds.import_upload(None, _upload("back.zip", archive))
    phone = Phone.objects.get(uuid="1554f2e2-a373-45db-a3fa-9fc48a61c15e")
    assert (str(phone.organisation.uuid), str(phone.location.uuid), str(phone.service.uuid), phone.extension) == (  # type: ignore[union-attr]
        "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610",
        "3a19ff88-4620-4d17-9830-ac1d859eb5d5",
        "ac148810-d857-441c-9679-408f346de14b",
        "100",
    )
    schedule = Schedule.objects.get(uuid="48102e86-bb50-41c4-8f1e-e269368c41d1")
    assert (schedule.dtstart, schedule.until, schedule.count, schedule.opens_at) == (
        date(2005, 1, 1),
        date(2005, 1, 1),
        3,
        time(8),
    )


def _upload(name: str, content: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


@pytest.fixture
def brussels_service(themes) -> Service:  # type: ignore[no-untyped-def]
    service = make_service(
        name_fr="Colis du Midi",
        name_nl="Voedselpakketten Zuid",
        needs=[themes["FOOD.PARCEL"]],
        postal_code="1070",
        serves=["1070", "1080"],
        languages=["fr", "nl"],
        serves_whole_region=True,
        extra_postal_codes="1600",
        holiday_calendars="be brussels",
        website="https://colis.example.be",
    )
    quartier = Quartier.objects.create(code="Q70001", name_fr="Cureghem Vétérinaire", name_nl="Kuregem Veeartsenij")
    service.quartiers.add(quartier)
    # Summer hours (Brussels UTC+2), bounded; a winter one (UTC+1) on the location; an undated one.
    Schedule.objects.create(
        service=service,
        byday="MO,WE",
        opens_at=time(9),
        closes_at=time(12),
        dtstart=date(2026, 7, 1),
        until=date(2026, 8, 31),
        count=12,
    )
    location = service.service_at_locations.get().location
    Schedule.objects.create(
        location=location, byday="SA", opens_at=time(10), closes_at=time(12), valid_from=date(2026, 1, 5)
    )
    Schedule.objects.create(service=service, byday="FR", opens_at=time(14), closes_at=time(16))
    Phone.objects.create(service=service, number="02 555 12 34", extension="12")
    Phone.objects.create(organisation=service.organisation, number="02 555 00 00", description="Accueil")
    return service


def test_brussels_service_survives_export_import_export(client: Client, brussels_service: Service) -> None:
    organisation_ids, service_ids = [str(brussels_service.organisation.uuid)], [str(brussels_service.uuid)]
    first = _exports(client, organisation_ids, service_ids)
    document = json.loads(client.get(reverse("directory:export_json")).content)
    [service] = document[0]["services"]
    assert [(s["byday"], s.get("timezone")) for s in service["schedules"]] == [("MO,WE", 2.0), ("FR", None)]
    assert [s["timezone"] for s in document[0]["locations"][0]["schedules"]] == [1.0]
    assert [(a["extent_type"], a["name"], a.get("extent")) for a in service["service_areas"]] == [
        ("region", "Brussels-Capital Region", None),
        ("commune", "Anderlecht", "21001"),
        ("commune", "Molenbeek-Saint-Jean", "21012"),
        ("quartier", "Cureghem Vétérinaire", "Q70001"),
        ("postal_code", "1600", None),
    ]
    assert sorted(a["taxonomy_term"]["code"] for a in service["attributes"]) == ["FOOD.PARCEL", "be", "brussels"]
    Service.objects.all().delete()
    DirectoryOrganisation.objects.all().delete()
    hsds.import_documents(None, document)
    again = _exports(client, organisation_ids, service_ids)
    for export in first:
        assert _losses(first[export], again[export]) == [], export
        assert _losses(again[export], first[export]) == [], export
    service_back = Service.objects.get(uuid=brussels_service.uuid)
    assert (service_back.holiday_calendars, [q.code for q in service_back.quartiers.all()]) == (
        "be brussels",
        ["Q70001"],
    )
    assert ServiceArea.objects.filter(service=service_back).count() == 5
    assert sorted(ServiceLanguage.objects.filter(service=service_back).values_list("code", flat=True)) == ["fr", "nl"]
    assert Location.objects.get().address_uuid is not None
