"""The national-scale bench of issue 18: the bilan page and sector cross-tabs, each next to the same raw query on
the partitioned journals, on plain (unpartitioned) copies of them and on DuckDB, in one run.

    flock /tmp/bench.lock nice -n 10 .venv/bin/python bench/national/run.py --port 5432 \
        --database maillage_bench_national_cw --helpline-database maillage_bench_national_hl \
        --output /tmp/national.txt

It does not take the lock itself: run it under `flock /tmp/bench.lock` (README.md). Reads the product's rows
only; the plain copies are made by this script in a schema of its own (`bench_national`, refused if it exists)
and dropped at the end. Each database is measured in a child process of this script (Django reads one
DATABASE_URL per process); the parent prints one Markdown table row per measurement, with the ratio to DuckDB
and the load average when the measurement started, and appends everything to --output.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import bench_options  # bench/ put on the path just above

HEADER = (
    "| measurement | rows read by the raw query | product, median (max) | raw SQL, partitioned | raw SQL, plain copy"
    " | DuckDB | product ÷ DuckDB | partitioned ÷ DuckDB | target | load (1/5/15 min) |"
)
RULE = "|" + "---|" * HEADER.count(" |")


def _arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench_options.add_database(parser)
    parser.add_argument("--helpline-database", required=True, help="the database of the calls (helpline)")
    bench_options.add_output(parser)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per query, after one warming run (5)")
    parser.add_argument(
        "--only",
        choices=["helpline", "casework"],
        help="measure one database only (the other is not opened): for a disk that cannot hold both (README.md)",
    )
    parser.add_argument("--child", choices=["helpline", "casework"], help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _cell(result: dict, key: str) -> str:
    timing = result.get(key)
    return f"{timing[0]:.0f} ms ({timing[1]:.0f})" if timing else "–"


def _ratio(result: dict, key: str) -> str:
    timing, duck = result.get(key), result.get("duckdb")
    return f"{timing[0] / duck[0]:.1f}×" if timing and duck and duck[0] else "–"


def row(result: dict) -> str:
    """One Markdown table row of a child's measurement."""
    cells = [
        result["label"],
        f"{result['rows']:,}",
        _cell(result, "product"),
        _cell(result, "partitioned"),
        _cell(result, "plain"),
        _cell(result, "duckdb"),
        _ratio(result, "product"),
        _ratio(result, "partitioned"),
        result.get("target", "–"),
        result["load"],
    ]
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def _run_child(args: argparse.Namespace, which: str, database: str) -> list[dict]:
    command = [sys.executable, __file__, "--port", str(args.port), "--database", database]
    command += ["--helpline-database", args.helpline_database, "--output", str(args.output)]
    command += ["--repeat", str(args.repeat), "--child", which]
    # The child's notes (set-up times, row counts) go to stderr, shown as they come; its results are JSON lines.
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def main() -> None:
    args = _arguments()
    if args.child:
        from national_child import measure  # bench/national/national_child.py, after the options are read

        measure(args)
        return
    title = f"national bench, case work {args.database}, helpline {args.helpline_database}, only {args.only or 'both'}"
    with bench_options.recording(args.output, title):
        results = []
        if args.only != "casework":
            results += _run_child(args, "helpline", args.helpline_database)
        if args.only != "helpline":
            results += _run_child(args, "casework", args.database)
        notes = [note for result in results for note in result.get("notes", [])]
        print("\n".join(notes) + "\n")
        print(HEADER)
        print(RULE)
        for result in results:
            print(row(result), flush=True)


if __name__ == "__main__":
    main()
