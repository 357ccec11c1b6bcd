"""What the in-memory search index costs a process: a full build, an update after one change, memory.

    flock /tmp/bench.lock .venv/bin/python bench/directory/index_build.py --port 5432 \
        --database maillage_bench_directory --output /tmp/index_build.txt [--trace]

Reads only. Every printed line is appended to --output.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import bench_options


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench_options.add_options(parser)
    parser.add_argument("--trace", action="store_true", help="what the index holds, by tracemalloc (slower)")
    return parser.parse_args()


ARGS = _arguments()
bench_options.setup_django(ARGS.port, ARGS.database)

from maillage.directory.models import Service  # noqa: E402
from maillage.directory.search.generation import current_generation  # noqa: E402
from maillage.directory.search.index import SearchIndex  # noqa: E402


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def timed(label: str, build):
    wall, cpu = time.perf_counter(), time.process_time()
    result = build()
    print(
        f"{label}: wall {(time.perf_counter() - wall) * 1000:.0f} ms, cpu {(time.process_time() - cpu) * 1000:.0f} ms"
    )
    return result


def main() -> None:
    current_generation()  # the connection and the ORM's first query, outside the measure
    gc.collect()
    before = rss_mb()
    trace = ARGS.trace  # what the index holds, by tracemalloc (slower, and its own RSS)
    if trace:
        tracemalloc.start()
    index = timed("full build", lambda: SearchIndex.build(current_generation()))
    gc.collect()
    held = f"index holds {tracemalloc.get_traced_memory()[0] / 1e6:.1f} MB (tracemalloc), " if trace else ""
    tracemalloc.stop()
    print(
        f"services held: {len(index.entries)}, tokens: {len(index.by_token)}, {held}"
        f"RSS +{rss_mb() - before:.0f} MB (process growth, freed rows included)"
    )
    timed("second full build", lambda: SearchIndex.build(current_generation()))
    one = [Service.objects.filter(status="published").order_by("pk").values_list("pk", flat=True)[0]]
    timed("update after a change to 1 service", lambda: index.updated(set(one), index.generation))
    some = set(Service.objects.filter(status="published").order_by("pk").values_list("pk", flat=True)[:50])
    timed("update after changes to 50 services", lambda: index.updated(some, index.generation))


if __name__ == "__main__":
    with bench_options.recording(ARGS.output, f"directory index_build.py, database {ARGS.database}"):
        main()
