"""The journal import's foreign keys checked set-based (maillage/core/bulk_keys.py) and its inserts made in
replica role, without PostgreSQL's per-row RI triggers: what the keys guaranteed still holds (a row refers to
an existing row, a concurrent delete waits), every other trigger still fires (ENABLE ALWAYS), and a role
without the privilege imports the same rows the ordinary way."""

from __future__ import annotations

import io

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction

from maillage.core import bulk_keys
from maillage.core.models import Organisation, User
from maillage.core.uploads import store_upload
from maillage.helpline import importer, importer_staging
from maillage.helpline.importer_checking import gone_message
from maillage.helpline.importer_staging import ReferencesGoneError, Staging
from maillage.helpline.models import Call, Callback, JournalImport, Request
from maillage.stats import helpline_rollup
from maillage.taxonomy.models import Category
from tests.partitioning import catalog_triggers, role_without_superuser
from tests.stats.test_bilan_rollup import JOURNAL as ROLLUP_JOURNAL
from tests.stats.test_bilan_rollup import _assert_same

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="replica role and RI triggers are PostgreSQL's"),
]

TABLES = [Call._meta.db_table, Request._meta.db_table, Callback._meta.db_table]
HEADER = "call_id,started_at,duration_minutes,language,caller_sex,postal_code,caller_type,heard_via,urgency,category,action,note,comment\n"
# Line 2: call K1 (FOOD.GONE, a callback); line 3: K1 again; line 4: call K2 (FOOD.GONE).
GONE = (
    HEADER
    + "K1,2021-03-02 09:15,8,fr,woman,1070,concerned,media,low,FOOD.GONE,callback,,\n"
    + "K1,2021-03-02 09:15,8,fr,woman,1070,concerned,media,low,FOOD.PARCEL,information,,\n"
    + "K2,2021-03-02 10:00,3,nl,man,,relative,,,FOOD.GONE,information,,\n"
)


@pytest.fixture(autouse=True)
def journal_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }


@pytest.fixture
def gone(themes: dict[str, Category]) -> Category:
    """A current category nothing refers to, so that a test may delete it."""
    food = themes["FOOD"]
    return Category.objects.create(
        version=food.version,
        code="FOOD.GONE",
        parent=food,
        level=2,
        label_fr="Disparue",
        label_nl="Weg",
        label_en="Gone",
    )


def _load(staging: Staging, content: str) -> None:
    staging.load(importer.open_journal("journal.csv", io.BytesIO(content.encode())))


def _queued(user: User, organisation: Organisation, content: str) -> JournalImport:
    stored = store_upload(SimpleUploadedFile("journal.csv", content.encode()), importer.STORAGE_FOLDER)
    return JournalImport.objects.create(
        organisation=organisation, uploaded_by=user, filename="journal.csv", file=stored, skip_bad_rows=False
    )


def test_every_trigger_on_the_written_tables_is_always_or_an_ri_trigger(db):
    triggers = catalog_triggers(TABLES)
    own = sorted({(table, name, enabled) for table, name, enabled, internal, _function in triggers if not internal})
    assert own == [
        ("helpline_callback", "helpline_callback_request_start", "A"),
        ("helpline_request", "stats_bilan_delete", "A"),
        ("helpline_request", "stats_bilan_insert", "A"),
        ("helpline_request", "stats_bilan_truncate", "A"),
        ("helpline_request", "stats_bilan_update", "A"),
    ]
    internal = {function for _table, _name, _enabled, is_internal, function in triggers if is_internal}
    assert internal == {
        "RI_FKey_check_ins",
        "RI_FKey_check_upd",
        "RI_FKey_cascade_upd",
        "RI_FKey_noaction_del",
    }
    with connection.cursor() as cursor:
        assert bulk_keys.triggers_not_always(cursor, TABLES) == []
        assert bulk_keys.may_skip_row_checks(cursor, TABLES) is True  # the tests' role is a superuser


def test_the_roll_up_rebuilt_puts_its_triggers_back_always(db):
    helpline_rollup.rebuild()
    with connection.cursor() as cursor:
        assert bulk_keys.triggers_not_always(cursor, TABLES) == []


def test_a_trigger_not_always_is_found_on_the_partitions_and_turns_the_replica_role_off(db):
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE keys_parent (id int, d date) PARTITION BY RANGE (d)")
        cursor.execute(
            "CREATE TEMPORARY TABLE keys_2020 PARTITION OF keys_parent FOR VALUES FROM ('2020-01-01') TO ('2021-01-01')"
        )
        cursor.execute(
            "CREATE FUNCTION pg_temp.keys_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER keys_touch BEFORE INSERT ON keys_parent FOR EACH ROW EXECUTE FUNCTION pg_temp.keys_touch()"
        )
        assert bulk_keys.triggers_not_always(cursor, ["keys_parent"]) == [
            ("keys_2020", "keys_touch", "O"),
            ("keys_parent", "keys_touch", "O"),
        ]
        assert bulk_keys.may_skip_row_checks(cursor, ["keys_parent"]) is False
        cursor.execute("ALTER TABLE keys_parent ENABLE ALWAYS TRIGGER keys_touch")
        # A year added later (as `maillage partitions` does) is cloned ALWAYS.
        cursor.execute(
            "CREATE TEMPORARY TABLE keys_2021 PARTITION OF keys_parent FOR VALUES FROM ('2021-01-01') TO ('2022-01-01')"
        )
        assert bulk_keys.triggers_not_always(cursor, ["keys_parent"]) == []
        assert bulk_keys.may_skip_row_checks(cursor, ["keys_parent"]) is True
        cursor.execute("DROP TABLE keys_parent")


