"""When to count a period of odd days as the all-time cells less the days outside it, and when on its own.

    flock /tmp/bench.lock .venv/bin/python bench/casework/edges.py --port 5432 --database maillage_bench_5m \
        --output /tmp/edges.md

For periods ending 2025-12-20 and starting later and later (more and more rows outside them), a few sector
cross-tabs built by the engine (`maillage.stats.crosstab.build`: the cells and their totals, as the page) both ways:
`maillage.stats.tabulate.edges_read` forced (its threshold lifted) and the period counted on the columnar copy
(`columnar_read`). One warm-up, then the median of --repeat runs. The share of rows outside the period where the
second becomes faster sets `edges_read._OUTSIDE_AT_MOST`. Needs a columnar copy (`manage.py casework_columnar`).
Reads only; every line is appended to --output.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import time

from reporting import bench_centres, bench_parser, printer, use_database


def _arguments() -> argparse.Namespace:
    parser = bench_parser(__doc__, "a Markdown file the rows are appended to")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--starts",
        nargs="+",
        type=datetime.date.fromisoformat,
        default=[datetime.date(y, 1, 5) for y in (2016, 2017, 2018, 2019, 2020, 2021)],
    )
    return parser.parse_args()


ARGS = _arguments()
use_database(ARGS.port, ARGS.database)


from maillage.casework import columnar  # noqa: E402
from maillage.stats.crosstab import Params, Scope, build  # noqa: E402
from maillage.stats.tabulate import edges_read, query  # noqa: E402

END = datetime.date(2025, 12, 20)
QUESTIONS = [
    ("persons", ["theme1", "nationality_group"]),
    ("case_files", ["sex", "commune"]),
    ("followups", ["theme1", "nationality_group"]),
    ("requests", ["sex", "commune"]),
]


def _timed(params: Params, scope: Scope) -> float:
    build(params, scope)  # warm-up
    runs = []
    for _ in range(ARGS.repeat):
        start = time.perf_counter()
        build(params, scope)
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs)


def _outside_share(start: datetime.date) -> float:
    with columnar.reading() as reading:
        assert reading is not None, "no columnar copy: run manage.py casework_columnar"
        outside, rows = reading.db.execute(
            "SELECT count(*) FILTER (WHERE date < ? OR date > ?), count(*) FROM snap.followups", [start, END]
        ).fetchone()
    return outside / rows


def main() -> None:
    say = printer(ARGS.output)
    scope = Scope(bench_centres())
    say(
        f"\n#### edges or the period, sector, periods ending {END} ({datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC)\n"
    )
    say("| period | rows outside | measure | dimensions | all-time less edges ms | the period ms | load |")
    say("|---|---|---|---|---|---|---|")
    direct = query.from_whole_less_edges
    chosen = edges_read._OUTSIDE_AT_MOST
    for start in ARGS.starts:
        share = _outside_share(start)
        for measure, dimensions in QUESTIONS:
            params = Params(measure, dimensions, start, END)
            edges_read._OUTSIDE_AT_MOST = dict.fromkeys(chosen, 1.0)  # forced: whatever the share outside
            with_edges = _timed(params, scope)
            edges_read._OUTSIDE_AT_MOST = chosen
            query.from_whole_less_edges = lambda *args, **options: None  # type: ignore[assignment]
            period = _timed(params, scope)
            query.from_whole_less_edges = direct
            load = os.getloadavg()[0]
            say(
                f"| {start}..{END} | {share:.1%} | {measure} | {' × '.join(dimensions)} | {with_edges:.0f} |"
                f" {period:.0f} | {load:.2f} |"
            )


if __name__ == "__main__":
    main()
