"""Sending an edition: one delivery row per recipient, claimed before the SMTP conversation.

The protocol, so that a sender killed at any moment sends nobody the edition twice and skips nobody:

1. the sender takes the edition's lease (renewed while it works; a dead sender's lease runs out);
2. it writes the delivery rows once (unique per edition and subscriber);
3. rows another sender left "sending" are put back as pending: that sender died before marking them
   sent, and (step 5) that means before the message's final "." reached the server, which then
   dropped the unfinished message;
4. it claims one row (pending → sending, committed) and starts the SMTP transaction;
5. after the message's content and before its final ".", it commits "sent"; only then the "." goes out.
   Killed before the commit: the server has no message and the row is sent again. Killed after:
   the "." is already in the kernel's socket buffer or the row's commit is the last thing that happened.

A recipient refused by the server is recorded on its row (hard bounce: 5xx; N of them suspend the
address); a temporary refusal is tried again later; an SMTP server that is down stops the run with
the reason on the edition, nothing marked, and the next run carries on.

Why editions do not go through the core email outbox (maillage/core/outbox.py, OutboxEmail)
-------------------------------------------------------------------------------------------
Every other email of the newsletters does (the confirmation of a subscription, the test send — with its
List-Unsubscribe headers, which the outbox carries since core migration 0007). Editions cannot without
changing the outbox's behaviour for every app:

- Exactly once after a crash. The outbox's `deliver()` hands the whole message to Django's mail backend,
  with no moment between the message's content and its final "."; so a row a dead worker left "sending"
  may or may not have reached the server, and `flush_due()` marks it *failed* (never re-sent blindly,
  after STALE_CLAIM, 10 minutes). For an edition that is a subscriber skipped: the crash test
  (tests/newsletters/test_crash.py, bench/newsletters) requires each of 10,000 addresses received once
  and nobody missing. Step 5 above is what makes it exact, and it needs its own SMTP conversation.
- Rate. The outbox enqueues one task per email at commit and `flush_due()` sends everything due at once;
  an edition is sent at MAILLAGE_NEWSLETTER_RATE per second by one leased sender. A rate in the outbox
  would slow every app's mail (password resets, invitations) behind an edition.
- Hard bounces. The outbox records a refused address as a failed row and tells nobody; an edition needs
  the SMTP code per address on its delivery row to suspend an address refused N times
  (MAILLAGE_NEWSLETTER_MAX_BOUNCES).
- Volume and progress. The outbox stores each rendered body (10,000 copies of the edition, each with a
  task row); a delivery row holds only a status, the message is rendered at sending time from the
  edition (kept per language), and the edition's progress is counted from those rows.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from maillage.newsletters.models import Delivery, DeliveryStatus, Edition, EditionStatus, Subscriber
from maillage.newsletters.rendering import edition_message

logger = logging.getLogger(__name__)

BATCH = 500
MAX_TEMPORARY_ATTEMPTS = 3


class SmtpDownError(Exception):
    pass


def _lease_seconds() -> int:
    return int(getattr(settings, "MAILLAGE_NEWSLETTER_LEASE_SECONDS", 60))


def take_lease(edition_id: int) -> bool:
    now = timezone.now()
    return bool(
        Edition.objects.filter(
            Q(lease_until__isnull=True) | Q(lease_until__lt=now),
            pk=edition_id,
            status__in=[EditionStatus.SCHEDULED, EditionStatus.SENDING],
            scheduled_at__lte=now,
        ).update(status=EditionStatus.SENDING, lease_until=now + timedelta(seconds=_lease_seconds()), started_at=now)
    )


def _renew(edition_id: int) -> None:
    Edition.objects.filter(pk=edition_id).update(lease_until=timezone.now() + timedelta(seconds=_lease_seconds()))


def _release(edition_id: int, error: str = "") -> None:
    Edition.objects.filter(pk=edition_id).update(lease_until=None, last_error=error[:500])


def recipients(edition: Edition) -> Any:
    return Subscriber.objects.filter(
        lists=edition.newsletter,
        confirmed_at__isnull=False,
        unsubscribed_at__isnull=True,
        suspended_at__isnull=True,
        language__in=edition.newsletter.languages(),
    )


def prepare(edition: Edition) -> None:
    """The delivery rows, written once (a crash half-way: the next run adds the rest)."""
    if edition.recipients_ready:
        return
    ids = recipients(edition).order_by("pk").values_list("pk", flat=True)
    batch: list[Delivery] = []
    for subscriber_id in ids.iterator(chunk_size=2000):
        batch.append(Delivery(edition_id=edition.pk, subscriber_id=subscriber_id))
        if len(batch) >= 2000:
            Delivery.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    if batch:
        Delivery.objects.bulk_create(batch, ignore_conflicts=True)
    Edition.objects.filter(pk=edition.pk).update(recipients_ready=True)


def progress(edition: Edition) -> dict[str, int]:
    counts = dict(Delivery.objects.filter(edition=edition).values_list("status").annotate(n=Count("pk")))
    return {status: counts.get(status, 0) for status in DeliveryStatus.values} | {"total": sum(counts.values())}


# Transports: real SMTP with the commit before the final "."; Django's backend otherwise (tests, console).


def _crlf(data: bytes) -> bytes:
    data = re.sub(rb"(?:\r\n|\n|\r(?!\n))", b"\r\n", data)
    data = re.sub(rb"(?m)^\.", b"..", data)
    return data if data.endswith(b"\r\n") else data + b"\r\n"


class SmtpTransport:
    def __init__(self) -> None:
        try:
            self.connection = smtplib.SMTP(
                str(settings.EMAIL_HOST), settings.EMAIL_PORT, timeout=settings.EMAIL_TIMEOUT or 20
            )
            if settings.EMAIL_USE_TLS:
                self.connection.starttls(context=ssl.create_default_context())
            if settings.EMAIL_HOST_USER:
                self.connection.login(settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD)
            self.connection.ehlo_or_helo_if_needed()
        except (OSError, smtplib.SMTPException) as error:
            raise SmtpDownError(f"{type(error).__name__}: {error}") from error

    def send(self, sender: str, to: str, payload: bytes, mark_sent: Any) -> tuple[int, str]:
        """(code, text) of the server's answer; `mark_sent()` runs before the final "."."""
        conn = self.connection
        try:
            code, reply = conn.mail(sender)
            if code != 250:
                conn.rset()
                return code, reply.decode(errors="replace")
            code, reply = conn.rcpt(to)
            if code not in (250, 251):
                conn.rset()
                return code, reply.decode(errors="replace")
            conn.putcmd("data")
            code, reply = conn.getreply()
            if code != 354:
                conn.rset()
                return code, reply.decode(errors="replace")
            conn.send(_crlf(payload))
            mark_sent()
            conn.send(b".\r\n")
            code, reply = conn.getreply()
            return code, reply.decode(errors="replace")
        except (OSError, smtplib.SMTPException) as error:
            raise SmtpDownError(f"{type(error).__name__}: {error}") from error

    def close(self) -> None:
        try:
            self.connection.quit()
        except (OSError, smtplib.SMTPException):
            pass


