"""The columnar copy at scale: how long a copy takes, what a cross-tab over an odd period costs on it with
0 … N persons changed since (their rows read from PostgreSQL beside it), and what the change log adds to recording
a follow-up.

    flock /tmp/bench.lock .venv/bin/python bench/casework/columnar_copy.py --port 5432 \\
        --database maillage_bench_5m --output /tmp/columnar.txt --changed 0 100 2000 20000

Changes are simulated by updating persons to the values they have (the triggers log them as changed; no counted
value moves); the recorded follow-up is rolled back. Takes a copy at the start and one at the end (the database's
copy is left current). Every printed line is appended to --output.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import time

from reporting import bench_centres, bench_parser, printer, use_database


def _arguments() -> argparse.Namespace:
    parser = bench_parser(__doc__, "a text file every printed line is appended to")
    parser.add_argument("--changed", type=int, nargs="+", default=[0, 100, 2000, 20000])
    parser.add_argument("--repeat", type=int, default=5)
    return parser.parse_args()


ARGS = _arguments()
use_database(ARGS.port, ARGS.database)

from django.db import connection  # noqa: E402
from run import record_follow_up_ms  # noqa: E402

from maillage.casework import columnar  # noqa: E402
from maillage.stats.crosstab import Params, Scope, build  # noqa: E402

ODD = (datetime.date(2022, 3, 15), datetime.date(2024, 9, 30))
QUESTIONS = [  # (label, params, whole sector?)
    ("persons theme1 × sex, sector", Params("persons", ["theme1", "sex"], *ODD), True),
    ("case files income source × age band, sector", Params("case_files", ["income_source", "age_band"], *ODD), True),
    ("follow-ups theme2 × institution1, sector", Params("followups", ["theme2", "institution1"], *ODD), True),
    ("requests stage2 × commune, sector", Params("requests", ["stage2", "commune"], *ODD), True),
    ("persons worker × postal code, one centre", Params("persons", ["worker", "postal_code"], *ODD), False),
]


def timed(function) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    function()
    runs = []
    for _ in range(ARGS.repeat):
        start = time.perf_counter()
        function()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs), max(runs)


def main() -> None:
    say = printer(ARGS.output)
    centres = bench_centres()
    say(f"\n## Columnar copy, database {ARGS.database}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n")
    started = time.perf_counter()
    path = columnar.build()
    assert path is not None
    say(
        f"copy taken in {time.perf_counter() - started:.1f} s, {path.stat().st_size / 1e6:.0f} MB"
        f" (load {os.getloadavg()[0]:.2f})\n"
    )
    say(
        "| persons changed since the copy | question (2022-03-15..2024-09-30) | first read ms |"
        " then ms median (max) | load |"
    )
    say("|---|---|---|---|---|")
    for changed in ARGS.changed:
        if changed:
            with connection.cursor() as cursor:  # logged as changed, nothing counted moves
                cursor.execute(
                    "UPDATE casework_person SET household = household WHERE id IN"
                    " (SELECT id FROM casework_person ORDER BY hashint8(id) LIMIT %s)",
                    [changed],
                )
        logged = columnar.changed_persons()
        for index, (label, params, sector) in enumerate(QUESTIONS):
            scope = Scope(centres if sector else centres[:1])
            started = time.perf_counter()
            build(params, scope)
            first = (time.perf_counter() - started) * 1000
            median, worst = timed(lambda p=params, s=scope: build(p, s))
            made = " (with the views of the changed persons' rows)" if index == 0 and changed else ""
            say(f"| {logged:,} | {label} | {first:.0f}{made} | {median:.0f} ({worst:.0f}) | {os.getloadavg()[0]:.2f} |")
    median, worst = record_follow_up_ms(centres[0])
    say(
        f"\nrecording a follow-up with two requests (rolled back): {median:.0f} ms median, max {worst:.0f}"
        f" (load {os.getloadavg()[0]:.2f})"
    )
    started = time.perf_counter()
    columnar.build()
    say(f"copy taken again in {time.perf_counter() - started:.1f} s (load {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
