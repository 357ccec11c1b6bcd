"""Time "my centre and the sector" and the annual sector report on a big case-work database.

    .venv/bin/python bench/casework/generate.py --followups 1000000 --port 5432 --database maillage_sector_bench
    MAILLAGE_VAR_DIR=/tmp/sector-bench-var flock /tmp/bench.lock .venv/bin/python bench/sector/run.py \
        --port 5432 --database maillage_sector_bench --output /tmp/sector-bench.txt

Each page figure is the whole request through Django's test client (middleware, sessions, templates,
charts), as a worker of centre "Bench 00": cold = every cache emptied and the page's kept figures deleted
first (every indicator counted from the roll-ups or the rows and protected: a page nobody computed ahead),
warm = the same page again (its kept figures), changed = the counts changed since the page's figures were
kept (their stamp made different): answered from the kept figures, a refresh queued (production's database
task queue; `maillage.sector.page_figures`), after warm-up = every cache emptied after the warm-up command
(`page_figures.warm_up`, what `maillage sector_figures` runs): the kept figures alone.
Median (max) of 5 runs after one warm-up. The warm-up command: every centre × period of the grid of --year
computed again (`force`) with an empty cache, once, timed whole, with its CPU (this process). The network's
stored patterns (`network_pattern.refresh_year`): every family chosen again, once, as after a follow-up of an
open year. The report: `report.build_documents` (HTML and PDF) with an empty cache, once.
Every printed line is appended to --output; the database is only
read, except the report run, the patterns and the kept page figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import bench_options


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench_options.add_options(parser)
    parser.add_argument("--year", type=int, default=2025)
    return parser.parse_args()


ARGS = _arguments()
# Production's task queue: a page whose counts changed is answered from its kept figures, the refresh queued
# (into the bench database's task table; no worker runs it here).
os.environ["MAILLAGE_TASKS_BACKEND"] = "django_tasks_db.DatabaseBackend"
bench_options.setup_django(ARGS.port, ARGS.database)

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from maillage.casework.models import FollowUp  # noqa: E402
from maillage.core.models import Membership, Organisation, User  # noqa: E402
from maillage.sector.models import ReportRun  # noqa: E402

RUNS = 5
YEAR = ARGS.year


def _load() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def _say(line: str) -> None:
    print(line, flush=True)
    with open(ARGS.output, "a", encoding="utf-8") as out:
        out.write(line + "\n")


def _time(client: Client, url: str, *, mode: str, centre_id: int, year: int, key: str) -> tuple[float, float, int]:
    """mode: "cold" (nothing kept: every indicator counted and protected in the request), "warm" (the same
    page again), "changed" (the counts changed since the page's figures were kept: answered from them),
    "after warm-up" (the warm-up command ran, then every cache emptied: the kept figures alone)."""
    from maillage.sector.models import KeptFigures

    kept = KeptFigures.objects.filter(organisation_id=centre_id, year=year, period=key)
    samples = []
    queries = 0
    for index in range(RUNS + 1):
        if mode in ("cold", "after warm-up"):
            cache.clear()
        if mode == "cold":
            kept.delete()
        if mode == "changed":  # as if a follow-up was recorded since: the kept stamp differs
            kept.update(stamp="changed")
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.status_code
        if index:  # the first run warms the process (imports, matplotlib, connections)
            samples.append(elapsed)
            queries = len(captured)
    return statistics.median(samples), max(samples), queries


def main() -> None:
    centre = Organisation.objects.get(short_name="Bench 00")
    worker = User.objects.filter(memberships__organisation=centre, memberships__role="worker").first()
    assert worker is not None
    Membership.objects.get_or_create(user=worker, organisation=centre, role="worker")
    client = Client()
    client.force_login(worker)
    followups = FollowUp.objects.count()
    in_year = FollowUp.objects.filter(date__year=YEAR).count()
    _say(f"{bench_options.stamp()}, database {ARGS.database}")
    _say(f"follow-ups: {followups:,} ({in_year:,} in {YEAR}); load {_load()}")
    lines = []
    pages = (("whole year", "year"), ("a quarter", "q2"), ("a four-month period", "t3"))
    for label, key in pages:
        for mode in ("cold", "warm", "changed"):
            load = _load()
            url = f"/sector/?centre={centre.pk}&year={YEAR}&period={key}"
            median, worst, queries = _time(client, url, mode=mode, centre_id=centre.pk, year=YEAR, key=key)
            line = f"| {label}, {mode} | {median:.0f} ms ({worst:.0f}) | {queries} | {load} |"
            _say(line)
            lines.append(line)
    from maillage.sector.counts import sector_centres
    from maillage.sector.page_figures import warm_up

    cache.clear()
    load = _load()
    started, started_cpu = time.perf_counter(), time.process_time()
    done = warm_up([YEAR], force=True)
    seconds, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    line = (
        f"| the warm-up command, {YEAR} ({done.computed} pages: {len(sector_centres())} centres × 8 periods)"
        f" | {seconds:.1f} s (CPU {cpu:.1f} s) | | {load} |"
    )
    _say(line)
    lines.append(line)
    for label, key in pages:
        load = _load()
        url = f"/sector/?centre={centre.pk}&year={YEAR}&period={key}"
        median, worst, queries = _time(client, url, mode="after warm-up", centre_id=centre.pk, year=YEAR, key=key)
        line = f"| {label}, after the warm-up | {median:.0f} ms ({worst:.0f}) | {queries} | {load} |"
        _say(line)
        lines.append(line)
    from maillage.sector.network_pattern import refresh_year

    load = _load()
    started = time.perf_counter()
    patterns = refresh_year(YEAR)  # every family chosen again (an open year), as after any new follow-up
    seconds = time.perf_counter() - started
    line = f"| the network's patterns chosen again ({len(patterns)} families) | {seconds:.1f} s | | {load} |"
    _say(line)
    lines.append(line)
    cache.clear()
    load = _load()
    run = ReportRun.objects.create(year=YEAR, actor=worker)
    from maillage.sector.report import build_documents

    started = time.perf_counter()
    build_documents(run)
    seconds = time.perf_counter() - started
    run.refresh_from_db()
    line = (
        f"| annual report {YEAR}, HTML + PDF, cold | {seconds:.1f} s | HTML {len(run.html) / 1e6:.1f} MB,"
        f" PDF {len(run.pdf) / 1e3:.0f} kB | {load} |"
    )
    _say(line)
    lines.append(line)
    _say("\n".join(lines))


if __name__ == "__main__":
    main()
