"""The research export at growing sizes: time, rows/s and peak memory of each way to write it, beside a raw
PostgreSQL COPY of the same rows (the floor). Each measure runs in a fresh process, so its peak RSS is its own.

    flock /tmp/bench.lock .venv/bin/python bench/helpline/exports.py --port 5432 \
        --database maillage_bench_helpline --rows 10000 100000 1000000 --output /tmp/exports.md

Ways: `copy` (the product's CSV on PostgreSQL), `rows` (the product's row-by-row CSV, what SQLite uses),
`before` (the row writer as it was before issue 19, read from git at commit BEFORE), `xlsx` (the product's
workbook; only up to --xlsx-max rows, it is slow) and `floor` (COPY of the same joined rows, no formatting).
Reads only; writes nothing to the database.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import types
from datetime import timedelta

from common import ROOT, bench_options, measure_in_children, setup_django

BEFORE = "90652a0"  # the last commit with the dictionary-numbered row writer


def _period(rows: int):  # type: ignore[no-untyped-def]
    """The shortest period ending on the last day with calls that holds at least `rows` requests."""
    from django.db.models import Count
    from django.db.models.functions import TruncDate

    from maillage.helpline.models import Request
    from maillage.stats.shares import Period

    days = list(
        Request.objects.annotate(day=TruncDate("started_at"))
        .values("day")
        .annotate(n=Count("*"))
        .order_by("-day")
        .values_list("day", "n")
    )
    total = 0
    for day, n in days:
        total += n
        if total >= rows:
            return Period(day, days[0][0]), total
    return Period(days[-1][0], days[0][0]), total


def _before_rows():  # type: ignore[no-untyped-def]
    source = subprocess.run(
        ["git", "show", f"{BEFORE}:maillage/stats/helpline_reports.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    module = types.ModuleType("before_issue_19")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, "before_issue_19", "exec"), module.__dict__)  # our own code, from git
    return module.research_rows


def measure(way: str, rows: int, port: int, database: str) -> dict:
    """One measure, in this process (called in a child)."""
    setup_django(port, database)
    from django.db import connection

    from maillage.core.models import Organisation
    from maillage.core.spreadsheet import csv_lines
    from maillage.stats.exports import rows_to_xlsx_response
    from maillage.stats.helpline_reading import themes_read_in
    from maillage.stats.helpline_research import RESEARCH_HEADERS, research_copy_query, research_response, research_rows

    line = Organisation.objects.get(short_name="FdSS")
    period, count = _period(rows)
    reading = themes_read_in(None)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    written = 0
    started = time.perf_counter()
    if way == "copy":
        for chunk in research_response("x", [line.pk], period, reading).streaming_content:
            written += len(chunk)
    elif way in ("rows", "before"):
        produce = research_rows if way == "rows" else _before_rows()
        for text in csv_lines(RESEARCH_HEADERS, produce([line.pk], period, reading)):
            written += len(text.encode())
    elif way == "xlsx":
        response = rows_to_xlsx_response("x", RESEARCH_HEADERS, research_rows([line.pk], period, reading))
        for chunk in response.streaming_content:
            written += len(chunk)
    elif way == "floor":
        query, params = research_copy_query([line.pk], period, reading)
        # The same rows and joins, every column as stored: no neutralising, no local time, no numbering.
        raw = query.split("SELECT dense_rank()")[0] + (
            "SELECT p.call_id, c.started_at, c.duration_minutes, c.language, c.caller_sex, c.caller_area, "
            "m.nis_code, c.caller_type, c.heard_via, c.urgency, p.position, p.category_id, g.code, v.number, "
            "p.action, p.service_id FROM picked p" + query.split("FROM picked p", 1)[1].split("ORDER BY")[0]
        )
        with (
            connection.cursor() as wrapper,
            wrapper.cursor.copy(f"COPY ({raw}) TO STDOUT (FORMAT csv)", params) as copy,
        ):
            for chunk in copy:
                written += len(chunk)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "way": way,
        "rows": count,
        "days": (period.last - period.first + timedelta(days=1)).days,
        "seconds": round(seconds, 2),
        "rows_per_s": round(count / seconds),
        "mb_written": round(written / 1e6, 1),
        "peak_rss_mb": round(peak / 1024, 1),
        "growth_mb": round((peak - baseline) / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench_options.add_options(parser)
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--ways", nargs="+", default=["floor", "copy", "rows", "before", "xlsx"])
    parser.add_argument("--xlsx-max", type=int, default=100_000)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child[0], int(args.child[1]), args.port, args.database)))
        return
    lines = [
        f"\n### Research export, {bench_options.stamp()}, database {args.database}\n",
        "| way | rows | days | seconds | rows/s | MB written | peak RSS MB | growth MB | load average |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    runs = [(way, str(rows)) for rows in args.rows for way in args.ways if not (way == "xlsx" and rows > args.xlsx_max)]
    lines += measure_in_children(
        __file__,
        args,
        runs,
        lambda r: [
            r["way"],
            r["rows"],
            r["days"],
            r["seconds"],
            r["rows_per_s"],
            r["mb_written"],
            r["peak_rss_mb"],
            r["growth_mb"],
        ],
    )
    with open(args.output, "a", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
