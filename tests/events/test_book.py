"""The book published (PDF, public page at a stable address, sources traceable after merges) and followed up."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from maillage.core.models import AuditEntry
from maillage.events import services
from maillage.events.models import FollowStatus, Recommendation, RecommendationUpdate
from tests.conftest import assert_outsider_gets_404
from tests.events.factories import EventFactory
from tests.events.test_setup import event_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(organisation, organiser):
    """An event whose three groups raised the same idea: two merged into the first, the recommendation from it."""
    event = EventFactory(
        organisation=organisation, slug="assises-2026", title_fr="Assises 2026", title_nl="Assisen 2026"
    )
    question = services.ensure_questions(event)[0]
    points = [
        services.add_points(None, services.add_breakout(organiser, event, name), question, text)[0]
        for name, text in [
            ("Groupe A", "- Un guichet unique"),
            ("Groupe B", "- Une seule porte d'entrée"),
            ("Groupe C", "- Un seul guichet"),
        ]
    ]
    services.merge_points(organiser, points[0], points[1:])
    recommendation = services.save_recommendation(
        organiser,
        event,
        {
            "diagnosis": "Les personnes sont renvoyées d'un service à l'autre.",
            "recommendation": "Créer un guichet unique par commune",
            "addressed_to": "Cocof",
            "sources": [points[2]],
        },
    )
    return event, recommendation


def test_sources_stay_traceable_after_a_merge(book):
    _event, recommendation = book
    [source] = services.sources_of(Recommendation.objects.get(pk=recommendation.pk))
    # The recommendation cites the point of group C, merged into A's with B's: all three groups are named.
    assert (source.text, source.groups) == ("Un seul guichet", ["Groupe A", "Groupe B", "Groupe C"])


def test_published_book_is_public_at_a_stable_address(client, organiser, organiser_client, organisation, book):
    event, _recommendation = book
    url = reverse("events:public_book", args=[event.slug])
    assert url == "/events/assises-2026/book/"
    assert client.get(url).status_code == 404
    assert client.get(reverse("events:public_follow_up", args=[event.slug])).status_code == 404
    organiser_client.post(reverse("events:publish_book", args=[event.pk]))
    event.refresh_from_db()
    assert event.book_published_at is not None
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="nl")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Aanbevelingenboek" in text
    assert "Créer un guichet unique par commune" in text
    assert "Groupe A, Groupe B, Groupe C" in text
    assert "Cahier de recommandations" in client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    # Its address no longer changes.
    response = organiser_client.post(
        reverse("events:edit_event", args=[event.pk]), event_form(organisation, kind=event.kind, slug="autre")
    )
    assert response.context["form"].errors["slug"] == [
        "Le livre de cet événement est publié à cette adresse : elle ne peut plus changer."
    ]
    event.refresh_from_db()
    assert event.slug == "assises-2026"
    assert AuditEntry.objects.filter(code="events.book.published", target_id=str(event.pk)).count() == 1


def test_the_book_as_pdf(client, organiser, organiser_client, book):
    event, _recommendation = book
    response = organiser_client.get(reverse("events:book_pdf", args=[event.pk]))
    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    assert response.content[:5] == b"%PDF-"
    assert client.get(reverse("events:public_book_pdf", args=[event.slug])).status_code == 404
    services.publish_book(organiser, event)
    public = client.get(reverse("events:public_book_pdf", args=[event.slug]))
    assert (public.status_code, public.content[:5]) == (200, b"%PDF-")


def test_each_recommendation_is_followed_with_dated_steps(client, organiser, organiser_client, book):
    event, recommendation = book
    url = reverse("events:follow_up", args=[event.pk, recommendation.pk])
    with pytest.raises(ValidationError):
        services.add_follow_up(organiser, recommendation, FollowStatus.TAKEN_UP, timezone.localdate())
    services.publish_book(organiser, event)
    today = timezone.localdate()
    organiser_client.post(
        url,
        {
            "status": "taken_up",
            "on": (today - timedelta(days=30)).isoformat(),
            "addressed_to": "Cocof, Iriscare",
            "note": "Reçue par le cabinet.",
            "submission_key": "a",
        },
    )
    organiser_client.post(
        url,
        {"status": "in_progress", "on": today.isoformat(), "note": "Projet pilote à Forest.", "submission_key": "b"},
    )
    refused = organiser_client.post(url, {"status": "forgotten", "on": today.isoformat(), "submission_key": "c"})
    assert refused.status_code == 422
    assert refused.context["form"].errors["status"] == [
        "« forgotten » n'est pas un statut : choisissez-en un dans la liste."
    ]
    future = organiser_client.post(
        url, {"status": "done", "on": (today + timedelta(days=2)).isoformat(), "submission_key": "d"}
    )
    assert future.context["form"].errors["on"] == ["La date d'une étape ne peut pas être dans le futur."]
    assert list(RecommendationUpdate.objects.values_list("status", "note")) == [
        ("taken_up", "Reçue par le cabinet."),
        ("in_progress", "Projet pilote à Forest."),
    ]
    recommendation.refresh_from_db()
    assert recommendation.addressed_to == "Cocof, Iriscare"
    assert recommendation.follow_status == "in_progress"
    page = client.get(reverse("events:public_follow_up", args=[event.slug])).content.decode()
    assert "Cocof, Iriscare" in page
    assert "Projet pilote à Forest." in page
    assert "En cours" in page
    with pytest.raises(ValidationError) as unknown:
        services.add_follow_up(organiser, recommendation, "forgotten", date(2026, 1, 1))
    assert list(unknown.value.message_dict) == ["status"]


def test_only_organisers_publish_and_follow(outsider_client, book):
    event, recommendation = book
    assert_outsider_gets_404(
        outsider_client,
        reverse("events:book_pdf", args=[event.pk]),
        reverse("events:follow_up", args=[event.pk, recommendation.pk]),
    )
    assert_outsider_gets_404(outsider_client, reverse("events:publish_book", args=[event.pk]), method="post")
    event.refresh_from_db()
    assert event.book_published_at is None
