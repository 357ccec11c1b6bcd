"""Case-work follow-ups and their requests partitioned by year of their date on PostgreSQL; plain on SQLite.

A test that detaches a year does it inside the test's transaction: the rollback at its end attaches it again.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.urls import reverse

from maillage.casework.models import FollowUp, ImportRun, Request
from maillage.core import partitions
from maillage.core.partitions import CASEWORK
from tests.casework.factories import FollowUpFactory, RequestFactory
from tests.conftest import client_for
from tests.partitioning import detach_year, flush_deferred_checks, partition_of, refused

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions are PostgreSQL's")

LAST_YEAR = partitions.this_year() - 1
REFUSED = refused(LAST_YEAR)


@postgres_only
@pytest.mark.django_db
def test_follow_ups_and_requests_are_partitioned_by_date_with_every_index_kept() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT partrelid::regclass::text, pg_get_partkeydef(partrelid) FROM pg_partitioned_table "
            "WHERE partrelid::regclass::text LIKE 'casework_%%' ORDER BY 1"
        )
        assert cursor.fetchall() == [("casework_followup", "RANGE (date)"), ("casework_request", "RANGE (date)")]
        cursor.execute(
            "SELECT indexname, indexdef LIKE 'CREATE UNIQUE%%' FROM pg_indexes WHERE tablename = 'casework_followup'"
        )
        indexes = dict(cursor.fetchall())
        cursor.execute("SELECT count(*) FROM pg_inherits WHERE inhparent = 'followup_org_date'::regclass")
        (copies,) = cursor.fetchone()
    assert indexes["casework_followup_pkey"] is True
    assert indexes["followup_org_date"] is False
    assert indexes["casework_followup_source_unique"] is False  # unique by trigger: a unique index needs the date
    assert copies == len(partitions.partitions(connection.cursor(), "casework_followup", timestamped=False))


@postgres_only
@pytest.mark.django_db
def test_a_follow_up_whose_date_is_corrected_moves_partition_with_its_requests(casework_schemes) -> None:
    request = RequestFactory(follow_up__date=datetime.date(LAST_YEAR, 6, 1))
    follow_up = request.follow_up
    assert partition_of("casework_request", request.pk) == f"casework_request_y{LAST_YEAR}"
    FollowUp.objects.filter(pk=follow_up.pk).update(date=datetime.date(LAST_YEAR - 1, 12, 31))
    flush_deferred_checks()
    assert Request.objects.get(pk=request.pk).date == datetime.date(LAST_YEAR - 1, 12, 31)
    assert partition_of("casework_followup", follow_up.pk) == f"casework_followup_y{LAST_YEAR - 1}"
    assert partition_of("casework_request", request.pk) == f"casework_request_y{LAST_YEAR - 1}"
    # Grouped by follow-up (every column, the key being (id, date) in the database).
    assert FollowUp.objects.annotate(n=Count("requests")).get(pk=follow_up.pk).n == 1


@postgres_only
@pytest.mark.django_db
def test_an_import_identifier_stays_unique_in_a_centre_across_years(casework_schemes) -> None:
    first = FollowUpFactory(source_id="F1", date=datetime.date(LAST_YEAR, 1, 5))
    with pytest.raises(IntegrityError, match="casework_followup_source_unique"), transaction.atomic():
        FollowUpFactory(case_file=first.case_file, source_id="F1", date=datetime.date(LAST_YEAR - 3, 1, 5))
    other_centre = FollowUpFactory(source_id="F1")
    FollowUp.objects.filter(pk=first.pk).update(date=datetime.date(LAST_YEAR - 2, 2, 2))  # moving is not a copy
    assert sorted(FollowUp.objects.values_list("pk", flat=True)) == sorted([first.pk, other_centre.pk])


@postgres_only
def test_a_follow_up_dated_in_a_year_without_partition_is_refused_next_to_its_date(case_file, worker) -> None:
    detach_year(CASEWORK, LAST_YEAR)
    response = client_for(worker).post(
        reverse("casework:followup_create", args=[case_file.pk]),
        {
            "date": f"{LAST_YEAR}-03-05",
            "mode": "walk_in",
            "worker": worker.pk,
            "requests-TOTAL_FORMS": "1",
            "requests-INITIAL_FORMS": "0",
            "requests-0-theme": "FOOD.PARCEL",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"date": [REFUSED]}
    assert FollowUp.objects.count() == Request.objects.count() == 0


@postgres_only
def test_an_import_row_dated_in_a_year_without_partition_is_a_line_and_nothing_is_saved(
    organisation, coordinator, casework_schemes
) -> None:
    client = client_for(coordinator)

    def upload(kind: str, content: str) -> None:
        client.post(reverse("casework:import"), {"kind": kind, "file": SimpleUploadedFile("f.csv", content.encode())})

    upload("persons", "source_id,opened_on\nA1,2020-01-10\n")
    detach_year(CASEWORK, LAST_YEAR)
    upload(
        "followups",
        "source_id,person_source_id,date,mode,theme\n"
        f"F1,A1,{LAST_YEAR + 1}-01-02,phone,FOOD\nF2,A1,{LAST_YEAR}-05-02,phone,FOOD\n",
    )
    assert ImportRun.objects.order_by("-pk").first().errors == [[3, f"date: {REFUSED}"]]
    assert FollowUp.objects.count() == 0


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only")
@pytest.mark.django_db
def test_sqlite_keeps_plain_tables_and_refuses_no_year(casework_schemes) -> None:
    follow_up = FollowUpFactory(date=datetime.date(1990, 1, 1))
    assert partitions.refusal(CASEWORK, follow_up.date) is None
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name LIKE 'casework_followup_y%'")
        assert cursor.fetchall() == []


@postgres_only
@pytest.mark.django_db
def test_the_backup_fingerprints_count_the_follow_ups_once(casework_schemes) -> None:
    from maillage.core.backup import postgres_fingerprints

    RequestFactory(follow_up__date=datetime.date(LAST_YEAR, 3, 1))
    RequestFactory(follow_up__date=datetime.date(LAST_YEAR - 20, 3, 1))
    with connection.cursor() as cursor:
        prints = postgres_fingerprints(cursor)
    assert (prints["casework_followup"].rows, prints["casework_request"].rows) == (2, 2)
    assert not [table for table in prints if table.startswith(("casework_followup_", "casework_request_"))]


@postgres_only
@pytest.mark.django_db
def test_the_command_creates_and_detaches_the_follow_ups_years_too(casework_schemes, capsys) -> None:
    from django.core.management import call_command

    old = FollowUpFactory(date=datetime.date(LAST_YEAR, 3, 1))
    flush_deferred_checks()
    call_command("partitions", ahead=2, retention_years=1)
    out = capsys.readouterr().out
    assert f"casework_followup_y{LAST_YEAR + 3}" in out
    assert f"casework_request_y{LAST_YEAR}" in out.split("Detached:")[1]
    assert not FollowUp.objects.filter(pk=old.pk).exists()  # detached with its year, not dropped:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "casework_followup_y{LAST_YEAR}" WHERE id = %s', [old.pk])
        assert cursor.fetchone()[0] == 1
