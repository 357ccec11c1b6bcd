"""The journal import on PostgreSQL (importer_staging: streamed into a temporary table, grouped and checked
in SQL) writes the same rows and reports the same problems, word for word, as the Python path SQLite uses;
and the streaming reader reads a file as the whole-file reader did."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import translation

from maillage.core.models import Organisation
from maillage.helpline import importer, importer_staging
from maillage.helpline.importer_reading import FileProblemError
from maillage.helpline.importer_staging import Staging
from maillage.helpline.models import Call, Callback, JournalImport, Request

pytestmark = pytest.mark.django_db

HEADER = "Call_ID,started_at,duration_minutes,language,caller_sex,postal_code,caller_type,heard_via,urgency,category,action,note,comment\n"
FUTURE = (datetime.now() + timedelta(days=3)).strftime("%Y-%m-%d %H:%M")  # noqa: DTZ005 - a journal's naive cell
# Every kind of row the checks know, rows of one call apart from each other, a cell with a line break.
JOURNAL = (
    HEADER
    + "A1,2021-01-04 09:15,8,FR,woman,1070,concerned,media,low,FOOD.PARCEL,information,,calme\n"
    + "A2,2021/01/04 10:00,3,nl,man,,relative,,,Schulden en schuldoverlast,callback,note 2,\n"
    + "A1,2021-01-04 09:15,8,fr,woman,1070,concerned,media,low,Logement et sans-abrisme,Referral,,\n"
    + '"A3",2021-01-04 11:00,5,fr,,4000,,,,food,nothing,"deux\nlignes",\n'
    + "\n"
    + ",2021-01-04 11:30,5,fr,,,,,,FOOD,information,,\n"
    + "B1,2021-01-04 12:00,-3,de,x,0999,boss,tv,max,NOT.A.CODE,jump,,\n"
    + "B1,2021-01-04 12:00,5,fr,,,,,,FOOD,no_service,,\n"
    + "B2,yesterday,5,fr,,,,,,NOT.A.CODE,jump,,\n"
    + "B2,2021-01-04 12:30,5,fr,,,,,,FOOD,information,,\n"
    + "B3,2021-02-30 10:00,5,fr,,,,,,FOOD,information,,\n"
    + f"B4,{FUTURE},huit,fr,,1O70,,,,,,,\n"
    + "B5,2021-01-04 13:00,601,fr,,1000,,,,FOOD,information,,\n"
    + "B5,2021-01-04 13:00,601,fr,,1000,,,,FOOD,callback,,\n"
    + "A4,2021-01-04 14:00,,fr,,,,,,FOOD,information,,\n"
    + "A5,2021-01-04 15:00,12,en,other,1060,professional,internet,high,HOUSING,warm_transfer,"
    + "x" * 400
    + ",un commentaire\n"
    + "A2,2021-01-04 23:59,99,en,woman,1000,other,poster,high,FOOD,other,autre,ignored\n"
    + "L" * 65
    + ",2021-01-04 16:00,5,fr,,,,,,FOOD,information,,\n"
)


def _requires_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the staged import is PostgreSQL's (COPY, temporary tables); SQLite runs the Python path")


def _by_python(organisation: Organisation, content: str) -> tuple[list[dict[str, Any]], tuple[int, int]]:
    journal = importer.read_journal("journal.csv", io.BytesIO(content.encode()))
    good, errors = importer.validate(organisation, journal.rows)
    return errors, importer.write(organisation, good)


def _staged(organisation: Organisation, content: str) -> tuple[list[dict[str, Any]], tuple[int, int], int]:
    with Staging(organisation) as staging:
        staging.load(importer.open_journal("journal.csv", io.BytesIO(content.encode())))
        problems = staging.problems()
        return problems, staging.write(), staging.bad_lines()


def _written(organisation: Organisation) -> list[Any]:
    calls = Call.objects.filter(organisation=organisation).order_by("external_ref")
    requests = Request.objects.filter(organisation=organisation).order_by("call__external_ref", "position")
    callbacks = Callback.objects.filter(organisation=organisation).order_by("request__call__external_ref")
    return [
        list(
            calls.values_list(
                "external_ref",
                "started_at",
                "duration_minutes",
                "language",
                "caller_sex",
                "caller_area",
                "postal_code",
                "commune_id",
                "caller_type",
                "heard_via",
                "urgency",
                "comment",
                "responder_id",
                "reference_id",
                "shift_id",
            )
        ),
        list(
            requests.values_list(
                "call__external_ref",
                "position",
                "category_id",
                "theme_id",
                "note",
                "action",
                "service_id",
                "unmet_reason",
                "started_at",
            )
        ),
        list(callbacks.values_list("request__call__external_ref", "due_at", "outcome", "outcome_note", "done_by_id")),
    ]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_staged_import_writes_and_reports_what_the_python_path_does(line, themes, language):
    _requires_postgresql()
    other = Organisation.objects.create(short_name="Other line", name_fr="Other line", sector="federation")
    with translation.override(language):
        expected, python_counts = _by_python(line, JOURNAL)
        problems, staged_counts, bad_lines = _staged(other, JOURNAL)
    assert problems == expected
    assert bad_lines == len({error["line"] for error in expected}) == 9
    assert staged_counts == python_counts == (4, 6)
    assert _written(other) == _written(line)
    assert [len(part) for part in _written(other)] == [4, 6, 1]
    # The same file again: every call of it was imported before, on each of its lines, in both paths.
    with translation.override(language):
        expected_again, python_again = _by_python(line, JOURNAL)
        problems_again, staged_again, _bad = _staged(other, JOURNAL)
    assert problems_again == expected_again
    assert staged_again == python_again == (0, 0)
    assert len(_written(other)[0]) == 4


def test_the_report_of_the_journal_in_english(line, themes):
    """What both paths say of each wrong line (the Python path runs on every database)."""
    with translation.override("en"):
        errors, counts = _by_python(line, JOURNAL)
    assert counts == (4, 6)
    assert [(error["line"], error["column"], error["message"]) for error in errors] == [
        (8, "call_id", "The call identifier is empty."),
        (9, "action", "Say what you did for this request."),
        (9, "caller_sex", "Choose one of the options."),
        (9, "caller_type", "Choose one of the options."),
        (9, "category", "NOT.A.CODE is not a category of the request themes."),
        (9, "duration_minutes", "A duration cannot be negative (-3 minutes)."),
        (9, "heard_via", "Choose one of the options."),
        (9, "language", "Choose one of the options."),
        (9, "postal_code", "0999 is not a Belgian postal code."),
        (9, "urgency", "Choose one of the options."),
        (10, "service", "Say why no service suits: choose the reason in the list of services."),
        (11, "started_at", "The date and time cannot be read; write e.g. 2021-01-29 14:05."),
        (13, "started_at", "The date and time cannot be read; write e.g. 2021-01-29 14:05."),
        (14, "action", "Say what you did for this request."),
        (14, "category", "Choose the category of the request."),
        (14, "duration_minutes", "The duration is a whole number of minutes."),
        (14, "postal_code", "A Belgian postal code has four digits, e.g. 1070."),
        (14, "started_at", "The call cannot start in the future."),
        (15, "duration_minutes", "A call lasts at most 600 minutes."),
        (17, "duration_minutes", "Give the duration of the call in minutes."),
        (20, "call_id", "The call identifier is longer than 64 characters."),
    ]
    a3 = Call.objects.get(organisation=line, external_ref="A3")
    assert (a3.caller_area, a3.requests.get().note) == ("outside", "deux\nlignes")
    a5 = Call.objects.get(organisation=line, external_ref="A5")
    assert (len(a5.requests.get().note), a5.comment) == (300, "un commentaire")


def test_a_date_that_does_not_exist_is_reported_not_a_crash(staff_client, themes, federation_staff):
    from django.urls import reverse

    federation_staff.language = "en"
    federation_staff.save()
    content = HEADER + "C1,2021-02-30 10:00,5,fr,,,,,,FOOD,information,,\n"
    staff_client.post(reverse("helpline:import"), {"file": SimpleUploadedFile("j.csv", content.encode())})
    run = JournalImport.objects.get()
    assert (run.status, run.errors) == (
        JournalImport.Status.FAILED,
        [
            {
                "line": 2,
                "column": "started_at",
                "message": "The date and time cannot be read; write e.g. 2021-01-29 14:05.",
            }
        ],
    )


def test_at_most_a_thousand_problems_are_kept_and_every_bad_line_counted(line, federation_staff, themes):
    from maillage.core.models import AuditEntry

    bad = "".join(f"D{number},2021-01-04 09:15,-1,fr,,,,,,FOOD,information,,\n" for number in range(1005))
    content = HEADER + bad + "D-good,2021-01-04 09:15,1,fr,,,,,,FOOD,information,,\n"
    job = importer.start_import(federation_staff, line, SimpleUploadedFile("j.csv", content.encode()), True)
    assert (job.status, job.calls_created, job.total_rows, len(job.errors)) == (
        JournalImport.Status.SUCCEEDED,
        1,
        1006,
        1000,
    )
    assert job.errors[-1]["line"] == 1001
    logged = AuditEntry.objects.get(code="helpline.journal.imported")
    assert logged.data["rows_left_out"] == 1005


def test_the_temporary_tables_are_gone_after_an_import_good_or_refused(line, federation_staff, themes):
    _requires_postgresql()
    good = HEADER + "E1,2021-01-04 09:15,1,fr,,,,,,FOOD,information,,\n"
    broken = good + "E2,2021-01-04 09:15,1,fr,,,,,,FOOD,information,," + "x" * 20_000 + "\n"
    for content in (good, broken):
        importer.start_import(federation_staff, line, SimpleUploadedFile("j.csv", content.encode()), False)
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s)", [f"pg_temp.{importer_staging.ROWS}"])
            assert cursor.fetchone() == (None,)
    assert list(JournalImport.objects.order_by("pk").values_list("status", "calls_created", "total_rows")) == [
        (JournalImport.Status.SUCCEEDED, 1, 1),
        (JournalImport.Status.FAILED, 0, 0),
    ]


def test_rows_are_sent_a_chunk_at_a_time_with_progress_between(line, themes, monkeypatch):
    _requires_postgresql()
    monkeypatch.setattr(importer_staging, "CHUNK_ROWS", 2)
    monkeypatch.setattr(importer_staging, "PROGRESS_SECONDS", 0)
    told: list[int] = []
    content = HEADER + "".join(f"F{n},2021-01-04 09:15,1,fr,,,,,,FOOD,information,,\n" for n in range(5))
    with Staging(line) as staging:
        assert staging.load(importer.open_journal("j.csv", io.BytesIO(content.encode())), told.append) == 5
        assert staging.write() == (5, 5)
    assert told == [2, 4]


def test_the_reader_streams_rows_with_their_lines_as_the_whole_file_reader_did():
    content = (
        "\ufeffcall_id;started_at;duration_minutes;language;category;action;comment\r\n"
        'G1;2021-01-04 09:15;1;fr;FOOD;information;"un\r\ndeux"\r\n'
        ";;;;;;\r\n"
        "G2;2021-01-04 09:15;1;fr;FOOD;information\r\n"
        "G3;2021-01-04 09:15;1;fr;FOOD;information;c;extra\r\n"
    ).encode()
    journal = importer.open_journal("j.csv", io.BytesIO(content))
    assert not isinstance(journal.rows, list)
    rows = list(journal.rows)
    assert [(number, cells[0], cells[journal.position("comment")]) for number, cells in rows] == [
        (3, "G1", "un\r\ndeux"),
        (5, "G2", ""),
        (6, "G3", "c"),
    ]
    assert {len(cells) for _number, cells in rows} == {8}  # the header's width and the empty cell of a missing column
    assert rows[0][1][journal.position("postal_code")] == ""


@pytest.mark.parametrize(
    ("content", "message", "line_number"),
    [
        (b"call_id,started_at\n\xff", "The file is not readable UTF-8 text (byte 20).", 1),
        (b"\xef\xbb\xbf \n\t ", "The file is empty.", 1),
        (HEADER.encode() + b"H1," + b"y" * 10_001 + b"\n", "Line 2: a field is longer than 10000 characters.", 2),
    ],
)
def test_a_file_problem_names_its_place(content, message, line_number):
    def read_all() -> None:
        list(importer.open_journal("j.csv", io.BytesIO(content)).rows)

    with translation.override("en"), pytest.raises(FileProblemError) as raised:
        read_all()
    assert raised.value.messages[0].startswith(message.removesuffix("."))
    assert raised.value.line == line_number
