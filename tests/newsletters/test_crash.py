# ruff: noqa: F811
"""The newsletter sender killed with SIGKILL half-way and started again: everyone gets exactly one copy.

A real sender process (`maillage newsletters_send`) sends an edition to 300 subscribers through a real
SMTP server on loopback that counts what it accepted; it is killed in the middle, its lease runs out,
another sender carries on. Counted at the server: each address once, nobody skipped.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from maillage.newsletters.models import Delivery, DeliveryStatus, Edition, EditionStatus, NewsletterList, Subscriber
from tests.test_crash_safety import PROJECT, _environment, _free_port, skip_without_postgres  # noqa: F401

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TOTAL = 300


class CountingInbox:
    def __init__(self) -> None:
        self.received: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        time.sleep(0.005)
        self.received.extend(envelope.rcpt_tos)
        return "250 OK"


@pytest.fixture
def counting_smtp() -> Iterator[tuple[CountingInbox, int]]:
    inbox = CountingInbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.mark.slow(seconds=38)
def test_sender_killed_half_way_sends_everyone_exactly_once(skip_without_postgres: None, counting_smtp) -> None:  # type: ignore[no-untyped-def]
    inbox, port = counting_smtp
    newsletter = NewsletterList.objects.create(name_fr="Lettre", language="fr")
    Subscriber.objects.bulk_create(
        Subscriber(
            email=f"s{n}@example.org", language="fr", confirmed_at=timezone.now(), token=f"token-{n:06d}-crash-test"
        )
        for n in range(TOTAL)
    )
    newsletter.subscribers.add(*Subscriber.objects.all())
    edition = Edition.objects.create(
        newsletter=newsletter,
        subject_fr="Sujet",
        body_fr="Texte",
        status=EditionStatus.SCHEDULED,
        scheduled_at=timezone.now(),
    )
    env = _environment(
        MAILLAGE_EMAIL_HOST="127.0.0.1", MAILLAGE_EMAIL_PORT=str(port), MAILLAGE_EMAIL_TLS="false",
        MAILLAGE_NEWSLETTER_RATE="1000", MAILLAGE_NEWSLETTER_LEASE_SECONDS="2",
    )  # fmt: skip
    command = [sys.executable, "-m", "maillage", "newsletters_send", "--edition", str(edition.pk)]
    sender = subprocess.Popen(command, env=env, cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(inbox.received) < TOTAL // 2 and time.monotonic() < deadline:
        time.sleep(0.005)
    sender.send_signal(signal.SIGKILL)
    sender.wait()
    at_kill = len(inbox.received)
    assert 0 < at_kill < TOTAL

    # The dead sender's lease (2 s here) runs out; then another sender carries on.
    time.sleep(2.2)
    completed = subprocess.run(command, env=env, cwd=PROJECT, capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr
    assert "'outcome': 'sent'" in completed.stdout

    copies = Counter(inbox.received)
    assert len(copies) == TOTAL  # nobody skipped
    assert max(copies.values()) == 1  # nobody twice
    assert Delivery.objects.filter(edition=edition, status=DeliveryStatus.SENT).count() == TOTAL
    assert Edition.objects.get(pk=edition.pk).status == EditionStatus.SENT
