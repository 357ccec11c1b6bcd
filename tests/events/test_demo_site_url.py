"""The demo's emailed links point at the address it serves, and it says where its emails go."""

from __future__ import annotations

import pytest

from maillage.core.management.commands.demo import mail_note, site_url_for


@pytest.mark.parametrize(
    ("addrport", "url"),
    [
        ("127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("127.0.0.1:8123", "http://127.0.0.1:8123"),
        ("8124", "http://127.0.0.1:8124"),
        ("0.0.0.0:9000", "http://127.0.0.1:9000"),
        ("demo.local:8080", "http://demo.local:8080"),
    ],
)
def test_site_url_follows_the_served_address(addrport, url):
    assert site_url_for(addrport) == url


def test_the_demo_says_where_its_emails_go(settings):
    settings.SITE_URL = "http://127.0.0.1:8123"
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    assert mail_note() == (
        "\nEmails: printed in this terminal (no email leaves; set MAILLAGE_EMAIL_HOST to send them)."
        " Their links start with http://127.0.0.1:8123."
        "\nFederation staff list every email sent at http://127.0.0.1:8123/events/outbox/."
    )
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1025
    assert "sent through the SMTP server 127.0.0.1:1025" in mail_note()


def test_emailed_links_use_the_site_url(settings, db):
    from maillage.events import services
    from tests.events.factories import EventFactory

    settings.SITE_URL = "http://127.0.0.1:8123"
    event = EventFactory()
    result = services.register(
        event, services.RegistrationData(full_name="A", email="a@example.org", organisation_name="X")
    )
    assert services.personal_url(result.participant).startswith("http://127.0.0.1:8123/events/me/")
