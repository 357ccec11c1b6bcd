"""Timed search over HTTP: "need + postal code + open now + language", N concurrent clients on loopback.

Starts gunicorn on 127.0.0.1 against the bench database and fires requests at
/directory/?need=…&postal_code=…&open_now=on&language=… from N clients. The load generator
is one asyncio process speaking plain HTTP/1.1 with keep-alive (no threads, no client library),
so it takes little of the CPU it shares with the server. Two load models:

  --think 1.0   each client waits an exponential think time (mean 1 s) between searches
                (a worker or a person reading the results): about N requests/s in all;
  --think 0     closed loop: each client fires its next search as soon as it has the answer.

Reports p50/p95/p99 of the response time (send → last byte), throughput, and the server's
CPU milliseconds per request (gunicorn workers' user+system time from /proc).

    flock /tmp/bench.lock .venv/bin/python bench/directory/run.py --port 5432 --database maillage_bench_directory \\
        --output /tmp/directory-run.txt --clients 20 --requests 2000 --think 1.0

--port/--database: PostgreSQL (the database generate.py filled); --http-port: where gunicorn listens (default: a
free port, printed). Reads only, except --change-every (crisis statuses of the generated services toggled).
Every printed line is appended to --output.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import bench_options
from bench_options import ROOT


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench_options.add_options(parser, http=True)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--think", type=float, default=1.0, help="mean think time in seconds; 0 = closed loop")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--path", default="/directory/", help="/directory/ (public) or /directory/pro/")
    parser.add_argument(
        "--at", help="Brussels moment the server sees (clock.py, default Monday 10:30); 'now' for the real clock"
    )
    parser.add_argument(
        "--htmx", action="store_true", help="send HX-Request: the results fragment, as the page asks once loaded"
    )
    parser.add_argument(
        "--change-every",
        type=float,
        default=0,
        help="seconds between crisis-status changes made during the run (each makes every worker rebuild its index)",
    )
    return parser.parse_args()


ARGS = _arguments()
bench_options.setup_django(ARGS.port, ARGS.database)

from clock import DEFAULT_AT, ENV  # noqa: E402
from scenario import search_urls  # noqa: E402

PORT = 0  # gunicorn's: --http-port, or a free one
TICKS = os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def cpu_seconds(pids: list[int]) -> float:
    """User + system time of these processes (the gunicorn workers)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICKS


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


class Connection:
    """One keep-alive HTTP/1.1 connection; reopened when the server closes it."""

    def __init__(self, headers: str = "") -> None:
        self.headers = headers
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> tuple[int, int]:
        for attempt in range(3):
            try:
                if self.writer is None:
                    self.reader, self.writer = await asyncio.open_connection("127.0.0.1", PORT)
                assert self.reader is not None
                self.writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{self.headers}\r\n".encode())
                head = await self.reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                status = int(lines[0].split()[1])
                headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
                body = await self.reader.readexactly(int(headers.get("content-length", "0")))
                if headers.get("connection", "").lower() == "close":
                    self.close()
                return status, len(body)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                self.close()
                if attempt == 2:
                    raise
        raise RuntimeError("unreachable")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def load(
    urls: list[str], clients: int, think: float, seed: int, headers: str = ""
) -> tuple[list[float], dict[int, int], float, float]:
    timings: list[float] = []
    statuses: dict[int, int] = {}
    sizes: list[int] = []
    queue = iter(urls)
    rng = random.Random(seed)

    async def client() -> None:
        connection = Connection(headers)
        if think:
            await asyncio.sleep(rng.expovariate(1 / think))  # spread the starts
        for url in queue:
            start = time.perf_counter()
            status, size = await connection.get(url)
            sizes.append(size)
            timings.append((time.perf_counter() - start) * 1000)
            statuses[status] = statuses.get(status, 0) + 1
            if think:
                await asyncio.sleep(rng.expovariate(1 / think))
        connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return timings, statuses, time.perf_counter() - started, statistics.mean(sizes) if sizes else 0.0


class CrisisUpdates(threading.Thread):
    """A coordinator changing a service's crisis status every `every` seconds, through services.py
    (as the status page does): each change is a new search generation, so every worker reads its
    in-memory index again at its next search."""

    def __init__(self, every: float) -> None:
        super().__init__(daemon=True)
        self.every, self.count, self.done = every, 0, threading.Event()
        self.start()

    def run(self) -> None:
        from maillage.directory import services
        from maillage.directory.models import CrisisStatus, Service

        rng = random.Random(5)
        ids = list(Service.objects.filter(status="published").values_list("pk", flat=True)[:2000])
        while not self.done.wait(self.every):
            service = Service.objects.get(pk=rng.choice(ids))
            status = CrisisStatus.USUAL if service.crisis_status != CrisisStatus.USUAL else CrisisStatus.REDUCED
            services.set_crisis_status(None, service, status, "bench")
            self.count += 1

    def stop(self) -> int:
        self.done.set()
        self.join()
        return self.count


def main(args: argparse.Namespace) -> None:
    global PORT  # the connections read it
    args.at = args.at or DEFAULT_AT
    headers = "HX-Request: true\r\n" if args.htmx else ""
    load_before = os.getloadavg()[0]
    PORT = bench_options.http_port(args.http_port)
    urls = search_urls(args.path, args.requests + 50)
    env = {**os.environ, "MAILLAGE_DEBUG": "false", "MAILLAGE_ALLOWED_HOSTS": "127.0.0.1", ENV: args.at}
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "maillage.wsgi",
            "-c",
            str(ROOT / "bench/directory/gunicorn_clock.py"),
            "-b",
            f"127.0.0.1:{PORT}",
            "-w",
            str(args.workers),
            "--threads",
            str(args.threads),
            "--keep-alive",
            "5",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _attempt in range(150):
            try:
                asyncio.run(load(["/directory/"], 1, 0, 0))
                break
            except OSError:
                time.sleep(0.2)
        asyncio.run(load(urls[:50], 4, 0, 0, headers))  # warm-up: every worker's connection, caches, compiled templates
        workers = children(server.pid)
        cpu_before, client_before = cpu_seconds(workers), time.process_time()
        changes = CrisisUpdates(args.change_every) if args.change_every else None
        timings, statuses, wall, size = asyncio.run(load(urls[50:], args.clients, args.think, 11, headers))
        changed = changes.stop() if changes else 0
        server_cpu, client_cpu = cpu_seconds(workers) - cpu_before, time.process_time() - client_before
        model = f"think time exp. mean {args.think:g} s" if args.think else "closed loop"
        page = "htmx fragment" if args.htmx else "full page"
        print(
            f"{time.strftime('%H:%M', time.gmtime())} UTC (server clock {args.at}) {page} {args.path} requests={len(timings)} "
            f"clients={args.clients} ({model}) gunicorn={args.workers} workers x {args.threads} threads "
            f"statuses={statuses} bytes={size:.0f} load(1 min) before={load_before:.2f} after={os.getloadavg()[0]:.2f}"
        )
        print(
            f"p50={statistics.median(timings):.1f} ms p95={percentile(timings, 0.95):.1f} ms "
            f"p99={percentile(timings, 0.99):.1f} ms max={max(timings):.1f} ms "
            f"throughput={len(timings) / wall:.1f} req/s server_cpu={server_cpu / len(timings) * 1000:.1f} ms/req "
            f"client_cpu={client_cpu / len(timings) * 1000:.2f} ms/req directory changes during the run={changed}"
        )
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    with bench_options.recording(ARGS.output, f"directory run.py, database {ARGS.database}"):
        main(ARGS)
