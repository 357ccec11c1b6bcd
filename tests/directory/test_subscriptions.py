from __future__ import annotations

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from maillage.core.models import AuditEntry, Commune, OutboxEmail, User
from maillage.directory import services as directory_services
from maillage.directory.models import CrisisStatus, ServiceStatus, Subscription
from tests.conftest import assert_outsider_gets_404, client_for
from tests.directory.factories import make_service
from tests.factories import member

pytestmark = pytest.mark.django_db


@pytest.fixture
def anderlecht() -> Commune:
    return Commune.objects.get(postal_codes__code="1070")


def test_professional_follows_a_commune_and_a_need_from_the_changes_page(
    worker: User,
    anderlecht: Commune,
    themes,  # type: ignore[no-untyped-def]
) -> None:
    client = client_for(worker)
    page = client.get(reverse("directory:changes"), {"commune": anderlecht.pk, "need": themes["FOOD"].pk})
    assert page.context["can_follow"] is True
    assert reverse("directory:subscribe") in page.content.decode()

    response = client.post(reverse("directory:subscribe"), {"commune": anderlecht.pk, "need": themes["FOOD"].pk})
    client.post(reverse("directory:subscribe"), {"commune": anderlecht.pk, "need": themes["FOOD"].pk})

    assert response.status_code == 302
    assert response["Location"] == reverse("directory:changes")
    subscription = Subscription.objects.get()
    assert (subscription.user, subscription.commune, subscription.need) == (worker, anderlecht, themes["FOOD"])
    assert AuditEntry.objects.filter(code="directory.subscription.created").count() == 1
    listed = client.get(reverse("directory:changes")).context["subscriptions"]
    assert list(listed) == [subscription]

    stop = client.post(reverse("directory:unsubscribe", args=[subscription.pk]))
    assert stop.status_code == 302
    assert Subscription.objects.count() == 0
    assert AuditEntry.objects.filter(code="directory.subscription.deleted").count() == 1


