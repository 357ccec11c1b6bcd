"""The CPU of a cold "my centre and the sector" page (every cache emptied first), and where it goes.

    MAILLAGE_VAR_DIR=/tmp/x flock /tmp/bench.lock .venv/bin/python bench/sector/cold_cpu.py \
        --port 5432 --database maillage_sector_bench --output /tmp/cold_cpu.txt [--profile 30]

For each period (the year, a quarter, a four-month period): the whole request through Django's test client
as a worker of "Bench 00", cold (an empty cache and no kept figures: every indicator counted and protected)
and kept (an empty cache, the page's figures kept: `page_figures`); process CPU (this process: Python, not
PostgreSQL) and wall time, median (min) of --runs (3) after one warm-up run: the CPU of other processes on
the same core inflates this one's, the minimum is the steadiest figure under load. `--profile N`: also print
cProfile's N costliest functions of one cold year page (by own time and by cumulative time). Every printed line
is appended to --output. Writes only the page's kept figures (deleted for the cold runs, kept again by them).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import bench_options

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
bench_options.add_options(parser)
parser.add_argument("--year", type=int, default=2025)
parser.add_argument("--profile", type=int, default=0)
parser.add_argument("--runs", type=int, default=3)
ARGS = parser.parse_args()
bench_options.setup_django(ARGS.port, ARGS.database)

from django.core.cache import cache  # noqa: E402
from django.test import Client  # noqa: E402

from maillage.core.models import Organisation, User  # noqa: E402
from maillage.sector.models import KeptFigures  # noqa: E402


def main() -> None:
    centre = Organisation.objects.get(short_name="Bench 00")
    worker = User.objects.filter(memberships__organisation=centre, memberships__role="worker").first()
    client = Client()
    client.force_login(worker)
    load = Path("/proc/loadavg").read_text().split()[0]
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC, database {ARGS.database}, load {load}")
    for period in ("year", "q2", "t3"):
        url = f"/sector/?centre={centre.pk}&year={ARGS.year}&period={period}"
        kept = KeptFigures.objects.filter(organisation=centre, year=ARGS.year, period=period)
        for mode in ("cold", "kept"):
            cpu, wall = [], []
            for index in range(ARGS.runs + 1):
                cache.clear()
                if mode == "cold":
                    kept.delete()
                started, started_cpu = time.perf_counter(), time.process_time()
                assert client.get(url).status_code == 200
                if index:
                    cpu.append((time.process_time() - started_cpu) * 1000)
                    wall.append((time.perf_counter() - started) * 1000)
            load = Path("/proc/loadavg").read_text().split()[0]
            print(
                f"| {period}, {mode} | CPU {statistics.median(cpu):.0f} ms (min {min(cpu):.0f})"
                f" | wall {statistics.median(wall):.0f} ms | load {load} |"
            )
    if ARGS.profile:
        cache.clear()
        KeptFigures.objects.filter(organisation=centre, year=ARGS.year, period="year").delete()
        profile = cProfile.Profile()
        profile.enable()
        client.get(f"/sector/?centre={centre.pk}&year={ARGS.year}&period=year")
        profile.disable()
        stats = pstats.Stats(profile)
        stats.sort_stats("tottime").print_stats(ARGS.profile)
        stats.sort_stats("cumulative").print_stats(ARGS.profile)


if __name__ == "__main__":
    with bench_options.recording(ARGS.output, f"sector cold_cpu.py, database {ARGS.database}"):
        main()
