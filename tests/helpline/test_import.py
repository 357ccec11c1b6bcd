from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from maillage.helpline import importer
from maillage.helpline.models import Call, JournalImport, Request

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def journal_storage(settings, tmp_path):
    """Uploaded journals go to a folder of this test."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    return tmp_path


HEADER = "call_id,started_at,duration_minutes,language,caller_sex,postal_code,caller_type,heard_via,urgency,category,action,note,comment\n"
GOOD = (
    HEADER
    + "A1,2021-01-04 09:15,8,fr,woman,1070,concerned,media,low,FOOD.PARCEL,information,,calme\n"
    + "A1,2021-01-04 09:15,8,fr,woman,1070,concerned,media,low,Logement et sans-abrisme,referral,,\n"
    + "A2,2021-01-04 10:00,3,nl,man,,relative,,,Schulden en schuldoverlast,callback,,\n"
)


def _upload(client, name: str, content: bytes, skip: bool = False):
    data = {"file": SimpleUploadedFile(name, content)}
    if skip:
        data["skip_bad_rows"] = "on"
    return client.post(reverse("helpline:import"), data)


def test_import_good_csv_groups_requests_by_call(staff_client, themes, line):
    response = _upload(staff_client, "journal.csv", GOOD.encode("utf-8"))
    run = JournalImport.objects.get()
    assert response["Location"] == reverse("helpline:import_status", args=[run.pk])
    assert (run.status, run.calls_created, run.requests_created, run.errors) == (
        JournalImport.Status.SUCCEEDED,
        2,
        3,
        [],
    )
    first = Call.objects.get(external_ref="A1")
    assert list(first.requests.values_list("category__code", "action")) == [
        ("FOOD.PARCEL", "information"),
        ("HOUSING", "referral"),
    ]
    assert (first.commune.name_fr, first.comment, first.organisation) == ("Anderlecht", "calme", line)
    page = staff_client.get(reverse("helpline:import_status", args=[run.pk]))
    assert page.context["run"].percent == 100
    # Importing the same file again reports each call as already there and adds nothing.
    again = importer.start_import(run.uploaded_by, line, SimpleUploadedFile("journal.csv", GOOD.encode()), False)
    assert again.status == JournalImport.Status.FAILED
    assert [error["line"] for error in again.errors] == [2, 3, 4]
    assert Call.objects.count() == 2


def test_bad_rows_are_reported_with_line_and_nothing_imported(staff_client, themes, settings, federation_staff):
    federation_staff.language = "en"
    federation_staff.save()
    content = (
        HEADER
        + "B1,2021-01-04 09:15,-3,fr,woman,1070,concerned,,,FOOD,information,,\n"
        + "B2,2021-01-04 09:20,5,fr,woman,0999,concerned,,,FOOD,information,,\n"
        + "B3,2021-01-04 09:30,5,fr,woman,1060,concerned,,,NOT.A.CODE,information,,\n"
        + "B4,yesterday,5,fr,,,,,,FOOD,information,,\n"
        + ",2021-01-04 09:30,5,fr,,,,,,FOOD,information,,\n"
        + "B5,2021-01-04 11:00,5,fr,,,,,,FOOD,information,,\n"
    )
    _upload(staff_client, "bad.csv", content.encode())
    run = JournalImport.objects.get()
    assert run.status == JournalImport.Status.FAILED
    assert run.errors == [
        {"line": 2, "column": "duration_minutes", "message": "A duration cannot be negative (-3 minutes)."},
        {"line": 3, "column": "postal_code", "message": "0999 is not a Belgian postal code."},
        {"line": 4, "column": "category", "message": "NOT.A.CODE is not a category of the request themes."},
        {
            "line": 5,
            "column": "started_at",
            "message": "The date and time cannot be read; write e.g. 2021-01-29 14:05.",
        },
        {"line": 6, "column": "call_id", "message": "The call identifier is empty."},
    ]
    assert (Call.objects.count(), Request.objects.count()) == (0, 0)
    # The person may explicitly choose to import the good rows only.
    _upload(staff_client, "bad.csv", content.encode(), skip=True)
    partial = JournalImport.objects.order_by("-pk").first()
    assert (partial.status, partial.calls_created, len(partial.errors)) == (JournalImport.Status.SUCCEEDED, 1, 5)
    assert list(Call.objects.values_list("external_ref", flat=True)) == ["B5"]


def test_broken_encoding_and_missing_column(staff_client, themes, federation_staff):
    federation_staff.language = "en"
    federation_staff.save()
    _upload(staff_client, "latin1.csv", GOOD.replace("calme", "très calme").encode("latin-1"))
    run = JournalImport.objects.get()
    assert run.status == JournalImport.Status.FAILED
    assert run.errors[0]["message"].startswith("The file is not readable UTF-8 text (byte ")
    _upload(staff_client, "cols.csv", b"call_id;started_at;language\nX;2021-01-01 10:00;fr\n")
    missing = JournalImport.objects.order_by("-pk").first()
    assert missing.errors[0]["message"].startswith(
        "Columns missing from the first line: duration_minutes, category, action."
    )
    _upload(staff_client, "empty.csv", b"   ")
    assert JournalImport.objects.order_by("-pk").first().errors[0]["message"] == "The file is empty."
    _upload(staff_client, "header.csv", HEADER.encode())
    assert JournalImport.objects.order_by("-pk").first().errors[0]["message"] == "The file has no rows."
    _upload(staff_client, "fake.xlsx", b"not a workbook")
    assert (
        JournalImport.objects.order_by("-pk").first().errors[0]["message"]
        == "This file is not an Excel workbook (.xlsx) we can read."
    )
    assert Call.objects.count() == 0


def test_import_xlsx(staff_client, themes):
    from datetime import datetime

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER.strip().split(","))
    sheet.append(
        ["X1", datetime(2021, 1, 5, 14, 0), 4, "fr", "man", 1000, "professional", "", "high", "FOOD", "nothing", "", ""]
    )
    sheet.append([None] * 13)
    out = io.BytesIO()
    workbook.save(out)
    _upload(staff_client, "journal.xlsx", out.getvalue())
    run = JournalImport.objects.get()
    assert (run.status, run.calls_created) == (JournalImport.Status.SUCCEEDED, 1)
    call = Call.objects.get()
    assert (call.postal_code, call.urgency, call.caller_type) == ("1000", "high", "professional")


def test_import_is_for_staff_only(responder_client, outsider_client, staff_client, themes, line):
    assert responder_client.get(reverse("helpline:import")).status_code == 404
    _upload(staff_client, "journal.csv", GOOD.encode())
    run = JournalImport.objects.get()
    assert responder_client.get(reverse("helpline:import_status", args=[run.pk])).status_code == 404
    assert outsider_client.get(reverse("helpline:import_status", args=[run.pk])).status_code == 404
    listing = staff_client.get(reverse("helpline:import"))
    assert [r.pk for r in listing.context["runs"]] == [run.pk]
    fragment = staff_client.get(reverse("helpline:import_status", args=[run.pk]), headers={"HX-Request": "true"})
    assert next(t.name for t in fragment.templates) == "helpline/_import_progress.html"
    # Running a finished import again does nothing.
    assert importer.run(run.pk).calls_created == 2
    assert Call.objects.count() == 2


def _latest() -> JournalImport:
    return JournalImport.objects.order_by("-pk").first()


def test_the_journal_is_kept_in_the_storage_not_in_a_column(staff_client, themes, journal_storage):
    _upload(staff_client, "journal.csv", GOOD.encode())
    run = JournalImport.objects.get()
    assert run.file.name.startswith("helpline/journals/")
    assert run.file.name.endswith(".csv")
    assert (journal_storage / run.file.name).read_bytes() == GOOD.encode()
    assert "content" not in {field.name for field in JournalImport._meta.get_fields()}


def test_a_journal_over_the_size_limit_is_refused_before_it_is_read(staff_client, themes, settings, federation_staff):
    federation_staff.language = "en"
    federation_staff.save()
    settings.MAILLAGE_UPLOAD_LIMITS = {**settings.MAILLAGE_UPLOAD_LIMITS, "journal": 100}
    answer = _upload(staff_client, "journal.csv", GOOD.encode())
    assert answer.context["form"].errors["file"] == ["The file is too large: the limit is 9.53674e-05 MB."]
    assert JournalImport.objects.count() == 0


def test_an_overlong_csv_cell_is_an_error_naming_its_line(staff_client, themes, federation_staff):
    federation_staff.language = "en"
    federation_staff.save()
    content = GOOD + "A3,2021-01-04 11:00,3,nl,man,,relative,,,FOOD,nothing,," + "x" * 200_000 + "\n"
    _upload(staff_client, "long.csv", content.encode())
    run = _latest()
    message = "Line 5: a field is longer than 10000 characters."
    assert (run.status, run.failure_reason, run.errors) == (
        JournalImport.Status.FAILED,
        message,
        [{"line": 5, "column": "", "message": message}],
    )
    page = staff_client.get(reverse("helpline:import_status", args=[run.pk]))
    assert f'<p class="errorlist nonfield" role="alert" id="import-failure">{message}</p>' in page.content.decode()
    assert Call.objects.count() == 0


def _xlsx_bytes(**replace: bytes) -> bytes:
    """A real workbook, with some of its members replaced (or removed, with b"")."""
    import zipfile

    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(HEADER.strip().split(","))
    source = io.BytesIO()
    workbook.save(source)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source.getvalue())) as old, zipfile.ZipFile(out, "w") as new:
        for item in old.infolist():
            content = replace.get(item.filename, old.read(item.filename))
            if content:
                new.writestr(item, content)
    return out.getvalue()


def test_a_workbook_without_sheet_or_with_broken_sheet_xml_fails_with_a_clear_reason(staff_client, federation_staff):
    federation_staff.language = "en"
    federation_staff.save()
    no_sheet = _xlsx_bytes(
        **{
            "xl/workbook.xml": b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
            b' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets/></workbook>'
        }
    )
    _upload(staff_client, "nosheet.xlsx", no_sheet)
    assert (_latest().status, _latest().failure_reason) == (JournalImport.Status.FAILED, "The workbook has no sheet.")
    broken = _xlsx_bytes(**{"xl/worksheets/sheet1.xml": b"<worksheet><sheetData><row><c>"})
    _upload(staff_client, "broken.xlsx", broken)
    assert (_latest().status, _latest().failure_reason) == (
        JournalImport.Status.FAILED,
        "The file is not a readable Excel workbook (.xlsx), or it is damaged.",
    )


def test_an_import_that_raises_is_failed_with_a_reason_and_can_be_started_again(
    staff_client, themes, journal_storage, federation_staff, line
):
    federation_staff.language = "en"
    federation_staff.save()
    # The stored file is missing when the worker reads it: an error nobody planned for.
    run = JournalImport.objects.create(
        organisation=line, uploaded_by=federation_staff, filename="journal.csv", file="helpline/journals/gone.csv"
    )
    assert importer.run(run.pk).failure_reason == (
        "The import stopped on an unexpected error; nothing was saved. Try again or contact support."
    )
    page = staff_client.get(reverse("helpline:import_status", args=[run.pk]))
    assert "hx-trigger" not in page.content.decode()  # the page stops polling
    assert "Start this import again" in page.content.decode()
    (journal_storage / "helpline" / "journals").mkdir(parents=True)
    (journal_storage / "helpline" / "journals" / "gone.csv").write_bytes(GOOD.encode())
    restarted = staff_client.post(reverse("helpline:import_restart", args=[run.pk]), follow=True)
    assert restarted.redirect_chain == [(reverse("helpline:import_status", args=[run.pk]), 302)]
    assert [str(m) for m in restarted.context["messages"]] == ["The import was started again."]
    run.refresh_from_db()
    assert (run.status, run.calls_created, run.failure_reason) == (JournalImport.Status.SUCCEEDED, 2, "")
    assert Call.objects.count() == 2
    again = staff_client.post(reverse("helpline:import_restart", args=[run.pk]), follow=True)
    assert [str(m) for m in again.context["messages"]] == ["Only an import that failed can be started again."]
    assert Call.objects.count() == 2


def test_an_import_whose_worker_died_is_shown_failed_after_the_timeout(staff_client, themes, line, federation_staff):
    from datetime import timedelta

    from django.utils import timezone

    federation_staff.language = "en"
    federation_staff.save()
    long_ago = timezone.now() - importer.STALE_AFTER - timedelta(minutes=1)
    running = JournalImport.objects.create(
        organisation=line,
        uploaded_by=federation_staff,
        filename="a.csv",
        status=JournalImport.Status.RUNNING,
        started_at=long_ago,
        heartbeat_at=long_ago,
    )
    never_taken = JournalImport.objects.create(
        organisation=line, uploaded_by=federation_staff, filename="b.csv", created_at=long_ago
    )
    fresh = JournalImport.objects.create(organisation=line, uploaded_by=federation_staff, filename="c.csv")
    reason = "The worker stopped before the end; nothing more will happen. Start it again."
    for run in (running, never_taken):
        page = staff_client.get(reverse("helpline:import_status", args=[run.pk]), headers={"HX-Request": "true"})
        assert page.context["run"].status == JournalImport.Status.FAILED
        assert page.context["run"].failure_reason == reason
        assert "hx-trigger" not in page.content.decode()
    fresh_page = staff_client.get(reverse("helpline:import_status", args=[fresh.pk]), headers={"HX-Request": "true"})
    assert fresh_page.context["run"].status == JournalImport.Status.QUEUED
    assert 'hx-trigger="every 2s"' in fresh_page.content.decode()


def test_import_errors_name_the_column_as_the_file_names_it(staff_client, themes, federation_staff):
    federation_staff.language = "en"
    federation_staff.save()
    header = "Call_ID;Started_At;Duration_Minutes;Language;Category;Action\n"
    _upload(staff_client, "cols.csv", (header + "C1;2021-01-04 09:15;-3;fr;FOOD;information\n").encode())
    assert _latest().errors == [
        {"line": 2, "column": "Duration_Minutes", "message": "A duration cannot be negative (-3 minutes)."}
    ]


def test_the_same_upload_sent_twice_is_imported_once(staff_client, themes):
    from maillage.core.submission import new_key

    key = new_key()
    for _ in range(2):
        staff_client.post(
            reverse("helpline:import"),
            {"file": SimpleUploadedFile("journal.csv", GOOD.encode()), "submission_key": key},
        )
    run = JournalImport.objects.get()
    again = staff_client.post(
        reverse("helpline:import"),
        {"file": SimpleUploadedFile("journal.csv", GOOD.encode()), "submission_key": key},
        follow=True,
    )
    assert again.redirect_chain == [(reverse("helpline:import_status", args=[run.pk]), 302)]
    assert (JournalImport.objects.count(), Call.objects.count()) == (1, 2)


def test_outsiders_cannot_restart_an_import(staff_client, outsider_client, responder_client, themes):
    _upload(staff_client, "header.csv", HEADER.encode())
    run = _latest()
    assert run.status == JournalImport.Status.FAILED
    for client in (outsider_client, responder_client):
        assert client.post(reverse("helpline:import_restart", args=[run.pk])).status_code == 404
    run.refresh_from_db()
    assert run.status == JournalImport.Status.FAILED
