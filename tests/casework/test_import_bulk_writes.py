"""The case-work import writes in bulk (imports.bulk) what the services wrote row by row (imports.one_by_one):
the same persons, references, case files, follow-ups, requests, audit entries and roll-up cells (once recounted), the same
report (created, updated, warnings) and the same refusal word for word. Each file runs both ways on the same
centre, each way in a savepoint rolled back after its snapshot."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from maillage.casework import rollups, rollups_pending, rollups_rebuild, services
from maillage.casework.imports import bulk, one_by_one, running
from maillage.casework.models import CaseFile, FollowUp, ImportKind, ImportRun, Person, Request
from maillage.core.models import AuditEntry
from maillage.taxonomy.models import Category
from tests.casework.factories import PersonFactory

pytestmark = pytest.mark.django_db

PERSONS = (
    "source_id,birth_year,sex,postal_code,household,children,opened_on\n"
    "P1,1981,f,1060,single,2,2023-01-01\n"  # imported before: updated
    "P2,1975,f,1060,,,2024-01-02\n"  # like P-000003 of the centre: a warning, not created
    "P3,1990,m,1000,couple,,2024-02-01\n"
    "P4,,x,,,,\n"  # opened today
    "P6,1990,m,1000,single,1,2024-02-03\n"  # like P3, created by this same file: created too
)
FOLLOW_UPS = (
    "source_id,person_source_id,date,mode,duration,theme,institution,stage,theme_2,institution_2\n"
    "F1,P1,2024-03-01,phone,30,FOOD.PARCEL,PUBLIC.CPAS,INFO.GENERAL,HOUSING.SEARCH,\n"  # imported before: updated
    "F2,P1,2024-03-02,appointment,,FOOD.PARCEL,,,,\n"
    "F3,P3,2024-03-05,walk_in,15,HOUSING.SEARCH,PUBLIC.ONEM,,FOOD.PARCEL,PUBLIC.CPAS\n"
    "F5,P5,2024-04-01,phone,10,FOOD.PARCEL,,INFO.RIGHTS,,\n"  # P5 has no case file: opened on this date
    "F6,P5,2024-05-01,phone,,HOUSING.SEARCH,,,,\n"
)
# P5's case file opens with the first of its rows (2024-04-01): the next one, dated before, is refused.
REFUSED = FOLLOW_UPS + "F7,P5,2024-03-01,phone,,FOOD.PARCEL,,,,\n"


class _UndoError(Exception):
    pass


@pytest.fixture(autouse=True)
def import_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }


@pytest.fixture
def centre(organisation, coordinator, casework_schemes) -> dict[str, Any]:
    """A centre with persons imported before (P1 with a case file and a follow-up F1, P5 without a case file)
    and one encoded by hand that the duplicate rule finds; roll-ups built where they are kept (PostgreSQL)."""
    p1: Person = PersonFactory(organisation=organisation, reference="P-000001", source_id="P1", birth_year=1980)  # type: ignore[assignment]
    PersonFactory(organisation=organisation, reference="P-000002", source_id="P5", birth_year=None, postal_code="")
    PersonFactory(organisation=organisation, reference="P-000003", birth_year=1975, sex="f", postal_code="1060")
    case_file = CaseFile.objects.create(organisation=organisation, person=p1, opened_on=datetime.date(2023, 1, 1))
    food = Category.objects.get(version__scheme__code="request-themes", version__status="published", code="FOOD.PARCEL")
    services.record_follow_up(
        coordinator,
        case_file,
        services.FollowUpData(date=datetime.date(2023, 6, 1), mode="phone", worker=coordinator, source_id="F1"),
        [services.RequestData(food)],
    )
    if connection.vendor == "postgresql":
        rollups_rebuild.rebuild()
    return {"organisation": organisation, "actor": coordinator}


def _run(centre: dict[str, Any], kind: str, content: str) -> tuple[Any, ...]:
    stored = default_storage.save(f"imports/{kind}.csv", ContentFile(content.encode()))
    run = ImportRun.objects.create(
        organisation=centre["organisation"],
        actor=centre["actor"],
        kind=kind,
        filename=f"{kind}.csv",
        stored_file=stored,
        status=ImportRun.Status.RUNNING,
    )
    report = running.Report()
    try:
        running._import(run, report)
        refusal: list[str] = []
    except ValidationError as error:
        refusal = error.messages
    return report.total, report.created, report.updated, report.errors, report.warnings, refusal


def _written(since: int) -> dict[str, Any]:
    """What the centre holds, by natural keys (the ids of two rolled-back runs differ)."""
    return {
        "persons": list(
            Person.objects.order_by("reference").values_list(
                "reference",
                "source_id",
                "birth_year",
                "sex",
                "postal_code",
                "commune_id",
                "household",
                "children",
                "age_band",
                "language",
                "income_source",
                "nationality_group",
            )
        ),
        "case_files": [
            (case_file.person.reference, case_file.opened_on, sorted(case_file.workers.values_list("pk", flat=True)))
            for case_file in CaseFile.objects.order_by("person__reference", "opened_on").select_related("person")
        ],
        "follow_ups": list(
            FollowUp.objects.order_by("source_id").values_list(
                "source_id",
                "person__reference",
                "case_file__opened_on",
                "date",
                "mode",
                "duration",
                "worker_id",
                "subsidy_id",
                "age_band",
                "actions",
                "referred_to",
                "note",
            )
        ),
        "requests": sorted(
            Request.objects.values_list(
                "follow_up__source_id", "date", "theme__code", "institution__code", "stage__code", "is_open"
            ),
            key=repr,
        ),
        "audit": list(
            AuditEntry.objects.filter(pk__gt=since)
            .order_by("pk")
            .values_list("code", "actor_id", "organisation_id", "target_type", "target_repr", "data")
        ),
        "cells": sorted(rollups_cells()),
    }


def rollups_cells() -> list[tuple[Any, ...]]:
    """The cells once the import's centre is recounted (`rollups_pending`: the bulk import leaves that to a task
    after its commit, the services keep them in step)."""
    rollups_pending.recount_pending()
    with connection.cursor() as cursor:
        cursor.execute("SELECT kind, gset, organisation_id, period, a, b, n FROM casework_statcell WHERE n <> 0")
        return list(cursor.fetchall())


def _both_ways(centre: dict[str, Any], monkeypatch: pytest.MonkeyPatch, files: list[tuple[Any, str]]) -> list[Any]:
    outcomes = []
    for writers in (one_by_one, bulk):
        with monkeypatch.context() as patch:
            patch.setattr(bulk, "write_persons", writers.write_persons)
            patch.setattr(bulk, "write_follow_ups", writers.write_follow_ups)
            if writers is one_by_one:  # the follow-ups staged in SQL on PostgreSQL (`imports.staged`) otherwise
                patch.setattr(running, "_staged", lambda kind: False)
            since = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            try:
                with transaction.atomic():
                    reports = [_run(centre, kind, content) for kind, content in files]
                    outcomes.append((reports, _written(since)))
                    raise _UndoError
            except _UndoError:
                pass
    return outcomes


def test_the_bulk_import_writes_and_reports_what_the_services_wrote_row_by_row(centre, monkeypatch):
    (slow_reports, slow), (fast_reports, fast) = _both_ways(
        centre, monkeypatch, [(ImportKind.PERSONS, PERSONS), (ImportKind.FOLLOWUPS, FOLLOW_UPS)]
    )
    assert fast_reports == slow_reports
    assert fast == slow
    # What both wrote, spelled out once.
    assert slow_reports == [
        (
            5,
            3,
            1,
            [],
            [
                [
                    3,
                    (
                        "not imported: P-000003 of the centre has the same year of birth, sex and postal code; give "
                        "their identifier in the file if it is the same person"
                    ),
                ]
            ],
            [],
        ),
        (5, 4, 1, [], [], []),
    ]
    assert [row[:2] for row in slow["persons"]] == [
        ("P-000001", "P1"),
        ("P-000002", "P5"),
        ("P-000003", ""),
        ("P-000004", "P3"),
        ("P-000005", "P4"),
        ("P-000006", "P6"),
    ]
    assert [row[:3] for row in slow["case_files"]] == [
        ("P-000001", datetime.date(2023, 1, 1), []),
        ("P-000002", datetime.date(2024, 4, 1), []),
        ("P-000004", datetime.date(2024, 2, 1), [centre["actor"].pk]),
        ("P-000005", timezone.localdate(), [centre["actor"].pk]),
        ("P-000006", datetime.date(2024, 2, 3), [centre["actor"].pk]),
    ]
    assert [row[:4] for row in slow["follow_ups"]] == [
        ("F1", "P-000001", datetime.date(2023, 1, 1), datetime.date(2024, 3, 1)),
        ("F2", "P-000001", datetime.date(2023, 1, 1), datetime.date(2024, 3, 2)),
        ("F3", "P-000004", datetime.date(2024, 2, 1), datetime.date(2024, 3, 5)),
        ("F5", "P-000002", datetime.date(2024, 4, 1), datetime.date(2024, 4, 1)),
        ("F6", "P-000002", datetime.date(2024, 4, 1), datetime.date(2024, 5, 1)),
    ]
    assert len(slow["requests"]) == 7
    assert [entry[0] for entry in slow["audit"]] == [
        *["casework.person.created", "casework.casefile.opened"] * 3,
        *["casework.followup.created"] * 4,
    ]
    if connection.vendor == "postgresql":
        assert rollups.available()
        assert len(slow["cells"]) > 0


def test_a_row_the_services_refuse_refuses_the_file_in_the_same_words(centre, monkeypatch):
    files = [(ImportKind.PERSONS, PERSONS), (ImportKind.FOLLOWUPS, REFUSED)]
    (slow_reports, slow), (fast_reports, fast) = _both_ways(centre, monkeypatch, files)
    assert fast_reports == slow_reports
    assert slow_reports[1] == (
        6, 0, 0, [], [], ["Line 7: The follow-up is dated before its case file opened (01/04/2024)."]
    )  # fmt: skip
    assert fast == slow
    assert [row[0] for row in slow["follow_ups"]] == ["F1"]


def test_errors_by_line_are_reported_the_same_and_nothing_written(centre, monkeypatch):
    bad = FOLLOW_UPS + "F8,P9,2024-13-01,fax,999,NOT.A.CODE,,,,\n" + "F2,P1,2024-03-02,phone,,FOOD.PARCEL,,,,\n"
    files = [(ImportKind.PERSONS, PERSONS), (ImportKind.FOLLOWUPS, bad)]
    (slow_reports, slow), (fast_reports, fast) = _both_ways(centre, monkeypatch, files)
    assert fast_reports == slow_reports
    assert fast == slow
    total, created, updated, errors, warnings, refusal = slow_reports[1]
    assert (total, created, updated, warnings) == (7, 0, 0, [])
    assert [line for line, _message in errors] == [7, 8]
    assert refusal == ["Nothing was imported: 2 row(s) are bad. Correct them and import the file again."]
    assert [row[0] for row in slow["follow_ups"]] == ["F1"]