def test_the_keys_checked_are_the_tables_foreign_keys_from_the_catalog(db):
    with connection.cursor() as cursor:
        checked = {
            insert.table: sorted(key.columns for key in bulk_keys.keys_to_check(cursor, insert))
            for insert in importer_staging.INSERTS
        }
        assert checked == {
            "helpline_call": [("commune_id",), ("organisation_id",)],
            "helpline_request": [("category_id",), ("organisation_id",), ("theme_id",)],
            "helpline_callback": [("organisation_id",)],
        }
        # A key the statement sets without a value to check it by is refused before anything is written.
        careless = bulk_keys.Insert("helpline_call", "SELECT 1 AS line", columns=["organisation_id", "responder_id"])
        with pytest.raises(ValueError, match="no value given for \\['organisation_id'\\]"):
            bulk_keys.keys_to_check(cursor, careless)


def test_a_category_deleted_after_the_file_was_read_refuses_its_lines_and_writes_nothing(line, themes, gone):
    with Staging(line) as staging:
        _load(staging, GONE)
        assert staging.problems() == []
        gone.delete()
        with pytest.raises(ReferencesGoneError) as refused, transaction.atomic():
            staging.write()
    message = gone_message()
    assert refused.value.errors == [
        {"line": 2, "column": "category", "message": message},
        {"line": 4, "column": "category", "message": message},
    ]
    assert Call.objects.filter(organisation=line).count() == 0
    assert Request.objects.filter(organisation=line).count() == 0


def test_the_import_run_reports_a_category_deleted_meanwhile_by_line_and_column(
    federation_staff, line, themes, gone, monkeypatch
):
    federation_staff.language = "en"
    federation_staff.save(update_fields=["language"])
    job = _queued(federation_staff, line, GONE.replace("call_id,", "Call_ID,", 1).replace(",category,", ",Category,"))
    take_lock = importer.lock_imports_of

    def deleted_meanwhile(organisation: Organisation) -> None:  # between the reading and the writes
        gone.delete()
        take_lock(organisation)

    monkeypatch.setattr(importer, "lock_imports_of", deleted_meanwhile)
    job = importer.run(job.pk)
    message = "This value was deleted while the file was being imported: nothing was imported, import the file again."
    assert (job.status, job.failure_reason) == (JournalImport.Status.FAILED, "Some rows are wrong (listed below).")
    assert job.errors == [
        {"line": 2, "column": "Category", "message": message},
        {"line": 4, "column": "Category", "message": message},
    ]
    assert (job.calls_created, Call.objects.filter(organisation=line).count()) == (0, 0)


@pytest.mark.django_db(transaction=True)
def test_a_delete_of_a_referenced_row_waits_for_the_import_and_then_fails(line, themes, gone):
    settings = connection.settings_dict
    other = psycopg.connect(
        dbname=settings["NAME"], host=settings["HOST"], port=settings["PORT"], user=settings["USER"], autocommit=True
    )
    try:
        other.execute("SET lock_timeout = '300ms'")
        with transaction.atomic(), Staging(line) as staging:
            _load(staging, GONE)
            with connection.cursor() as cursor:
                locked = bulk_keys.check_and_lock(
                    cursor, importer_staging.INSERTS, {"organisation": line.pk, "callback": "callback"}
                )
            # The organisation (once for the three tables), FOOD.GONE and FOOD.PARCEL, their theme FOOD, 1070's
            # commune.
            assert locked == 5
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute("DELETE FROM taxonomy_category WHERE id = %s", [gone.pk])
            assert staging.write() == (2, 3)
        # After the commit the rows refer to it: the delete that waited fails on the key, nothing dangles.
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            other.execute("DELETE FROM taxonomy_category WHERE id = %s", [gone.pk])
    finally:
        other.close()
    assert Request.objects.filter(organisation=line, category=gone).count() == 2


def _without_privilege_role(granted: bool) -> str:
    return role_without_superuser("maillage_test_import", granted)


@pytest.mark.parametrize("granted", [True, False])
def test_with_or_without_the_grant_the_import_writes_the_same_rows_and_the_roll_up_counts_them(
    line, themes, responder, granted
):
    helpline_rollup.rebuild()
    with transaction.atomic():
        _without_privilege_role(granted)
        with connection.cursor() as cursor:
            assert bulk_keys.may_skip_row_checks(cursor, TABLES) is granted
        with Staging(line) as staging:
            _load(staging, ROLLUP_JOURNAL)
            assert staging.problems() == []
            assert staging.write() == (3, 4)
        with connection.cursor() as cursor:
            cursor.execute("SHOW session_replication_role")
            assert cursor.fetchone()[0] == "origin"
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the commit's key checks: nothing left to check
            cursor.execute("RESET ROLE")
    written = Request.objects.filter(organisation=line).order_by("call__external_ref", "position")
    assert [(r.call.external_ref, r.position, r.category.code) for r in written] == [
        ("J1", 0, "FOOD.PARCEL"),
        ("J1", 1, "FOOD.MEALS"),
        ("J2", 0, "INCOME.DEBT"),
        ("J3", 0, "HOUSING.RENT"),
    ]
    _assert_same(line.pk)


def test_an_import_in_replica_role_gives_a_callback_its_request_start(line, themes, responder):
    job_rows = HEADER + "R1,2021-03-02 09:15,8,fr,woman,1070,concerned,media,low,FOOD.PARCEL,callback,,\n"
    with transaction.atomic(), Staging(line) as staging:
        _load(staging, job_rows)
        assert staging.write() == (1, 1)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT b.request_started_at = r.started_at FROM helpline_callback b "
            "JOIN helpline_request r ON r.id = b.request_id WHERE b.organisation_id = %s",
            [line.pk],
        )
        assert cursor.fetchall() == [(True,)]
