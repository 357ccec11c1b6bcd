"""The bilan read from the daily roll-up equals the bilan read from the journal, exactly, after every kind of
write (log, a request's category corrected, a call moved to another day, a call deleted, an import)."""

# ruff: noqa: F811
from __future__ import annotations

import io
import random
from datetime import date, datetime, time, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from maillage.helpline import importer, services
from maillage.helpline.models import Call
from maillage.stats import helpline_reports, helpline_rollup
from maillage.stats.shares import Period
from tests.helpline.conftest import line, responder, themes  # noqa: F401
from tests.helpline.factories import call_data, log

pytestmark = pytest.mark.django_db

PERIOD = Period(date(2021, 3, 1), date(2021, 3, 31))
CODES = ["FOOD.PARCEL", "FOOD.MEALS", "HOUSING.RENT", "INCOME.DEBT", "INCOME.JOB", "HEALTH.ACCESS", "OTHER.OTHER"]
JOURNAL = (
    "call_id,started_at,duration_minutes,language,caller_sex,postal_code,caller_type,heard_via,urgency,category,"
    "action,note,comment\n"
    "J1,2021-03-28 02:30,8,fr,woman,1070,concerned,media,low,FOOD.PARCEL,information,,\n"
    "J1,2021-03-28 02:30,8,fr,woman,1070,concerned,media,low,FOOD.MEALS,information,,\n"
    "J2,2021-03-31 23:59,3,nl,man,,relative,,,INCOME.DEBT,information,,\n"
    "J3,2021-02-14 12:00,3,nl,man,,relative,,,HOUSING.RENT,information,,\n"
)


@pytest.fixture(autouse=True)
def _counted_from_the_start(db: None) -> None:
    """A transactional test run before in this worker may have emptied the journal (TRUNCATE on PostgreSQL),
    which leaves the roll-up marked incomplete: these tests start from a full recount."""
    helpline_rollup.rebuild()


def _moments(rng: random.Random) -> list[datetime]:
    """Random minutes of the period, the one before and a year before, with the edges of the period."""
    spans = [PERIOD, PERIOD.previous(), PERIOD.year_before()]
    local = [datetime.combine(PERIOD.first, time(0, 0)), datetime.combine(PERIOD.last, time(23, 59))]
    local.append(datetime.combine(PERIOD.last + timedelta(days=1), time(0, 0)))
    for _ in range(24):
        span = rng.choice(spans)
        day = span.first + timedelta(days=rng.randrange(span.days))
        local.append(datetime.combine(day, time(rng.randrange(24), rng.randrange(60))))
    return [timezone.make_aware(moment) for moment in local]


def _requests(rng: random.Random) -> list[dict[str, str]]:
    return [{"category": rng.choice(CODES), "action": "information"} for _ in range(rng.choice([1, 1, 2, 2, 3]))]


def _assert_same(line_id: int) -> None:
    assert helpline_rollup.is_complete()
    for base in helpline_reports.BASES:
        rolled = helpline_reports.bilan([line_id], PERIOD, base, rolled_up=True)
        raw = helpline_reports.bilan([line_id], PERIOD, base, rolled_up=False)
        assert (rolled.totals_now, rolled.totals_before, rolled.totals_year_before) == (
            raw.totals_now,
            raw.totals_before,
            raw.totals_year_before,
        )
        assert (rolled.themes, rolled.categories) == (raw.themes, raw.categories)
    # What the triggers kept is what a recount gives.
    kept = _tables()
    helpline_rollup.rebuild()
    assert kept == _tables()


