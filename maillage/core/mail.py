"""Emails rendered in the recipient's language from templates/<app>/emails/<name>.{txt,html}.

Kept as the name apps already call: it records the email in the outbox (core.outbox), which
the task worker sends after the surrounding transaction commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from maillage.core.outbox import queue_email


def send_templated_mail(
    template: str,
    to: Sequence[str],
    context: dict[str, Any],
    *,
    language: str,
    attachments: Sequence[tuple[str, bytes | str, str]] = (),
) -> None:
    """Record `<template>_subject.txt`, `<template>.txt` (and `.html` if present) in `language` for sending."""
    queue_email(template, to, context, language=language, attachments=attachments)
