"""The email outbox: recorded with the change, sent after commit, retried, never twice."""

from __future__ import annotations

import smtplib

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from maillage.core import outbox
from maillage.core.models import OutboxEmail, OutboxStatus

pytestmark = pytest.mark.django_db


def _queue(**extra):  # type: ignore[no-untyped-def]
    return outbox.queue_email(
        "core/emails/invitation",
        ["ana@example.org"],
        {"invitation": None, "link": "https://maillage.example/x", "inviter": "Cora"},
        language="nl",
        **extra,
    )


def test_an_email_is_recorded_in_the_transaction_and_sent_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        email = _queue(attachments=[("a.ics", "BEGIN:VCALENDAR", "text/calendar")])
        assert OutboxEmail.objects.get().status == OutboxStatus.PENDING
        assert mail.outbox == []
    assert len(callbacks) == 1
    email.refresh_from_db()
    assert email.status == OutboxStatus.SENT
    assert email.attempts == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ana@example.org"]
    assert mail.outbox[0].subject == email.subject
    assert mail.outbox[0].attachments[0][0] == "a.ics"
    assert mail.outbox[0].extra_headers["Message-ID"] == f"<outbox-{email.pk}@maillage.localhost>"


def test_a_rolled_back_change_sends_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():  # noqa: PT012
        _queue()
        raise RuntimeError("the service failed after deciding the email")
    assert OutboxEmail.objects.count() == 0
    assert mail.outbox == []


def test_delivering_twice_sends_once(django_capture_on_commit_callbacks):
    email = _queue()
    assert outbox.deliver(email.pk) == "sent"
    assert outbox.deliver(email.pk) == "skipped"
    assert outbox.flush_due() == {"interrupted": 0}
    assert len(mail.outbox) == 1


def test_a_refused_connection_is_retried_later_with_its_reason(settings, smtp_inbox):
    email = _queue()
    settings.EMAIL_PORT = 1  # nothing listens there
    assert outbox.deliver(email.pk) == "pending"
    email.refresh_from_db()
    assert email.status == OutboxStatus.PENDING
    assert email.last_error.startswith("ConnectionRefusedError")
    assert email.next_attempt_at > timezone.now()
    assert outbox.flush_due() == {"interrupted": 0}  # not due yet
    settings.EMAIL_PORT = smtp_inbox.port
    OutboxEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())
    assert outbox.flush_due() == {"interrupted": 0, "sent": 1}
    assert [message["To"] for message in smtp_inbox.messages] == ["ana@example.org"]


def test_after_the_last_attempt_an_email_is_failed(settings, monkeypatch):
    email = _queue()
    OutboxEmail.objects.filter(pk=email.pk).update(attempts=outbox.MAX_ATTEMPTS - 1)

    def refuse(self, *args):  # type: ignore[no-untyped-def]
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    assert outbox.deliver(email.pk) == "failed"
    email.refresh_from_db()
    assert (email.status, email.last_error) == (OutboxStatus.FAILED, "SMTPServerDisconnected: gone")
    outbox.retry(email)
    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutboxStatus.PENDING, 0)


def test_a_row_left_sending_by_a_dead_worker_is_failed_not_resent():
    email = _queue()
    OutboxEmail.objects.filter(pk=email.pk).update(
        status=OutboxStatus.SENDING, claimed_at=timezone.now() - outbox.STALE_CLAIM * 2
    )
    assert outbox.flush_due() == {"interrupted": 1}
    email.refresh_from_db()
    assert email.status == OutboxStatus.FAILED
    assert mail.outbox == []


def test_a_sent_emails_text_is_forgotten_after_a_day():
    """A database read must not give old personal links or invitation tokens."""
    recent, old = _queue(), _queue()
    assert outbox.deliver(recent.pk) == outbox.deliver(old.pk) == "sent"
    OutboxEmail.objects.filter(pk=old.pk).update(sent_at=timezone.now() - outbox.KEEP_SENT_BODIES * 2)
    outbox.flush_due()
    recent.refresh_from_db()
    old.refresh_from_db()
    assert recent.body != ""
    assert (old.body, old.html_body, old.attachments, old.subject) == ("", "", [], recent.subject)
