"""Log a call (three requests, one referral) over HTTP with N concurrent responders; compare with raw inserts.

Starts gunicorn on loopback against the bench database, gives each client its own signed-in
session, and posts the real call form (the htmx path) in a loop, each client pausing between
calls (--think, exponential) or not at all (closed loop). Then the same rows (call on today's
shift, 3 requests, the callback, the audit row) are inserted raw with psycopg, one transaction
per call, same clients and pacing. Prints the load average, latencies, and the CPU per call of
gunicorn and of this load tool.

    flock /tmp/bench.lock .venv/bin/python bench/helpline/log_call_load.py --port 5432 \
        --database maillage_bench_helpline --output /tmp/log_call.txt --clients 20 --calls-per-client 25 --think 5

--port/--database: PostgreSQL (the database generate.py filled); --http-port: where the gunicorn it starts
listens (default: a free port). Every printed line is appended to --output. Each run adds its calls to the
database (on the bench line, by the bench responders).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from http.cookies import SimpleCookie

from common import ROOT, bench_options, setup_django

PORT = 0  # gunicorn's, from --http-port (a free one by default)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _summary(name: str, latencies: list[float], wall: float) -> str:
    return (
        f"{name}: {len(latencies)} calls in {wall:.1f} s ({len(latencies) / wall:.0f} calls/s); "
        f"p50 {statistics.median(latencies) * 1000:.1f} ms, p95 {_percentile(latencies, 0.95) * 1000:.1f} ms, "
        f"p99 {_percentile(latencies, 0.99) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms"
    )


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of one process (all its threads), from /proc."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _server_cpu(master: int) -> float:
    """CPU of gunicorn: the master and its workers (children listed by the kernel)."""
    try:
        with open(f"/proc/{master}/task/{master}/children") as children:
            pids = [int(pid) for pid in children.read().split()]
    except OSError:
        pids = []
    return sum(_cpu_seconds(pid) for pid in [master, *pids])


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _load() -> str:
    return "/".join(f"{value:.2f}" for value in os.getloadavg())


def _sessions(count: int) -> list[str]:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from maillage.core.models import User

    keys = []
    for number in range(count):
        user = User.objects.get(email=f"responder{number % 20}@bench.example")
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"  # axes first has no get_user
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.set_expiry(3600)
        session.save()
        keys.append(session.session_key)
    return keys


def _form(service_id: int) -> dict[str, str]:
    data = {
        "started_at": time.strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "8",
        "language": "fr",
        "caller_sex": "woman",
        "postal_code": "1070",
        "caller_area": "",
        "caller_type": "concerned",
        "heard_via": "",
        "urgency": "medium",
        "comment": "",
        "requests-TOTAL_FORMS": "3",
        "requests-INITIAL_FORMS": "0",
        "requests-MIN_NUM_FORMS": "0",
        "requests-MAX_NUM_FORMS": "1000",
        "save": "1",
    }
    rows = [
        ("FOOD.PARCEL", "referral", str(service_id)),
        ("INCOME.DEBT", "information", ""),
        ("HOUSING.RENT", "callback", ""),
    ]
    for index, (category, action, service) in enumerate(rows):
        data.update(
            {
                f"requests-{index}-category": category,
                f"requests-{index}-note": "",
                f"requests-{index}-action": action,
                f"requests-{index}-service": service,
                f"requests-{index}-callback_at": "",
            }
        )
    return data


def http_run(
    clients: int, per_client: int, service_id: int, think: float = 0.0, server_pid: int = 0
) -> tuple[list[float], float, int, tuple[float, float]]:
    """Latencies, wall time, failures and the CPU (server, load tool) used by the timed part."""
    sessions = _sessions(clients)
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)

    def worker(session_key: str) -> None:
        try:
            _worker(session_key)
        except Exception as error:  # a dead client must not leave the others waiting at the barrier
            with lock:
                failures[0] += 1
            print(f"client failed: {error!r}", file=sys.stderr)
            barrier.abort()

    def _worker(session_key: str) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        cookie = f"sessionid={session_key}"
        connection.request("GET", "/helpline/calls/new/", headers={"Cookie": cookie})
        response = connection.getresponse()
        response.read()
        jar = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            jar.load(header)
        csrf = jar["csrftoken"].value
        cookie = f"sessionid={session_key}; csrftoken={csrf}"
        body = urllib.parse.urlencode(_form(service_id))
        headers = {
            "Cookie": cookie,
            "X-CSRFToken": csrf,
            "HX-Request": "true",
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"http://127.0.0.1:{PORT}/helpline/calls/new/",
        }
        mine = []
        pause = random.Random(session_key)
        barrier.wait(timeout=300)
        for _ in range(per_client):
            if think:
                time.sleep(pause.expovariate(1 / think))  # a responder talks before saving the next call
            started = time.perf_counter()
            connection.request("POST", "/helpline/calls/new/", body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
            mine.append(time.perf_counter() - started)
            if response.status != 200 or b'id="call-saved"' not in content:
                with lock:
                    failures[0] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(key,)) for key in sessions]
    for thread in threads:
        thread.start()
    barrier.wait(timeout=300)
    started = time.perf_counter()
    server_before, client_before = _server_cpu(server_pid) if server_pid else 0.0, _own_cpu()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    server_cpu = _server_cpu(server_pid) - server_before if server_pid else 0.0
    return latencies, wall, failures[0], (server_cpu, _own_cpu() - client_before)


def raw_run(
    clients: int,
    per_client: int,
    line_id: int,
    service_id: int,
    categories: dict[str, tuple[int, int]],
    think: float = 0.0,
    shift_id: int | None = None,
) -> tuple[list[float], float]:
    import psycopg

    url = os.environ["DATABASE_URL"]
    latencies: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)
    rows = [
        ("FOOD.PARCEL", "referral", service_id),
        ("INCOME.DEBT", "information", None),
        ("HOUSING.RENT", "callback", None),
    ]

    def worker(number: int) -> None:
        mine = []
        with psycopg.connect(url) as connection:
            responder = connection.execute(
                "SELECT id FROM core_user WHERE email = %s", [f"responder{number % 20}@bench.example"]
            ).fetchone()[0]
            pause = random.Random(number)
            barrier.wait()
            for _ in range(per_client):
                if think:
                    time.sleep(pause.expovariate(1 / think))
                started = time.perf_counter()
                with connection.transaction():
                    call_id = connection.execute(
                        "INSERT INTO helpline_call (organisation_id, responder_id, shift_id, started_at, duration_minutes,"
                        " language, caller_sex, caller_area, postal_code, commune_id, caller_type, heard_via, urgency,"
                        " comment, external_ref, created_at, updated_at) VALUES (%s, %s, %s, now(), 8, 'fr', 'woman',"
                        " 'brussels', '1070', (SELECT commune_id FROM core_postalcode WHERE code = '1070'), 'concerned',"
                        " '', 'medium', '', '', now(), now()) RETURNING id",
                        [line_id, responder, shift_id],
                    ).fetchone()[0]
                    values = [
                        (line_id, call_id, position, *categories[code], action, service)
                        for position, (code, action, service) in enumerate(rows)
                    ]
                    request_ids = connection.execute(
                        "INSERT INTO helpline_request (organisation_id, call_id, position, category_id, theme_id, note,"
                        " action, service_id, started_at, unmet_reason) VALUES "
                        + ", ".join(["(%s, %s, %s, %s, %s, '', %s, %s, now(), '')"] * len(values))
                        + " RETURNING id",
                        [value for row in values for value in row],
                    ).fetchall()
                    connection.execute(
                        "INSERT INTO helpline_callback (organisation_id, request_id, due_at, done_by_id, outcome,"
                        " outcome_note) VALUES (%s, %s, now() + interval '1 day', NULL, '', '')",
                        [line_id, request_ids[2][0]],
                    )
                    connection.execute(
                        "INSERT INTO core_auditentry (created_at, actor_id, organisation_id, code, target_type, target_id,"
                        " target_repr, data) VALUES (now(), %s, %s, 'helpline.call.logged', 'helpline.call', %s, '', %s)",
                        [responder, line_id, str(call_id), json.dumps({"requests": [r[0] for r in rows]})],
                    )
                mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return latencies, time.perf_counter() - started


def main() -> None:
    global PORT
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench_options.add_options(parser, http=True)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--calls-per-client", type=int, default=50)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--think", type=float, default=0.0, help="mean pause (s) between a client's calls; 0 = closed loop"
    )
    parser.add_argument("--no-raw", action="store_true", help="HTTP only")
    parser.add_argument("--raw-only", action="store_true", help="the raw insert only")
    args = parser.parse_args()
    setup_django(args.port, args.database)
    with bench_options.recording(args.output, f"helpline log_call_load.py, database {args.database}"):
        if not args.raw_only:
            PORT = bench_options.http_port(args.http_port)
        _run(args)


def _run(args: argparse.Namespace) -> None:
    from maillage.core.models import Organisation
    from maillage.directory.models import Service
    from maillage.taxonomy.queries import active_categories

    line = Organisation.objects.get(short_name="FdSS")
    service = Service.objects.get(name_fr="Bench FOOD")
    categories = {c.code: (c.pk, c.parent_id or c.pk) for c in active_categories("request-themes")}
    shift_id = _todays_shift(line)
    pace = "none (closed loop)" if not args.think else f"{args.think} s mean (exponential)"
    print(f"load average {_load()} at start; {args.clients} clients x {args.calls_per_client} calls, think {pace}")
    latencies: list[float] = []
    if not args.raw_only:
        latencies = _http(args, service.pk)
    if not args.no_raw:
        raw, raw_wall = raw_run(
            args.clients, args.calls_per_client, line.pk, service.pk, categories, args.think, shift_id
        )
        print(_summary("raw insert (psycopg: call, 3 requests, callback, audit row; one transaction)", raw, raw_wall))
        if latencies:
            print(f"ratio p95 HTTP / raw: {_percentile(latencies, 0.95) / _percentile(raw, 0.95):.1f}x")
    print(f"load average {_load()} at end")
    sys.stdout.flush()


def _todays_shift(line: object) -> int:
    """A shift covering today with the 20 bench responders on it, as on a real line (calls are attached to it)."""
    from datetime import datetime, time, timedelta

    from django.utils import timezone

    from maillage.core.models import User
    from maillage.helpline.models import Shift

    start = timezone.make_aware(datetime.combine(timezone.localdate(), time(0, 0)))
    shift = Shift.objects.filter(organisation=line, starts_at=start).first()
    if shift is None:
        shift = Shift.objects.create(
            organisation=line, starts_at=start, ends_at=start + timedelta(days=1), languages=["fr", "nl"]
        )
        shift.responders.set(User.objects.filter(email__endswith="@bench.example", email__startswith="responder"))
    return shift.pk


def _http(args: argparse.Namespace, service_id: int) -> list[float]:
    env = {**os.environ, "MAILLAGE_DEBUG": "false", "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"), "maillage.wsgi:application", "-b", f"127.0.0.1:{PORT}",
            "-w", str(args.workers), "-k", "gthread", "--threads", str(args.threads), "--keep-alive", "75",
            "--log-level", "warning",
        ],
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    try:
        for _ in range(300):
            try:
                probe = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
                probe.request("GET", "/healthz")
                if probe.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.5)
        else:
            raise SystemExit("gunicorn did not start")
        http_run(args.clients, 3, service_id)  # warm every worker
        latencies, wall, failures, (server_cpu, client_cpu) = http_run(
            args.clients, args.calls_per_client, service_id, args.think, server.pid
        )
        print(
            f"gunicorn {args.workers} workers x {args.threads} threads (gthread), {args.clients} concurrent clients, "
            f"loopback"
        )
        print(_summary("HTTP log_call (htmx POST, 3 requests + referral)", latencies, wall) + f"; failures {failures}")
        count = len(latencies)
        print(
            f"CPU per logged call: gunicorn {server_cpu / count * 1000:.1f} ms, load tool {client_cpu / count * 1000:.1f} ms"
            f" (load tool {client_cpu / wall * 100:.0f}% of one core over the run; PostgreSQL not counted)"
        )
    finally:
        server.terminate()
        server.wait(timeout=20)
    return latencies


if __name__ == "__main__":
    main()
