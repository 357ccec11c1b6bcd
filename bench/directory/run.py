"""Timed search over HTTP: "need + postal code + open now + language", N concurrent clients on loopback.

Starts gunicorn on 127.0.0.1 against the bench database, then fires requests at
/directory/?need=…&postal_code=…&open_now=on&language=… and reports p50/p95.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/maillage_bench_directory \
        .venv/bin/python bench/directory/run.py --clients 20 --requests 2000
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")

import django  # noqa: E402

django.setup()

from maillage.core.models import PostalCode  # noqa: E402
from maillage.taxonomy.queries import active_categories  # noqa: E402

PORT = 8765


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    categories = [c.pk for c in active_categories("request-themes")]
    codes = list(PostalCode.objects.values_list("code", flat=True))
    rng = random.Random(7)
    urls = [
        "/directory/?"
        + urlencode(
            {
                "need": rng.choice(categories),
                "postal_code": rng.choice(codes),
                "open_now": "on",
                "language": rng.choice(["fr", "fr", "nl", "en"]),
            }
        )
        for _ in range(args.requests)
    ]
    env = {**os.environ, "MAILLAGE_DEBUG": "false", "MAILLAGE_ALLOWED_HOSTS": "127.0.0.1"}
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "maillage.wsgi",
            "-b",
            f"127.0.0.1:{PORT}",
            "-w",
            str(args.workers),
            "--threads",
            "2",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _attempt in range(100):
            try:
                connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
                connection.request("GET", "/directory/")
                connection.getresponse().read()
                break
            except OSError:
                time.sleep(0.2)
        for url in urls[:50]:  # warm-up: every worker's connection, caches, compiled templates
            for _retry in range(20):
                try:
                    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
                    connection.request("GET", url)
                    connection.getresponse().read()
                    break
                except OSError:
                    time.sleep(0.5)
        timings: list[float] = []
        statuses: dict[int, int] = {}
        lock = threading.Lock()
        queue = iter(urls)

        def client() -> None:
            while True:
                with lock:
                    url = next(queue, None)
                if url is None:
                    return
                start = time.perf_counter()
                connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
                connection.request("GET", url)
                response = connection.getresponse()
                response.read()
                elapsed = (time.perf_counter() - start) * 1000
                with lock:
                    timings.append(elapsed)
                    statuses[response.status] = statuses.get(response.status, 0) + 1

        started = time.perf_counter()
        threads = [threading.Thread(target=client) for _ in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
        print(
            f"requests={len(timings)} clients={args.clients} gunicorn_workers={args.workers}x2 threads statuses={statuses}"
        )
        print(
            f"p50={statistics.median(timings):.1f} ms p95={percentile(timings, 0.95):.1f} ms "
            f"p99={percentile(timings, 0.99):.1f} ms max={max(timings):.1f} ms throughput={len(timings) / wall:.0f} req/s"
        )
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
