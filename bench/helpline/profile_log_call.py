"""In-process profile of logging one call (the htmx POST of log_call_load.py): CPU ms and queries.

One responder, Django's test client, the real middleware stack, no network. Prints the CPU time
per call (median of --calls), the queries of one call, and optionally a cProfile summary.

    flock /tmp/bench.lock .venv/bin/python bench/helpline/profile_log_call.py --port 5432 \
        --database maillage_bench_helpline --output /tmp/profile_log_call.txt --calls 200 [--cprofile] [--no-htmx]

Every printed line (the cProfile summary too) is appended to --output. Each run adds its calls to the database.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import time
from urllib.parse import urlencode

from common import bench_options, setup_django
from log_call_load import _form

FORM_TYPE = "application/x-www-form-urlencoded"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench_options.add_options(parser)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--cprofile", action="store_true")
    parser.add_argument("--no-htmx", action="store_true", help="the plain form POST (redirect) instead of htmx")
    parser.add_argument("--queries", action="store_true", help="print the SQL of one call")
    parser.add_argument("--sort", default="cumulative", help="cProfile order: cumulative or tottime")
    parser.add_argument("--stats-file", help="also dump the cProfile stats there (pstats format)")
    args = parser.parse_args()
    setup_django(args.port, args.database)
    with bench_options.recording(args.output, f"helpline profile_log_call.py, database {args.database}"):
        _profile(args)


def _profile(args: argparse.Namespace) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from maillage.core.models import User
    from maillage.directory.models import Service

    service = Service.objects.get(name_fr="Bench FOOD")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(email="responder0@bench.example"))
    client.get("/helpline/calls/new/")
    headers = {} if args.no_htmx else {"HX-Request": "true"}
    expected = 302 if args.no_htmx else 200

    body = urlencode(_form(service.pk))  # as a browser and the load tool send it (not multipart)

    def post() -> None:
        response = client.post("/helpline/calls/new/", body, content_type=FORM_TYPE, headers=headers)
        assert response.status_code == expected, response.status_code

    for _ in range(10):
        post()
    with CaptureQueriesContext(connection) as captured:
        post()
    print(f"queries per call: {len(captured.captured_queries)}")
    if args.queries:
        for query in captured.captured_queries:
            print(f"  {query['time']}  {query['sql'][:160]}")
    cpu: list[float] = []
    wall: list[float] = []
    profile = cProfile.Profile(time.process_time) if args.cprofile else None  # CPU, not waiting
    for _ in range(args.calls):
        started, started_wall = time.process_time(), time.perf_counter()
        if profile:
            profile.enable()
        post()
        if profile:
            profile.disable()
        cpu.append(time.process_time() - started)
        wall.append(time.perf_counter() - started_wall)
    print(
        f"CPU per call (client process: Django + psycopg): median {statistics.median(cpu) * 1000:.1f} ms, "
        f"mean {statistics.mean(cpu) * 1000:.1f} ms over {args.calls} calls; wall time median "
        f"{statistics.median(wall) * 1000:.1f} ms (one client, no concurrency)"
    )
    if profile:
        if args.stats_file:
            profile.dump_stats(args.stats_file)
        pstats.Stats(profile).sort_stats(args.sort).print_stats(45)


if __name__ == "__main__":
    main()