def test_following_nothing_is_refused_with_a_message(worker: User) -> None:
    client = client_for(worker)
    response = client.post(reverse("directory:subscribe"), {}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Choisissez une commune, un besoin ou les deux à suivre."]
    assert Subscription.objects.count() == 0


def test_anonymous_and_unfiltered_visitors_cannot_follow(client, worker: User, anderlecht: Commune) -> None:  # type: ignore[no-untyped-def]
    page = client.get(reverse("directory:changes"), {"commune": anderlecht.pk})
    assert (page.context["can_follow"], page.context["subscriptions"]) == (False, [])
    assert client_for(worker).get(reverse("directory:changes")).context["can_follow"] is False
    assert client.post(reverse("directory:subscribe"), {"commune": anderlecht.pk}).status_code == 302
    assert Subscription.objects.count() == 0


def test_someone_without_membership_gets_404(anderlecht: Commune) -> None:
    from tests.factories import UserFactory

    client = client_for(UserFactory())
    assert_outsider_gets_404(client, reverse("directory:subscribe"), method="post")


def test_outsider_cannot_stop_someone_elses_subscription(outsider_client, worker: User, anderlecht: Commune) -> None:  # type: ignore[no-untyped-def]
    subscription = directory_services.subscribe(worker, anderlecht, None)
    assert_outsider_gets_404(outsider_client, reverse("directory:unsubscribe", args=[subscription.pk]), method="post")
    assert Subscription.objects.count() == 1


def _digest(capture, **options):  # type: ignore[no-untyped-def]
    """Run the digest command and the outbox's after-commit sending, as the worker would."""
    with capture(execute=True):
        call_command("directory_digest", **options)


def test_digest_sends_matching_changes_once_in_the_subscriber_language(
    django_capture_on_commit_callbacks,
    smtp_inbox,
    worker: User,
    anderlecht: Commune,
    themes,  # type: ignore[no-untyped-def]
) -> None:
    follower = member(organisation=worker.memberships.get().organisation, email="volger@example.org", language="nl")
    food_follower = member(organisation=worker.memberships.get().organisation, email="voedsel@example.org")
    with time_machine.travel("2026-11-20 08:00:00+00:00", tick=False):
        directory_services.subscribe(follower, anderlecht, None)
        directory_services.subscribe(follower, None, themes["HOUSING"])
        directory_services.subscribe(food_follower, None, themes["FOOD"])
        # Before the follow: never sent.
    in_anderlecht = make_service(name_fr="Colis du Midi", name_nl="Voedselpakket Zuid", serves=["1070"])
    elsewhere = make_service(name_fr="Loin", name_nl="Ver", serves=["1030"], needs=[themes["FOOD.PARCEL"]])
    draft = make_service(name_fr="Brouillon", serves=["1070"], status=ServiceStatus.DRAFT)
    with time_machine.travel("2026-11-21 09:00:00+00:00", tick=False):
        directory_services.set_crisis_status(None, in_anderlecht, CrisisStatus.CLOSED, "Grève")
        directory_services.set_crisis_status(None, elsewhere, CrisisStatus.REDUCED)
        directory_services.set_crisis_status(None, draft, CrisisStatus.CLOSED)
        directory_services.confirm_still_accurate(worker, in_anderlecht)

    _digest(django_capture_on_commit_callbacks)

    assert sorted(message["To"] for message in smtp_inbox.messages) == ["voedsel@example.org", "volger@example.org"]
    dutch = smtp_inbox.last_to("volger@example.org")
    assert dutch["Subject"] == "Gids: 1 wijziging voor wat u volgt"
    body = dutch.get_body(("plain",)).get_content()
    assert "Voedselpakket Zuid: Status gewijzigd (Gesloten — Grève)" in body
    assert f"- Anderlecht\r\n- HOUSING {themes['HOUSING'].label_nl}\r\n" in body
    assert "Ver" not in body
    assert "Brouillon" not in body
    assert f"/directory/services/{in_anderlecht.pk}/" in body
    french = smtp_inbox.last_to("voedsel@example.org")
    assert french["Subject"] == "Répertoire : 1 changement pour ce que vous suivez"
    assert "Loin: Statut modifié (Service réduit)" in french.get_body(("plain",)).get_content()
    assert Subscription.objects.filter(last_sent_at__year=2026).count() == 3

    _digest(django_capture_on_commit_callbacks)
    assert len(smtp_inbox.messages) == 2

    with time_machine.travel("2099-01-01 08:00:00+00:00", tick=False):
        directory_services.set_crisis_status(None, in_anderlecht, CrisisStatus.USUAL)
    with time_machine.travel("2099-01-02 08:00:00+00:00", tick=False):
        _digest(django_capture_on_commit_callbacks)
    assert len(smtp_inbox.messages) == 3
    last = smtp_inbox.messages[-1]
    assert last["To"] == "volger@example.org"
    assert "Voedselpakket Zuid: Status gewijzigd (Open zoals gewoonlijk)" in last.get_body(("plain",)).get_content()


def test_inactive_followers_and_former_members_get_nothing(smtp_inbox, worker: User, anderlecht: Commune) -> None:  # type: ignore[no-untyped-def]
    directory_services.subscribe(worker, anderlecht, None)
    worker.is_active = False
    worker.save(update_fields=["is_active"])
    former = member(email="ancien@example.org")
    directory_services.subscribe(former, anderlecht, None)
    former.memberships.update(is_active=False)
    service = make_service(serves=["1070"])
    directory_services.set_crisis_status(None, service, CrisisStatus.CLOSED)
    call_command("directory_digest")
    assert smtp_inbox.messages == []
    assert OutboxEmail.objects.count() == 0


def test_status_changes_read_in_the_reader_language(client) -> None:  # type: ignore[no-untyped-def]
    from maillage.directory.models import ChangeKind, ServiceChange

    service = make_service(name_fr="Colis", name_nl="Pakket")
    directory_services.set_crisis_status(None, service, CrisisStatus.REDUCED, "Sur rendez-vous")
    older = ServiceChange.objects.create(
        service=service, kind=ChangeKind.STATUS, summary="Fermé", created_at="2020-01-01T00:00:00Z"
    )
    dutch = client.get(reverse("directory:changes"), headers={"accept-language": "nl"}).content.decode()
    assert "Pakket</a>: Status gewijzigd (Beperkte dienstverlening — Sur rendez-vous)" in dutch
    assert "Pakket</a>: Status gewijzigd (Fermé)" in dutch
    feed = client.get(reverse("directory:feed"), headers={"accept-language": "nl"}).content.decode()
    assert "Beperkte dienstverlening — Sur rendez-vous" in feed
    assert older.text == "Fermé"


def test_a_digest_the_mail_server_refuses_waits_in_the_outbox_and_is_sent_once(
    settings,
    smtp_inbox,
    django_capture_on_commit_callbacks,
    worker: User,
    anderlecht: Commune,  # type: ignore[no-untyped-def]
) -> None:
    """The digest is recorded in the transaction that moves the subscription forward; a refused
    connection leaves it pending in the outbox (retried there), and the next digest does not repeat it."""
    import io
    import socket

    from maillage.core.models import OutboxEmail, OutboxStatus
    from maillage.core.outbox import flush_due

    subscription = directory_services.subscribe(worker, anderlecht, None)
    before = subscription.last_sent_at
    directory_services.set_crisis_status(None, make_service(serves=["1070"]), CrisisStatus.CLOSED)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        settings.EMAIL_PORT = closed.getsockname()[1]  # nothing listens there
    out = io.StringIO()
    _digest(django_capture_on_commit_callbacks, stdout=out)
    assert out.getvalue() == "1 digest(s) queued for sending.\n"
    email = OutboxEmail.objects.get()
    assert (email.to, email.status, email.attempts) == ([worker.email], OutboxStatus.PENDING, 1)
    subscription.refresh_from_db()
    assert subscription.last_sent_at > before

    settings.EMAIL_PORT = smtp_inbox.port
    OutboxEmail.objects.update(next_attempt_at=email.created_at)
    assert flush_due() == {"interrupted": 0, "sent": 1}
    _digest(django_capture_on_commit_callbacks, stdout=out)
    assert [message["To"] for message in smtp_inbox.messages] == [worker.email]
