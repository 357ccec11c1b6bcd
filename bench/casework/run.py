"""Time two-dimension cross-tabs on PostgreSQL (through the engine) and on DuckDB (same rows, same SQL shape).

flock /tmp/bench.lock .venv/bin/python bench/casework/run.py --port 5432 --database maillage_bench_casework \
    --output /tmp/casework.txt

Reads only (the one follow-up it records is rolled back). Every line printed is appended to --output.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time

from reporting import bench_parser, use_database


def _arguments() -> argparse.Namespace:
    parser = bench_parser(__doc__, "a text file every printed line is appended to")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-duckdb", action="store_true")
    parser.add_argument("--only", action="append", help="scenarios whose label contains this (repeatable)")
    return parser.parse_args()


ARGS = _arguments() if __name__ == "__main__" else None
use_database(ARGS.port, ARGS.database) if ARGS is not None else use_database()

from django.db import connection  # noqa: E402
from duckdb_copy import copy_to_duckdb  # noqa: E402

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


TOP = "coalesce(tp.code, tc.code)"  # a theme's level-1 code
THEME = "JOIN taxonomy_category tc ON tc.id = r.theme_id LEFT JOIN taxonomy_category tp ON tp.id = tc.parent_id"
R_F = "casework_request r JOIN casework_followup f ON f.id = r.follow_up_id"
F_P = "JOIN casework_person pe ON pe.id = f.person_id"
YEAR_R = "r.organisation_id = {one} AND r.date BETWEEN DATE '2024-01-01' AND DATE '2024-12-31'"
YEAR_F = "f.organisation_id = {one} AND f.date BETWEEN DATE '2024-01-01' AND DATE '2024-12-31'"
ALL_R = "r.organisation_id IN ({ids})"
ALL_F = "f.organisation_id IN ({ids})"
SECTOR_YEAR_R = ALL_R + " AND r.date BETWEEN DATE '2024-01-01' AND DATE '2024-12-31'"
SECTOR_YEAR_F = ALL_F + " AND f.date BETWEEN DATE '2024-01-01' AND DATE '2024-12-31'"
CENTRE_YEAR, SECTOR, SECTOR_YEAR = "one centre-year", "whole sector, 10 years", "whole sector, 2024"

# (label, measure, dimensions, which rows, DuckDB SQL over the same rows)
SCENARIOS = [
    (
        "follow-ups, theme level 1 × month",
        "followups",
        ["theme1", "month"],
        CENTRE_YEAR,
        f"SELECT {TOP}, date_trunc('month', f.date), count(DISTINCT f.id) FROM {R_F} {THEME} WHERE {YEAR_F} GROUP BY 1, 2",
    ),
    (
        "requests, theme level 1 × mode",
        "requests",
        ["theme1", "mode"],
        CENTRE_YEAR,
        f"SELECT {TOP}, f.mode, count(*) FROM {R_F} {THEME} WHERE {YEAR_R} GROUP BY 1, 2",
    ),
    (
        "requests, theme level 2 × postal code",
        "requests",
        ["theme2", "postal_code"],
        CENTRE_YEAR,
        f"SELECT tc.code, pe.postal_code, count(*) FROM {R_F} {F_P} {THEME} WHERE {YEAR_R} GROUP BY 1, 2",
    ),
    (
        "requests, worker × theme level 1",
        "requests",
        ["worker", "theme1"],
        CENTRE_YEAR,
        f"SELECT f.worker_id, {TOP}, count(*) FROM {R_F} {THEME} WHERE {YEAR_R} GROUP BY 1, 2",
    ),
    (
        "persons, theme level 1 × month",
        "persons",
        ["theme1", "month"],
        CENTRE_YEAR,
        f"SELECT {TOP}, date_trunc('month', f.date), count(DISTINCT f.person_id) FROM {R_F} {THEME} WHERE {YEAR_F} GROUP BY 1, 2",
    ),
    (
        "case files, mode × month",
        "case_files",
        ["mode", "month"],
        CENTRE_YEAR,
        f"SELECT f.mode, date_trunc('month', f.date), count(DISTINCT f.case_file_id) FROM casework_followup f WHERE {YEAR_F} GROUP BY 1, 2",
    ),
    (
        "follow-ups, age band × mode",
        "followups",
        ["age_band", "mode"],
        SECTOR,
        f"SELECT f.age_band, f.mode, count(*) FROM casework_followup f WHERE {ALL_F} GROUP BY 1, 2",
    ),
    (
        "follow-ups, theme level 1 × month",
        "followups",
        ["theme1", "month"],
        SECTOR,
        f"SELECT {TOP}, date_trunc('month', f.date), count(DISTINCT f.id) FROM {R_F} {THEME} WHERE {ALL_F} GROUP BY 1, 2",
    ),
    (
        "requests, theme level 2 × year",
        "requests",
        ["theme2", "year"],
        SECTOR,
        f"SELECT tc.code, year(r.date), count(*) FROM casework_request r {THEME} WHERE {ALL_R} GROUP BY 1, 2",
    ),
    (
        "requests, theme level 2 × postal code",
        "requests",
        ["theme2", "postal_code"],
        SECTOR,
        f"SELECT tc.code, pe.postal_code, count(*) FROM {R_F} {F_P} {THEME} WHERE {ALL_R} GROUP BY 1, 2",
    ),
    (
        "requests, worker × theme level 1",
        "requests",
        ["worker", "theme1"],
        SECTOR,
        f"SELECT f.worker_id, {TOP}, count(*) FROM {R_F} {THEME} WHERE {ALL_R} GROUP BY 1, 2",
    ),
    (
        "requests, institution level 2 × stage level 2",
        "requests",
        ["institution2", "stage2"],
        SECTOR,
        "SELECT r.institution_id, r.stage_id, count(*) FROM casework_request r WHERE " + ALL_R + " GROUP BY 1, 2",
    ),
    (
        "persons, sex × year",
        "persons",
        ["sex", "year"],
        SECTOR,
        f"SELECT pe.sex, year(f.date), count(DISTINCT f.person_id) FROM casework_followup f {F_P} WHERE {ALL_F} GROUP BY 1, 2",
    ),
    (
        "persons, sex × postal code",
        "persons",
        ["sex", "postal_code"],
        SECTOR,
        f"SELECT pe.sex, pe.postal_code, count(DISTINCT f.person_id) FROM casework_followup f {F_P} WHERE {ALL_F} GROUP BY 1, 2",
    ),
    (
        "persons, theme level 1 × year",
        "persons",
        ["theme1", "year"],
        SECTOR,
        f"SELECT {TOP}, year(f.date), count(DISTINCT f.person_id) FROM {R_F} {THEME} WHERE {ALL_F} GROUP BY 1, 2",
    ),
    (
        "persons, stage level 1 × year",
        "persons",
        ["stage1", "year"],
        SECTOR,
        "SELECT coalesce(sp.code, sc.code), year(f.date), count(DISTINCT f.person_id) FROM "
        + R_F
        + " JOIN taxonomy_category sc ON sc.id = r.stage_id LEFT JOIN taxonomy_category sp ON sp.id = sc.parent_id"
        + " WHERE "
        + ALL_F
        + " GROUP BY 1, 2",
    ),
    (
        "case files, year × mode",
        "case_files",
        ["year", "mode"],
        SECTOR,
        f"SELECT year(f.date), f.mode, count(DISTINCT f.case_file_id) FROM casework_followup f WHERE {ALL_F} GROUP BY 1, 2",
    ),
    # Session 3: the sector's annual report (pairs per year) and distinct counts by a category and another dimension.
    (
        "requests, theme level 1 × mode",
        "requests",
        ["theme1", "mode"],
        SECTOR_YEAR,
        f"SELECT {TOP}, f.mode, count(*) FROM {R_F} {THEME} WHERE {SECTOR_YEAR_R} GROUP BY 1, 2",
    ),
    (
        "requests, theme level 2 × institution level 1",
        "requests",
        ["theme2", "institution1"],
        SECTOR_YEAR,
        "SELECT tc.code, coalesce(ip.code, ic.code), count(*) FROM casework_request r "
        + THEME
        + " LEFT JOIN taxonomy_category ic ON ic.id = r.institution_id LEFT JOIN taxonomy_category ip ON ip.id = ic.parent_id"
        + " WHERE "
        + SECTOR_YEAR_R
        + " GROUP BY 1, 2",
    ),
    (
        "follow-ups, age band × sex",
        "followups",
        ["age_band", "sex"],
        SECTOR_YEAR,
        f"SELECT f.age_band, pe.sex, count(*) FROM casework_followup f {F_P} WHERE {SECTOR_YEAR_F} GROUP BY 1, 2",
    ),
    (
        "follow-ups, worker × age band",
        "followups",
        ["worker", "age_band"],
        SECTOR_YEAR,
        f"SELECT f.worker_id, f.age_band, count(*) FROM casework_followup f WHERE {SECTOR_YEAR_F} GROUP BY 1, 2",
    ),
    (
        "persons, theme level 1 × sex",
        "persons",
        ["theme1", "sex"],
        SECTOR,
        f"SELECT {TOP}, pe.sex, count(DISTINCT f.person_id) FROM {R_F} {F_P} {THEME} WHERE {ALL_F} GROUP BY 1, 2",
    ),
    (
        "case files, stage level 1 × age band",
        "case_files",
        ["stage1", "age_band"],
        SECTOR,
        "SELECT coalesce(sp.code, sc.code), f.age_band, count(DISTINCT f.case_file_id) FROM "
        + R_F
        + " JOIN taxonomy_category sc ON sc.id = r.stage_id LEFT JOIN taxonomy_category sp ON sp.id = sc.parent_id"
        + " WHERE "
        + ALL_F
        + " GROUP BY 1, 2",
    ),
    (
        "follow-ups, institution level 1 × mode",
        "followups",
        ["institution1", "mode"],
        SECTOR,
        "SELECT coalesce(ip.code, ic.code), f.mode, count(DISTINCT f.id) FROM "
        + R_F
        + " JOIN taxonomy_category ic ON ic.id = r.institution_id LEFT JOIN taxonomy_category ip ON ip.id = ic.parent_id"
        + " WHERE "
        + ALL_F
        + " GROUP BY 1, 2",
    ),
]


def _reads_rollups(params: Params, scope: Scope) -> bool:
    from maillage.stats import crosstab

    base = crosstab.MEASURES[params.measure].base
    specs = [crosstab._dimension(key, base, params.versions) for key in params.dimensions]
    rows = crosstab._from_rollup(params.measure, base, specs, params, scope, params.date_from, params.date_to)
    return rows is not None


def record_follow_up_ms(centre: int) -> tuple[float, float]:
    """Encoding one follow-up with two requests through the service (roll-ups kept), rolled back."""
    from django.db import transaction

    from maillage.casework import services
    from maillage.casework.models import CaseFile
    from maillage.core.models import User
    from maillage.taxonomy.queries import active_categories

    case_file = CaseFile.objects.filter(organisation_id=centre).select_related("person").order_by("id").first()
    assert case_file is not None
    worker = User.objects.filter(memberships__organisation_id=centre).first()
    themes = list(active_categories("request-themes").filter(level=2)[:2])

    def once() -> None:
        with transaction.atomic():
            services.record_follow_up(
                worker,
                case_file,
                services.FollowUpData(date=datetime.date(2025, 6, 2), mode="phone", worker=worker),
                [services.RequestData(theme) for theme in themes],
            )
            transaction.set_rollback(True)

    return timed(once)


def main() -> None:
    args = ARGS
    assert args is not None
    output = open(args.output, "a", encoding="utf-8")  # noqa: SIM115 - open for the whole run

    def say(*parts: object, **_options: object) -> None:
        """Print, and append the line to --output."""
        line = " ".join(str(part) for part in parts)
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
        output.write(line + "\n")
        output.flush()

    say(f"casework bench {time.strftime('%Y-%m-%d %H:%M %Z')}, database {args.database}")
    global REPEAT
    REPEAT = args.repeat
    from maillage.casework import rollups

    centres = list(
        Organisation.objects.filter(short_name__startswith="Bench").order_by("short_name").values_list("pk", flat=True)
    )
    one = Scope([centres[0]])
    sector = Scope(centres)
    year = (datetime.date(2024, 1, 1), datetime.date(2024, 12, 31))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM casework_followup")
        n_followups = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM casework_request")
        n_requests = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM casework_statcell")
        n_cells = cursor.fetchone()[0]
    say(
        f"rows: {n_followups} follow-ups, {n_requests} requests, {len(centres)} centres;"
        f" roll-up cells {n_cells} (built: {rollups.available()}); load {os.getloadavg()}"
    )
    results = []
    chosen = [s for s in SCENARIOS if not args.only or any(word in f"{s[0]}, {s[3]}" for word in args.only)]
    for label, measure, dimensions, where, _sql in chosen:
        params = Params(measure, dimensions) if where == SECTOR else Params(measure, dimensions, *year)
        scope = one if where == CENTRE_YEAR else sector
        median, worst = timed(lambda p=params, s=scope: build(p, s))
        source = "roll-ups" if _reads_rollups(params, scope) else "raw rows"
        results.append((f"{label}, {where}", median, worst))
        say(f"PostgreSQL  {label}, {where}: median {median:.0f} ms, max {worst:.0f} ms ({source})", flush=True)
    median, worst = record_follow_up_ms(centres[0])
    say(f"PostgreSQL  record a follow-up with 2 requests (roll-ups kept): median {median:.0f} ms, max {worst:.0f} ms")
    if args.no_duckdb:
        return
    # DuckDB: the same rows, copied out of PostgreSQL as CSV.
    columns = {
        "casework_followup": "id, organisation_id, case_file_id, person_id, date, mode, worker_id, subsidy_id, age_band",
        "casework_request": "id, follow_up_id, organisation_id, date, theme_id, institution_id, stage_id",
        "casework_person": "id, sex, postal_code",
        "taxonomy_category": "id, code, parent_id",
    }
    start = time.perf_counter()
    db = copy_to_duckdb(connection, columns)
    say(f"DuckDB load: {time.perf_counter() - start:.1f} s; load {os.getloadavg()}")
    ids = ", ".join(str(c) for c in centres)
    for (label, median_pg, _worst), scenario in zip(results, chosen, strict=True):
        sql = scenario[4].format(one=centres[0], ids=ids)
        median, worst = timed(lambda q=sql: db.execute(q).fetchall())
        say(
            f"DuckDB      {label}: median {median:.0f} ms, max {worst:.0f} ms (PostgreSQL {median_pg:.0f} ms)",
            flush=True,
        )
    say(f"load {os.getloadavg()}")


if __name__ == "__main__":
    main()
