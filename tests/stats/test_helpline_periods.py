# ruff: noqa: F811
"""The bilan on the sector's four-month periods, compared with the period before and the same period a
year before; figures counted again here from the raw rows."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from maillage.core.parsing import BadParameter
from maillage.helpline.models import Call, Request
from maillage.stats import helpline_reports, helpline_tables
from maillage.stats.helpline_reading import (
    four_months,
    line_first_day,
    parse_fixed_period,
    parse_version,
    period_choices,
)
from maillage.stats.shares import Period
from tests.helpline.conftest import line, responder, themes  # noqa: F401
from tests.helpline.factories import log

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):  # type: ignore[no-untyped-def]
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


CODES = ["FOOD.PARCEL", "FOOD.MEALS", "HOUSING.RENT", "INCOME.DEBT", "HEALTH.ACCESS"]


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _seed(responder) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(5)
    # Edges of the periods: first and last minute of each four-month period around May–August 2025.
    for day in [
        date(2024, 5, 1),
        date(2024, 8, 31),
        date(2025, 1, 1),
        date(2025, 4, 30),
        date(2025, 5, 1),
        date(2025, 8, 31),
    ]:
        log(responder, {"category": rng.choice(CODES), "action": "information"}, at=_at(day, 0))
        log(
            responder, {"category": rng.choice(CODES), "action": "information"}, at=_at(day, 23) + timedelta(minutes=59)
        )
    for _ in range(40):
        day = date(2024, 3, 1) + timedelta(days=rng.randint(0, 600))
        requests = [{"category": rng.choice(CODES), "action": "information"} for _ in range(rng.choice([1, 1, 2]))]
        log(responder, *requests, at=_at(day, rng.randint(8, 19)))


def _counts(period: Period) -> tuple[Counter[str], int, int]:
    start, end = _at(period.first, 0), _at(period.last, 0) + timedelta(days=1)
    rows = [
        (r.call_id, r.theme.code)
        for r in Request.objects.select_related("theme", "call")
        if start <= r.call.started_at < end
    ]
    return Counter(code for _call, code in rows), len(rows), len({call for call, _code in rows})


def _share(count: int, base: int) -> Decimal:
    return Decimal((2000 * count + base) // (2 * base)) / 10 if base else Decimal("0.0")


def test_four_month_periods_and_their_comparisons():
    assert four_months(2025, 1) == Period(date(2025, 1, 1), date(2025, 4, 30))
    assert four_months(2025, 2) == Period(date(2025, 5, 1), date(2025, 8, 31))
    assert four_months(2025, 3) == Period(date(2025, 9, 1), date(2025, 12, 31))
    assert four_months(2025, 1).previous() == four_months(2024, 3)
    assert four_months(2025, 2).previous() == four_months(2025, 1)
    assert four_months(2024, 1).year_before() == four_months(2023, 1)
    assert Period(date(2024, 2, 1), date(2024, 2, 29)).year_before() == Period(date(2023, 2, 1), date(2023, 2, 28))


def test_bilan_of_a_four_month_period_against_the_one_before_and_a_year_before(responder, themes, line):
    _seed(responder)
    period = parse_fixed_period("2025-2", line.pk, date(2026, 1, 10))
    assert period == Period(date(2025, 5, 1), date(2025, 8, 31))
    report = helpline_reports.bilan([line.pk], period)
    assert report.previous == Period(date(2025, 1, 1), date(2025, 4, 30))
    assert report.year_before == Period(date(2024, 5, 1), date(2024, 8, 31))
    now, requests_now, calls_now = _counts(period)
    before, requests_before, calls_before = _counts(report.previous)
    year, requests_year, calls_year = _counts(report.year_before)
    assert (report.totals_now.calls, report.totals_now.requests) == (calls_now, requests_now)
    assert (report.totals_before.calls, report.totals_before.requests) == (calls_before, requests_before)
    assert report.totals_year_before is not None
    assert (report.totals_year_before.calls, report.totals_year_before.requests) == (calls_year, requests_year)
    got = {
        row.key: (row.count_now, row.share_now, row.count_before, row.count_year_before, row.share_year_before)
        for row in report.themes
    }
    assert got == {
        code: (now[code], _share(now[code], requests_now), before[code], year[code], _share(year[code], requests_year))
        for code in set(now) | set(before) | set(year)
    }
    tables = helpline_tables.bilan_tables(report)
    assert [row[0] for row in tables[0].rows] == [
        "2025-05-01 – 2025-08-31",
        "2025-01-01 – 2025-04-30",
        "2024-05-01 – 2024-08-31",
    ]
    header = dict(helpline_tables.bilan_header(report))
    assert header["Compared with the same period a year before"] == "2024-05-01 – 2024-08-31"
    assert header["Categories read in"].startswith("Request themes: version 1 (in force")


def test_bilan_from_the_line_first_day_has_nothing_to_compare_with(responder, themes, line):
    _seed(responder)
    today = date(2026, 1, 10)
    first = line_first_day(line.pk)
    assert first == min(timezone.localdate(call.started_at) for call in Call.objects.all())
    period = parse_fixed_period("start", line.pk, today)
    assert period == Period(first, today)
    report = helpline_reports.bilan([line.pk], period, compared=False)
    everything, requests, calls = _counts(period)
    assert (report.previous, report.year_before) == (None, None)
    assert (report.totals_now.calls, report.totals_now.requests) == (calls, requests)
    assert {row.key: row.count_now for row in report.themes} == dict(everything)
    assert period_choices(line.pk, today, first)[:2] == [
        ("2026-1", "January–April 2026"),
        ("2025-3", "September–December 2025"),
    ]
    assert period_choices(line.pk, today, first)[-1] == ("start", "From the line's first day")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("2025-4", "Choose a four-month period (for example 2025-1 for January–April 2025) or the line's start."),
        ("99999-1", "Choose a four-month period (for example 2025-1 for January–April 2025) or the line's start."),
        ("1800-1", "Enter a number between 1900 and 2100."),
    ],
)
def test_a_bad_four_month_period_is_refused(line, raw, message):
    with pytest.raises(BadParameter) as refused:
        parse_fixed_period(raw, line.pk, date(2026, 1, 10))
    assert refused.value.message == message


def test_an_unknown_version_is_a_translated_bad_parameter(themes):
    with pytest.raises(BadParameter) as refused:
        parse_version("7")
    assert (refused.value.name, refused.value.message) == ("version", "There is no version 7 of Request themes.")
    with pytest.raises(BadParameter):
        parse_version("99999999999999999999999")


def test_bilan_page_of_a_four_month_period_and_a_bad_one(responder, themes, line, federation_staff):
    from django.urls import reverse

    from tests.conftest import client_for

    _seed(responder)
    staff = client_for(federation_staff)
    page = staff.get(reverse("stats:helpline_bilan"), {"line": line.pk, "period": "2025-2", "base": "calls"})
    report = page.context["report"]
    assert (report.period, report.previous, report.year_before) == (
        Period(date(2025, 5, 1), date(2025, 8, 31)),
        Period(date(2025, 1, 1), date(2025, 4, 30)),
        Period(date(2024, 5, 1), date(2024, 8, 31)),
    )
    assert (page.context["fixed"], report.base_now) == ("2025-2", _counts(report.period)[2])
    assert page.context["query"] == f"line={line.pk}&base=calls&version=&period=2025-2"
    since = staff.get(reverse("stats:helpline_bilan"), {"line": line.pk, "period": "start"})
    first_call = min(timezone.localdate(call.started_at) for call in Call.objects.all())
    assert (since.context["report"].previous, since.context["report"].period.first) == (None, first_call)
    bad = staff.get(reverse("stats:helpline_bilan"), {"line": line.pk, "period": "2025-7"})
    assert bad.status_code == 200
    assert list(bad.context["errors"]) == ["period"]
