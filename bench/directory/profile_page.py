"""The search in-process (django.test.Client, no HTTP): wall and CPU ms per request, SQL queries.

The htmx results fragment by default (what the page asks for once loaded), the full page with --full.

    flock /tmp/bench.lock .venv/bin/python bench/directory/profile_page.py --port 5432 \
        --database maillage_bench_directory --output /tmp/profile_page.txt --requests 200 [--profile]

Reads only. Every printed line (the cProfile summary too) is appended to --output.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import bench_options

os.environ.setdefault("MAILLAGE_DEBUG", "false")
os.environ.setdefault("MAILLAGE_ALLOWED_HOSTS", "testserver")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench_options.add_options(parser)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--full", action="store_true", help="the full page (default: the htmx results fragment)")
    parser.add_argument("--path", default="/directory/", help="/directory/ (public) or /directory/pro/")
    parser.add_argument(
        "--at", help="Brussels moment to search at (clock.py, default Monday 10:30); 'now' for the real clock"
    )
    return parser.parse_args()


ARGS = _arguments()
bench_options.setup_django(ARGS.port, ARGS.database)

from clock import DEFAULT_AT, travel  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from scenario import search_urls  # noqa: E402


def main(args: argparse.Namespace) -> None:
    travel(args.at or DEFAULT_AT)
    urls = search_urls(args.path, args.requests + 10)
    client = Client(headers={} if args.full else {"HX-Request": "true"})
    for url in urls[:10]:
        assert client.get(url).status_code == 200
    wall, cpu, queries, sizes = [], [], [], []
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    for url in urls[10:]:
        with CaptureQueriesContext(connection) as captured:
            start, start_cpu = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            response = client.get(url)
            if profiler:
                profiler.disable()
            wall.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
        queries.append(len(captured))
        sizes.append(len(response.content))
    wall.sort()
    cpu.sort()
    print(
        f"pages={len(wall)} wall p50={statistics.median(wall):.1f} ms p95={wall[int(0.95 * (len(wall) - 1))]:.1f} ms "
        f"cpu p50={statistics.median(cpu):.1f} ms p95={cpu[int(0.95 * (len(cpu) - 1))]:.1f} ms "
        f"queries={statistics.mean(queries):.1f} bytes={statistics.mean(sizes):.0f}"
    )
    if profiler:
        pstats.Stats(profiler).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(
            int(os.environ.get("TOP", "35"))
        )


if __name__ == "__main__":
    with bench_options.recording(ARGS.output, f"directory profile_page.py, database {ARGS.database}"):
        main(ARGS)
