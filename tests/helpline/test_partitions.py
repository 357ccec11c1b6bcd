"""The helpline journal partitioned by year on PostgreSQL; plain tables on SQLite."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.utils import timezone

from maillage.core.backup import postgres_fingerprints
from maillage.core.partitions import this_year
from maillage.helpline import partitions, services
from maillage.helpline.models import Call, Callback, Request
from tests.helpline.factories import call_data, log
from tests.partitioning import flush_deferred_checks, partition_of

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions are PostgreSQL's")


def _attached(table: str) -> set[str]:
    with connection.cursor() as cursor:
        return {p.name for p in partitions.partitions(cursor, table)}


@postgres_only
@pytest.mark.django_db
def test_calls_and_requests_are_partitioned_by_start_with_every_index_kept() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT partrelid::regclass::text, pg_get_partkeydef(partrelid) FROM pg_partitioned_table "
            "WHERE partrelid::regclass::text LIKE 'helpline_%%' ORDER BY 1"
        )
        assert cursor.fetchall() == [
            ("helpline_call", "RANGE (started_at)"),
            ("helpline_request", "RANGE (started_at)"),
        ]
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'helpline_request'")
        parent_indexes = {row[0] for row in cursor.fetchall()}
        # Each partition holds its own copy of the partial index of unmet needs.
        cursor.execute(
            "SELECT count(*) FROM pg_inherits WHERE inhparent = 'helpline_req_unmet'::regclass",
        )
        (unmet_copies,) = cursor.fetchone()
    assert {"helpline_req_unmet", "helpline_req_report_pos", "helpline_request_pkey"} <= parent_indexes
    assert unmet_copies == len(_attached("helpline_request"))


@postgres_only
@pytest.mark.django_db
def test_rows_land_in_their_year_and_the_years_before_in_the_first_partition(responder, themes) -> None:
    year = this_year()
    recent = log(responder, {"category": "INCOME.DEBT", "action": "callback"})
    last_year = log(responder, at=partitions.year_start(year) - timedelta(days=300))
    old = log(responder, at=partitions.year_start(year - partitions.HISTORY_YEARS - 3))
    recent_year = timezone.localtime(recent.started_at).year
    assert partition_of("helpline_call", recent.pk) == f"helpline_call_y{recent_year}"
    assert {partition_of("helpline_request", r.pk) for r in recent.requests.all()} == {
        f"helpline_request_y{recent_year}"
    }
    assert partition_of("helpline_call", last_year.pk) == f"helpline_call_y{year - 1}"
    assert partition_of("helpline_call", old.pk) == f"helpline_call_before_{year - partitions.HISTORY_YEARS}"
    # The ORM still sees `id` as the key and the callback through its request.
    assert Callback.objects.get(request__call=recent).request.call_id == recent.pk


def _request_checked_now(like: Request, call_id: int, started_at: datetime) -> None:
    Request.objects.create(
        organisation=like.organisation,
        call_id=call_id,
        category=like.category,
        theme=like.theme,
        action=like.action,
        started_at=started_at,
    )
    flush_deferred_checks()


@postgres_only
@pytest.mark.django_db
def test_a_request_must_have_its_call_at_the_same_start(responder, themes) -> None:
    call = log(responder)
    request = call.requests.get()
    for call_id, started_at in ((call.pk, call.started_at - timedelta(hours=1)), (call.pk + 1000, call.started_at)):
        with pytest.raises(IntegrityError), transaction.atomic():
            _request_checked_now(request, call_id, started_at)
    assert list(Request.objects.filter(call=call)) == [request]


@pytest.mark.django_db
def test_aggregates_grouped_by_call_or_request_still_work(responder, themes) -> None:
    call = log(
        responder,
        {"category": "INCOME.DEBT", "action": "callback"},
        {"category": "FOOD.PARCEL", "action": "information", "note": ""},
    )
    counted = Call.objects.annotate(n=Count("requests")).get(pk=call.pk)
    with_callbacks = Request.objects.filter(call=call).annotate(n=Count("callback")).order_by("position")
    assert counted.n == 2
    assert [r.n for r in with_callbacks] == [1, 0]


@postgres_only
@pytest.mark.django_db
def test_correcting_a_call_start_moves_its_requests_and_callback_along(responder, themes, federation_staff) -> None:
    call = log(responder, {"category": "INCOME.DEBT", "action": "callback"})
    earlier = partitions.year_start(this_year()) - timedelta(days=3)
    services.update_call(
        responder, call, call_data({"category": "INCOME.DEBT", "action": "callback"}, started_at=earlier)
    )
    flush_deferred_checks()
    request = Request.objects.get(call=call)
    assert (Call.objects.get(pk=call.pk).started_at, request.started_at) == (earlier, earlier)
    assert partition_of("helpline_call", call.pk) != f"helpline_call_y{this_year()}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT request_started_at FROM helpline_callback WHERE request_id = %s", [request.pk])
        assert cursor.fetchone()[0] == earlier


@postgres_only
@pytest.mark.django_db
def test_the_command_creates_the_coming_years_once(capsys) -> None:
    year = this_year()
    call_command("partitions", ahead=3)
    first = capsys.readouterr().out
    call_command("partitions", ahead=3)
    again = capsys.readouterr().out
    for table in partitions.PARTITIONED:
        assert {f"{table}_y{y}" for y in range(year, year + 4)} <= _attached(table)
    assert f"helpline_request_y{year + 3}" in first
    assert again.startswith("Created: none. Detached: none.")


@postgres_only
@pytest.mark.django_db
def test_retention_detaches_old_years_and_keeps_their_rows(responder, themes) -> None:
    year = this_year()
    old = log(responder, at=partitions.year_start(year) - timedelta(days=30))
    kept = log(responder)
    flush_deferred_checks()
    before = {t: {p.name for p in _partitions_before(t, year)} for t in partitions.PARTITIONED}
    call_command("partitions", retention_years=1)
    call_command("partitions", retention_years=1)  # idempotent: nothing more to detach
    assert list(Call.objects.values_list("pk", flat=True)) == [kept.pk]
    for table, names in before.items():
        assert names
        assert not names & _attached(table)
    with connection.cursor() as cursor:  # detached, never dropped: the old rows are still there
        cursor.execute(f'SELECT count(*) FROM "helpline_call_y{year - 1}" WHERE id = %s', [old.pk])
        assert cursor.fetchone()[0] == 1


@postgres_only
@pytest.mark.django_db
def test_retention_refuses_while_a_callback_refers_to_an_old_request(responder, themes) -> None:
    year = this_year()
    log(
        responder, {"category": "INCOME.DEBT", "action": "callback"}, at=partitions.year_start(year) - timedelta(days=9)
    )
    flush_deferred_checks()
    attached = {t: _attached(t) for t in partitions.PARTITIONED}
    with pytest.raises(CommandError, match=rf"helpline_request_y{year - 1}: 1 callback\(s\) still refer"):
        call_command("partitions", retention_years=1)
    assert {t: _attached(t) for t in partitions.PARTITIONED} == attached


@postgres_only
@pytest.mark.django_db
def test_a_year_without_partition_is_refused_whole_and_named_by_the_check(responder, themes) -> None:
    far = partitions.year_start(this_year() + 5) + timedelta(days=40)
    call = log(responder)
    with pytest.raises(IntegrityError, match='no partition of relation "helpline_call"'), transaction.atomic():
        Call.objects.filter(pk=call.pk).update(started_at=far)
    assert Call.objects.get(pk=call.pk).started_at == call.started_at
    with pytest.raises(CommandError, match=rf"helpline_call: no partition for {this_year() + 5}; rows of that year"):
        call_command("partitions", ahead=5, check=True)


@postgres_only
@pytest.mark.django_db
def test_the_backup_fingerprints_count_a_partitioned_table_once(responder, themes) -> None:
    log(responder)
    log(responder, at=partitions.year_start(this_year()) - timedelta(days=500))
    with connection.cursor() as cursor:
        prints = postgres_fingerprints(cursor)
    assert prints["helpline_call"].rows == Call.objects.count() == 2
    assert not [table for table in prints if table.startswith(("helpline_call_", "helpline_request_"))]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only")
@pytest.mark.django_db
def test_sqlite_keeps_plain_tables(responder, themes, capsys) -> None:
    call = log(responder, at=timezone.now() - timedelta(days=3000))
    call_command("partitions", ahead=2, retention_years=1)
    assert "SQLite keeps plain tables" in capsys.readouterr().out
    assert Call.objects.filter(pk=call.pk).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name LIKE 'helpline_call_y%'")
        assert cursor.fetchall() == []


def _partitions_before(table: str, year: int) -> list[partitions.Partition]:
    with connection.cursor() as cursor:
        return [p for p in partitions.partitions(cursor, table) if p.ends <= partitions.year_start(year)]
