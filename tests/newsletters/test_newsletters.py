"""Newsletters: double opt-in, preferences, one-click unsubscribe, import, editions, sending once each."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from maillage.core.models import OutboxEmail, Role
from maillage.newsletters import rendering, sending, services
from maillage.newsletters.models import (
    Consent,
    Delivery,
    DeliveryStatus,
    Edition,
    EditionStatus,
    NewsletterList,
    Subscriber,
)
from tests.conftest import client_for
from tests.factories import OrganisationFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():  # type: ignore[no-untyped-def]
    return member(Role.FEDERATION_STAFF, OrganisationFactory(sector="federation"))


@pytest.fixture
def bilingual() -> NewsletterList:
    return NewsletterList.objects.create(name_fr="Lettre", name_nl="Brief", language="both")


def _subscribers(newsletter: NewsletterList, count: int, language: str = "fr", start: int = 0) -> list[Subscriber]:
    people = [
        Subscriber.objects.create(email=f"p{n}@example.org", language=language, confirmed_at=timezone.now())
        for n in range(start, start + count)
    ]
    for person in people:
        person.lists.add(newsletter)
    return people


def _edition(staff, newsletter: NewsletterList, **extra) -> Edition:  # type: ignore[no-untyped-def]
    fields = {"newsletter": newsletter, "subject_fr": "Nouvelles", "subject_nl": "Nieuws",
              "body_fr": "Bonjour **tout le monde**", "body_nl": "Dag **iedereen**"}  # fmt: skip
    fields.update(extra)
    return services.save_edition(staff, None, fields)


def test_double_opt_in_then_consent_recorded(client, bilingual) -> None:  # type: ignore[no-untyped-def]
    page = client.post(
        reverse("newsletters:subscribe"), {"email": "Ana@Example.org", "language": "nl", "lists": [bilingual.pk]}
    )
    assert page.status_code == 200
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "ana@example.org"
    assert subscriber.confirmed_at is None
    assert not subscriber.receives
    email = OutboxEmail.objects.get()
    assert email.language == "nl"
    assert subscriber.token in email.body
    # The GET (a mail scanner) confirms nothing; the POST does.
    assert client.get(reverse("newsletters:confirm", args=[subscriber.token])).status_code == 200
    assert Subscriber.objects.get().confirmed_at is None
    client.post(reverse("newsletters:confirm", args=[subscriber.token]))
    subscriber.refresh_from_db()
    assert subscriber.receives
    assert list(Consent.objects.values_list("how", flat=True)) == ["form"]


def test_a_french_only_list_refuses_a_dutch_subscriber(client) -> None:  # type: ignore[no-untyped-def]
    french = NewsletterList.objects.create(name_fr="Lettre FR", language="fr")
    page = client.post(
        reverse("newsletters:subscribe"),
        {"email": "a@example.org", "language": "nl", "lists": [french.pk]},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "is not written in the language you chose" in page.content.decode()
    assert not Subscriber.objects.exists()


def test_preferences_and_one_click_unsubscribe(client, bilingual) -> None:  # type: ignore[no-untyped-def]
    (person,) = _subscribers(bilingual, 1)
    url = reverse("newsletters:preferences", args=[person.token])
    assert client.post(url, {"language": "nl", "lists": [bilingual.pk]}).status_code == 302
    person.refresh_from_db()
    assert person.language == "nl"
    assert person.receives
    # RFC 8058: the mail program POSTs, without cookie or CSRF token.
    strict = client_class_without_csrf()
    answer = strict.post(reverse("newsletters:unsubscribe", args=[person.token]), {"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    person.refresh_from_db()
    assert person.unsubscribed_at is not None
    assert not person.receives
    assert list(person.consents.values_list("how", flat=True)) == ["preferences", "one_click"]


def client_class_without_csrf():  # type: ignore[no-untyped-def]
    from django.test import Client

    return Client(enforce_csrf_checks=True)


def test_import_reports_every_bad_row_and_imports_nothing(staff, bilingual) -> None:  # type: ignore[no-untyped-def]
    OrganisationFactory(short_name="CPAS X")
    content = (
        b"email;language;consent_date;consent_how;organisation\n"
        b"good@example.org;fr;2024-03-01;salon;CPAS X\n"
        b"broken-address;fr;2024-03-01;;\n"
        b"good@example.org;nl;2024-03-02;;\n"
        b"other@example.org;de;2024-03-01;;\n"
        b"late@example.org;fr;2999-01-01;;\n"
        b"who@example.org;nl;2024-01-01;;Nowhere\n"
    )
    client = client_for(staff)
    url = reverse("newsletters:import", args=[bilingual.pk])
    page = client.post(url, {"file": SimpleUploadedFile("list.csv", content, "text/csv")}, HTTP_ACCEPT_LANGUAGE="en")
    bad = page.context["bad"]
    assert [line for line, _problem in bad] == [3, 4, 5, 6, 7]
    assert "n'est pas une adresse e-mail" in bad[0][1]
    assert "Déjà à la ligne 2" in bad[1][1]
    assert not Subscriber.objects.exists()
    good = b"email;language;consent_date;consent_how;organisation\ngood@example.org;fr;2024-03-01;salon;CPAS X\nnl@example.org;nl;01/02/2023;;\n"
    assert client.post(url, {"file": SimpleUploadedFile("list.csv", good, "text/csv")}).status_code == 302
    imported = Subscriber.objects.get(email="good@example.org")
    assert imported.receives
    assert imported.organisation.short_name == "CPAS X"
    assert timezone.localtime(imported.consents.get().at).date() == dt.date(2024, 3, 1)


def test_an_edition_with_a_script_is_sent_without_it(staff, bilingual) -> None:  # type: ignore[no-untyped-def]
    html = rendering.to_html(
        'Salut <script>alert(1)</script> <img src="http://t/p.gif"> [lien](javascript:alert(1)) [ok](https://ok.be)'
    )
    assert "<script" not in html
    assert "<img" not in html
    assert "javascript:" not in html
    assert '<a href="https://ok.be" rel="noopener">ok</a>' in html


def test_each_subscriber_gets_their_language_once(staff, bilingual, settings) -> None:  # type: ignore[no-untyped-def]
    settings.MAILLAGE_NEWSLETTER_RATE = 1000
    french = _subscribers(bilingual, 3, "fr")
    dutch = _subscribers(bilingual, 2, "nl", start=10)
    Subscriber.objects.create(email="unconfirmed@example.org").lists.add(bilingual)
    edition = _edition(staff, bilingual)
    services.schedule(staff, edition, timezone.now())
    mail.outbox.clear()
    outcome = sending.run(edition.pk)
    assert outcome["outcome"] == "sent"
    assert outcome["sent"] == 5
    subjects = {message.to[0]: message.subject for message in mail.outbox}
    assert subjects == {**{p.email: "Nouvelles" for p in french}, **{p.email: "Nieuws" for p in dutch}}
    message = mail.outbox[0]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "<img" not in message.alternatives[0][0]
    # Run again: nothing more.
    assert sending.run(edition.pk) == {"outcome": "busy or not due"}
    assert len(mail.outbox) == 5
    edition.refresh_from_db()
    assert edition.status == EditionStatus.SENT
    assert client_for(staff).get(reverse("newsletters:archived_edition", args=[edition.pk])).status_code == 200


def test_a_scheduled_edition_waits_for_its_time(staff, bilingual) -> None:  # type: ignore[no-untyped-def]
    _subscribers(bilingual, 1)
    edition = services.schedule(staff, _edition(staff, bilingual), timezone.now() + dt.timedelta(hours=2))
    assert sending.run(edition.pk) == {"outcome": "busy or not due"}
    assert sending.due_editions() == []
    with translation.override("fr"), pytest.raises(Exception, match="déjà programmé"):
        services.schedule(staff, edition, None)


def test_an_edition_missing_a_language_is_not_sent(staff, bilingual) -> None:  # type: ignore[no-untyped-def]
    edition = _edition(staff, bilingual, body_nl="")
    with translation.override("fr"), pytest.raises(Exception, match="deux langues"):
        services.schedule(staff, edition, None)


def test_smtp_down_keeps_everything_pending_then_carries_on(staff, bilingual, settings, smtp_inbox) -> None:  # type: ignore[no-untyped-def]
    settings.MAILLAGE_NEWSLETTER_RATE = 1000
    _subscribers(bilingual, 3)
    edition = _edition(staff, bilingual)
    Edition.objects.filter(pk=edition.pk).update(status=EditionStatus.SCHEDULED, scheduled_at=timezone.now())
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 1  # nobody listens
    outcome = sending.run(edition.pk)
    assert outcome["outcome"] == "smtp down"
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.PENDING}
    assert Edition.objects.get(pk=edition.pk).last_error
    settings.EMAIL_PORT = port
    assert sending.run(edition.pk)["outcome"] == "sent"
    assert sorted(m["To"] for m in smtp_inbox.messages) == ["p0@example.org", "p1@example.org", "p2@example.org"]


def test_refusals_are_recorded_and_hard_bounces_suspend(staff, bilingual, settings, smtp_inbox) -> None:  # type: ignore[no-untyped-def]
    settings.MAILLAGE_NEWSLETTER_RATE = 1000
    settings.MAILLAGE_NEWSLETTER_MAX_BOUNCES = 2
    (good, bad) = _subscribers(bilingual, 2)
    Subscriber.objects.filter(pk=bad.pk).update(email="nobody@refused.example", hard_bounces=1)

    async def handle_RCPT(server, session, envelope, address, options):  # type: ignore[no-untyped-def]
        if address.endswith("@refused.example"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    smtp_inbox.handle_RCPT = handle_RCPT  # type: ignore[attr-defined]
    edition = _edition(staff, bilingual)
    Edition.objects.filter(pk=edition.pk).update(status=EditionStatus.SCHEDULED, scheduled_at=timezone.now())
    assert sending.run(edition.pk)["outcome"] == "sent"
    refused = Delivery.objects.get(subscriber=bad)
    assert refused.status == DeliveryStatus.REFUSED
    assert refused.error.startswith("550")
    bad.refresh_from_db()
    assert bad.hard_bounces == 2
    assert bad.suspended_at is not None
    assert [m["To"] for m in smtp_inbox.messages] == [good.email]


def test_received_edition_headers(staff, bilingual, settings, smtp_inbox) -> None:  # type: ignore[no-untyped-def]
    """The closing note's example: an edition as the SMTP server received it."""
    settings.MAILLAGE_NEWSLETTER_RATE = 1000
    (person,) = _subscribers(bilingual, 1, "nl")
    edition = _edition(staff, bilingual)
    Edition.objects.filter(pk=edition.pk).update(status=EditionStatus.SCHEDULED, scheduled_at=timezone.now())
    sending.run(edition.pk)
    (received,) = smtp_inbox.messages
    unsubscribe = rendering.site_url(reverse("newsletters:unsubscribe", args=[person.token]))
    assert received["List-Unsubscribe"].strip() == f"<{unsubscribe}>"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert received["Subject"] == "Nieuws"
    assert received["Message-ID"].startswith(f"<edition-{edition.pk}-{person.pk}@")
    assert received.get_body(("plain",)).get_content().count("Dag **iedereen**") == 1
    assert "<strong>iedereen</strong>" in received.get_body(("html",)).get_content()


def test_test_send_goes_through_the_outbox_with_its_headers(staff, bilingual) -> None:  # type: ignore[no-untyped-def]
    edition = _edition(staff, bilingual)
    client_for(staff).post(
        reverse("newsletters:edition", args=[edition.pk]), {"part": "test", "email": "me@example.org", "language": "nl"}
    )
    email = OutboxEmail.objects.get()
    assert email.to == ["me@example.org"]
    assert "Nieuws" in email.subject
    assert email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert Edition.objects.get(pk=edition.pk).status == EditionStatus.DRAFT


def test_manage_pages_are_for_federation_staff(staff, bilingual) -> None:  # type: ignore[no-untyped-def]
    edition = _edition(staff, bilingual)
    worker = client_for(member(Role.COORDINATOR))
    for url in (reverse("newsletters:manage"), reverse("newsletters:edition", args=[edition.pk])):
        assert worker.get(url).status_code == 404
        assert client_for(staff).get(url).status_code == 200
