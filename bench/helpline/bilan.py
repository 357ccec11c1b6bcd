"""Time the bilan page for a four-month period on PostgreSQL, next to DuckDB computing the same shares.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/maillage_bench_helpline \
        .venv/bin/python bench/helpline/bilan.py --runs 15
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

from common import setup_django


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    print("load average at start: " + "/".join(f"{value:.2f}" for value in os.getloadavg()))
    setup_django()
    import duckdb
    from allauth.mfa.models import Authenticator
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from maillage.core.models import Organisation, User
    from maillage.stats import helpline_reports
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
    page_times, report_times = [], []
    for _ in range(args.runs):
        started = time.perf_counter()
        response = client.get(url)
        page_times.append(time.perf_counter() - started)
        assert response.status_code == 200
        started = time.perf_counter()
        report = helpline_reports.bilan([line.pk], period)
        report_times.append(time.perf_counter() - started)
    calls_report = helpline_reports.bilan([line.pk], period, "calls")

    # The same rows, into DuckDB (loading is not timed as part of the computation).
    folder = Path(tempfile.mkdtemp(prefix="bench-helpline-"))
    requests_csv = folder / "requests.csv"
    load_started = time.perf_counter()
    with connection.cursor() as cursor, requests_csv.open("wb") as out:
        raw = cursor.connection
        with raw.cursor().copy(
            "COPY (SELECT r.call_id, r.started_at, t.code FROM helpline_request r JOIN taxonomy_category t ON t.id = r.theme_id"
            f" WHERE r.organisation_id = {int(line.pk)}) TO STDOUT WITH (FORMAT csv)"
        ) as copy:
            for chunk in copy:
                out.write(chunk)
    duck = duckdb.connect()
    duck.execute("SET TimeZone = 'Europe/Brussels'")
    duck.execute(
        f"CREATE TABLE r AS SELECT * FROM read_csv('{requests_csv}', header=false,"
        " columns={'call_id': 'BIGINT', 'started_at': 'TIMESTAMPTZ', 'theme': 'VARCHAR'})"
    )
    load_seconds = time.perf_counter() - load_started
    start_now, end_now = helpline_reports.bounds(period)
    start_before, end_before = helpline_reports.bounds(previous)

    def duck_counts(start, end, distinct_calls: bool):  # type: ignore[no-untyped-def]
        measure = "count(DISTINCT call_id)" if distinct_calls else "count(*)"
        rows = duck.execute(
            f"SELECT theme, {measure} FROM r WHERE started_at >= ? AND started_at < ? GROUP BY theme", [start, end]
        ).fetchall()
        total = duck.execute(
            f"SELECT {'count(DISTINCT call_id)' if distinct_calls else 'count(*)'} FROM r WHERE started_at >= ? AND started_at < ?",
            [start, end],
        ).fetchone()[0]
        return dict(rows), total

    duck_times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        now_counts, now_total = duck_counts(start_now, end_now, False)
        before_counts, _before_total = duck_counts(start_before, end_before, False)
        duck_times.append(time.perf_counter() - started)
    duck_shares = {code: (n, percent(n, now_total)) for code, n in now_counts.items()}
    pg_shares = {row.key: (row.count_now, row.share_now) for row in report.themes if row.count_now}
    assert duck_shares == pg_shares, (duck_shares, pg_shares)
    assert Counter(before_counts) == Counter({row.key: row.count_before for row in report.themes if row.count_before})
    call_counts, call_total = duck_counts(start_now, end_now, True)
    assert call_total == calls_report.base_now == report.totals_now.calls
    assert dict(call_counts) == {row.key: row.count_now for row in calls_report.themes if row.count_now}

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM helpline_call")
        n_calls = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM helpline_request")
        n_requests = cursor.fetchone()[0]
    page_median, page_p95 = statistics.median(page_times), sorted(page_times)[int(0.95 * (len(page_times) - 1))]
    report_median = statistics.median(report_times)
    duck_median = statistics.median(duck_times)
    print(
        f"rows: {n_calls} calls, {n_requests} requests; period {period.first}..{period.last} "
        f"({report.totals_now.calls} calls, {report.totals_now.requests} requests) vs {previous.first}..{previous.last}"
    )
    print(
        f"bilan page (HTTP through Django test client, PostgreSQL): median {_ms(page_median)}, p95 {_ms(page_p95)}, min {_ms(min(page_times))}"
    )
    print(f"bilan computation only (ORM queries, both periods): median {_ms(report_median)}")
    print(
        f"DuckDB, same shares from the same rows (both periods): median {_ms(duck_median)}; load of the rows {load_seconds:.1f} s"
    )
    print(
        f"ratio PostgreSQL computation / DuckDB: {report_median / duck_median:.1f}x; page / DuckDB: {page_median / duck_median:.1f}x"
    )
    print("figures identical: yes (themes, counts and shares, both bases)")
    print("load average at end: " + "/".join(f"{value:.2f}" for value in os.getloadavg()))


if __name__ == "__main__":
    main()