class BackendTransport:
    """Django's mail backend (locmem in tests, console in the demo): no SMTP conversation to split."""

    def __init__(self) -> None:
        self.connection = get_connection()

    def send_message(self, message: Any, mark_sent: Any) -> tuple[int, str]:
        try:
            self.connection.send_messages([message])
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            return int(code), reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
        except (OSError, smtplib.SMTPException) as error:
            raise SmtpDownError(f"{type(error).__name__}: {error}") from error
        mark_sent()
        return 250, "OK"

    def close(self) -> None:
        pass


def _transport() -> SmtpTransport | BackendTransport:
    if settings.EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend":
        return SmtpTransport()
    return BackendTransport()


def _claim(delivery_id: int) -> bool:
    return bool(
        Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.SENDING, claimed_at=timezone.now(), attempts=F("attempts") + 1
        )
    )


def _record_refusal(delivery: Delivery, code: int, reply: str) -> str:
    reason = f"{code} {reply}"[:500]
    if 400 <= code < 500 and delivery.attempts < MAX_TEMPORARY_ATTEMPTS:
        Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.PENDING, error=reason)
        return "deferred"
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.REFUSED if code >= 500 else DeliveryStatus.FAILED, error=reason, sent_at=None
        )
        if code >= 500:
            subscriber = Subscriber.objects.select_for_update().get(pk=delivery.subscriber_id)
            subscriber.hard_bounces += 1
            if subscriber.hard_bounces >= int(getattr(settings, "MAILLAGE_NEWSLETTER_MAX_BOUNCES", 3)):
                subscriber.suspended_at = subscriber.suspended_at or timezone.now()
            subscriber.save(update_fields=["hard_bounces", "suspended_at"])
    return "refused"


