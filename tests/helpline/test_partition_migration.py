"""The migration that partitions the journal moves the rows of a database that has data, both ways."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from maillage.helpline import partitions
from maillage.helpline.models import Call, Callback, Request
from tests.helpline.factories import log
from tests.partitioning import migrate_in_this_transaction

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions are PostgreSQL's")

PLAIN = [("helpline", "0009_request_unmet_index")]
PARTITIONED = [("helpline", "0010_journal_partitioned_by_year")]


def _rows() -> tuple[list, list, list]:
    return (
        sorted(Call.objects.values_list("pk", "started_at")),
        sorted(Request.objects.values_list("pk", "call_id", "started_at")),
        sorted(Callback.objects.values_list("pk", "request_id")),
    )


def _partitioned() -> bool:
    with connection.cursor() as cursor:
        return partitions.is_partitioned(cursor, "helpline_call") and partitions.is_partitioned(
            cursor, "helpline_request"
        )


@pytest.mark.django_db  # the DDL is rolled back with the test's transaction
def test_the_rows_move_to_partitions_and_back(responder, themes) -> None:
    log(responder, {"category": "INCOME.DEBT", "action": "callback"})
    log(responder, at=timezone.now() - timedelta(days=800))
    start = _rows()
    migrate_in_this_transaction(PLAIN)
    try:
        assert not _partitioned()
        before = _rows()
        assert before == start
        # Rows written while the tables are plain (the copy of a call's start left stale on purpose).
        old = log(
            responder, {"category": "INCOME.DEBT", "action": "callback"}, at=timezone.now() - timedelta(days=2000)
        )
        Request.objects.filter(call=old).update(started_at=old.started_at + timedelta(seconds=1))
        migrate_in_this_transaction(PARTITIONED)
        assert _partitioned()
        moved = _rows()
        assert set(before[0]) < set(moved[0])
        assert len(moved[2]) == len(before[2]) + 1
        # The stale copy was repaired to the call's start, as the composite key needs.
        assert list(Request.objects.filter(call=old).values_list("started_at", flat=True)) == [old.started_at]
        # New ids continue after the moved ones.
        assert log(responder).pk > max(pk for pk, _ in moved[0])
    finally:
        migrate_in_this_transaction(PARTITIONED)
    assert _partitioned()
