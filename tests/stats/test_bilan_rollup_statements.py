"""The roll-up's triggers work a statement over many calls at once (the imports', a bulk correction's): after
one INSERT, one UPDATE and one DELETE of requests spread over two days and two years (two partitions of the
journal on PostgreSQL), the roll-up holds exactly the journal's counts; and on PostgreSQL the triggers read
the journal only through the touched calls' keys, in the touched partitions."""

# ruff: noqa: F811
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from maillage.stats import helpline_rollup
from maillage.taxonomy.models import Category
from tests.helpline.conftest import line, responder, themes  # noqa: F401
from tests.helpline.factories import log

pytestmark = pytest.mark.django_db

COLUMNS = (
    "position, note, action, started_at, call_id, category_id, organisation_id, service_id, theme_id, unmet_reason"
)


@pytest.fixture(autouse=True)
def _counted_from_the_start(db: None) -> None:
    helpline_rollup.rebuild()


def _at(*moment: int) -> datetime:
    return timezone.make_aware(datetime(*moment))


def _tables() -> tuple[set[tuple[str, ...]], set[tuple[str, ...]]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {helpline_rollup.REQUESTS_TABLE} WHERE requests <> 0 OR first_requests <> 0")
        requests = {tuple(str(value) for value in row) for row in cursor.fetchall()}
        cursor.execute(f"SELECT * FROM {helpline_rollup.CALLS_TABLE} WHERE calls <> 0")
        calls = {tuple(str(value) for value in row) for row in cursor.fetchall()}
    return requests, calls


def _kept_is_the_recount() -> tuple[set[tuple[str, ...]], set[tuple[str, ...]]]:
    kept = _tables()
    helpline_rollup.rebuild()
    assert _tables() == kept
    return kept


def _calls(line_id: int, day: str, *codes: str) -> tuple[str, ...]:
    ids = sorted(str(Category.objects.get(code=code).pk) for code in codes)
    return (str(line_id), day, ",".join(ids), "1")


def _requests(line_id: int, day: str, code: str, requests: int, first: int) -> tuple[str, ...]:
    return (str(line_id), day, str(Category.objects.get(code=code).pk), str(requests), str(first))


def _ids(*codes: str) -> list[int]:
    return [Category.objects.get(code=code).pk for code in codes]


def test_one_statement_over_calls_of_two_days_and_two_years(responder, themes, line):
    information = {"action": "information"}
    a = log(
        responder,
        {"category": "FOOD.PARCEL", **information},
        {"category": "HOUSING.RENT", **information},
        at=_at(2021, 3, 2, 10),
    )
    b = log(responder, {"category": "INCOME.DEBT", **information}, at=_at(2021, 3, 3, 23, 30))
    c = log(responder, {"category": "FOOD.PARCEL", **information}, at=_at(2020, 3, 2, 10))
    d = log(
        responder,
        {"category": "HEALTH.ACCESS", **information},
        {"category": "FOOD.MEALS", **information},
        at=_at(2020, 3, 3, 9),
    )
    _kept_is_the_recount()
    (other,) = _ids("OTHER.OTHER")
    (job,) = _ids("INCOME.JOB")
    with connection.cursor() as cursor:
        # One INSERT: a sixth request on a, c and d (each call's set changes, in both years).
        cursor.execute(
            f"INSERT INTO helpline_request ({COLUMNS}) SELECT position + 5, note, action, started_at, call_id, %s, "
            f"organisation_id, service_id, theme_id, unmet_reason FROM helpline_request "
            "WHERE call_id IN (%s, %s, %s) AND position = 0",
            [other, a.pk, c.pk, d.pk],
        )
        assert cursor.rowcount == 3
        _kept_is_the_recount()
        # One UPDATE: every FOOD.PARCEL request read as INCOME.JOB (a in 2021, c in 2020).
        cursor.execute(
            "UPDATE helpline_request SET category_id = %s WHERE category_id = %s AND call_id IN (%s, %s, %s, %s)",
            [job, *_ids("FOOD.PARCEL"), a.pk, b.pk, c.pk, d.pk],
        )
        assert cursor.rowcount == 2
        _kept_is_the_recount()
        # One DELETE: the added request of a and d, and b's only request (b then counts no more).
        cursor.execute(
            "DELETE FROM helpline_request WHERE (category_id = %s AND call_id IN (%s, %s)) OR call_id = %s",
            [other, a.pk, d.pk, b.pk],
        )
        assert cursor.rowcount == 3
    requests, calls = _kept_is_the_recount()
    assert requests == {
        _requests(line.pk, "2021-03-02", "INCOME.JOB", 1, 1),
        _requests(line.pk, "2021-03-02", "HOUSING.RENT", 1, 0),
        _requests(line.pk, "2020-03-02", "INCOME.JOB", 1, 1),
        _requests(line.pk, "2020-03-02", "OTHER.OTHER", 1, 0),
        _requests(line.pk, "2020-03-03", "HEALTH.ACCESS", 1, 1),
        _requests(line.pk, "2020-03-03", "FOOD.MEALS", 1, 0),
    }
    assert calls == {
        _calls(line.pk, "2021-03-02", "INCOME.JOB", "HOUSING.RENT"),
        _calls(line.pk, "2020-03-02", "INCOME.JOB", "OTHER.OTHER"),
        _calls(line.pk, "2020-03-03", "HEALTH.ACCESS", "FOOD.MEALS"),
    }


def _scans(plan: dict[str, Any]) -> list[dict[str, Any]]:
    found = [plan] if str(plan.get("Relation Name", "")).startswith(helpline_rollup.SOURCE) else []
    for child in plan.get("Plans", []):
        found += _scans(child)
    return found


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statement triggers and partitions")
def test_the_triggers_read_the_journal_by_the_touched_calls_keys(responder, themes, line):
    """The plans of the trigger's statements (auto_explain, with index paths preferred: a tiny test journal
    could otherwise be read whole legitimately): the journal is only looked up by a call's key, and only in
    the partition of the touched day; the other years' partitions are never read."""
    information = {"action": "information"}
    calls = [
        log(responder, {"category": "FOOD.PARCEL", **information}, at=_at(year, 3, 2, 10)) for year in (2020, 2021)
    ]
    plans: list[dict[str, Any]] = []

    def keep(notice: Any) -> None:
        text = notice.message_primary or ""
        if "now_rows" in text:
            plans.append(json.loads(text[text.index("{") :])["Plan"])

    with connection.cursor() as cursor:
        cursor.execute("LOAD 'auto_explain'")
        for setting in (
            "log_min_duration = 0",
            "log_nested_statements = on",
            "log_analyze = on",
            "log_format = json",
            "log_level = notice",
        ):
            cursor.execute(f"SET LOCAL auto_explain.{setting}")
        cursor.execute("SET LOCAL enable_seqscan = off")
        assert helpline_rollup.replace_functions(cursor)  # planned afresh under these settings
        connection.connection.add_notice_handler(keep)
        try:
            cursor.execute(
                f"INSERT INTO helpline_request ({COLUMNS}) SELECT position + 1, note, action, started_at, call_id, "
                "category_id, organisation_id, service_id, theme_id, unmet_reason FROM helpline_request "
                "WHERE call_id = %s",
                [calls[1].pk],
            )
            cursor.execute(
                "UPDATE helpline_request SET category_id = %s WHERE call_id = %s", [*_ids("FOOD.MEALS"), calls[1].pk]
            )
            cursor.execute("DELETE FROM helpline_request WHERE call_id = %s AND position = 1", [calls[1].pk])
        finally:
            connection.connection.remove_notice_handler(keep)
    assert len(plans) == 3  # the calls statement of each trigger
    for plan in plans:
        read = [scan for scan in _scans(plan) if scan["Actual Loops"] > 0]
        assert {scan["Relation Name"] for scan in read} == {"helpline_request_y2021"}
        for scan in read:
            assert scan["Node Type"] in {"Index Scan", "Index Only Scan", "Bitmap Heap Scan"}
            condition = scan.get("Index Cond") or scan.get("Recheck Cond") or ""
            assert "call_id = " in condition
    _kept_is_the_recount()
