"""The email outbox: every email of every app is recorded here, then sent by the task worker.

`queue_email(...)` renders the email in the recipient's language and records it in the
caller's transaction, so an email exists exactly when the change that decided it was
committed. After commit the task `send_outbox_email` claims the row (status "sending",
committed) before talking to the SMTP server, then marks it sent: a retry or a second
worker finds it claimed and does nothing, so nothing is sent twice. A temporary SMTP
failure puts it back as pending with a later `next_attempt_at`; after MAX_ATTEMPTS it is
failed, with the reason shown in the admin. A row left "sending" by a worker that died is
marked failed (it may or may not have left), never re-sent blindly.

`maillage send_outbox` (cron, every minute) or the `flush_outbox` task sends what is due.
"""

from __future__ import annotations

import base64
import logging
import smtplib
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django_tasks import task

from maillage.core.models import OutboxEmail, OutboxStatus

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
# A claim older than this belongs to a worker that died in the middle of sending.
STALE_CLAIM = timedelta(minutes=10)
# A sent email's text (it may hold a personal link or an invitation token) is kept this long, for support.
KEEP_SENT_BODIES = timedelta(days=1)


def queue_email(
    template: str,
    to: Sequence[str],
    context: dict[str, Any],
    *,
    language: str,
    attachments: Sequence[tuple[str, bytes | str, str]] = (),
    headers: dict[str, str] | None = None,
) -> OutboxEmail:
    """Render `<template>_subject.txt`, `<template>.txt` (and `.html` if present) in `language` and record it.

    `headers`: extra headers of the message (e.g. List-Unsubscribe); Message-ID stays the outbox's own.
    """
    with translation.override(language):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        body = render_to_string(f"{template}.txt", context)
        html_body: str
        try:
            html_body = render_to_string(f"{template}.html", context)
        except Exception:
            html_body = ""
    return _record(template, to, language, subject, body, html_body, attachments, headers)


def queue_message(message: EmailMessage, *, template: str, language: str) -> OutboxEmail:
    """Record an email another library rendered (allauth's password reset, ...)."""
    html_body = ""
    if isinstance(message, EmailMultiAlternatives):
        html_body = next((str(content) for content, mimetype in message.alternatives if mimetype == "text/html"), "")
    return _record(template, message.to, language, str(message.subject), str(message.body), html_body, ())


def _record(
    template: str,
    to: Sequence[str],
    language: str,
    subject: str,
    body: str,
    html_body: str,
    attachments: Sequence[tuple[str, bytes | str, str]],
    headers: dict[str, str] | None = None,
) -> OutboxEmail:
    clean_headers = {
        str(name): " ".join(str(value).split())
        for name, value in (headers or {}).items()
        if str(name).lower() != "message-id" and "\n" not in str(name) and "\r" not in str(name)
    }
    email = OutboxEmail.objects.create(
        template=template[:120],
        to=list(to),
        language=language,
        subject=subject[:300],
        body=body,
        html_body=html_body,
        attachments=[
            {
                "filename": filename,
                "mimetype": mimetype,
                "content": base64.b64encode(content.encode() if isinstance(content, str) else content).decode(),
            }
            for filename, content, mimetype in attachments
        ],
        headers=clean_headers,
    )
    email_id = email.pk
    transaction.on_commit(lambda: send_outbox_email.enqueue(email_id))
    return email


def _claim(email_id: int) -> OutboxEmail | None:
    """Take the row for this worker, committed before the SMTP conversation starts."""
    with transaction.atomic():
        email = (
            OutboxEmail.objects.select_for_update()
            .filter(pk=email_id, status=OutboxStatus.PENDING, next_attempt_at__lte=timezone.now())
            .first()
        )
        if email is None:
            return None
        email.status = OutboxStatus.SENDING
        email.claimed_at = timezone.now()
        email.attempts += 1
        email.save(update_fields=["status", "claimed_at", "attempts"])
    return email


def _message(email: OutboxEmail) -> EmailMultiAlternatives:
    domain = str(settings.DEFAULT_FROM_EMAIL or "").rsplit("@", 1)[-1].strip("> ") or "maillage.localhost"
    message = EmailMultiAlternatives(
        email.subject,
        email.body,
        settings.DEFAULT_FROM_EMAIL,
        list(email.to),
        # One Message-ID per outbox row: a receiving server that sees it twice keeps one.
        headers={**(email.headers or {}), "Message-ID": f"<outbox-{email.pk}@{domain}>"},
    )
    if email.html_body:
        message.attach_alternative(email.html_body, "text/html")
    for attachment in email.attachments:
        message.attach(attachment["filename"], base64.b64decode(attachment["content"]), attachment["mimetype"])
    return message


def deliver(email_id: int) -> str:
    """Send one email if it is due and nobody else has it; return what became of it."""
    email = _claim(email_id)
    if email is None:
        return "skipped"
    try:
        _message(email).send()
    except smtplib.SMTPRecipientsRefused as error:
        return _failed(email, f"{type(error).__name__}: {error}", permanent=True)
    except (smtplib.SMTPException, OSError) as error:
        return _failed(email, f"{type(error).__name__}: {error}", permanent=False)
    email.status = OutboxStatus.SENT
    email.sent_at = timezone.now()
    email.last_error = ""
    email.save(update_fields=["status", "sent_at", "last_error"])
    return "sent"


def _failed(email: OutboxEmail, reason: str, *, permanent: bool) -> str:
    logger.warning("outbox: email %s not sent (attempt %s): %s", email.pk, email.attempts, reason)
    email.last_error = reason[:500]
    if permanent or email.attempts >= MAX_ATTEMPTS:
        email.status = OutboxStatus.FAILED
    else:
        email.status = OutboxStatus.PENDING
        email.next_attempt_at = timezone.now() + timedelta(minutes=2**email.attempts)
    email.save(update_fields=["status", "last_error", "next_attempt_at"])
    return str(email.status)


def flush_due() -> dict[str, int]:
    """Send every due email; mark the ones a dead worker left half-sent as failed; forget old sent texts. Idempotent."""
    stale = OutboxEmail.objects.filter(status=OutboxStatus.SENDING, claimed_at__lt=timezone.now() - STALE_CLAIM)
    interrupted = stale.update(
        status=OutboxStatus.FAILED,
        last_error="The worker stopped while sending: check with the recipient before sending it again.",
    )
    counts = {"interrupted": interrupted}
    OutboxEmail.objects.filter(status=OutboxStatus.SENT, sent_at__lt=timezone.now() - KEEP_SENT_BODIES).exclude(
        body=""
    ).update(body="", html_body="", attachments=[])
    due = OutboxEmail.objects.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=timezone.now())
    for email_id in due.order_by("pk").values_list("pk", flat=True):
        outcome = deliver(email_id)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def retry(email: OutboxEmail) -> None:
    """Put a failed email back in the queue (an administrator's decision, after checking)."""
    OutboxEmail.objects.filter(pk=email.pk, status=OutboxStatus.FAILED).update(
        status=OutboxStatus.PENDING, next_attempt_at=timezone.now(), attempts=0
    )
    transaction.on_commit(lambda: send_outbox_email.enqueue(email.pk))


@task()
def send_outbox_email(email_id: int) -> str:
    return deliver(email_id)


@task()
def flush_outbox() -> dict[str, int]:
    return flush_due()
