"""One record per intention: every creating form carries a one-time submission key.

A double click, a resubmit after "back", two tabs or two concurrent posts of the same form
carry the same key. The key is inserted in the transaction that creates the record, before
the record: a concurrent repeat waits on the unique index (PostgreSQL) or on the write lock
(SQLite's IMMEDIATE transactions), then finds the first result and answers with it instead
of making a second record. A form without a key (an old page, a script) still works.

In a view::

    outcome = create_once(request, "helpline.call", lambda: services.log_call(...),
                          lambda call: (call_url(call), _("Call #%(n)s was already saved.") % ...))
    if outcome.repeated:
        return outcome.redirect(request)

In the template, inside the <form>: ``{% load submission %}{% submission_key_input %}``.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Generic, TypeVar

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponseRedirect
from django.utils import timezone
from django.utils.html import format_html

from maillage.core.models import SubmissionKey

FIELD_NAME = "submission_key"
HEADER_NAME = "Idempotency-Key"
_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
T = TypeVar("T")


def new_key() -> str:
    return secrets.token_urlsafe(24)


def key_from(request: HttpRequest) -> str | None:
    """The key the form (or an API client's Idempotency-Key header) sent; None when absent or malformed."""
    raw = request.POST.get(FIELD_NAME) or request.headers.get(HEADER_NAME) or ""
    return raw if _KEY.match(raw) else None


def hidden_input(request: HttpRequest | None) -> str:
    """The hidden field: the posted key again when a form is shown with its errors, else a fresh one."""
    posted = key_from(request) if request is not None and request.method == "POST" else None
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD_NAME, posted or new_key())


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What a submission gave: the new record, or (repeated) the first submission's answer."""

    result: T | None
    repeated: bool = False
    url: str = ""
    message: str = ""

    def redirect(self, request: HttpRequest) -> HttpResponseRedirect:
        if self.message:
            messages.info(request, self.message)
        return HttpResponseRedirect(self.url or "/")


def create_once(
    request: HttpRequest,
    purpose: str,
    create: Callable[[], T],
    describe: Callable[[T], tuple[str, str]],
) -> Outcome[T]:
    """Run `create` once per submission key; a repeat returns the first result's (url, message).

    `describe(record)` gives the URL to show the record and the message a repeat reads,
    e.g. ("/helpline/calls/812/", "Call #812 was already saved.").
    """
    key = key_from(request)
    if key is None:
        return Outcome(create())
    user = request.user if request.user.is_authenticated else None
    try:
        with transaction.atomic():
            row = SubmissionKey.objects.create(key=key, user=user, purpose=purpose)
            record = create()
            row.result_url, row.result_message = (str(part)[:500] for part in describe(record))
            row.save(update_fields=["result_url", "result_message"])
    except IntegrityError:
        first = SubmissionKey.objects.filter(key=key).first()
        if first is None:
            raise  # the record's own constraint, not a repeat
        if first.purpose != purpose or first.user_id != (user.pk if user else None):
            # Someone else's key (forged or leaked): never reveal their result.
            return Outcome(None, repeated=True, url=request.path, message="")
        return Outcome(None, repeated=True, url=first.result_url, message=first.result_message)
    return Outcome(record)


def previous_result(request: HttpRequest, purpose: str) -> Outcome[None] | None:
    """Before validating a form: has this key already created something? (e.g. a resubmit after back)."""
    key = key_from(request)
    if key is None:
        return None
    rows = SubmissionKey.objects.filter(key=key, purpose=purpose)
    rows = rows.filter(user=request.user) if request.user.is_authenticated else rows.filter(user=None)
    first = rows.first()
    if first is None:
        return None
    return Outcome(None, repeated=True, url=first.result_url, message=first.result_message)


def purge_old_keys(days: int = 30) -> int:
    """Keys only matter for minutes; a month keeps every realistic resubmit answered."""
    deleted, _ = SubmissionKey.objects.filter(created_at__lt=timezone.now() - timedelta(days=days)).delete()
    return deleted
