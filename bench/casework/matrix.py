"""Every measure × every pair of dimensions: the cross-tab engine on PostgreSQL beside DuckDB on the same rows.

    flock /tmp/bench.lock .venv/bin/python bench/casework/matrix.py --port 5432 \
        --database maillage_bench_casework_5m --scope sector --output /tmp/matrix-sector.md

Issue 19's "Done when": a matrix of every measure (persons, case files, follow-ups, requests) × every pair of
the dimensions offered in a scope, with DuckDB beside each cell. Scopes: `centre` = one centre, 2024 (every
dimension but the centre); `sector` = the 30 centres, 10 years (the dimensions offered across centres:
`SECTOR_DIMENSIONS`, no worker, no postal code); `sector-year` = the 30 centres, 2024.

PostgreSQL: `maillage.stats.crosstab.build` (what the pages run), one warm-up then the median of --repeat runs
(one run only when the warm-up took over 2 s). DuckDB: the same rows copied out of PostgreSQL (the columns the
dimensions read), one hand-written GROUP BY per cell (a category's level-1 code is its parent's), same
warm-up and repeats (or, --duckdb-runs N, the median of N runs without a warm-up, timed again with the warm-up
and repeats where PostgreSQL comes within half of it: 612 cells at 5M fit in ~40 minutes). Reads only. Every line is appended to --output as a Markdown table row, so a partial run
keeps what it measured.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import os
import random
import statistics
import time
from dataclasses import replace

from reporting import bench_centres, bench_parser, printer, use_database


def _arguments() -> argparse.Namespace:
    parser = bench_parser(__doc__, "a Markdown file the rows are appended to")
    parser.add_argument("--scope", choices=["centre", "sector", "sector-year"], required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--duckdb-runs",
        type=int,
        default=0,
        help="DuckDB: the median of this many runs, no warm-up (0: warm-up and --repeat, as PostgreSQL); a cell"
        " whose PostgreSQL median is over half of it is timed again with the warm-up and --repeat",
    )
    parser.add_argument("--measures", nargs="+", default=["persons", "case_files", "followups", "requests"])
    parser.add_argument(
        "--period",
        nargs=2,
        metavar=("FROM", "TO"),
        type=datetime.date.fromisoformat,
        help="any period instead of the scope's (e.g. 2022-03-15 2024-09-30: not whole months or years)",
    )
    parser.add_argument(
        "--sample", type=int, help="this many pairs per measure, drawn with a fixed seed (all if absent)"
    )
    parser.add_argument(
        "--table",
        action="store_true",
        help="where PostgreSQL is over 2x DuckDB's cells, also time DuckDB computing the same table as the page"
        " (a distinct count's totals too)",
    )
    return parser.parse_args()


ARGS = _arguments()
use_database(ARGS.port, ARGS.database)

from django.db import connection  # noqa: E402
from duckdb_copy import copy_to_duckdb  # noqa: E402

from maillage.stats.crosstab import Params, Scope, build  # noqa: E402
from maillage.stats.tabulate.params import DIMENSION_LABELS, SECTOR_DIMENSIONS  # noqa: E402

YEAR_2024 = (datetime.date(2024, 1, 1), datetime.date(2024, 12, 31))
SLOW_MS = 2000.0

# Where each dimension is read in DuckDB: (the table it needs, the expression grouped by).
REQUEST_LEVEL = {
    "theme1": "coalesce(tp.code, tc.code)",
    "theme2": "tc.code",
    "institution1": "coalesce(ip.code, ic.code)",
    "institution2": "ic.code",
    "stage1": "coalesce(sp.code, sc.code)",
    "stage2": "sc.code",
}
FOLLOWUP_LEVEL = {
    "age_band": "f.age_band",
    "mode": "f.mode",
    "worker": "f.worker_id",
    "month": "date_trunc('month', f.date)",
    "quarter": "date_trunc('quarter', f.date)",
    "year": "year(f.date)",
    "subsidy": "f.subsidy_id",
    "centre": "f.organisation_id",
}
PERSON_LEVEL = {
    "sex": "pe.sex",
    "postal_code": "pe.postal_code",
    "commune": "pe.commune_id",
    "household": "pe.household",
    "income_source": "pe.income_source",
    "nationality_group": "pe.nationality_group",
}
CATEGORY_JOINS = {
    "theme": "LEFT JOIN taxonomy_category tc ON tc.id = r.theme_id LEFT JOIN taxonomy_category tp ON tp.id = tc.parent_id",
    "institution": "LEFT JOIN taxonomy_category ic ON ic.id = r.institution_id"
    " LEFT JOIN taxonomy_category ip ON ip.id = ic.parent_id",
    "stage": "LEFT JOIN taxonomy_category sc ON sc.id = r.stage_id LEFT JOIN taxonomy_category sp ON sp.id = sc.parent_id",
}
COLUMNS = {
    "casework_followup": "id, organisation_id, case_file_id, person_id, date, mode, worker_id, subsidy_id, age_band",
    "casework_request": "id, follow_up_id, organisation_id, date, theme_id, institution_id, stage_id",
    "casework_person": "id, sex, postal_code, commune_id, household, income_source, nationality_group",
    "taxonomy_category": "id, code, parent_id",
}


def _duckdb_parts(measure: str, dimensions: tuple[str, str], where: str) -> tuple[list[str], str, str]:
    """The two grouped expressions, the count and FROM … WHERE … of one cell of the matrix in DuckDB."""
    on_requests = measure == "requests" or any(d in REQUEST_LEVEL for d in dimensions)
    expressions = [REQUEST_LEVEL.get(d) or FOLLOWUP_LEVEL.get(d) or PERSON_LEVEL[d] for d in dimensions]
    joins = ["casework_followup f"]
    if on_requests:
        joins.append("JOIN casework_request r ON r.follow_up_id = f.id")
    if any(d in PERSON_LEVEL for d in dimensions):
        joins.append("JOIN casework_person pe ON pe.id = f.person_id")
    for axis, join in CATEGORY_JOINS.items():
        if any(d.startswith(axis) for d in dimensions):
            joins.append(join)
    counted = {
        "persons": "count(DISTINCT f.person_id)",
        "case_files": "count(DISTINCT f.case_file_id)",
        "followups": "count(DISTINCT f.id)" if on_requests else "count(*)",
        "requests": "count(*)",
    }[measure]
    return expressions, counted, f"FROM {' '.join(joins)} WHERE {where}"


def duckdb_sql(measure: str, dimensions: tuple[str, str], where: str) -> str:
    """The GROUP BY DuckDB runs for one cell of the matrix, over the same rows the engine counts."""
    expressions, counted, rows = _duckdb_parts(measure, dimensions, where)
    return f"SELECT {expressions[0]}, {expressions[1]}, {counted} {rows} GROUP BY 1, 2"


def duckdb_table_sql(measure: str, dimensions: tuple[str, str], where: str) -> list[str]:
    """The same table as the page: the cells and, for a distinct count (whose totals do not add up), its row,
    column and grand totals, each counted on its own as the engine does (`--table`)."""
    expressions, counted, rows = _duckdb_parts(measure, dimensions, where)
    cells = f"SELECT {expressions[0]}, {expressions[1]}, {counted} {rows} GROUP BY 1, 2"
    if "DISTINCT" not in counted:
        return [cells]
    return [
        cells,
        f"SELECT {expressions[0]}, {counted} {rows} GROUP BY 1",
        f"SELECT {expressions[1]}, {counted} {rows} GROUP BY 1",
        f"SELECT {counted} {rows}",
    ]


def timed(function, cold_runs: int = 0) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Median and max in ms of --repeat runs after a warm-up (one run when the warm-up is slow); of `cold_runs`
    runs without a warm-up if given."""
    warm = 0.0
    if not cold_runs:
        start = time.perf_counter()
        function()
        warm = (time.perf_counter() - start) * 1000
    runs = []
    for _ in range(cold_runs or (1 if warm > SLOW_MS else ARGS.repeat)):
        start = time.perf_counter()
        function()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs), max(runs)


