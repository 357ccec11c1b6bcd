"""Imports check what the forms check, read files within bounds, keep them in the storage and always end."""

from __future__ import annotations

import datetime
import io
import zipfile
from typing import Any

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from maillage.casework import imports
from maillage.casework.imports import running
from maillage.casework.models import FollowUp, ImportRun, Person
from maillage.core.models import AuditEntry
from tests.casework.factories import PersonFactory
from tests.conftest import client_for


def _upload(client: Any, kind: str, name: str, content: bytes) -> Any:
    return client.post(reverse("casework:import"), {"kind": kind, "file": SimpleUploadedFile(name, content)})


def _run_page(client: Any, run: ImportRun) -> str:
    return client.get(reverse("casework:import_run", args=[run.pk])).content.decode()


def _xlsx(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_an_unknown_postal_code_is_a_row_error_named_by_the_files_column(organisation, coordinator, casework_schemes):
    """The form's check, from the same function; the error names the column as the mapping names it."""
    client = client_for(coordinator)
    client.post(reverse("casework:import_mapping", args=["persons"]), {"source_id": "id", "postal_code": "CP"})
    _upload(client, "persons", "p.csv", b"id;CP;naissance\nA1;1299;1980\nA2;12;1980\nA3;9999;1980\n")
    run = ImportRun.objects.get()
    assert (run.status, run.errors) == (
        "failed",
        [
            [2, "CP: 1299 is not a postal code of the Brussels-Capital Region."],
            [3, "CP: A Belgian postal code has four digits, e.g. 1070."],
            [4, "CP: 9999 is not a Belgian postal code."],
        ],
    )
    assert Person.objects.count() == 0


def test_a_re_import_row_like_an_existing_person_warns_instead_of_creating_a_second(
    organisation, coordinator, casework_schemes
):
    existing = PersonFactory(organisation=organisation, birth_year=1980, sex="f", postal_code="1060")
    client = client_for(coordinator)
    _upload(client, "persons", "p.csv", b"source_id,birth_year,sex,postal_code\nB1,1980,f,1060\nB2,1970,m,1000\n")
    run = ImportRun.objects.get()
    assert (run.status, run.created, run.errors, run.warnings) == (
        "succeeded",
        1,
        [],
        [
            [
                2,
                (
                    f"not imported: {existing.reference} of the centre has the same year of birth, sex and postal code; "
                    "give their identifier in the file if it is the same person"
                ),
            ]
        ],
    )
    assert sorted(Person.objects.values_list("source_id", flat=True)) == ["", "B2"]
    assert "These rows were not imported because they look like persons already in your centre:" in _run_page(
        client, run
    )


def test_a_follow_up_dated_before_its_case_file_is_a_row_error(organisation, coordinator, casework_schemes):
    client = client_for(coordinator)
    _upload(client, "persons", "p.csv", b"source_id,opened_on\nA1,2024-01-10\n")
    _upload(client, "followups", "f.csv", b"source_id,person_source_id,date,mode,theme\nF1,A1,2024-01-02,phone,FOOD\n")
    assert ImportRun.objects.first().errors == [
        [2, "date: The follow-up is dated before its case file opened (10/01/2024)."]
    ]
    assert FollowUp.objects.count() == 0


def test_a_cell_of_200000_characters_fails_the_run_with_its_reason(organisation, coordinator, casework_schemes):
    """Regression: the import stayed "running" for ever and the user never learnt why."""
    client = client_for(coordinator)
    _upload(client, "persons", "p.csv", b"source_id,language\nA1," + b"x" * 200_000 + b"\n")
    run = ImportRun.objects.get()
    reason = "Line 2: a field is longer than 2000 characters."
    assert (run.status, run.failure_reason, Person.objects.count()) == ("failed", reason, 0)
    page = _run_page(client, run)
    assert reason in page
    assert "hx-trigger" not in page  # the progress page stops asking


def test_a_workbook_without_a_sheet_fails_the_run_with_its_reason(organisation, coordinator, casework_schemes):
    workbook = io.BytesIO()
    with zipfile.ZipFile(workbook, "w") as archive, zipfile.ZipFile(io.BytesIO(_xlsx([["source_id"]]))) as source:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/workbook.xml":
                content = content.replace(content[content.index(b"<sheets>") : content.index(b"</sheets>") + 9], b"")
            if not item.filename.startswith("xl/worksheets/"):
                archive.writestr(item, content)
    client = client_for(coordinator)
    _upload(client, "persons", "p.xlsx", workbook.getvalue())
    run = ImportRun.objects.get()
    assert run.status == "failed"
    assert run.failure_reason == "The workbook has no sheet."
    assert (Person.objects.count(), run.failure_reason in _run_page(client, run)) == (0, True)


def test_a_workbook_with_broken_sheet_xml_fails_the_run_with_its_reason(organisation, coordinator, casework_schemes):
    workbook = io.BytesIO()
    with (
        zipfile.ZipFile(workbook, "w") as archive,
        zipfile.ZipFile(io.BytesIO(_xlsx([["source_id"], ["A1"]]))) as source,
    ):
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content[: len(content) // 2]
            archive.writestr(item, content)
    client = client_for(coordinator)
    _upload(client, "persons", "p.xlsx", workbook.getvalue())
    run = ImportRun.objects.get()
    reason = "The file is not a readable Excel workbook (.xlsx), or it is damaged."
    assert (run.status, run.failure_reason, Person.objects.count()) == ("failed", reason, 0)
    assert reason in _run_page(client, run)


def test_the_file_is_kept_in_the_storage_until_the_run_ends(organisation, coordinator, casework_schemes):
    run = imports.start_import(coordinator, organisation, "persons", SimpleUploadedFile("p.csv", b"source_id\nA1\n"))
    assert (run.status, run.stored_file, Person.objects.count()) == ("succeeded", "", 1)
    assert [entry.code for entry in AuditEntry.objects.filter(code__startswith="casework.import.").order_by("id")] == [
        "casework.import.started",
        "casework.import.done",
    ]


def test_a_task_that_raises_marks_the_run_failed_with_a_translated_reason(
    organisation, coordinator, casework_schemes, monkeypatch
):
    def broken(*args: Any) -> None:
        raise RuntimeError("disk on fire")

    # A failure outside our checks, in the reading of both paths (staged on PostgreSQL): the run must still end.
    monkeypatch.setattr(running, "read_rows", broken)
    monkeypatch.setattr(running, "iter_rows", broken)
    client = client_for(coordinator)
    _upload(client, "persons", "p.csv", b"source_id\nA1\n")
    run = ImportRun.objects.get()
    reason = "The import stopped on an unexpected error; nothing was saved. Try again or contact support."
    assert (run.status, run.failure_reason, Person.objects.count()) == ("failed", reason, 0)
    assert reason in _run_page(client, run)


def test_a_run_whose_worker_died_shows_as_failed_and_can_start_again(organisation, coordinator, casework_schemes):
    stored = default_storage.save("casework/imports/test/p.csv", io.BytesIO(b"source_id\nA1\n"))
    long_ago = timezone.now() - datetime.timedelta(minutes=30)
    run = ImportRun.objects.create(
        organisation=organisation,
        actor=coordinator,
        kind="persons",
        filename="p.csv",
        stored_file=stored,
        status="running",
        started_at=long_ago,
        heartbeat_at=long_ago,
    )
    client = client_for(coordinator)
    page = _run_page(client, run)
    run.refresh_from_db()
    reason = "The worker stopped before the end; nothing more will happen. Start it again."
    assert (run.status, run.failure_reason, reason in page) == ("failed", reason, True)
    again = client.post(reverse("casework:import_start_again", args=[run.pk]))
    run.refresh_from_db()
    assert (again["Location"], run.status, Person.objects.count()) == (
        reverse("casework:import_run", args=[run.pk]),
        "succeeded",
        1,
    )
    # Finished: its file is gone, starting it again asks for the file.
    refused = client.post(reverse("casework:import_start_again", args=[run.pk]))
    assert refused["Location"] == reverse("casework:import")


def test_an_upload_over_the_size_limit_is_refused_before_reading(organisation, coordinator, casework_schemes, settings):
    settings.MAILLAGE_UPLOAD_LIMITS = {**settings.MAILLAGE_UPLOAD_LIMITS, "casework_import": 10}
    page = _upload(client_for(coordinator), "persons", "p.csv", b"source_id\nA1\n")
    assert page.context["form"].errors == {"file": ["The file is too large: the limit is 9.53674e-06 MB."]}
    assert ImportRun.objects.count() == 0


def test_a_case_file_opened_in_the_future_or_before_1900_is_a_row_error(organisation, coordinator, casework_schemes):
    _upload(client_for(coordinator), "persons", "p.csv", b"source_id,opened_on\nA1,2999-01-01\nA2,01/01/0001\n")
    assert ImportRun.objects.get().errors == [
        [2, "opened_on: 2999-01-01 is not a date between 1900 and today."],
        [3, "opened_on: 01/01/0001 is not a date between 1900 and today."],
    ]


def test_a_run_no_worker_takes_stops_the_progress_page_asking(organisation, coordinator, casework_schemes):
    run = ImportRun.objects.create(
        organisation=organisation,
        actor=coordinator,
        kind="persons",
        filename="p.csv",
        created_at=timezone.now() - datetime.timedelta(minutes=11),
    )
    page = _run_page(client_for(coordinator), run)
    assert "No worker has started this import yet." in page
    assert "hx-trigger" not in page
    run.created_at = timezone.now()
    run.save(update_fields=["created_at"])
    assert "hx-trigger" in _run_page(client_for(coordinator), run)
