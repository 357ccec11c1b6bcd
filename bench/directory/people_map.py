"""The people search (signed-in professional) and the map's data answer, in-process (django.test.Client):
response time p50/p95 over N random requests, and CPU per request.

    flock /tmp/bench.lock .venv/bin/python bench/directory/people_map.py --port 5432 \\
        --database maillage_bench_directory --output /tmp/people_map.txt --requests 300

Creates (once) a bench user and organisation to sign in with. Every printed line is appended to --output.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_options

os.environ.setdefault("MAILLAGE_DEBUG", "false")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench_options.add_options(parser)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--at", default=None)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--only", choices=["people", "map"], default=None)
    parser.add_argument("--kind", choices=["name", "need"], default=None)
    return parser.parse_args()


ARGS = _arguments()
bench_options.setup_django(ARGS.port, ARGS.database)

from clock import travel  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from maillage.core.models import Commune, Membership, Organisation, PostalCode, Role, User  # noqa: E402
from maillage.directory.models import Quartier  # noqa: E402
from maillage.taxonomy.queries import active_categories  # noqa: E402

LANGUAGES = ["", "", "fr", "nl", "en", "ar"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def measure(label: str, client: Client, urls: list[str], profile: bool = False) -> None:
    for url in urls[:20]:
        client.get(url)  # warm up (index, templates)
    times, cpus, queries = [], [], []
    profiler = cProfile.Profile(time.process_time) if profile else None
    for url in urls:
        with CaptureQueriesContext(connection) as captured:
            started, started_cpu = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            response = client.get(url)
            if profiler:
                profiler.disable()
            times.append((time.perf_counter() - started) * 1000)
            cpus.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries.append(len(captured))
    print(
        f"{label}: {len(urls)} requests, p50 {statistics.median(times):.1f} ms, p95 {percentile(times, 0.95):.1f} ms, "
        f"max {max(times):.1f} ms, CPU {statistics.mean(cpus):.1f} ms/request (p95 {percentile(cpus, 0.95):.1f}), "
        f"statements {statistics.mean(queries):.1f}"
    )
    if profiler:
        pstats.Stats(profiler).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(
            int(os.environ.get("TOP", "40"))
        )


def main(args: argparse.Namespace) -> None:
    rng = random.Random(7)
    user, _created = User.objects.get_or_create(email="bench-people@example.org", defaults={"full_name": "Bench"})
    organisation, _created = Organisation.objects.get_or_create(name_fr="Bench", defaults={"name_nl": "Bench"})
    Membership.objects.get_or_create(user=user, organisation=organisation, role=Role.WORKER)
    client = Client()
    client.force_login(user)
    needs = [c.pk for c in active_categories("request-themes")]
    communes = list(Commune.objects.values_list("pk", flat=True))
    quartiers = list(Quartier.objects.values_list("pk", flat=True))
    codes = list(PostalCode.objects.values_list("code", flat=True))
    people = []
    for _ in range(args.requests):
        pairs = []
        kind = rng.random()
        if kind < 0.3:
            pairs.append(f"q={rng.choice(['amina', 'peeters', 'assistant', 'juriste', 'karim'])}")
        if kind >= 0.2:
            pairs.append(f"need={rng.choice(needs)}")
        if rng.random() < 0.5:
            pairs.append(f"commune={rng.choice(communes)}")
        elif rng.random() < 0.3:
            pairs.append(f"quartier={rng.choice(quartiers)}")
        if language := rng.choice(LANGUAGES):
            pairs.append(f"language={language}")
        if args.kind is None or args.kind == _kind(pairs):
            people.append("/directory/people/?" + "&".join(pairs))
    maps = [
        f"/directory/map/data.json?need={rng.choice(needs)}&postal_code={rng.choice(codes)}"
        + ("&open_now=on" if rng.random() < 0.5 else "")
        for _ in range(args.requests)
    ]
    travel(args.at)
    if args.only in (None, "people"):
        measure("people search (page, canonical URLs)", client, [_canonical(url) for url in people], args.profile)
    if args.only in (None, "map"):
        measure("map data (public JSON, 200 results max)", Client(), maps, args.profile)


def _kind(pairs: list[str]) -> str:
    names = {pair.split("=", 1)[0] for pair in pairs}
    return "name" if "q" in names else "need"


def _canonical(url: str) -> str:
    """The people page redirects other spellings: ask for the canonical order (q, need, organisation,
    commune, quartier, language)."""
    path, query = url.split("?", 1)
    order = ["q", "need", "organisation", "commune", "quartier", "language"]
    pairs = sorted((p.split("=", 1) for p in query.split("&") if p), key=lambda kv: order.index(kv[0]))
    return path + "?" + "&".join(f"{k}={v}" for k, v in pairs)


if __name__ == "__main__":
    with bench_options.recording(ARGS.output, f"directory people_map.py, database {ARGS.database}"):
        main(ARGS)
