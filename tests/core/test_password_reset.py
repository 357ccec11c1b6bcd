from __future__ import annotations

import re

from django.test import Client

from maillage.core.models import User
from tests.conftest import SMTPInbox


def test_password_reset_email_arrives_in_the_persons_language_and_works(
    worker: User, smtp_inbox: SMTPInbox, django_capture_on_commit_callbacks
) -> None:
    worker.language = "nl"
    worker.save(update_fields=["language"])
    client = Client()
    client.cookies["django_language"] = "nl"
    with django_capture_on_commit_callbacks(execute=True):  # the outbox sends after commit
        response = client.post("/accounts/password/reset/", {"email": worker.email})
    assert response.status_code == 302
    message = smtp_inbox.last_to(worker.email)
    body = message.get_content()
    assert "wachtwoord" in body.lower()
    link = re.search(r"http://\S+/accounts/password/reset/key/\S+", body)
    assert link is not None
    path = link.group(0).split("testserver", 1)[1]
    form_page = client.get(path, follow=True)
    new_password = "Een-nieuw-wachtwoord-2026"
    done = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else path,
        {"password1": new_password, "password2": new_password},
    )
    assert done.status_code == 302
    worker.refresh_from_db()
    assert worker.check_password(new_password)