def run(edition_id: int, *, rate: float | None = None) -> dict[str, int | str]:
    """Send what is left of the edition; safe to run again (or in two workers) at any time."""
    if not take_lease(edition_id):
        return {"outcome": "busy or not due"}
    edition = Edition.objects.select_related("newsletter").get(pk=edition_id)
    prepare(edition)
    # We hold the lease: a row still "sending" belongs to a dead sender, which never sent its final ".".
    Delivery.objects.filter(edition=edition, status=DeliveryStatus.SENDING).update(status=DeliveryStatus.PENDING)
    per_second = float(rate or int(getattr(settings, "MAILLAGE_NEWSLETTER_RATE", 20)))
    interval = 1.0 / per_second
    counts: dict[str, int | str] = {"sent": 0, "refused": 0, "deferred": 0, "skipped": 0}
    try:
        transport = _transport()
    except SmtpDownError as error:
        _release(edition_id, str(error))
        return {"outcome": "smtp down", "error": str(error)}
    last_renew = time.monotonic()
    try:
        while True:
            ids = list(
                Delivery.objects.filter(edition=edition, status=DeliveryStatus.PENDING)
                .order_by("pk")
                .values_list("pk", flat=True)[:BATCH]
            )
            if not ids:
                break
            progress_made = False
            for delivery_id in ids:
                started = time.monotonic()
                if started - last_renew > _lease_seconds() / 3:
                    _renew(edition_id)
                    last_renew = started
                if not _claim(delivery_id):
                    continue
                delivery = Delivery.objects.select_related("subscriber").get(pk=delivery_id)
                subscriber = delivery.subscriber
                if not subscriber.receives:
                    Delivery.objects.filter(pk=delivery_id).update(status=DeliveryStatus.SKIPPED)
                    counts["skipped"] = int(counts["skipped"]) + 1
                    continue
                message = edition_message(edition, subscriber)

                def mark_sent(pk: int = delivery_id) -> None:
                    Delivery.objects.filter(pk=pk).update(status=DeliveryStatus.SENT, sent_at=timezone.now(), error="")

                if isinstance(transport, SmtpTransport):
                    code, reply = transport.send(
                        message.from_email, subscriber.email, message.message().as_bytes(), mark_sent
                    )
                else:
                    code, reply = transport.send_message(message, mark_sent)
                if code == 250:
                    counts["sent"] = int(counts["sent"]) + 1
                    progress_made = True
                else:
                    outcome = _record_refusal(delivery, code, reply)
                    counts[outcome] = int(counts[outcome]) + 1
                    progress_made = progress_made or outcome == "refused"
                pause = interval - (time.monotonic() - started)
                if pause > 0:
                    time.sleep(pause)
            if not progress_made and counts["deferred"]:
                break  # only temporary refusals left: the next run tries them again
    except SmtpDownError as error:
        # The claimed row was not marked sent: put it back (this sender is alive and holds the lease).
        Delivery.objects.filter(edition=edition, status=DeliveryStatus.SENDING).update(status=DeliveryStatus.PENDING)
        _release(edition_id, str(error))
        return {**counts, "outcome": "smtp down", "error": str(error)}
    finally:
        transport.close()
    left = Delivery.objects.filter(
        edition=edition, status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING]
    ).exists()
    if left:
        _release(edition_id)
        return {**counts, "outcome": "to be continued"}
    Edition.objects.filter(pk=edition_id).update(
        status=EditionStatus.SENT, finished_at=timezone.now(), lease_until=None, last_error=""
    )
    return {**counts, "outcome": "sent"}


def due_editions() -> list[int]:
    now = timezone.now()
    return list(
        Edition.objects.filter(status__in=[EditionStatus.SCHEDULED, EditionStatus.SENDING], scheduled_at__lte=now)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .values_list("pk", flat=True)
    )


def recipients_count(newsletter: Any) -> int:
    return Subscriber.objects.filter(
        lists=newsletter, confirmed_at__isnull=False, unsubscribed_at__isnull=True, suspended_at__isnull=True,
        language__in=newsletter.languages(),
    ).count()  # fmt: skip
