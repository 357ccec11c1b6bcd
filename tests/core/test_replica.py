"""Report pages read from a real streaming replica (bin/replica, started by .ci/run).

Runs when MAILLAGE_REPLICA_URL points at a standby of the PostgreSQL primary the tests use;
otherwise the module is skipped with that reason. The tests commit their data (transactional)
and wait for the standby to replay it: a replica never sees an open transaction.
"""

# ruff: noqa: F811
from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import dj_database_url
import pytest
from django.db import DEFAULT_DB_ALIAS, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from maillage.core import replica
from tests.helpline.conftest import (  # noqa: F401
    line,
    responder,
    staff_client,
    themes,
)
from tests.helpline.factories import log

REPLICA_URL = os.environ.get("MAILLAGE_REPLICA_URL", "")
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not REPLICA_URL, reason="MAILLAGE_REPLICA_URL is not set (bin/replica starts one)"),
    pytest.mark.django_db(transaction=True, databases=["default", "replica"]),
]


@pytest.fixture
def real_replica() -> Iterator[Any]:
    """The "replica" alias, a test mirror of the primary, pointed at the standby's port instead."""
    if connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
        pytest.skip("a streaming replica needs PostgreSQL")
    parsed = dj_database_url.parse(REPLICA_URL)
    standby = connections[replica.REPLICA]
    saved = standby.settings_dict
    standby.close()
    standby.settings_dict = {
        **connections[DEFAULT_DB_ALIAS].settings_dict,
        "HOST": parsed["HOST"],
        "PORT": parsed["PORT"],
    }
    replica._lag_cache.update(at=0.0, status=None)
    yield standby
    standby.close()
    standby.settings_dict = saved
    replica._lag_cache.update(at=0.0, status=None)


def _wait_for_replay(standby: Any) -> None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        target = cursor.fetchone()[0]
    for _ in range(200):
        with standby.cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
            if cursor.fetchone()[0]:
                return
        time.sleep(0.05)
    raise AssertionError("the standby did not replay the primary's writes within 10 s")


def _tables_read(queries: list[dict[str, str]]) -> bool:
    return any("helpline_call" in query["sql"] or "helpline_request" in query["sql"] for query in queries)


def test_the_replica_is_a_read_only_standby(real_replica: Any) -> None:
    with real_replica.cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone()[0] is True
        cursor.execute("SHOW transaction_read_only")
        assert cursor.fetchone()[0] == "on"


def test_bilan_reads_the_calls_from_the_replica_and_gives_the_primary_figures(
    real_replica: Any, staff_client, responder, themes
) -> None:
    for _number in range(3):
        log(responder)
    _wait_for_replay(real_replica)

    with (
        CaptureQueriesContext(real_replica) as on_replica,
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary,
    ):
        from_replica = staff_client.get(reverse("stats:helpline_bilan"))
    assert from_replica.status_code == 200
    assert _tables_read(on_replica.captured_queries) is True
    assert _tables_read(on_primary.captured_queries) is False
    assert from_replica.context["report"].totals_now.calls == 3


def test_someone_who_just_wrote_reads_from_the_primary(real_replica: Any, staff_client, responder, themes) -> None:
    log(responder)
    _wait_for_replay(real_replica)
    staff_client.post(reverse("core:set_language"), {"language": "fr"})

    with CaptureQueriesContext(real_replica) as on_replica:
        response = staff_client.get(reverse("stats:helpline_bilan"))
    assert response.context["report"].totals_now.calls == 1
    assert _tables_read(on_replica.captured_queries) is False


def test_health_answer_shows_the_replica_lag(real_replica: Any, client) -> None:
    _wait_for_replay(real_replica)
    body = client.get(reverse("core:healthz")).json()

    assert body["replica"]["state"] == "ok"
    assert isinstance(body["replica"]["lag_seconds"], float)
    assert body["status"] == "ok"


def test_a_replica_that_is_down_is_skipped_and_reported(
    real_replica: Any, staff_client, client, responder, themes
) -> None:
    log(responder)
    real_replica.close()
    real_replica.settings_dict = {**real_replica.settings_dict, "PORT": "1"}
    replica._lag_cache.update(at=0.0, status=None)

    response = staff_client.get(reverse("stats:helpline_bilan"))
    body = client.get(reverse("core:healthz")).json()

    assert response.context["report"].totals_now.calls == 1
    assert (body["status"], body["replica"]) == ("degraded", {"state": "unreachable", "lag_seconds": None})
