"""Distinct persons and case files by two dimensions varying within a person (theme × mode), the whole sector,
over given periods: the tables the spans of one dimension do not answer (`firsts` in the columnar copy).

    flock /tmp/bench.lock .venv/bin/python bench/casework/pairs.py --port 5432 --database maillage_bench_5m \\
        --output /tmp/pairs.txt --period 2016-06-15 2025-06-14 --period 2017-08-15 2025-03-14

Each table as the pages ask it (`build`: cells and totals), one first run then the median of --repeat runs, with
where it was read from and the load average; a line per table and a summary per period, appended to --output.
Reads only.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import time

from reporting import bench_centres, bench_parser, printer, use_database


def _arguments() -> argparse.Namespace:
    parser = bench_parser(__doc__)
    parser.add_argument(
        "--period",
        nargs=2,
        action="append",
        metavar=("FROM", "TO"),
        type=datetime.date.fromisoformat,
        required=True,
        help="a period (repeat for several)",
    )
    parser.add_argument("--repeat", type=int, default=3)
    return parser.parse_args()


ARGS = _arguments()
use_database(ARGS.port, ARGS.database)

from maillage.casework.columnar_spans import SPANNED_PAIRS  # noqa: E402
from maillage.stats.crosstab import Params, Scope, build  # noqa: E402
from maillage.stats.tabulate.params import SECTOR_DIMENSIONS  # noqa: E402


def main() -> None:
    say = printer(ARGS.output)
    scope = Scope(bench_centres())
    pairs = [pair for pair in SPANNED_PAIRS if set(pair) <= set(SECTOR_DIMENSIONS)]
    for date_from, date_to in ARGS.period:
        say(
            f"\n{date_from}..{date_to}, {len(pairs)} pairs × persons, case files, {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC"
        )
        medians = []
        for measure in ("persons", "case_files"):
            for pair in pairs:
                params = Params(measure, list(pair), date_from, date_to)
                build(params, scope)
                runs = []
                for _ in range(ARGS.repeat):
                    start = time.perf_counter()
                    build(params, scope)
                    runs.append((time.perf_counter() - start) * 1000)
                medians.append(statistics.median(runs))
                say(
                    f"    {measure} {pair[0]} x {pair[1]}: median {medians[-1]:.0f} ms (max {max(runs):.0f}),"
                    f" load {os.getloadavg()[0]:.2f}"
                )
        say(
            f"{len(medians)} tables: {min(medians):.0f}–{max(medians):.0f} ms,"
            f" {sum(m >= 500 for m in medians)} at or over 500 ms; load average {os.getloadavg()}"
        )


main()
