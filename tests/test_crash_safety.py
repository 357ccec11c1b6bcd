# ruff: noqa: F811
"""Crash safety, proven: the web worker and the task worker killed with SIGKILL while they write.

A real gunicorn serves the app on the test database while calls are logged through the call
form; it is killed mid-stream and started again, and every post that got no answer is sent
again with the same submission key. Then the outbox's sender is killed in the middle of a batch
and started again. What was confirmed is there, once; nothing half-written is visible; an email
cut off mid-send is marked failed, never sent twice.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from maillage.core.models import OutboxEmail, OutboxStatus, SubmissionKey
from maillage.core.submission import new_key
from maillage.helpline.models import Call
from tests.helpline.conftest import line, responder, themes  # noqa: F401

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

VENV_BIN = Path(sys.executable).parent
# Children import the code of this checkout (not whichever one the virtualenv was installed from).
PROJECT = Path(__file__).resolve().parents[1]
CSRF = "c" * 32


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment(**extra: str) -> dict[str, str]:
    """The child processes use the test database and the test's secret key (sessions must match)."""
    db = connection.settings_dict
    url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("MAILLAGE_")}
    env.update(
        DATABASE_URL=url,
        MAILLAGE_SECRET_KEY=settings.SECRET_KEY,
        MAILLAGE_REQUIRE_2FA="false",
        MAILLAGE_TASKS_BACKEND="django_tasks.backends.immediate.ImmediateBackend",
    )
    env.update(extra)
    return env


@pytest.fixture
def skip_without_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the crash test runs the app in separate processes on a shared PostgreSQL database")


class Gunicorn:
    def __init__(self) -> None:
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "maillage.wsgi", "-b", f"127.0.0.1:{self.port}", "-w", "1", "--threads", "4"],
            env=_environment(),
            cwd=PROJECT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        # Up when a worker answers HTTP (a bound socket alone may still be the killed server's).
        deadline = time.monotonic() + 300  # a loaded machine may take long to import the app
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                conn.close()
                return
            except (OSError, http.client.HTTPException):
                time.sleep(0.05)
        raise AssertionError("gunicorn did not start")

    def kill(self) -> None:
        """SIGKILL to the master and its worker at once: no graceful shutdown, no cleanup."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        # The worker dies with its master; wait until the whole group is gone and the port is free.
        for _ in range(200):
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.02)


def _post_call(port: int, session: str, key: str) -> bool:
    """True when the server confirms the call (a redirect to the next call or to this call's page)."""
    from tests.helpline.test_views import _post_data

    body = urllib.parse.urlencode({**_post_data(submission_key=key), "csrfmiddlewaretoken": CSRF})
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"sessionid={session}; csrftoken={CSRF}",
        "Host": "127.0.0.1",
    }
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("POST", reverse("helpline:call_new"), body=body, headers=headers)
        response = conn.getresponse()
        location = response.getheader("Location") or ""
        response.read()
        conn.close()
    except (OSError, http.client.HTTPException):
        return False
    return response.status == 302 and location.startswith("/helpline/calls/")


@pytest.mark.slow(seconds=21)
def test_web_worker_killed_while_calls_are_logged_loses_and_doubles_nothing(
    skip_without_postgres: None,
    responder,
    themes,
) -> None:
    client = Client()
    client.force_login(responder)
    session = client.cookies["sessionid"].value
    keys = [new_key() for _ in range(40)]
    confirmed: set[str] = set()
    server = Gunicorn()
    server.start()
    try:
        lock = threading.Lock()

        def post(key: str) -> None:
            if _post_call(server.port, session, key):
                with lock:
                    confirmed.add(key)

        # Four posters at once; the worker is killed when about half have been confirmed.
        threads: list[threading.Thread] = []
        for index, key in enumerate(keys):
            thread = threading.Thread(target=post, args=(key,))
            thread.start()
            threads.append(thread)
            if len(threads) % 4 == 0:
                for waiting in threads[-4:]:
                    waiting.join()
            if index == len(keys) // 2:
                server.kill()
                server.start()

        for thread in threads:
            thread.join()
        told_before_retry = set(confirmed)
        # Every post that got no answer is sent again with its key, as the browser's resend would.
        for key in keys:
            if key not in confirmed:
                assert _post_call(server.port, session, key) is True
                confirmed.add(key)
    finally:
        if server.process is not None and server.process.poll() is None:
            server.kill()

    calls = Call.objects.annotate(requests_count=Count("requests"))
    assert len(told_before_retry) < len(keys)  # the kill really cut some posts off
    # Each key's first answer names its call: one call per key, every call of a key, each whole.
    results = SubmissionKey.objects.filter(key__in=keys).values_list("result_url", flat=True)
    call_ids = sorted(int(url.rstrip("/").split("/")[-1]) for url in results)
    assert confirmed == set(keys)
    assert call_ids == sorted(calls.values_list("pk", flat=True))
    assert len(call_ids) == len(keys)
    assert [call.requests_count for call in calls] == [1] * len(keys)


