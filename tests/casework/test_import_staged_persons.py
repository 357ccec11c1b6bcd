"""The persons import staged in SQL (`imports.staged.PersonsStaging`, PostgreSQL) reports, writes and audits what
the row-by-row path (`imports.one_by_one` through the services) does: bad lines in the same words, the duplicate
rule as the file's earlier lines leave the centre's persons, re-imports updating, references skipping those
taken. On SQLite the same files go through `imports.bulk`, compared with the same reference path."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from maillage.casework import rollups_pending
from maillage.casework.imports import staged
from maillage.casework.imports.checking import RowChecker
from maillage.casework.models import ImportKind
from tests.casework.factories import PersonFactory
from tests.casework.test_import_bulk_writes import (  # noqa: F401 - fixtures
    PERSONS,
    _both_ways,
    centre,
    import_storage,
)

pytestmark = pytest.mark.django_db

LIKE = (
    "not imported: %s of the centre has the same year of birth, sex and postal code; give their identifier in the "
    "file if it is the same person"
)


@pytest.fixture
def staged_writes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many persons files the staged path wrote (PostgreSQL only: SQLite keeps the row-by-row reading)."""
    calls: list[int] = []
    write = staged.PersonsStaging.write

    def counted(self: staged.PersonsStaging, report: Any) -> None:
        calls.append(self.count)
        write(self, report)

    monkeypatch.setattr(staged.PersonsStaging, "write", counted)
    return calls


def test_the_duplicate_rule_sees_the_persons_as_the_earlier_lines_left_them(centre, monkeypatch, staged_writes):  # noqa: F811
    # Erased: not a duplicate of anyone.
    PersonFactory(
        organisation=centre["organisation"],
        reference="P-000009",
        birth_year=1970,
        sex="m",
        postal_code="1000",
        erased_at=timezone.now(),
    )
    persons = (
        "source_id,birth_year,sex,postal_code,opened_on\n"
        "N1,1980,f,1060,2024-01-01\n"  # like P-000001 (P1) as it was
        "P1,1990,m,1000,2024-01-01\n"  # P1 updated: no longer like N1's values
        "N2,1980,f,1060,2024-01-02\n"  # created
        "N3,1990,m,1000,2024-01-03\n"  # like P-000001 as updated
        "N4,1975,f,1060,\n"  # like P-000003
        "P5,1975,f,1060,2024-01-04\n"  # P5 (P-000002) updated: like P-000003 from now on
        "N5,1975,f,1060,2024-01-05\n"  # like P-000002 and P-000003: the first by reference
        "N6,1970,m,1000,2024-01-06\n"  # like the erased P-000009 only: created
        "N7,1975,f,,2024-01-07\n"  # no postal code: the rule does not apply
    )
    (slow_reports, slow), (fast_reports, fast) = _both_ways(centre, monkeypatch, [(ImportKind.PERSONS, persons)])
    assert fast_reports == slow_reports
    assert fast == slow
    assert slow_reports == [
        (9, 3, 2, [], [[2, LIKE % "P-000001"], [5, LIKE % "P-000001"], [6, LIKE % "P-000003"], [8, LIKE % "P-000002"]], [])
    ]  # fmt: skip
    assert [row[:4] for row in slow["persons"]] == [
        ("P-000001", "P1", 1990, "m"),
        ("P-000002", "P5", 1975, "f"),
        ("P-000003", "", 1975, "f"),
        ("P-000009", "", 1970, "m"),
        ("P-000010", "N2", 1980, "f"),
        ("P-000011", "N6", 1970, "m"),
        ("P-000012", "N7", 1975, "f"),
    ]
    assert [(entry[0], entry[4]) for entry in slow["audit"]] == [
        ("casework.person.created", "P-000010"),
        ("casework.casefile.opened", "P-000010 · 2024-01-02"),
        ("casework.person.created", "P-000011"),
        ("casework.casefile.opened", "P-000011 · 2024-01-06"),
        ("casework.person.created", "P-000012"),
        ("casework.casefile.opened", "P-000012 · 2024-01-07"),
    ]
    assert staged_writes == ([9] if connection.vendor == "postgresql" else [])


def test_a_bad_file_is_reported_line_by_line_as_the_row_by_row_path_and_writes_nothing(centre, monkeypatch):  # noqa: F811
    next_year = timezone.localdate().year + 1
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    bad = (
        "source_id,birth_year,sex,postal_code,household,children,language,opened_on\n"
        ",1980,f,1060,,,,\n"  # no identifier
        f"B1,{next_year},z,12a4,boat,31,,\n"  # future year, unknown sex, postal code format, household, children
        "B2,1800,,1299,,-1,,31/02/2024\n"  # too far back, not Brussels, children, not a date
        f"B3,19x0,,9999,,abc,{'x' * 21},{tomorrow}\n"  # not a year, not Belgian, not a number, too long, future
        "B4,1980,f,1060,,,,\n"  # good
        "B4,1981,f,1060,,,,\n"  # B4 already on line 6
        "B1,1980,f,1060,,,,1899-12-31\n"  # before 1900 and B1 already on line 3
    )
    (slow_reports, slow), (fast_reports, fast) = _both_ways(centre, monkeypatch, [(ImportKind.PERSONS, bad)])
    assert fast_reports == slow_reports
    assert fast == slow
    total, created, updated, errors, warnings, refusal = slow_reports[0]
    assert (total, created, updated, warnings) == (7, 0, 0, [])
    assert [line for line, _message in errors] == [2, 3, 4, 5, 7, 8]
    assert errors[5] == [
        8,
        "opened_on: 1899-12-31 is not a date between 1900 and today; identifier B1 already appears on line 3.",
    ]
    assert refusal == ["Nothing was imported: 6 row(s) are bad. Correct them and import the file again."]
    assert [row[0] for row in slow["persons"]] == ["P-000001", "P-000002", "P-000003"]
    assert slow["audit"] == []


