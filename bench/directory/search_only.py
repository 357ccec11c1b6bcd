"""The same search without HTTP and templates: `search.engine.search()` in-process, sequentially.

    flock /tmp/bench.lock .venv/bin/python bench/directory/search_only.py --port 5432 \
        --database maillage_bench_directory --output /tmp/search_only.txt --requests 200

Reads only. Every printed line is appended to --output.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import bench_options


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench_options.add_options(parser)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--at", help="Brussels moment to search at (clock.py, default Monday 10:30); 'now' for the real clock"
    )
    return parser.parse_args()


ARGS = _arguments()
bench_options.setup_django(ARGS.port, ARGS.database)

from clock import DEFAULT_AT, travel  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from maillage.core.models import PostalCode  # noqa: E402
from maillage.directory.search.engine import SearchCriteria, search  # noqa: E402
from maillage.taxonomy.queries import active_categories  # noqa: E402


def main(args: argparse.Namespace) -> None:
    travel(args.at or DEFAULT_AT)
    rng = random.Random(7)
    categories = list(active_categories("request-themes"))
    codes = list(PostalCode.objects.values_list("code", flat=True))
    timings, cpu, queries, found, serving = [], [], [], [], []
    for index in range(args.requests + 10):
        criteria = SearchCriteria(
            category=rng.choice(categories),
            postal_code=rng.choice(codes),
            language=rng.choice(["fr", "fr", "nl", "en"]),
            open_now=True,
            at=timezone.now(),
        )
        with CaptureQueriesContext(connection) as captured:  # counted whatever MAILLAGE_DEBUG says
            start, start_cpu = time.perf_counter(), time.process_time()
            results = search(criteria)
            elapsed = (time.perf_counter() - start) * 1000
        if index >= 10:  # the first ten warm caches and connections
            timings.append(elapsed)
            cpu.append((time.process_time() - start_cpu) * 1000)
            serving.append(sum(r.serves_area for r in results))
            queries.append(len(captured))
            found.append(len(results))
    timings.sort()
    cpu.sort()
    print(
        f"searches={len(timings)} p50={statistics.median(timings):.1f} ms "
        f"p95={timings[int(0.95 * (len(timings) - 1))]:.1f} ms max={timings[-1]:.1f} ms "
        f"cpu p50={statistics.median(cpu):.1f} ms p95={cpu[int(0.95 * (len(cpu) - 1))]:.1f} ms "
        f"queries={statistics.mean(queries):.1f} mean results={statistics.mean(found):.1f} "
        f"of which serving the area={statistics.mean(serving):.1f}; searches with fewer than 20 serving: "
        f"{sum(count < 20 for count in serving)}"
    )


if __name__ == "__main__":
    with bench_options.recording(ARGS.output, f"directory search_only.py, database {ARGS.database}"):
        main(ARGS)