class SlowInbox:
    """An SMTP server that takes 20 ms per message, so a kill lands in the middle of a batch."""

    def __init__(self) -> None:
        self.received: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        time.sleep(0.02)
        self.received.extend(envelope.rcpt_tos)
        return "250 OK"


@pytest.fixture
def slow_smtp() -> Iterator[tuple[SlowInbox, int]]:
    inbox = SlowInbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.mark.slow(seconds=22)
def test_task_worker_killed_mid_batch_sends_no_email_twice(skip_without_postgres: None, slow_smtp) -> None:
    inbox, port = slow_smtp
    total = 150
    OutboxEmail.objects.bulk_create(
        OutboxEmail(template="test", to=[f"person{number}@example.org"], language="fr", subject="s", body="b")
        for number in range(total)
    )
    env = _environment(MAILLAGE_EMAIL_HOST="127.0.0.1", MAILLAGE_EMAIL_PORT=str(port), MAILLAGE_EMAIL_TLS="false")
    sender = subprocess.Popen(
        [sys.executable, "-m", "maillage", "send_outbox"],
        env=env,
        cwd=PROJECT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # Generous: on a loaded machine the sender's start (importing Django) alone can take half a minute.
    deadline = time.monotonic() + 300
    while len(inbox.received) < total // 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    sender.send_signal(signal.SIGKILL)
    sender.wait()
    received_at_kill = len(inbox.received)
    assert 0 < received_at_kill < total

    # The worker comes back later than the claim's time-out: what it left half-sent is marked failed.
    OutboxEmail.objects.filter(status=OutboxStatus.SENDING).update(claimed_at=timezone.now() - timedelta(minutes=11))
    completed = subprocess.run(
        [sys.executable, "-m", "maillage", "send_outbox"],
        env=env,
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr

    statuses = dict(OutboxEmail.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    sent = [to[0] for to in OutboxEmail.objects.filter(status=OutboxStatus.SENT).values_list("to", flat=True)]
    assert len(inbox.received) == len(set(inbox.received))  # nobody got a copy twice
    assert statuses.get(OutboxStatus.PENDING, 0) == 0
    assert statuses.get(OutboxStatus.SENDING, 0) == 0
    assert statuses.get(OutboxStatus.FAILED, 0) <= 1  # at most the one being sent at the kill
    assert statuses.get(OutboxStatus.SENT, 0) + statuses.get(OutboxStatus.FAILED, 0) == total
    assert set(sent) <= set(inbox.received)


@pytest.mark.slow(seconds=17)
def test_task_worker_killed_during_an_import_leaves_nothing_half_imported(
    skip_without_postgres: None, federation_staff, line, themes, settings
) -> None:
    """The journal import runs in a real `db_worker`; killed mid-import it wrote nothing; given up as
    stale it is failed with a reason; started again it imports every call once."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from maillage.helpline import importer
    from maillage.helpline.models import JournalImport

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    rows = 4000
    header = "call_id,started_at,duration_minutes,language,caller_sex,postal_code,caller_type,heard_via,urgency,category,action,note,comment\n"
    body = "".join(
        f"K{number},2021-02-{1 + number % 28:02d} 09:{number % 60:02d},5,fr,woman,1070,concerned,,low,FOOD.PARCEL,information,,\n"
        for number in range(rows)
    )
    job = importer.start_import(
        federation_staff, line, SimpleUploadedFile("journal.csv", (header + body).encode()), False
    )
    env = _environment(MAILLAGE_TASKS_BACKEND="django_tasks_db.DatabaseBackend")
    worker_command = [sys.executable, "-m", "maillage", "db_worker", "--batch", "--no-startup-delay"]
    worker = subprocess.Popen(
        worker_command, env=env, cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status == JournalImport.Status.RUNNING and job.processed_rows > 0:
            break
        time.sleep(0.02)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    job.refresh_from_db()

    assert (job.status, Call.objects.count()) == (JournalImport.Status.RUNNING, 0)
    # Later than the time-out: the silent import is given up, with the reason shown to the person.
    JournalImport.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(hours=2))
    assert importer.give_up_stale_imports(JournalImport.objects.all()) == 1
    job.refresh_from_db()
    assert (job.status, job.failure_reason != "") == (JournalImport.Status.FAILED, True)

    assert importer.restart_import(federation_staff, job) is True
    completed = subprocess.run(worker_command, env=env, cwd=PROJECT, capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr[-2000:]
    job.refresh_from_db()
    assert (job.status, job.calls_created, Call.objects.count()) == (JournalImport.Status.SUCCEEDED, rows, rows)
    assert Call.objects.values("external_ref").distinct().count() == rows
