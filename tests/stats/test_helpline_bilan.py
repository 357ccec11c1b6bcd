# ruff: noqa: F811
from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from maillage.helpline.models import Call, Request
from maillage.stats import helpline_reports, helpline_tables
from maillage.stats.shares import Period, default_period
from tests.helpline.conftest import food_service, line, responder, themes  # noqa: F401
from tests.helpline.factories import log

pytestmark = pytest.mark.django_db

PERIOD = Period(date(2021, 1, 1), date(2021, 1, 31))
CODES = ["FOOD.PARCEL", "FOOD.MEALS", "HOUSING.RENT", "INCOME.DEBT", "INCOME.JOB", "HEALTH.ACCESS", "OTHER.OTHER"]


def _tenths(count: int, base: int) -> Decimal:
    """Round half up of 100*count/base to one decimal, with integers only."""
    if base == 0:
        return Decimal("0.0")
    return Decimal((2000 * count + base) // (2 * base)) / 10


def _seed_calls(responder) -> None:
    rng = random.Random(4)
    days = [PERIOD.first + timedelta(days=d) for d in range(PERIOD.days)] + [
        PERIOD.previous().first + timedelta(days=d) for d in range(PERIOD.days)
    ]
    # Edges: the very first and last minute of each period, and a day just outside.
    moments = [
        timezone.make_aware(datetime.combine(PERIOD.first, time(0, 0))),
        timezone.make_aware(datetime.combine(PERIOD.last, time(23, 59))),
        timezone.make_aware(datetime.combine(PERIOD.previous().first, time(0, 0))),
        timezone.make_aware(datetime.combine(PERIOD.last + timedelta(days=1), time(0, 0))),
    ]
    moments += [
        timezone.make_aware(datetime.combine(rng.choice(days), time(rng.randint(8, 19), rng.randint(0, 59))))
        for _ in range(50)
    ]
    for moment in moments:
        requests = [
            {"category": rng.choice(CODES), "action": "information"} for _ in range(rng.choice([1, 1, 1, 2, 3]))
        ]
        log(responder, *requests, at=moment)


def _expected(period: Period, base: str) -> tuple[dict[str, tuple[int, Decimal]], int]:
    start = timezone.make_aware(datetime.combine(period.first, time.min))
    end = timezone.make_aware(datetime.combine(period.last, time.min)) + timedelta(days=1)
    rows = [
        (r.call_id, r.theme.code)
        for r in Request.objects.select_related("theme", "call")
        if start <= r.call.started_at < end
    ]
    if base == "calls":
        counts = Counter(code for _call, code in set(rows))
        total = len({call for call, _code in rows})
    else:
        counts = Counter(code for _call, code in rows)
        total = len(rows)
    return {code: (n, _tenths(n, total)) for code, n in counts.items()}, total


@pytest.mark.parametrize("base", ["requests", "calls"])
def test_bilan_matches_an_independent_computation(responder, themes, line, base):
    _seed_calls(responder)
    report = helpline_reports.bilan([line.pk], PERIOD, base)
    now, base_now = _expected(PERIOD, base)
    before, base_before = _expected(PERIOD.previous(), base)
    assert (report.base_now, report.base_before) == (base_now, base_before)
    assert report.previous == Period(date(2020, 12, 1), date(2020, 12, 31))
    calls_now = sum(
        1 for c in Call.objects.all() if PERIOD.first <= timezone.localtime(c.started_at).date() <= PERIOD.last
    )
    previous = PERIOD.previous()
    calls_before = sum(
        1 for c in Call.objects.all() if previous.first <= timezone.localtime(c.started_at).date() <= previous.last
    )
    assert (report.totals_now.calls, report.totals_before.calls) == (calls_now, calls_before)
    got = {
        row.key: (row.count_now, row.share_now, row.count_before, row.share_before, row.difference)
        for row in report.themes
    }
    want = {
        code: (
            now.get(code, (0, Decimal("0.0")))[0],
            now.get(code, (0, Decimal("0.0")))[1],
            before.get(code, (0, Decimal("0.0")))[0],
            before.get(code, (0, Decimal("0.0")))[1],
            now.get(code, (0, Decimal("0.0")))[1] - before.get(code, (0, Decimal("0.0")))[1],
        )
        for code in set(now) | set(before)
    }
    assert got == want
    if base == "requests":
        assert sum(row.count_now for row in report.themes) == report.totals_now.requests


def test_a_call_logged_now_is_counted_at_once(responder, themes, line):
    period = default_period(timezone.localdate())
    assert helpline_reports.bilan([line.pk], period).totals_now.calls == 0
    log(responder)
    report = helpline_reports.bilan([line.pk], period)
    assert (report.totals_now.calls, report.themes[0].key, report.themes[0].share_now) == (1, "FOOD", Decimal("100.0"))


def test_bilan_refuses_an_unknown_base(line):
    with pytest.raises(ValueError, match="Unknown base"):
        helpline_reports.bilan([line.pk], PERIOD, "people")


def test_weekly_synthesis(responder, themes, line, food_service):
    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    at = timezone.make_aware(datetime.combine(monday, time(10, 30)))
    log(
        responder,
        {"category": "FOOD.PARCEL", "action": "referral", "service": food_service.pk},
        {"category": "FOOD.MEALS", "action": "information"},
        at=at,
        postal_code="1070",
    )
    log(
        responder,
        {"category": "HOUSING.RENT", "action": "information"},
        at=at + timedelta(hours=1),
        postal_code="",
        language="nl",
        caller_sex="man",
    )
    report = helpline_reports.synthesis([line.pk], Period(monday, monday + timedelta(days=6)))
    assert (report.totals.calls, report.totals.requests, report.totals.requests_per_call) == (2, 3, Decimal("1.50"))
    assert [(r.key, r.count, r.share) for r in report.themes.rows] == [
        ("FOOD", 2, Decimal("66.7")),
        ("HOUSING", 1, Decimal("33.3")),
    ]
    assert [(r.key, r.share) for r in report.subthemes["FOOD"].rows] == [
        ("FOOD.PARCEL", Decimal("50.0")),
        ("FOOD.MEALS", Decimal("50.0")),
    ]
    sections = {s.key: [(r.key, r.count) for r in s.rows] for s in report.sections}
    assert sections["communes"] == [("21001", 1), ("unknown", 1)]
    assert sections["languages"] == [("fr", 1), ("nl", 1)]
    assert sections["services"] == [(food_service.pk, 1)]
    assert sections["actions"] == [("information", 2), ("referral", 1)]
    assert [(r.key, r.count) for r in report.hours.rows if r.count] == [(10, 1), (11, 1)]
    assert [(r.key, r.count) for r in report.weekdays.rows if r.count] == [(0, 2)]
    assert [t.title for t in helpline_tables.synthesis_tables(report)][:3] == [
        "Totaux",
        "Demandes par thème",
        "Demandes par catégorie (niveau 2)",
    ]
