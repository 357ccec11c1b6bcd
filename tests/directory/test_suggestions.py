"""Public "suggest a correction": no account, rate-limited, link farms and huge texts refused,
moderated by the service's organisation or the federation."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from maillage.core.models import Role
from maillage.directory.models import CorrectionSuggestion, SuggestionStatus
from tests.conftest import client_for
from tests.directory.factories import make_service
from tests.factories import member

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    cache.clear()


def test_anyone_suggests_and_the_federation_moderates(client: Client) -> None:
    service = make_service(name_fr="Colis")
    url = reverse("directory:suggest", args=[service.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"text": "Le numéro de téléphone a changé : 02 555 00 00.", "contact": ""})
    assert response.status_code == 302
    suggestion = CorrectionSuggestion.objects.get()
    assert (suggestion.service, suggestion.status) == (service, SuggestionStatus.PENDING)
    staff = client_for(member(Role.FEDERATION_STAFF))
    page = staff.get(reverse("directory:suggestions", args=[service.pk]))
    assert list(page.context["suggestions"]) == [suggestion]
    staff.post(reverse("directory:moderate", args=[service.pk, suggestion.pk]), {"decision": "accept"})
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.ACCEPTED
    # Another organisation's coordinator cannot see or moderate it.
    outsider = client_for(member(Role.COORDINATOR))
    assert outsider.get(reverse("directory:suggestions", args=[service.pk])).status_code == 404


def test_link_farm_huge_text_and_robots_refused(client: Client) -> None:
    service = make_service(name_fr="Colis")
    url = reverse("directory:suggest", args=[service.pk])
    farm = " ".join(f"https://spam{n}.example.com" for n in range(3))
    response = client.post(url, {"text": farm})
    assert response.status_code == 200
    assert response.context["form"].errors["text"] == ["Une suggestion peut contenir au plus 2 liens."]
    response = client.post(url, {"text": "a" * 10_000})
    assert response.status_code == 200
    assert "text" in response.context["form"].errors
    response = client.post(url, {"text": "Bonjour", "website": "http://x"})
    assert response.status_code == 200
    assert CorrectionSuggestion.objects.count() == 0


def test_rate_limited_per_client(client: Client) -> None:
    service = make_service(name_fr="Colis")
    url = reverse("directory:suggest", args=[service.pk])
    for number in range(5):
        assert client.post(url, {"text": f"Correction {number}"}).status_code == 302
    response = client.post(url, {"text": "Encore une"})
    assert response.status_code == 429
    assert CorrectionSuggestion.objects.count() == 5