def _read_from(params: Params, scope: Scope) -> str:
    """Where the engine counted: the roll-up cells (of the period, or all time less the days outside it), the
    spans of the columnar copy (`firsts` for two dimensions varying within a person), the copy's rows or PostgreSQL's; a distinct count by a time dimension cut at whole
    periods first."""
    from maillage.casework import columnar
    from maillage.stats import crosstab
    from maillage.stats.tabulate import query
    from maillage.stats.tabulate.edges_read import from_whole_less_edges
    from maillage.stats.tabulate.spans_read import from_spans, spanned_dimensions

    base = crosstab.MEASURES[params.measure].base
    specs = [crosstab._dimension(key, base, params.versions) for key in params.dimensions]
    period = (params.date_from, params.date_to)
    pieces = query._time_pieces(params, params.measure, *period)
    if pieces is not None:
        return "cut: " + " + ".join(_read_from(replace(params, date_from=a, date_to=b), scope) for a, b in pieces)
    if crosstab._from_rollup(params.measure, base, specs, params, scope, *period) is not None:
        return "roll-ups"
    if from_spans(params.measure, base, specs, params, scope, *period) is not None:
        varying = spanned_dimensions(params.measure, base, specs, params, scope, *period) or ()
        return "firsts" if params.measure != "followups" and len(varying) == 2 else "spans"
    if from_whole_less_edges(params.measure, base, specs, params, scope, *period) is not None:
        return "all-time less edges"
    changed = columnar.changed_persons()
    return "rows" if changed is None or changed > columnar.MAX_CHANGED else "copy"


