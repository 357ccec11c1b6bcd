from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from maillage.helpline import importer
from maillage.helpline.models import Call, ImportStatus, JournalImport, Request

pytestmark = pytest.mark.django_db

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
    assert (run.status, run.calls_created, run.requests_created, run.errors) == (ImportStatus.DONE, 2, 3, [])
    first = Call.objects.get(external_ref="A1")
    assert list(first.requests.values_list("category__code", "action")) == [
        ("FOOD.PARCEL", "information"),
        ("HOUSING", "referral"),
    ]
    assert (first.commune.name_fr, first.comment, first.organisation) == ("Anderlecht", "calme", line)
    page = staff_client.get(reverse("helpline:import_status", args=[run.pk]))
    assert page.context["run"].percent == 100
    # Importing the same file again reports each call as already there and adds nothing.
    again = importer.run(importer.start_import(run.uploaded_by, line, "journal.csv", GOOD.encode(), False).pk)
    assert again.status == ImportStatus.FAILED
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
    assert run.status == ImportStatus.FAILED
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
    assert (partial.status, partial.calls_created, len(partial.errors)) == (ImportStatus.DONE, 1, 5)
    assert list(Call.objects.values_list("external_ref", flat=True)) == ["B5"]


def test_broken_encoding_and_missing_column(staff_client, themes, federation_staff):
    federation_staff.language = "en"
    federation_staff.save()
    _upload(staff_client, "latin1.csv", GOOD.replace("calme", "très calme").encode("latin-1"))
    run = JournalImport.objects.get()
    assert run.status == ImportStatus.FAILED
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
    assert (run.status, run.calls_created) == (ImportStatus.DONE, 1)
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
