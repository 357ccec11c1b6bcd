"""The outbox carries extra headers (List-Unsubscribe, ...) to the SMTP server; its Message-ID stays its own."""

from __future__ import annotations

import pytest
from django.db import transaction

from maillage.core import outbox

pytestmark = pytest.mark.django_db(transaction=True)


def test_extra_headers_reach_the_server(smtp_inbox) -> None:  # type: ignore[no-untyped-def]
    with transaction.atomic():
        email = outbox.queue_email(
            "newsletters/emails/confirm", ["a@example.org"], {"confirm_link": "https://x/c/"}, language="fr",
            headers={"List-Unsubscribe": "<https://x/u/>", "Message-ID": "<forged@x>", "X-Bad\nHeader": "no"},
        )  # fmt: skip
    assert email.headers == {"List-Unsubscribe": "<https://x/u/>"}
    (received,) = smtp_inbox.messages
    assert received["List-Unsubscribe"] == "<https://x/u/>"
    assert received["Message-ID"].startswith(f"<outbox-{email.pk}@")
