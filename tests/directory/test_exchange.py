"""HSDS 3.0: our export validates against the official schemas; the official examples import."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import time
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from maillage.core.models import AuditEntry, User
from maillage.directory import hsds
from maillage.directory.models import DirectoryOrganisation, Location, Phone, Schedule, Service, ServiceAtLocation
from maillage.directory.queries import published_services
from tests.conftest import client_for
from tests.directory.factories import make_service
from tests.reference import HSDS

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not (HSDS / "schema").is_dir(), reason=f"the official HSDS 3.0 schemas are not in {HSDS}/schema"
    ),
]


def _validator(schema: dict[str, Any]) -> Any:
    from jsonschema import FormatChecker
    from jsonschema.validators import validator_for
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    resources = [
        (path.name, Resource.from_contents(json.loads(path.read_text()), default_specification=DRAFT202012))
        for path in (HSDS / "schema").glob("*.json")
    ]
    registry = Registry().with_resources(resources)
    cls = validator_for(schema)
    return cls(schema, registry=registry, format_checker=FormatChecker())


def _errors(schema_name: str, document: Any) -> list[str]:
    schema = json.loads((HSDS / "schema" / schema_name).read_text())
    return [f"{list(e.absolute_path)}: {e.message}" for e in _validator(schema).iter_errors(document)]


@pytest.fixture
def directory(themes) -> Service:  # type: ignore[no-untyped-def]
    service = make_service(
        name_fr="Colis du Midi",
        name_nl="Voedselpakketten Zuid",
        needs=[themes["FOOD.PARCEL"]],
        postal_code="1070",
        serves=["1070", "1080"],
        hours=[("MO,TU,WE,TH,FR", time(9), time(17))],
        phone="02 555 12 34",
        languages=["fr", "nl"],
        extra_postal_codes="1600",
        serves_whole_region=True,
        required_documents_fr="Carte d'identité",
        website="https://colis.example.be",
    )
    location = service.service_at_locations.get().location
    location.accessibility = "Rez-de-chaussée"
    location.latitude, location.longitude = 50.836, 4.309
    location.save()
    Phone.objects.create(location=location, number="02 555 00 00")
    Schedule.objects.create(location=location, byday="SA", opens_at=time(10), closes_at=time(12))
    make_service(name_fr="Second", organisation=service.organisation)
    return service


def test_organisation_export_validates_against_official_schema(directory: Service) -> None:
    documents = hsds.export_organizations(published_services())
    assert len(documents) == 1
    assert [s["name"] for s in documents[0]["services"]] == ["Colis du Midi", "Second"]
    assert _errors("compiled/organization.json", documents[0]) == []


def test_service_export_validates_against_official_schema(directory: Service) -> None:
    [document, _second] = hsds.export_services(published_services().order_by("name_fr"))
    assert _errors("compiled/service.json", document) == []
    assert document["status"] == "active"
    assert [a["taxonomy_term"]["code"] for a in document["attributes"]] == ["FOOD.PARCEL"]
    assert document["service_areas"][0]["name"] == "Brussels-Capital Region"


def test_datapackage_rows_validate_against_table_schemas(directory: Service) -> None:
    files = hsds.datapackage_files(published_services())
    descriptor = json.loads(files["datapackage.json"])
    assert [r["path"] for r in descriptor["resources"]] == [f"{t}.csv" for t in hsds.TABLES]
    for resource in descriptor["resources"]:
        schema = json.loads((HSDS / "schema" / f"{resource['name']}.json").read_text())
        assert schema["path"] == resource["path"]
        columns = [field["name"] for field in resource["schema"]["fields"]]
        assert set(columns) <= set(schema["properties"]), resource["name"]
        assert set(schema.get("required", [])) <= set(columns), resource["name"]
        assert set(schema.get("tabular_required", [])) <= set(columns), resource["name"]
        rows = list(csv.DictReader(io.StringIO(files[resource["path"]])))
        assert rows, resource["name"]
        for row in rows:
            typed = {key: _typed(schema["properties"][key], value) for key, value in row.items() if value != ""}
            assert _errors(f"{resource['name']}.json", typed) == [], (resource["name"], row)


def _typed(spec: dict[str, Any], value: str) -> Any:
    if spec.get("type") == "number":
        return float(value)
    if spec.get("type") == "integer":
        return int(value)
    return value


def test_export_roundtrip_is_idempotent(directory: Service) -> None:
    documents = hsds.export_organizations(published_services())
    before = (Service.objects.count(), Location.objects.count(), Schedule.objects.count(), Phone.objects.count())
    hsds.import_documents(None, documents)
    assert (
        Service.objects.count(),
        Location.objects.count(),
        Schedule.objects.count(),
        Phone.objects.count(),
    ) == before
    service = Service.objects.get(uuid=directory.uuid)
    assert sorted(service.languages) == ["fr", "nl"]
    assert [c.code for c in service.needs.all()] == ["FOOD.PARCEL"]


def test_a_reimport_drops_the_hours_a_document_no_longer_gives(directory: Service) -> None:
    """The document is the truth for the schedules it lists: one removed there is removed here (and
    from the search); a document without a "schedules" key leaves them alone."""
    Schedule.objects.create(service=directory, byday="SA", opens_at=time(9), closes_at=time(12))
    documents = hsds.export_organizations(published_services())
    [service_document] = [s for s in documents[0]["services"] if s["id"] == str(directory.uuid)]
    kept, dropped = service_document["schedules"][0], service_document["schedules"][1]
    service_document["schedules"] = [kept]
    report = hsds.import_documents(None, documents)
    assert report.schedules_removed == 1
    assert [str(key) for key in Schedule.objects.filter(service=directory).values_list("uuid", flat=True)] == [
        kept["id"]
    ]
    assert (kept["byday"], dropped["byday"]) == ("MO,TU,WE,TH,FR", "SA")
    # The weekly slots follow: Monday to Friday from 9:00 (minute 540 of each day), no Saturday.
    assert sorted(directory.opening_slots.values_list("start", flat=True)) == [540 + 1440 * day for day in range(5)]
    del service_document["schedules"]
    assert hsds.import_documents(None, documents).schedules_removed == 0
    assert Schedule.objects.filter(service=directory).count() == 1


def test_datapackage_roundtrip(directory: Service) -> None:
    archive = hsds.datapackage_zip(published_services())
    Service.objects.all().delete()
    DirectoryOrganisation.objects.all().delete()
    report = hsds.import_upload(None, _upload("directory.zip", archive))
    assert (report.organisations, report.services) == (1, 2)
    service = Service.objects.get(uuid=directory.uuid)
    assert (service.name_nl, service.serves_whole_region, sorted(c.name_fr for c in service.area_communes.all())) == (
        "Voedselpakketten Zuid",
        True,
        ["Anderlecht", "Molenbeek-Saint-Jean"],
    )
    assert service.service_at_locations.get().location.commune.name_fr == "Anderlecht"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "name",
    ["organization_full.json", "service_full.json", "organization_list.json", "service_list.json"],
)
def test_official_json_examples_import_idempotently(name: str) -> None:
    payload = json.loads((HSDS / "examples" / name).read_text())
    first = hsds.import_documents(None, payload)
    counts = (
        DirectoryOrganisation.objects.count(),
        Service.objects.count(),
        Location.objects.count(),
        Schedule.objects.count(),
    )
    second = hsds.import_documents(None, payload)
    assert first == second
    assert first.organisations + first.services >= 1
    assert counts == (
        DirectoryOrganisation.objects.count(),
        Service.objects.count(),
        Location.objects.count(),
        Schedule.objects.count(),
    )


def test_official_service_example_content() -> None:
    payload = json.loads((HSDS / "examples" / "service_full.json").read_text())
    hsds.import_documents(None, payload)
    service = Service.objects.get(uuid=payload["id"])
    assert (service.name_fr, service.organisation.name_fr) == (payload["name"], payload["organization"]["name"])
    assert [s.rrule_text for s in service.schedules.all()] == ["FREQ=WEEKLY;BYDAY=TH,FR;BYMONTHDAY=2,3,4"]
    assert ServiceAtLocation.objects.filter(service=service).count() == len(payload["service_at_locations"])


def test_official_tabular_example_imports() -> None:
    files = {path.name: path.read_text(encoding="utf-8") for path in (HSDS / "examples" / "csv").glob("*.csv")}
    report = hsds.import_tabular(None, files)
    assert (report.organisations, report.services) == (1, 1)
    again = hsds.import_tabular(None, files)
    assert again == report
    assert Service.objects.count() == 1


def test_bad_records_are_reported_with_their_path_and_nothing_is_saved() -> None:
    payload = json.loads((HSDS / "examples" / "organization_full.json").read_text())
    payload["services"][0]["schedules"][0]["byday"] = "XX"
    payload["services"][0]["id"] = payload["services"][0]["id"]
    payload["locations"][0]["id"] = "not-a-uuid"
    with pytest.raises(ValidationError) as error:
        hsds.import_documents(None, payload)
    assert error.value.messages == [
        "[0].locations[0].id: ce n'est pas un UUID : not-a-uuid",
        "[0].services[0].schedules[0].byday: Cette récurrence n'est pas valide (FREQ=WEEKLY;BYDAY=XX;BYMONTHDAY=2,3,4).",
    ]
    assert (DirectoryOrganisation.objects.count(), Service.objects.count(), AuditEntry.objects.count()) == (0, 0, 0)


def test_not_json_and_not_zip() -> None:
    with pytest.raises(ValidationError) as error:
        hsds.import_upload(None, _upload("x.json", b"{nope"))
    assert error.value.messages[0].startswith("Le fichier n'est pas du JSON valide")
    with pytest.raises(ValidationError) as error:
        hsds.import_upload(None, _upload("x.zip", b"nope"))
    assert error.value.messages == ["Le fichier n'est pas une archive zip, ou il est endommagé."]


def test_import_page_for_federation_staff_only(federation_staff: User, coordinator: User) -> None:
    assert client_for(coordinator).get(reverse("directory:import")).status_code == 404
    client = client_for(federation_staff)
    example = (HSDS / "examples" / "service_full.json").read_bytes()
    response = client.post(reverse("directory:import"), {"file": _upload("service.json", example)})
    assert response.status_code == 302
    assert Service.objects.count() == 1
    bad = client.post(reverse("directory:import"), {"file": _upload("service.json", b"[1]")})
    assert bad.context["errors"] == ["[0]: un document HSDS doit être un objet JSON"]


def test_the_import_page_says_how_many_hours_a_reimport_removed(federation_staff: User, directory: Service) -> None:
    documents = hsds.export_organizations(published_services())
    [service_document] = [s for s in documents[0]["services"] if s["id"] == str(directory.uuid)]
    service_document["schedules"] = []
    client = client_for(federation_staff)
    response = client.post(
        reverse("directory:import"), {"file": _upload("directory.json", json.dumps(documents).encode())}, follow=True
    )
    assert [str(message) for message in response.context["messages"]] == [
        "1 organisations et 2 services importés.",
        "1 horaires que les fichiers ne donnent plus ont été retirés.",
    ]
    assert not Schedule.objects.filter(service=directory).exists()


def _upload(name: str, content: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def test_export_views(client, directory: Service) -> None:  # type: ignore[no-untyped-def]
    response = client.get(reverse("directory:export_json"))
    assert [d["name"] for d in json.loads(response.content)] == [directory.organisation.name_fr]
    archive = zipfile.ZipFile(io.BytesIO(client.get(reverse("directory:export_datapackage")).content))
    assert "datapackage.json" in archive.namelist()


def test_unknown_status_is_reported() -> None:
    payload = json.loads((HSDS / "examples" / "service_full.json").read_text())
    payload["status"] = "open"
    with pytest.raises(ValidationError) as error:
        hsds.import_documents(None, payload)
    assert error.value.messages == [
        "[0].status: doit être l'une des valeurs active, inactive, defunct, temporarily closed"
    ]