def _tables() -> tuple[set[tuple], set[tuple]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {helpline_rollup.REQUESTS_TABLE} WHERE requests <> 0 OR first_requests <> 0")
        requests = {tuple(str(value) for value in row) for row in cursor.fetchall()}
        cursor.execute(f"SELECT * FROM {helpline_rollup.CALLS_TABLE} WHERE calls <> 0")
        calls = {tuple(str(value) for value in row) for row in cursor.fetchall()}
    return requests, calls


def test_the_rolled_up_bilan_equals_the_journal_after_every_write(
    responder, themes, line, federation_staff, settings, tmp_path
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    rng = random.Random(19)
    calls = [log(responder, *_requests(rng), at=moment) for moment in _moments(rng)]
    counted = helpline_reports.bilan([line.pk], PERIOD, "calls", rolled_up=True)
    # Seeded: ten calls in the period (its first and last minute among them), nine before, seven a year before.
    assert (counted.totals_now.calls, counted.base_before, counted.base_year_before) == (10, 9, 7)
    _assert_same(line.pk)

    # A request's category corrected, one request added to a call, the requests of another cut to one.
    for call in rng.sample(calls, 6):
        requests = [{"category": rng.choice(CODES), "action": "information"} for _ in call.requests.all()]
        if rng.random() < 0.5:
            requests.append({"category": rng.choice(CODES), "action": "information"})
        else:
            requests = requests[:1]
        data = call_data(*requests, started_at=call.started_at)
        services.update_call(federation_staff, call, data)
    _assert_same(line.pk)

    # Calls moved to another day (their requests follow): out of the period, into it, to the year before
    # (another partition on PostgreSQL), the requests unchanged or rewritten.
    moves = [
        (calls[3], calls[3].started_at + timedelta(days=40)),
        (calls[-1], timezone.make_aware(datetime(2021, 3, 15, 9))),
        (calls[0], timezone.make_aware(datetime(2020, 3, 10, 9))),
    ]
    for number, (call, moment) in enumerate(moves):
        kept = [{"category": r.category.code, "action": r.action} for r in call.requests.order_by("position")]
        requests = kept if number % 2 else _requests(rng)
        services.update_call(federation_staff, call, call_data(*requests, started_at=moment))
    _assert_same(line.pk)

    # Calls deleted (their requests go with them).
    for call in rng.sample(calls[4:-1], 3):
        Call.objects.get(pk=call.pk).delete()
    _assert_same(line.pk)

    # An import (its second call at the last minute of the period, its first in the night the clocks moved).
    job = importer.start_import(federation_staff, line, SimpleUploadedFile("j.csv", JOURNAL.encode()), False)
    assert job.calls_created == 3
    _assert_same(line.pk)


def test_a_roll_up_without_its_triggers_is_not_read(responder, themes, line):
    log(
        responder,
        {"category": "FOOD.PARCEL", "action": "information"},
        at=timezone.make_aware(datetime(2021, 3, 2, 10)),
    )
    assert helpline_rollup.is_complete()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER {helpline_rollup.TRIGGERS[0]} ON {helpline_rollup.SOURCE}")
        else:
            cursor.execute(f"DROP TRIGGER {helpline_rollup.TRIGGERS[0]}")
    assert not helpline_rollup.is_complete()
    log(
        responder, {"category": "FOOD.MEALS", "action": "information"}, at=timezone.make_aware(datetime(2021, 3, 3, 10))
    )
    # Read from the journal: both calls counted; the full rebuild puts the trigger back and counts both too.
    assert helpline_reports.bilan([line.pk], PERIOD, "calls").totals_now.calls == 2
    helpline_rollup.rebuild()
    assert helpline_rollup.is_complete()
    assert helpline_reports.bilan([line.pk], PERIOD, "calls", rolled_up=True).totals_now.calls == 2


def test_the_command_recounts_a_range_and_refuses_bad_dates(responder, themes, line):
    log(
        responder,
        {"category": "FOOD.PARCEL", "action": "information"},
        at=timezone.make_aware(datetime(2021, 3, 2, 10)),
    )
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {helpline_rollup.REQUESTS_TABLE} SET requests = 7")
    out = io.StringIO()
    call_command("stats_bilan_rollup", "--first", "2021-03-02", "--last", "2021-03-02", stdout=out)
    assert out.getvalue() == "1 category rows and 1 category-set rows written; the roll-up is complete.\n"
    assert helpline_reports.bilan([line.pk], PERIOD, rolled_up=True).totals_now == helpline_reports.Totals(1, 1)
    with pytest.raises(CommandError, match="Not a date"):
        call_command("stats_bilan_rollup", "--first", "2021-13-01")
    with pytest.raises(CommandError, match="--first comes after --last"):
        call_command("stats_bilan_rollup", "--first", "2021-03-02", "--last", "2021-03-01")


def test_counts_left_by_a_detached_year_are_not_read(responder, themes, line):
    """A year detached from the partitioned journal leaves its counts in the roll-up (no trigger hears it):
    the bilan reads none before the journal's first day."""
    log(responder, {"category": "FOOD.PARCEL", "action": "information"}, at=timezone.make_aware(datetime(2021, 3, 2)))
    food = themes["FOOD.PARCEL"].pk
    with connection.cursor() as cursor:
        for day in ("2020-03-05", "2021-03-01"):
            cursor.execute(
                f"INSERT INTO {helpline_rollup.REQUESTS_TABLE} VALUES (%s, %s, %s, 4, 3)", [line.pk, day, food]
            )
            cursor.execute(
                f"INSERT INTO {helpline_rollup.CALLS_TABLE} VALUES (%s, %s, %s, 3)", [line.pk, day, str(food)]
            )
    assert helpline_rollup.first_day([line.pk]) == date(2021, 3, 2)
    for base in helpline_reports.BASES:
        rolled = helpline_reports.bilan([line.pk], PERIOD, base, rolled_up=True)
        assert (rolled.totals_now, rolled.totals_year_before) == (
            helpline_reports.Totals(1, 1),
            helpline_reports.Totals(0, 0),
        )
