"""Bounded uploads: size per kind before reading, zip bombs, deep JSON, huge CSV cells, broken workbooks."""

from __future__ import annotations

import io
import struct
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import Workbook

from maillage.core.uploads import (
    check_upload_size,
    csv_rows,
    json_depth,
    load_json_bounded,
    open_workbook_safely,
    open_zip_safely,
    sheet_rows,
    store_upload,
    upload_limit,
)

MB = 1024 * 1024


def _message(error: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(error.value.messages)


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """400 MB of zeros deflated to about 390 KB, written chunk by chunk (small memory)."""
    target = tmp_path_factory.mktemp("bomb") / "bomb.zip"
    chunk = bytes(MB)
    with (
        zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("zeros.csv", "w", force_zip64=True) as member,
    ):
        for _ in range(400):
            member.write(chunk)
    return target


def test_check_upload_size_uses_the_declared_size_and_names_the_limit(settings) -> None:  # type: ignore[no-untyped-def]
    settings.MAILLAGE_UPLOAD_LIMITS = {"default": 10 * MB, "journal": 2 * MB}

    class Declared:
        size = 3 * MB

        def read(self, *args: object) -> bytes:
            raise AssertionError("must not be read")

    check_upload_size(SimpleUploadedFile("a.csv", b"x" * 10), "journal")
    with translation.override("fr"), pytest.raises(ValidationError) as caught:
        check_upload_size(Declared(), "journal")
    assert _message(caught) == "Le fichier est trop volumineux : la limite est de 2 Mo."
    assert upload_limit("unknown-kind") == 10 * MB


def test_upload_limits_come_from_settings_with_env_overrides() -> None:
    from django.conf import settings

    assert set(settings.MAILLAGE_UPLOAD_LIMITS) == {"default", "journal", "casework_import", "hsds", "taxonomy"}
    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS == 1000


def test_zip_bomb_is_refused_from_its_directory_without_inflating(zip_bomb: Path) -> None:
    assert zip_bomb.stat().st_size < 500_000
    tracemalloc.start()
    started = time.perf_counter()
    with translation.override("en"), zip_bomb.open("rb") as handle, pytest.raises(ValidationError) as caught:
        open_zip_safely(handle, max_total_bytes=100 * MB)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert _message(caught) == "The archive unpacks to more than 100 MB."
    assert peak < 5 * MB
    assert elapsed < 1


def test_zip_ratio_and_member_count_are_checked(zip_bomb: Path) -> None:
    with zip_bomb.open("rb") as handle, pytest.raises(ValidationError) as caught:
        open_zip_safely(handle, max_total_bytes=1000 * MB)
    assert caught.value.code == "zip_bomb"
    many = io.BytesIO()
    with zipfile.ZipFile(many, "w") as archive:
        for number in range(11):
            archive.writestr(f"{number}.txt", "x")
    with pytest.raises(ValidationError) as too_many:
        open_zip_safely(many, max_members=10)
    assert too_many.value.code == "zip_too_many_members"
    with pytest.raises(ValidationError) as not_zip:
        open_zip_safely(io.BytesIO(b"not a zip"))
    assert not_zip.value.code == "not_zip"


def test_a_lying_zip_header_cannot_pass_while_reading() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.csv", b"a;b\n" * 50_000)  # 200 KB, compresses well
    raw = bytearray(buffer.getvalue())
    # Declare 1,000 bytes instead of 200,000 in both the local and the central headers.
    local = raw.index(b"PK\x03\x04")
    struct.pack_into("<I", raw, local + 22, 1000)
    central = raw.index(b"PK\x01\x02")
    struct.pack_into("<I", raw, central + 24, 1000)
    archive = open_zip_safely(io.BytesIO(bytes(raw)), max_ratio=10_000)
    with pytest.raises(ValidationError):
        archive.read("data.csv")
    assert archive.inflated <= 1000 + 64 * 1024


def test_zip_members_read_within_bounds() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("datapackage.json", b'{"name": "x"}')
    archive = open_zip_safely(buffer)
    assert archive.namelist() == ["datapackage.json"]
    assert load_json_bounded(archive.read("datapackage.json")) == {"name": "x"}


def test_deep_json_is_refused_before_parsing() -> None:
    with translation.override("nl"), pytest.raises(ValidationError) as caught:
        load_json_bounded("[" * 100_000)
    assert _message(caught) == "De JSON is meer dan 64 niveaus diep genest."
    assert json_depth('{"a": ["[[[[", {"b": "\\"]]"}]}') == 3
    assert load_json_bounded(b'\xef\xbb\xbf{"a": [1, {"b": "[{"}]}') == {"a": [1, {"b": "[{"}]}
    with pytest.raises(ValidationError):
        load_json_bounded(b"\xff\xfe")
    with pytest.raises(ValidationError):
        load_json_bounded("{", max_depth=5)
    with pytest.raises(ValidationError):
        load_json_bounded("[1]" * 10, max_bytes=10)


def test_csv_field_too_large_is_a_row_error_naming_the_line() -> None:
    text = "name;comment\nDupont;ok\nMartin;" + "x" * 200_000 + "\n"
    rows = csv_rows(io.StringIO(text), delimiter=";")
    assert next(rows) == ["name", "comment"]
    assert next(rows) == ["Dupont", "ok"]
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        next(rows)
    assert _message(caught) == "Line 3: a field is longer than 100000 characters."
    with pytest.raises(ValidationError) as smaller:
        list(csv_rows(io.StringIO("a\n" + "y" * 50 + "\n"), max_field_chars=10))
    assert caught.value.code == smaller.value.code == "field_too_long"
    assert smaller.value.params == {"line": 2}


def _xlsx(mutate=None) -> io.BytesIO:  # type: ignore[no-untyped-def]
    workbook = Workbook()
    workbook.active.append(["name", "age"])
    workbook.active.append(["Dupont", 42])
    original = io.BytesIO()
    workbook.save(original)
    if mutate is None:
        original.seek(0)
        return original
    changed = io.BytesIO()
    with zipfile.ZipFile(original) as source, zipfile.ZipFile(changed, "w") as target:
        for info in source.infolist():
            data = mutate(info.filename, source.read(info))
            if data is not None:
                target.writestr(info, data)
    changed.seek(0)
    return changed


def test_workbook_is_read_row_by_row() -> None:
    workbook = open_workbook_safely(_xlsx())
    assert list(sheet_rows(workbook.worksheets[0])) == [("name", "age"), ("Dupont", 42)]


def test_workbook_without_sheet_is_refused_with_a_message() -> None:
    def no_sheet(name: str, data: bytes) -> bytes | None:
        if name == "xl/workbook.xml":
            start, end = data.index(b"<sheets>"), data.index(b"</sheets>") + len(b"</sheets>")
            return data[:start] + b"<sheets/>" + data[end:]
        return None if name.startswith("xl/worksheets/") else data

    with translation.override("fr"), pytest.raises(ValidationError) as caught:
        open_workbook_safely(_xlsx(no_sheet))
    assert caught.value.code == "xlsx_no_sheet"
    assert _message(caught) == "Le classeur n'a aucune feuille."


def test_workbook_with_broken_sheet_xml_is_refused_with_a_message() -> None:
    def broken(name: str, data: bytes) -> bytes:
        return data[: len(data) // 2] if name == "xl/worksheets/sheet1.xml" else data

    workbook = open_workbook_safely(_xlsx(broken))  # read-only sheets are parsed as they are read
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        list(sheet_rows(workbook.worksheets[0]))
    assert _message(caught) == "The file is not a readable Excel workbook (.xlsx), or it is damaged."


def test_not_a_workbook_is_refused() -> None:
    with pytest.raises(ValidationError):
        open_workbook_safely(io.BytesIO(b"name;age\n"))


def test_store_upload_keeps_the_file_in_storage(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": str(tmp_path)}},
    }
    name = store_upload(SimpleUploadedFile("Journal d'appels.CSV", b"a;b\n"), "helpline/journals")
    assert name.startswith("helpline/journals/")
    assert name.endswith(".csv")
    assert (tmp_path / name).read_bytes() == b"a;b\n"
    with default_storage.open(name) as stored:
        assert stored.read() == b"a;b\n"
