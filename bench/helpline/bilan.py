"""Time the bilan for a four-month period on PostgreSQL, both bases, next to DuckDB doing the same grouping.

    flock /tmp/bench.lock .venv/bin/python bench/helpline/bilan.py --runs 15 --port 5432 \
        --database maillage_bench_helpline --output /tmp/bilan.txt

The page is timed through Django's test client in process (no HTTP): it is labelled so. Reads only.

The product reads the bilan's daily roll-up when it is complete (maillage.stats.helpline_rollup: kept in step
by triggers, a few thousand rows per period); DuckDB does the same grouping on the raw request rows, as the
product did before the roll-up. The script says which the product read, and checks once, untimed, that the
roll-up gives the figures the journal gives (both bases).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

from common import bench_options, setup_django


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench_options.add_options(parser)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    load = "/".join(f"{value:.2f}" for value in os.getloadavg())
    setup_django(args.port, args.database)
    import duckdb
    from allauth.mfa.models import Authenticator
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from maillage.core.models import Organisation, User
    from maillage.stats import helpline_reports, helpline_rollup
    from maillage.stats.helpline_reading import themes_read_in
    from maillage.stats.shares import default_period, percent

    line = Organisation.objects.get(short_name="FdSS")
    staff = User.objects.get(email="staff@bench.example")
    Authenticator.objects.get_or_create(user=staff, type="totp", defaults={"data": {"secret": "JBSWY3DPEHPK3PXP"}})
    period = default_period(timezone.localdate())
    previous = period.previous()
    url = f"/stats/helpline/bilan/?start={period.first}&end={period.last}"
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(staff)

    for _ in range(2):  # warm caches and connections
        assert client.get(url).status_code == 200
    page_times, report_times, calls_report_times, calls_page_times = [], [], [], []
    for _ in range(args.runs):
        started = time.perf_counter()
        response = client.get(url)
        page_times.append(time.perf_counter() - started)
        assert response.status_code == 200
        started = time.perf_counter()
        report = helpline_reports.bilan([line.pk], period)
        report_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        calls_report = helpline_reports.bilan([line.pk], period, "calls")
        calls_report_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        assert client.get(url + "&base=calls").status_code == 200
        calls_page_times.append(time.perf_counter() - started)

    # The same rows, into DuckDB (loading is not timed as part of the computation), with the category → key
    # tables of the version the product reads in, so DuckDB does the product's whole work: three periods (now,
    # before, a year before); per base the same grouping (requests: count and first requests per category;
    # calls: distinct calls per level-1 and per level-2 key, and the call and request totals).
    folder = Path(tempfile.mkdtemp(prefix="bench-helpline-"))
    requests_csv = folder / "requests.csv"
    load_started = time.perf_counter()
    with connection.cursor() as cursor, requests_csv.open("wb") as out:
        raw = cursor.connection
        with raw.cursor().copy(
            "COPY (SELECT r.call_id, r.started_at, r.position, r.category_id FROM helpline_request r"
            f" WHERE r.organisation_id = {int(line.pk)}) TO STDOUT WITH (FORMAT csv)"
        ) as copy:
            for chunk in copy:
                out.write(chunk)
    duck = duckdb.connect()
    duck.execute("SET TimeZone = 'Europe/Brussels'")
    duck.execute(
        f"CREATE TABLE r AS SELECT * FROM read_csv('{requests_csv}', header=false,"
        " columns={'call_id': 'BIGINT', 'started_at': 'TIMESTAMPTZ', 'position': 'INTEGER', 'category_id': 'BIGINT'})"
    )
    reading = themes_read_in(None)
    for level in (1, 2):
        duck.execute(f"CREATE TABLE k{level} (category_id BIGINT, key VARCHAR)")
        duck.executemany(f"INSERT INTO k{level} VALUES (?, ?)", list(reading.codes(level).items()))
    load_seconds = time.perf_counter() - load_started
    periods = [helpline_reports.bounds(p) for p in (period, previous, period.year_before())]

    def duck_requests(start, end):  # type: ignore[no-untyped-def]
        rows = duck.execute(
            "SELECT category_id, count(*), count(*) FILTER (WHERE position = 0) FROM r"
            " WHERE started_at >= ? AND started_at < ? GROUP BY category_id",
            [start, end],
        ).fetchall()
        themes: Counter[str] = Counter()
        for category_id, n, _first in rows:
            themes[reading.key(1, category_id)] += n
        return themes, sum(first for *_rest, first in rows)

    def duck_calls(start, end):  # type: ignore[no-untyped-def]
        per_level = []
        for level in (1, 2):
            per_level.append(
                dict(
                    duck.execute(
                        f"SELECT coalesce(k.key, 'UNMAPPED'), count(DISTINCT r.call_id) FROM r LEFT JOIN k{level} k"
                        " USING (category_id) WHERE started_at >= ? AND started_at < ? GROUP BY 1",
                        [start, end],
                    ).fetchall()
                )
            )
        calls, requests = duck.execute(
            "SELECT count(DISTINCT call_id), count(*) FROM r WHERE started_at >= ? AND started_at < ?", [start, end]
        ).fetchone()
        return per_level, calls, requests

    duck_times, duck_call_times = [], []
    for _ in range(args.runs):
        started = time.perf_counter()
        by_period = [duck_requests(start, end) for start, end in periods]
        duck_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        calls_by_period = [duck_calls(start, end) for start, end in periods]
        duck_call_times.append(time.perf_counter() - started)
    (now_counts, now_calls), (before_counts, _before_calls), _year = by_period
    now_total = sum(now_counts.values())
    duck_shares = {code: (n, percent(n, now_total)) for code, n in now_counts.items()}
    pg_shares = {row.key: (row.count_now, row.share_now) for row in report.themes if row.count_now}
    assert duck_shares == pg_shares, (duck_shares, pg_shares)
    assert now_calls == report.totals_now.calls
    assert Counter(before_counts) == Counter({row.key: row.count_before for row in report.themes if row.count_before})
    (call_levels, call_total, _requests), *_rest = calls_by_period
    assert call_total == calls_report.base_now == report.totals_now.calls
    assert call_levels[0] == {row.key: row.count_now for row in calls_report.themes if row.count_now}
    assert call_levels[1] == {row.key: row.count_now for row in calls_report.categories if row.count_now}

    rolled_up = helpline_rollup.is_complete()
    for base, timed in (("requests", report), ("calls", calls_report)):
        raw = helpline_reports.bilan([line.pk], period, base, rolled_up=False)
        assert (raw.totals_now, raw.totals_before, raw.totals_year_before) == (
            timed.totals_now,
            timed.totals_before,
            timed.totals_year_before,
        )
        assert (raw.themes, raw.categories) == (timed.themes, timed.categories)

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM helpline_call")
        n_calls = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM helpline_request")
        n_requests = cursor.fetchone()[0]
    page_median, page_p95 = statistics.median(page_times), sorted(page_times)[int(0.95 * (len(page_times) - 1))]
    lines = [
        f"bilan bench, database {args.database}, load average at start {load}; at the end {bench_options.stamp()}",
        (
            f"rows: {n_calls} calls, {n_requests} requests; period {period.first}..{period.last} "
            f"({report.totals_now.calls} calls, {report.totals_now.requests} requests) vs {previous.first}..{previous.last}"
            f" and a year before"
        ),
        "page: Django's test client in process (no HTTP, no network); computation: helpline_reports.bilan, read "
        + ("from the daily roll-up" if rolled_up else "from the journal (the roll-up is not complete)")
        + "; DuckDB: the same grouping on the raw request rows",
        (
            f"requests base: page median {_ms(page_median)} (p95 {_ms(page_p95)}), computation median "
            f"{_ms(statistics.median(report_times))}, DuckDB same grouping median {_ms(statistics.median(duck_times))}, "
            f"ratio {statistics.median(report_times) / statistics.median(duck_times):.1f}x"
        ),
        (
            f"calls base: page median {_ms(statistics.median(calls_page_times))}, computation median "
            f"{_ms(statistics.median(calls_report_times))}, DuckDB same grouping median "
            f"{_ms(statistics.median(duck_call_times))}, ratio "
            f"{statistics.median(calls_report_times) / statistics.median(duck_call_times):.1f}x"
        ),
        (
            f"DuckDB load of the rows {load_seconds:.1f} s (not timed above); figures identical: yes (both bases, "
            "DuckDB and the journal)"
        ),
        "load average at end: " + "/".join(f"{value:.2f}" for value in os.getloadavg()),
    ]
    print("\n".join(lines))
    with open(args.output, "a", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n\n")


if __name__ == "__main__":
    main()
