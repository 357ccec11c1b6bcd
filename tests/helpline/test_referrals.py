from __future__ import annotations

from datetime import datetime

import pytest
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


def test_selected_service_stays_among_the_choices(food_service, themes):
    choices = referrals.service_choices(None, "", "fr", timezone.now(), selected=str(food_service.pk))
    assert choices == [(str(food_service.pk), "Épicerie sociale du Midi")]
    assert referrals.service_choices(None, "", "fr", timezone.now(), selected="nope") == []
