"""The migration that partitions the follow-ups moves the rows of a database that has data, both ways."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, connection, transaction

from maillage.casework.models import FollowUp, Request
from maillage.core import partitions
from tests.casework.factories import FollowUpFactory, RequestFactory
from tests.partitioning import migrate_in_this_transaction

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions are PostgreSQL's")

PLAIN = [("casework", "0008_import_runs_always_end")]
PARTITIONED = [("casework", "0009_followups_partitioned_by_year")]


def _rows() -> tuple[list, list]:
    return (
        sorted(FollowUp.objects.values_list("pk", "date", "source_id")),
        sorted(Request.objects.values_list("pk", "follow_up_id", "date")),
    )


def _partitioned() -> bool:
    with connection.cursor() as cursor:
        return all(partitions.is_partitioned(cursor, table) for table in partitions.CASEWORK.tables)


@pytest.mark.django_db  # the DDL is rolled back with the test's transaction
def test_the_rows_move_to_partitions_and_back(casework_schemes) -> None:
    RequestFactory(follow_up__date=datetime.date(2019, 5, 1))
    start = _rows()
    migrate_in_this_transaction(PLAIN)
    try:
        assert not _partitioned()
        assert _rows() == start
        # Written while the tables are plain: a request whose copy of the date went stale, an old follow-up.
        stale = RequestFactory(follow_up__date=datetime.date(1998, 2, 3), follow_up__source_id="S1")
        Request.objects.filter(pk=stale.pk).update(date=datetime.date(1998, 2, 4))
        with pytest.raises(IntegrityError), transaction.atomic():  # a unique index again while plain
            FollowUpFactory(case_file=stale.follow_up.case_file, source_id="S1")
        before = _rows()
        migrate_in_this_transaction(PARTITIONED)
        assert _partitioned()
        moved = _rows()
        assert moved[0] == before[0]
        assert Request.objects.get(pk=stale.pk).date == datetime.date(1998, 2, 3)  # repaired to its follow-up's
        assert FollowUpFactory().pk > max(pk for pk, _date, _source in moved[0])  # ids continue
        with pytest.raises(IntegrityError), transaction.atomic():  # the identifier is still unique
            FollowUpFactory(case_file=stale.follow_up.case_file, source_id="S1")
    finally:
        migrate_in_this_transaction(PARTITIONED)
    assert _partitioned()
