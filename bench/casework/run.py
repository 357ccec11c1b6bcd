"""Time two-dimension cross-tabs on PostgreSQL (through the engine) and on DuckDB (same rows, same SQL shape).

DATABASE_URL=postgres://postgres@127.0.0.1:5432/maillage_bench_casework .venv/bin/python bench/casework/run.py
"""

from __future__ import annotations

import datetime
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")

import django

django.setup()

import duckdb  # noqa: E402
from django.db import connection  # noqa: E402

from maillage.core.models import Organisation  # noqa: E402
from maillage.stats.crosstab import Params, Scope, build  # noqa: E402

REPEAT = 5


def timed(function) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    function()  # warm the caches
    runs = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        function()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs), max(runs)


def main() -> None:
    centres = list(
        Organisation.objects.filter(short_name__startswith="Bench").order_by("short_name").values_list("pk", flat=True)
    )
    one = Scope([centres[0]])
    sector = Scope(centres)
    year = (datetime.date(2024, 1, 1), datetime.date(2024, 12, 31))
    scenarios = [
        ("follow-ups, theme level 1 × month, one centre-year", Params("followups", ["theme1", "month"], *year), one),
        ("requests, theme level 1 × mode, one centre-year", Params("requests", ["theme1", "mode"], *year), one),
        ("follow-ups, age band × mode, whole sector, 10 years", Params("followups", ["age_band", "mode"]), sector),
        ("requests, theme level 2 × year, whole sector, 10 years", Params("requests", ["theme2", "year"]), sector),
        ("persons, sex × year, whole sector, 10 years", Params("persons", ["sex", "year"]), sector),
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM casework_followup")
        n_followups = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM casework_request")
        n_requests = cursor.fetchone()[0]
    print(f"rows: {n_followups} follow-ups, {n_requests} requests, {len(centres)} centres")
    results = []
    for label, params, scope in scenarios:
        median, worst = timed(lambda p=params, s=scope: build(p, s))
        results.append((label, median, worst))
        print(f"PostgreSQL  {label}: median {median:.0f} ms, max {worst:.0f} ms", flush=True)
    # DuckDB: the same rows, copied out of PostgreSQL as CSV.
    folder = tempfile.mkdtemp()
    db = duckdb.connect()
    columns = {
        "casework_followup": "id, organisation_id, case_file_id, person_id, date, mode, worker_id, subsidy_id, age_band",
        "casework_request": "id, follow_up_id, organisation_id, date, theme_id",
        "casework_casefile": "id, person_id",
        "casework_person": "id, sex",
        "taxonomy_category": "id, code, parent_id",
    }
    start = time.perf_counter()
    for table, cols in columns.items():
        path = os.path.join(folder, f"{table}.csv")
        with (
            connection.cursor() as cursor,
            open(path, "wb") as out,
            cursor.cursor.copy(f"COPY (SELECT {cols} FROM {table}) TO STDOUT WITH CSV HEADER") as copy,
        ):
            for chunk in copy:
                out.write(chunk)
        db.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv_auto('{path}')")
    print(f"DuckDB load: {time.perf_counter() - start:.1f} s")
    ids = ", ".join(str(c) for c in centres)
    top = "coalesce(p.code, c.code)"
    duck = [
        (
            f"SELECT {top} AS t, date_trunc('month', f.date) AS m, count(DISTINCT f.id) FROM casework_followup f JOIN casework_request r ON r.follow_up_id = f.id JOIN taxonomy_category c ON c.id = r.theme_id LEFT JOIN taxonomy_category p ON p.id = c.parent_id WHERE f.organisation_id = {centres[0]} AND f.date BETWEEN DATE '2024-01-01' AND DATE '2024-12-31' GROUP BY 1, 2"
        ),
        (
            f"SELECT {top} AS t, f.mode, count(*) FROM casework_request r JOIN casework_followup f ON f.id = r.follow_up_id JOIN taxonomy_category c ON c.id = r.theme_id LEFT JOIN taxonomy_category p ON p.id = c.parent_id WHERE r.organisation_id = {centres[0]} AND r.date BETWEEN DATE '2024-01-01' AND DATE '2024-12-31' GROUP BY 1, 2"
        ),
        (f"SELECT age_band, mode, count(*) FROM casework_followup WHERE organisation_id IN ({ids}) GROUP BY 1, 2"),
        (
            f"SELECT c.code, year(r.date), count(*) FROM casework_request r JOIN taxonomy_category c ON c.id = r.theme_id WHERE r.organisation_id IN ({ids}) GROUP BY 1, 2"
        ),
        (
            f"SELECT pe.sex, year(f.date), count(DISTINCT f.person_id) FROM casework_followup f JOIN casework_person pe ON pe.id = f.person_id WHERE f.organisation_id IN ({ids}) GROUP BY 1, 2"
        ),
    ]
    for (label, median_pg, _worst), sql in zip(results, duck, strict=True):
        median, worst = timed(lambda q=sql: db.execute(q).fetchall())
        print(
            f"DuckDB      {label}: median {median:.0f} ms, max {worst:.0f} ms (PostgreSQL {median_pg:.0f} ms)",
            flush=True,
        )


if __name__ == "__main__":
    main()
