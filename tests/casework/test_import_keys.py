"""The case-work imports' foreign keys checked set-based (maillage/core/bulk_keys.py) and their inserts made in
replica role, without PostgreSQL's per-row RI triggers: every other trigger on the tables they write still fires
(ENABLE ALWAYS), a row whose referenced row was deleted after the file was read refuses the file with its line,
and a role without the privilege imports the same rows the ordinary way."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import translation

from maillage.casework.imports import staged, staged_sql
from maillage.casework.models import CaseFile, FollowUp, ImportKind, Person, Request
from maillage.core import bulk_keys, partitions
from maillage.core.models import AuditEntry
from maillage.taxonomy.models import Category
from tests.casework.test_import_bulk_writes import (  # noqa: F401 - fixtures
    FOLLOW_UPS,
    PERSONS,
    _run,
    _UndoError,
    _written,
    centre,
    import_storage,
)
from tests.partitioning import catalog_triggers, role_without_superuser

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="replica role and RI triggers are PostgreSQL's"),
]

TABLES = [
    Person._meta.db_table,
    CaseFile._meta.db_table,
    CaseFile.workers.through._meta.db_table,
    FollowUp._meta.db_table,
    Request._meta.db_table,
    AuditEntry._meta.db_table,
]
PARAMETERS = {"organisation": 1, "actor": 1, "subsidy": None, "now": None, "prefix": "P-", "start": 1, "span": 1}


def test_every_trigger_on_the_written_tables_is_always_or_an_ri_trigger(db):
    triggers = catalog_triggers(TABLES)
    own = {(table, name, enabled) for table, name, enabled, internal, _function in triggers if not internal}
    # The columnar copy's change log (persons, follow-ups and requests; statement triggers, on the parent
    # tables only) and the follow-ups' identifier check, on the table and each yearly partition.
    columnar = {
        (table, f"{table}_columnar_{event}", "A")
        for table in (Person._meta.db_table, FollowUp._meta.db_table, Request._meta.db_table)
        for event in ("insert", "update", "delete", "truncate")
    }
    assert {entry for entry in own if "_columnar_" in entry[1]} == columnar
    own -= columnar
    assert {name for _table, name, _enabled in own} == {"casework_followup_source_unique"}
    assert {enabled for _table, _name, enabled in own} == {"A"}
    assert {table for table, _name, _enabled in own} == {FollowUp._meta.db_table, *_partitions(FollowUp._meta.db_table)}
    internal = {function for _table, _name, _enabled, is_internal, function in triggers if is_internal}
    assert all(function.startswith("RI_FKey_") for function in internal)  # PostgreSQL's key checks and actions
    assert {"RI_FKey_check_ins", "RI_FKey_noaction_del"} <= internal
    with connection.cursor() as cursor:
        assert bulk_keys.triggers_not_always(cursor, TABLES) == []
        assert bulk_keys.may_skip_row_checks(cursor, TABLES) is True  # the tests' role is a superuser


def _partitions(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = %s::regclass", [table])
        return [row[0] for row in cursor.fetchall()]


def test_the_years_added_by_maillage_partitions_keep_the_trigger_always(db):
    with connection.cursor() as cursor:
        created = partitions.create_ahead(
            cursor, partitions.CASEWORK, 3, now=datetime.datetime(2040, 6, 1, tzinfo=datetime.UTC)
        )
        assert "casework_followup_y2043" in created
        assert bulk_keys.triggers_not_always(cursor, TABLES) == []
        cursor.execute(
            "SELECT tgenabled FROM pg_trigger WHERE tgrelid = 'casework_followup_y2043'::regclass "
            "AND tgname = 'casework_followup_source_unique'"
        )
        assert cursor.fetchall() == [("A",)]


def test_the_keys_checked_are_the_tables_foreign_keys_from_the_catalog(db):
    writes = staged_sql.write_statements(dict(PARAMETERS)) + staged_sql.person_write_statements(dict(PARAMETERS))
    with connection.cursor() as cursor:
        checked = [
            (insert.table, sorted(key.columns for key in bulk_keys.keys_to_check(cursor, insert)))
            for write in writes
            for insert in write.inserts
        ]
    assert checked == [
        ("casework_casefile", [("organisation_id",), ("person_id",)]),
        (
            "casework_followup",
            [("case_file_id",), ("organisation_id",), ("person_id",), ("subsidy_id",), ("worker_id",)],
        ),
        ("casework_request", [("institution_id",), ("organisation_id",), ("stage_id",), ("theme_id",)]),
        ("core_auditentry", [("actor_id",), ("organisation_id",)]),
        ("casework_person", [("commune_id",), ("organisation_id",)]),
        ("casework_casefile", [("organisation_id",)]),  # its person inserted by the statement before
        ("casework_casefile_workers", [("user_id",)]),  # its case file inserted by the same statement
        ("core_auditentry", [("actor_id",), ("organisation_id",)]),
    ]
    # The UPDATE and DELETE statements keep PostgreSQL's own checks (a date moved is cascaded by its key).
    assert [len(write.inserts) for write in writes] == [1, 0, 0, 1, 0, 1, 1, 0, 1, 3]


@pytest.fixture
def gone(casework_schemes) -> Category:
    """A current theme nothing refers to, so that a test may delete it."""
    food = Category.objects.get(version__scheme__code="request-themes", version__status="published", code="FOOD.PARCEL")
    return Category.objects.create(
        version=food.version,
        code="FOOD.GONE",
        parent=food.parent,
        level=food.level,
        label_fr="Disparue",
        label_nl="Weg",
        label_en="Gone",
    )


def test_a_theme_deleted_after_the_file_was_read_refuses_its_lines_and_writes_nothing(centre, gone, monkeypatch):  # noqa: F811
    content = (
        FOLLOW_UPS
        + "F8,P1,2024-03-08,phone,,FOOD.GONE,,,,\n"  # line 7
        + "F9,P3,2024-03-09,phone,,HOUSING.SEARCH,,,FOOD.GONE,\n"  # line 8, its second theme
    )
    lock = staged.services.lock_persons_of

    def deleted_meanwhile(organisation: Any) -> None:  # between the reading of the file and its writing
        gone.delete()
        lock(organisation)

    _run(centre, ImportKind.PERSONS, PERSONS)
    follow_ups = FollowUp.objects.count()
    monkeypatch.setattr(staged.services, "lock_persons_of", deleted_meanwhile)
    with translation.override("en"):
        _total, created, updated, errors, _warnings, refusal = _run(centre, ImportKind.FOLLOWUPS, content)
    message = (
        "theme, theme_2: this value was deleted while the file was being imported; nothing was imported, import "
        "the file again."
    )
    assert errors == [[7, message], [8, message]]
    assert refusal == ["Nothing was imported: 2 row(s) are bad. Correct them and import the file again."]
    assert (created, updated) == (0, 0)
    assert FollowUp.objects.count() == follow_ups
    assert not FollowUp.objects.filter(source_id__in=["F2", "F8", "F9"]).exists()


def test_the_lines_gone_are_told_in_each_language(centre):  # noqa: F811
    from maillage.casework.models import ImportRun

    run = ImportRun(organisation=centre["organisation"], actor=centre["actor"], kind=ImportKind.PERSONS)
    persons = staged.PersonsStaging(run, {"postal_code": "CP"})
    missing = [
        bulk_keys.Missing(3, "casework_person", ("commune_id",)),
        bulk_keys.Missing(3, "casework_person", ("organisation_id",)),
        bulk_keys.Missing(5, "casework_followup", ("subsidy_id",)),
    ]
    value = "this value was deleted while the file was being imported; nothing was imported, import the file again."
    every_row = (
        "the centre, the worker or the worker's subsidy was deleted while the file was being imported; nothing was "
        "imported, import the file again."
    )
    with translation.override("en"):
        assert persons._gone(missing) == [[3, f"CP: {value}"], [5, every_row]]
    french = (
        "CP : cette valeur a été supprimée pendant l'import du fichier ; rien n'a été importé, importez à nouveau "
        "le fichier."
    )
    with translation.override("fr"):
        assert persons._gone(missing[:1]) == [[3, french]]
    dutch = (
        "het centrum, de medewerker of diens subsidie werd verwijderd terwijl het bestand werd geïmporteerd; er "
        "werd niets geïmporteerd, importeer het bestand opnieuw."
    )
    with translation.override("nl"):
        assert persons._gone(missing[2:]) == [[5, dutch]]


def _role(granted: bool) -> str:
    return role_without_superuser("maillage_test_casework_import", granted)


def _imported(centre: dict[str, Any], granted: bool | None, skipped: list[bool]) -> tuple[Any, ...]:  # noqa: F811
    """The persons then the follow-ups file imported (as a role without superuser, `granted` or not, unless None),
    the reports, what was written, whether each write skipped the per-row checks; rolled back."""
    since = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    skipped.clear()
    files = [(ImportKind.PERSONS, PERSONS), (ImportKind.FOLLOWUPS, FOLLOW_UPS)]
    try:
        with transaction.atomic():
            if granted is not None:
                _role(granted)
            reports = [_run(centre, kind, content) for kind, content in files]
            with connection.cursor() as cursor:
                cursor.execute("SHOW session_replication_role")
                assert cursor.fetchone()[0] == "origin"
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the commit's key checks: nothing left to check
                cursor.execute("RESET ROLE")
            written = _written(since)
            raise _UndoError
    except _UndoError:
        pass
    return reports, written, list(skipped)


def test_with_or_without_the_grant_the_imports_write_the_same_rows(centre, monkeypatch):  # noqa: F811
    skipped: list[bool] = []
    may_skip = bulk_keys.may_skip_row_checks

    def recorded(cursor: Any, tables: Any) -> bool:
        skipped.append(may_skip(cursor, tables))
        return skipped[-1]

    monkeypatch.setattr(bulk_keys, "may_skip_row_checks", recorded)
    reports, written, as_superuser = _imported(centre, None, skipped)
    # Persons: persons, then case files + workers + audit; follow-ups: case files, follow-ups, requests, audit.
    assert as_superuser == [True] * 6
    assert [report[1:4] for report in reports] == [(3, 1, []), (4, 1, [])]
    assert len(written["requests"]) == 7
    for granted in (True, False):
        assert _imported(centre, granted, skipped) == (reports, written, [granted] * 6)
