from __future__ import annotations

from datetime import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from maillage.directory.queries import ReferralSuggestion
from maillage.helpline import referrals

pytestmark = pytest.mark.django_db


def test_suggestion_labels(food_service):
    when = timezone.make_aware(datetime(2021, 2, 2, 9, 0))
    with translation.override("en"):
        assert (
            referrals.suggestion_label(ReferralSuggestion(food_service, True, None, True))
            == "Épicerie sociale du Midi — open now"
        )
        assert (
            referrals.suggestion_label(ReferralSuggestion(food_service, False, when, True))
            == "Épicerie sociale du Midi — opens Tue 2 Feb 09:00"
        )
        assert (
            referrals.suggestion_label(ReferralSuggestion(food_service, False, None, False))
            == "Épicerie sociale du Midi — no opening known — does not serve this area"
        )


NO_SERVICE = [
    ("none:none_open", "No suitable service: none open"),
    ("none:none_in_area", "No suitable service: none serving the area"),
    ("none:none_in_language", "No suitable service: none in the caller's language"),
    ("none:none_at_all", "No suitable service: none at all"),
]


def test_selected_service_stays_among_the_choices(food_service, themes):
    query = referrals.ReferralQuery(None, "", "fr", timezone.now())
    with translation.override("en"):
        choices = referrals.service_choices(query, selected=str(food_service.pk))
        assert choices == [(str(food_service.pk), "Épicerie sociale du Midi"), *NO_SERVICE]
        assert referrals.service_choices(query, selected="nope") == NO_SERVICE


def test_without_a_postal_code_no_service_is_said_not_to_serve_the_area(food_service, themes):
    values = {"requests-0-category": "FOOD.PARCEL", "language": "fr", "started_at": "2026-11-23 10:00"}
    with translation.override("en"):
        choices = referrals.picker_choices(values, "requests-0")
    assert choices[0] == (str(food_service.pk), "Épicerie sociale du Midi — open now")


def _service_options(html: str, prefix: str) -> list[tuple[str, str]]:
    import re

    select = re.search(rf'<select name="{prefix}-service".*?</select>', html, re.S)
    assert select is not None
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(0))


def test_live_picker_refresh_button_and_no_js_save_give_identical_suggestions(responder_client, themes, food_service):
    """The bug: "Refresh the proposed services" marked every service "does not serve this area"."""
    from tests.directory.factories import make_service

    far = make_service(
        name_fr="Resto du Nord", needs=[themes["FOOD"]], postal_code="1030", serves=["1030"], languages=["fr"]
    )
    call = {
        "started_at": "2026-11-23 10:00",
        "postal_code": "1060",
        "language": "fr",
        "requests-0-category": "FOOD.PARCEL",
        "requests-0-service": "",
    }
    live = responder_client.get(reverse("helpline:referral_options"), {**call, "prefix": "requests-0"})
    form = {
        **call,
        "duration_minutes": "5",
        "caller_sex": "man",
        "caller_type": "concerned",
        "urgency": "low",
        "requests-TOTAL_FORMS": "1",
        "requests-INITIAL_FORMS": "0",
        "requests-0-action": "referral",  # a referral without a service: the form comes back with its errors
    }
    refreshed = responder_client.post(reverse("helpline:call_new"), {**form, "propose": "1"})
    refused = responder_client.post(reverse("helpline:call_new"), {**form, "save": "1"})
    htmx_refresh = responder_client.post(
        reverse("helpline:call_new"), {**form, "propose": "1"}, headers={"HX-Request": "true"}
    )
    expected = [
        ("", "— aucun service —"),
        (str(food_service.pk), "Épicerie sociale du Midi — ouvert maintenant"),
        (str(far.pk), "Resto du Nord — aucune ouverture connue — ne couvre pas cette zone"),
    ]
    options = _service_options(live.content.decode(), "requests-0")
    assert options[:3] == expected
    assert len(options) == 7
    for answer in (refreshed, refused, htmx_refresh):
        assert _service_options(answer.content.decode(), "requests-0") == options
    from maillage.helpline.models import Call

    assert Call.objects.count() == 0
