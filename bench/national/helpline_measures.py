"""The helpline half of the national bench: the bilan page for a four-month period, both bases, as the product
serves it (Django's test client in process, no HTTP) and as bench/helpline/bilan.py computes it, next to the
bilan's grouping run raw on the partitioned request journal, on its plain copy and on DuckDB.

The product reads the bilan's daily roll-up when it is complete; the raw query is the grouping the product did
on the journal before the roll-up (bilan.py's DuckDB side): what the roll-up spares it at this scale.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from national_child import SCHEMA, load, note, run_sql, same_rows, timed

TABLES = ["helpline_request"]
TARGET = "< 300 ms (page)"

# Per base, over the three periods the bilan compares (now, before, a year before), with `?` for the bounds.
REQUESTS_SQL = (
    "SELECT category_id, count(*), count(*) FILTER (WHERE position = 0) FROM helpline_request"
    " WHERE organisation_id = {line} AND started_at >= ? AND started_at < ? GROUP BY category_id"
)
CALLS_SQL = (
    "SELECT coalesce(k.key, 'UNMAPPED'), count(DISTINCT r.call_id) FROM helpline_request r LEFT JOIN {keys} k"
    " USING (category_id) WHERE r.organisation_id = {line} AND r.started_at >= ? AND r.started_at < ? GROUP BY 1"
)
TOTALS_SQL = (
    "SELECT count(DISTINCT call_id), count(*) FROM helpline_request"
    " WHERE organisation_id = {line} AND started_at >= ? AND started_at < ?"
)


def _queries(line: int, periods: list[tuple[object, object]], base: str) -> list[tuple[str, list[object]]]:
    if base == "requests":
        shapes = [REQUESTS_SQL]
    else:
        shapes = [CALLS_SQL.replace("{keys}", f"{SCHEMA}.k{level}") for level in (1, 2)] + [TOTALS_SQL]
    return [(shape.format(line=line), [start, end]) for start, end in periods for shape in shapes]


def _duckdb(line: int, reading) -> object:  # type: ignore[no-untyped-def]
    """The line's request rows in an in-memory DuckDB (copied out as CSV, typed as bilan.py types them), with the
    category → key tables of the version the product reads in."""
    import duckdb
    from django.db import connection

    folder = Path(tempfile.mkdtemp(prefix="bench-national-"))
    path = folder / "requests.csv"
    with (
        connection.cursor() as cursor,
        path.open("wb") as out,
        cursor.cursor.copy(
            "COPY (SELECT organisation_id, call_id, started_at, position, category_id FROM helpline_request"
            f" WHERE organisation_id = {int(line)}) TO STDOUT WITH (FORMAT csv)"
        ) as copy,
    ):
        for chunk in copy:
            out.write(chunk)
    duck = duckdb.connect()
    duck.execute("SET TimeZone = 'Europe/Brussels'")
    duck.execute(
        f"CREATE TABLE helpline_request AS SELECT * FROM read_csv('{path}', header=false, columns={{"
        "'organisation_id': 'BIGINT', 'call_id': 'BIGINT', 'started_at': 'TIMESTAMPTZ', 'position': 'INTEGER',"
        " 'category_id': 'BIGINT'})"
    )
    path.unlink()
    folder.rmdir()
    duck.execute(f"CREATE SCHEMA {SCHEMA}")
    for level in (1, 2):
        duck.execute(f"CREATE TABLE {SCHEMA}.k{level} (category_id BIGINT, key VARCHAR)")
        duck.executemany(f"INSERT INTO {SCHEMA}.k{level} VALUES (?, ?)", list(reading.codes(level).items()))
    return duck


def measurements(repeat: int) -> list[dict]:
    from allauth.mfa.models import Authenticator
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from maillage.core.models import Organisation, User
    from maillage.stats import helpline_reports, helpline_rollup
    from maillage.stats.helpline_reading import themes_read_in
    from maillage.stats.shares import default_period

    line = Organisation.objects.get(short_name="FdSS").pk
    staff = User.objects.get(email="staff@bench.example")
    # The staff's second factor, as bilan.py sets it (the report pages ask for one): the only row written.
    Authenticator.objects.get_or_create(user=staff, type="totp", defaults={"data": {"secret": "JBSWY3DPEHPK3PXP"}})
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(staff)
    period = default_period(timezone.localdate())
    periods = [helpline_reports.bounds(p) for p in (period, period.previous(), period.year_before())]
    url = f"/stats/helpline/bilan/?start={period.first}&end={period.last}"
    reading = themes_read_in(None)
    with connection.cursor() as cursor:
        # The same key tables in PostgreSQL, in the script's schema (dropped with it; a temporary table would go
        # with the connection Django closes after each page).
        for level in (1, 2):
            cursor.execute(f"CREATE TABLE {SCHEMA}.k{level} (category_id bigint PRIMARY KEY, key text)")
            cursor.executemany(f"INSERT INTO {SCHEMA}.k{level} VALUES (%s, %s)", list(reading.codes(level).items()))
            cursor.execute(f"ANALYZE {SCHEMA}.k{level}")
        cursor.execute(
            "SELECT count(*) FROM helpline_request WHERE organisation_id = %s AND ("
            + " OR ".join(["(started_at >= %s AND started_at < %s)"] * len(periods))
            + ")",
            [line, *(bound for pair in periods for bound in pair)],
        )
        rows = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM helpline_call")
        calls = cursor.fetchone()[0]
    started = time.perf_counter()
    duck = _duckdb(line, reading)
    notes = [
        (
            f"helpline: {calls:,} calls; bilan period {period.first}..{period.last} against the one before and a year"
            f" before; the product read {'the daily roll-up' if helpline_rollup.is_complete() else 'the journal'};"
            f" DuckDB load {time.perf_counter() - started:.1f} s (untimed below)"
        )
    ]
    results = []
    for base in ("requests", "calls"):
        queries = _queries(line, periods, base)

        def postgresql(schema: str | None, queries=queries):  # type: ignore[no-untyped-def]
            runs = [run_sql(sql.replace("?", "%s"), params, schema) for sql, params in queries]
            return lambda: [run() for run in runs]

        def in_duckdb(queries=queries):  # type: ignore[no-untyped-def]
            return [duck.execute(sql, params).fetchall() for sql, params in queries]

        at_start = load()
        page, _answer = timed(lambda base=base: _page(client, url, base), repeat)
        computed, _report = timed(lambda base=base: helpline_reports.bilan([line], period, base), repeat)
        partitioned, on_parts = timed(postgresql(None), repeat)
        plain, on_plain = timed(postgresql(SCHEMA), repeat)
        in_duck, on_duck = timed(in_duckdb, repeat)
        same = all(same_rows(a, b, c) for a, b, c in zip(on_parts, on_plain, on_duck, strict=True))  # type: ignore[call-overload]
        assert same, f"bilan {base} base: PostgreSQL and DuckDB disagree"
        common = {"rows": rows, "partitioned": partitioned, "plain": plain, "duckdb": in_duck, "load": at_start}
        results.append({"label": f"bilan page, {base} base, 4 months", "product": page, "target": TARGET, **common})
        results.append({"label": f"bilan computation, {base} base", "product": computed, **common})
    results[0]["notes"] = notes
    note(notes[0])
    return results


def _page(client, url: str, base: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get(url if base == "requests" else url + "&base=calls")
    assert response.status_code == 200, response.status_code