def main() -> None:
    say = printer(ARGS.output)
    centres = bench_centres()
    ids = ", ".join(str(c) for c in centres)
    if ARGS.scope == "centre":
        dimensions = [d for d in DIMENSION_LABELS if d != "centre"]
        scope, period = Scope([centres[0]]), YEAR_2024
        where = f"f.organisation_id = {centres[0]} AND f.date BETWEEN DATE '2024-01-01' AND DATE '2024-12-31'"
    else:
        dimensions = list(SECTOR_DIMENSIONS)
        scope = Scope(centres)
        period = YEAR_2024 if ARGS.scope == "sector-year" else (None, None)
        where = f"f.organisation_id IN ({ids})"
        if ARGS.scope == "sector-year":
            where += " AND f.date BETWEEN DATE '2024-01-01' AND DATE '2024-12-31'"
    if ARGS.period:
        period = tuple(ARGS.period)
        where = where.split(" AND f.date")[0] + f" AND f.date BETWEEN DATE '{period[0]}' AND DATE '{period[1]}'"
    pairs = list(itertools.combinations(dimensions, 2))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM casework_followup")
        followups = cursor.fetchone()[0]
    started = time.perf_counter()
    db = copy_to_duckdb(connection, COLUMNS)
    chosen = f"{ARGS.sample} of {len(pairs)} pairs (seed 0)" if ARGS.sample else f"{len(pairs)} pairs"
    period_text = f", {period[0]}..{period[1]}" if ARGS.period else ""
    say(
        f"\n### {ARGS.scope}{period_text}: {len(ARGS.measures)} measures × {chosen},"
        f" {followups:,} follow-ups, database {ARGS.database}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n"
    )
    say(f"DuckDB load of the same rows: {time.perf_counter() - started:.1f} s; load average {os.getloadavg()[0]:.2f}\n")
    if ARGS.duckdb_runs:
        say(
            f"DuckDB: median of {ARGS.duckdb_runs} run(s) without a warm-up; timed again with a warm-up and"
            f" {ARGS.repeat} runs where PostgreSQL's median is over half of it\n"
        )
    if ARGS.table:
        say(
            "DuckDB, same table: the cells and, for a distinct count, its row, column and grand totals (the page"
            " shows them; they do not add up from the cells)\n"
        )
        say(
            "| measure | dimensions | PostgreSQL ms median (max) | read from | DuckDB ms median (max) | × DuckDB |"
            " DuckDB same table ms | × same table | load |"
        )
        say("|---|---|---|---|---|---|---|---|---|")
    else:
        say(
            "| measure | dimensions | PostgreSQL ms median (max) | read from | DuckDB ms median (max) | × DuckDB | load |"
        )
        say("|---|---|---|---|---|---|---|")
    tally = {"cells": 0, "over_500": 0, "over_3x": 0, "over_3x_table": 0}
    for measure in ARGS.measures:
        for pair in random.Random(0).sample(pairs, ARGS.sample) if ARGS.sample else pairs:
            params = Params(measure, list(pair), *period)
            pg_median, pg_max = timed(lambda p=params: build(p, scope))
            sql = duckdb_sql(measure, pair, where)
            dd_median, dd_max = timed(lambda q=sql: db.execute(q).fetchall(), ARGS.duckdb_runs)
            if ARGS.duckdb_runs and pg_median > dd_median / 2:  # near the 3× line: DuckDB as PostgreSQL is timed
                dd_median, dd_max = timed(lambda q=sql: db.execute(q).fetchall())
            ratio = pg_median / dd_median if dd_median else float("inf")
            source = _read_from(params, scope)
            tally["cells"] += 1
            tally["over_500"] += pg_median >= 500
            tally["over_3x"] += ratio > 3
            if ARGS.table and ratio > 2:  # near the 3× line: DuckDB computing the whole table too
                table = duckdb_table_sql(measure, pair, where)
                table_median, _table_max = timed(
                    lambda t=table: [db.execute(q).fetchall() for q in t], ARGS.duckdb_runs
                )
                if ARGS.duckdb_runs and pg_median > table_median / 2:  # near the 3× line: timed as PostgreSQL is
                    table_median, _table_max = timed(lambda t=table: [db.execute(q).fetchall() for q in t])
                table_ratio = pg_median / table_median if table_median else float("inf")
                tally["over_3x_table"] += table_ratio > 3
                say(
                    f"| {measure} | {pair[0]} × {pair[1]} | {pg_median:.0f} ({pg_max:.0f}) | {source} |"
                    f" {dd_median:.0f} ({dd_max:.0f}) | {ratio:.1f} | {table_median:.0f} | {table_ratio:.1f} |"
                    f" {os.getloadavg()[0]:.2f} |"
                )
                continue
            if ARGS.table:
                say(
                    f"| {measure} | {pair[0]} × {pair[1]} | {pg_median:.0f} ({pg_max:.0f}) | {source} |"
                    f" {dd_median:.0f} ({dd_max:.0f}) | {ratio:.1f} | — | — | {os.getloadavg()[0]:.2f} |"
                )
                continue
            say(
                f"| {measure} | {pair[0]} × {pair[1]} | {pg_median:.0f} ({pg_max:.0f}) | {source} |"
                f" {dd_median:.0f} ({dd_max:.0f}) | {ratio:.1f} | {os.getloadavg()[0]:.2f} |"
            )
    if ARGS.table:
        say(f"\n{tally['over_3x_table']} over 3× DuckDB computing the same table.")
    say(
        f"\n{tally['cells']} cells: {tally['over_500']} at or over 500 ms on PostgreSQL, {tally['over_3x']} over 3×"
        f" DuckDB; {time.strftime('%H:%M UTC', time.gmtime())}, load average {os.getloadavg()}"
    )


if __name__ == "__main__":
    main()
