"""Emails rendered in the recipient's language from templates/<app>/emails/<name>.{txt,html}."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation


def send_templated_mail(
    template: str,
    to: Sequence[str],
    context: dict[str, Any],
    *,
    language: str,
    attachments: Sequence[tuple[str, bytes | str, str]] = (),
) -> None:
    """Render `<template>_subject.txt`, `<template>.txt` (and `.html` if present) in `language`."""
    with translation.override(language):
        subject = render_to_string(f"{template}_subject.txt", context).strip()
        body = render_to_string(f"{template}.txt", context)
        message = EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, list(to))
        for filename, content, mimetype in attachments:
            message.attach(filename, content, mimetype)
    message.send()