def test_a_re_import_updates_the_persons_and_their_roll_ups_as_the_row_by_row_path(centre, monkeypatch):  # noqa: F811
    again = PERSONS.replace("P1,1981,f,1060,single,2", "P1,1981,m,1000,couple,3").replace("P4,,x,,,,", "P4,1999,x,,,,")
    files = [(ImportKind.PERSONS, PERSONS), (ImportKind.PERSONS, again), (ImportKind.PERSONS, again)]
    (slow_reports, slow), (fast_reports, fast) = _both_ways(centre, monkeypatch, files)
    assert fast_reports == slow_reports
    assert fast == slow  # P1's follow-up counted with its new sex and postal code (the centre recounted)
    assert [report[1:3] for report in slow_reports] == [(3, 1), (0, 4), (0, 4)]
    assert [row[:6] for row in slow["persons"] if row[1] in ("P1", "P4")] == [
        ("P-000001", "P1", 1981, "m", "1000", slow["persons"][0][5]),
        ("P-000005", "P4", 1999, "x", "", None),
    ]
    assert slow["persons"][0][5] is not None  # 1000's commune


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="roll-ups are kept on PostgreSQL")
def test_a_re_import_marks_the_centre_for_a_recount_only_when_counted_data_changes(centre):  # noqa: F811
    from tests.casework.test_import_bulk_writes import _run

    organisation = centre["organisation"]
    row = "source_id,birth_year,sex,postal_code\nP1,1980,f,1060\n"
    _run(centre, ImportKind.PERSONS, row)  # P1, who has a follow-up, gets its age band now and its commune
    assert rollups_pending.any_pending([organisation.pk])
    assert rollups_pending.recount_pending() == 1
    _run(centre, ImportKind.PERSONS, row)  # the same again
    assert not rollups_pending.any_pending([organisation.pk])
    _run(centre, ImportKind.PERSONS, "source_id,birth_year,sex,postal_code\nP5,1980,m,1000\n")  # no follow-up
    assert not rollups_pending.any_pending([organisation.pk])
    _run(centre, ImportKind.PERSONS, row.replace(",f,", ",m,"))
    assert rollups_pending.any_pending([organisation.pk])


def test_new_references_skip_those_taken_as_the_services_do(centre, monkeypatch):  # noqa: F811
    # The highest reference as text is P-999999: the next numbers are 1000000, then 1000002 (1000001 taken).
    PersonFactory(organisation=centre["organisation"], reference="P-999999", birth_year=None)
    PersonFactory(organisation=centre["organisation"], reference="P-1000001", birth_year=None)
    persons = "source_id,sex\nR1,f\nR2,m\nR3,x\n"
    (slow_reports, slow), (fast_reports, fast) = _both_ways(centre, monkeypatch, [(ImportKind.PERSONS, persons)])
    assert fast_reports == slow_reports
    assert fast == slow
    assert [row[:2] for row in slow["persons"] if row[1].startswith("R")] == [
        ("P-1000000", "R1"),
        ("P-1000002", "R2"),
        ("P-1000003", "R3"),
    ]


def test_a_wrong_postal_code_is_looked_up_once_per_file_and_reported_on_each_of_its_lines(organisation, coordinator):
    checker = RowChecker(organisation, ImportKind.PERSONS, {}, coordinator, staged=True)
    rows = [("1299", ""), ("9999", ""), ("1299", "3000"), ("9999", "1980")]
    with CaptureQueriesContext(connection) as queries:
        problems = [checker.check(line, {"source_id": f"A{line}", "postal_code": code, "birth_year": year})[1]
                    for line, (code, year) in enumerate(rows, start=2)]  # fmt: skip
    # 1299: the postal codes asked; 9999: the postal codes, then the provinces' ranges; each once.
    assert len([query for query in queries.captured_queries if "core_postal" in query["sql"]]) == 3
    brussels = "postal_code: 1299 is not a postal code of the Brussels-Capital Region."
    belgian = "postal_code: 9999 is not a Belgian postal code."
    assert problems == [
        [brussels],
        [belgian],
        ["birth_year: The year of birth 3000 is in the future.", brussels],
        [belgian],
    ]
