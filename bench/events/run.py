"""2,000 concurrent registrations for 40 seats, at most 2 per organisation, over HTTP on PostgreSQL.

A real gunicorn server on loopback, a real SMTP sink (aiosmtpd) for the confirmation emails. Steps:
1. fresh database, one published event (40 seats, 2 per organisation);
2. every simulated person loads the public page (CSRF cookie and token), then all post the form at once;
3. every confirmation link found in the emails is opened and confirmed;
4. the database is checked: exactly 40 confirmed, none over the cap, no 5xx.
See README.md; figures are appended to --output (RESULTS.md is updated by hand).

    .venv/bin/python bench/events/run.py --port 5432 --database maillage_bench_events --output /tmp/events.md

--database is created by the bench (refused if it exists, unless --replace and the bench made it); gunicorn and
the mail sink listen on free ports unless --http-port/--smtp-port say where.
"""

from __future__ import annotations

import argparse
import http.client
import logging
import os
import platform
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import bench_options
from bench_options import ROOT

VENV = ROOT / ".venv" / "bin"


class Sink:
    """Collects the emails the server sends."""

    def __init__(self) -> None:
        self.messages: list[object] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 OK"


class Client:
    """One person's browser: a keep-alive connection and a cookie jar."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), "Accept-Language": "fr"}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(3):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (OSError, http.client.HTTPException):
                if attempt == 2:
                    raise
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _sep, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, text

    def csrf(self, path: str) -> str:
        status, text = self.request("GET", path)
        # Let the server drop this idle connection; the POST opens a fresh one.
        self.connection.close()
        assert status == 200, (status, text[:300])
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text).group(1)


def _psql(port: int, database: str, sql: str) -> str:
    command = ["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", database, "-tAqc", sql]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()


def prepare_database(args: argparse.Namespace) -> None:
    """Create the database; an existing one is dropped only with --replace and only when this bench made it
    (one organisation, FdSS, and one event, `bench`)."""
    name = args.database
    exists = _psql(args.port, "postgres", f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"
    if exists:
        made_here = False
        if args.replace:
            try:
                made_here = (
                    _psql(
                        args.port,
                        name,
                        "SELECT (SELECT count(*) FROM core_organisation) = 1"
                        " AND (SELECT array_agg(slug) FROM events_event) = ARRAY['bench']::varchar[]",
                    )
                    == "t"
                )
            except subprocess.CalledProcessError:
                made_here = False
        if not made_here:
            raise SystemExit(f"database {name} exists and is not one this bench made (or no --replace): not touched")
        _psql(args.port, "postgres", f'DROP DATABASE "{name}"')
    _psql(args.port, "postgres", f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--organisations", type=int, default=100)
    parser.add_argument("--seats", type=int, default=40)
    parser.add_argument("--per-organisation", type=int, default=2)
    parser.add_argument("--clients", type=int, default=200, help="client threads; each person posts once")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--port", type=int, required=True, help="PostgreSQL's port on 127.0.0.1")
    parser.add_argument("--database", required=True, help="a database this bench creates (refused if it exists)")
    bench_options.add_output(parser)
    parser.add_argument(
        "--replace", action="store_true", help="drop --database first, only if it is one this bench made"
    )
    bench_options.add_http_port(parser)
    parser.add_argument("--smtp-port", type=int, default=0, help="where the mail sink listens (default: a free port)")
    args = parser.parse_args()

    database_url = bench_options.database_url(args.port, args.database)
    prepare_database(args)
    env = dict(os.environ, DATABASE_URL=database_url, MAILLAGE_VAR_DIR="/tmp/maillage-bench-events")
    subprocess.run([str(VENV / "maillage"), "migrate", "-v", "0"], check=True, env=env, cwd=ROOT)
    os.environ["MAILLAGE_VAR_DIR"] = env["MAILLAGE_VAR_DIR"]
    bench_options.setup_django(args.port, args.database)

    from aiosmtpd.controller import Controller
    from django.utils import timezone

    from maillage.core.models import Organisation
    from maillage.events.models import Event, Session

    lead = Organisation.objects.create(
        short_name="FdSS", name_fr="Fédération des Services Sociaux", sector="federation"
    )
    event = Event.objects.create(
        organisation=lead,
        slug="bench",
        kind="webinar",
        title_fr="Atelier — les 40 premier·ère·s",
        capacity=args.seats,
        per_organisation=args.per_organisation,
        closes_at=timezone.now() + timedelta(days=1),
        is_published=True,
        place="COOP, Anderlecht",
    )
    event.organisers.add(lead)
    Session.objects.create(
        event=event, starts_at=timezone.now() + timedelta(days=3), ends_at=timezone.now() + timedelta(days=3, hours=3)
    )

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    sink = Sink()
    smtp_port, http_port = args.smtp_port or bench_options.free_port(), bench_options.http_port(args.http_port)
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    server_env = dict(
        env,
        MAILLAGE_DEBUG="false",
        MAILLAGE_LOG_LEVEL="WARNING",
        MAILLAGE_EMAIL_HOST="127.0.0.1",
        MAILLAGE_EMAIL_PORT=str(smtp_port),
        MAILLAGE_SITE_URL=f"http://127.0.0.1:{http_port}",
    )
    server = subprocess.Popen(
        [
            str(VENV / "gunicorn"),
            "maillage.wsgi",
            "-b",
            f"127.0.0.1:{http_port}",
            "-w",
            str(args.workers),
            "-k",
            "gthread",
            "--threads",
            str(args.threads),
            "--backlog",
            "4096",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=server_env,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", http_port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        run(args, event, http_port, sink)
    finally:
        server.terminate()
        server.wait(timeout=30)
        controller.stop()


def run(args, event, port: int, sink: Sink) -> None:
    from maillage.events.models import HOLDING, Registration, Status

    path = f"/events/{event.slug}/"
    people = [(f"person{n}@bench.example.org", f"Association {n % args.organisations}") for n in range(args.people)]
    shares = [people[i :: args.clients] for i in range(args.clients)]
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    ready = threading.Barrier(args.clients + 1)
    go = threading.Event()
    errors: list[str] = []

    def person_thread(share: list[tuple[str, str]]) -> None:
        prepared = []
        try:
            for email, organisation in share:
                client = Client(port)
                prepared.append((client, client.csrf(path), email, organisation))
        except Exception as error:
            errors.append(repr(error))
        ready.wait()
        go.wait()
        for client, token, email, organisation in prepared:
            form = {
                "csrfmiddlewaretoken": token,
                "full_name": email.split("@")[0],
                "email": email,
                "organisation_name": organisation,
                "function": "Assistant·e social·e",
            }
            status, _text = client.request("POST", path, form)
            with lock:
                statuses[status] += 1

    threads = [threading.Thread(target=person_thread, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    ready.wait()
    started = time.perf_counter()
    go.set()
    for thread in threads:
        thread.join()
    rush_seconds = time.perf_counter() - started

    held = Registration.objects.filter(event=event, status__in=HOLDING)
    held_count = held.count()
    held_per_org = Counter(held.values_list("participant__organisation_key", flat=True))
    waiting = Registration.objects.filter(event=event, status=Status.WAITING).count()

    # Every confirmation email's link, confirmed as a person would: open the page, press the button.
    time.sleep(1)
    links = []
    for message in list(sink.messages):
        body = message.get_body(preferencelist=("plain",)).get_content()
        found = re.search(r"http://127\.0\.0\.1:\d+(/events/confirm/\S+/)", body)
        if found:
            links.append(found.group(1))
    confirm_statuses: Counter[int] = Counter()
    confirm_started = time.perf_counter()

    def confirm_thread(share: list[str]) -> None:
        for link in share:
            client = Client(port)
            token = client.csrf(link)
            status, _text = client.request("POST", link, {"csrfmiddlewaretoken": token})
            with lock:
                confirm_statuses[status] += 1

    confirm_threads = [threading.Thread(target=confirm_thread, args=(links[i::50],)) for i in range(50)]
    for thread in confirm_threads:
        thread.start()
    for thread in confirm_threads:
        thread.join()
    confirm_seconds = time.perf_counter() - confirm_started

    confirmed = Registration.objects.filter(event=event, status=Status.CONFIRMED)
    confirmed_count = confirmed.count()
    confirmed_per_org = Counter(confirmed.values_list("participant__organisation_key", flat=True))
    server_errors = sum(n for s, n in statuses.items() if s >= 500) + sum(
        n for s, n in confirm_statuses.items() if s >= 500
    )
    total_rows = Registration.objects.filter(event=event).count()
    figures = {
        "people": args.people,
        "organisations": args.organisations,
        "seats": args.seats,
        "per_organisation": args.per_organisation,
        "client_threads": args.clients,
        "gunicorn": f"{args.workers} workers × {args.threads} threads (gthread)",
        "registration_statuses": dict(sorted(statuses.items())),
        "rush_seconds": round(rush_seconds, 2),
        "registrations_posted": sum(statuses.values()),
        "registrations_per_second": round(sum(statuses.values()) / rush_seconds, 1),
        "held_after_rush": held_count,
        "max_held_per_organisation": max(held_per_org.values()) if held_per_org else 0,
        "waiting_after_rush": waiting,
        "registration_rows": total_rows,
        "confirmation_links": len(links),
        "confirmation_statuses": dict(sorted(confirm_statuses.items())),
        "confirm_seconds": round(confirm_seconds, 2),
        "confirmed": confirmed_count,
        "max_confirmed_per_organisation": max(confirmed_per_org.values()) if confirmed_per_org else 0,
        "server_errors": server_errors,
        "client_errors": len(errors),
    }
    ok = (
        confirmed_count == args.seats
        and held_count == args.seats
        and max(confirmed_per_org.values()) <= args.per_organisation
        and server_errors == 0
        and not errors
        and sum(statuses.values()) == args.people
    )
    for key, value in figures.items():
        print(f"{key}: {value}")
    print("RESULT:", "PASS" if ok else "FAIL")
    write_results(args.output, figures, ok)


def write_results(path: Path, figures: dict, ok: bool) -> None:
    command = "python bench/events/run.py " + " ".join(sys.argv[1:])
    lines = [
        f"## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {'PASS' if ok else 'FAIL'}",
        "",
        bench_options.stamp() + ".",
        f"Machine: {platform.node()}, {os.cpu_count()} CPU cores shared with other work, {platform.python_implementation()} {platform.python_version()}, PostgreSQL on loopback.",
        f"Command: `{command.strip()}`",
        "",
        "| figure | value |",
        "|---|---|",
        *[f"| {key} | {value} |" for key, value in figures.items()],
        "",
    ]
    with path.open("a", encoding="utf-8") as file:  # appended: copy into RESULTS.md by hand
        file.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
