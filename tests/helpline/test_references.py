"""Returning callers without identity: a reference given, quoted later, expiring as configured."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from maillage.helpline.models import Call, CallerReference
from maillage.helpline.services import references
from tests.conftest import client_for
from tests.helpline.factories import log

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():  # type: ignore[no-untyped-def]
    """Lookups are rate-limited per user in the cache: each test starts with none counted."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def test_codes_are_six_unambiguous_characters_from_secrets():
    codes = {references.new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert re.fullmatch(r"[ACDEFHKMNPRTWXY3479]{6}", code)
    assert not set("0O1IL") & set(references.ALPHABET)


@override_settings(MAILLAGE_HELPLINE_REFERENCE_DAYS=30, MAILLAGE_HELPLINE_COMMENT_RETENTION_DAYS=20)
def test_a_returning_callers_earlier_calls_appear_and_expire_as_configured(responder, other_responder, themes, line):
    start = timezone.now() - timedelta(days=1)
    with time_machine.travel(start, tick=False):
        first = log(
            responder,
            {"category": "FOOD.PARCEL", "action": "information"},
            {"category": "HOUSING.RENT", "action": "no_service", "service": "none:none_open"},
            comment="stressé",
        )
        reference = references.give_reference(responder, first)
    assert (reference.code, reference.expires_at) == (first.reference.code, start + timedelta(days=30))
    assert references.give_reference(responder, first) == reference  # the same call keeps its reference
    other_responder.language = "en"
    other_responder.save()
    client = client_for(other_responder)
    # The caller quotes it (spaces and small letters are fine): the responder sees dates, categories and actions.
    spoken = " ".join(reference.code.lower()[i : i + 3] for i in (0, 3))
    lookup = client.get(reverse("helpline:reference_lookup"), {"reference": spoken})
    earlier = lookup.context["earlier_calls"]
    assert [(e.started_at, e.requests, e.comment) for e in earlier] == [
        (
            first.started_at,
            [
                ("FOOD.PARCEL", "Food parcel", "Information given"),
                ("HOUSING.RENT", "Unpaid rent / eviction", "No suitable service"),
            ],
            "stressé",
        )
    ]
    second = log(other_responder, {"category": "INCOME.DEBT", "action": "information"}, reference=spoken)
    assert second.reference == reference
    assert list(Call.objects.filter(reference=reference).order_by("pk")) == [first, second]
    # Past the comment retention, the comment is never shown; the coded data stays.
    with time_machine.travel(start + timedelta(days=21), tick=False):
        later = references.earlier_calls(reference)
        assert [e.comment for e in later] == ["", ""]
        assert [len(e.requests) for e in later] == [2, 1]
    # Past the reference's expiry: a translated message, the call is not saved.
    with time_machine.travel(start + timedelta(days=30, seconds=1), tick=False):
        with translation.override("nl"), pytest.raises(ValidationError) as expired:
            log(other_responder, reference=reference.code)
        assert expired.value.message_dict == {
            "reference": [
                f"Referentie {reference.code} is vervallen: de vorige oproepen kunnen niet meer gekoppeld worden."
            ]
        }
        client = client_for(other_responder)  # a month later: signed in again
        answer = client.get(reverse("helpline:reference_lookup"), {"reference": reference.code})
        assert answer.context["reference_error"] == (
            f"The reference {reference.code} has expired: the earlier calls can no longer be linked."
        )
    assert Call.objects.count() == 2
    # No name or phone number anywhere: the reference holds only its code and dates.
    assert [f.name for f in CallerReference._meta.concrete_fields] == [
        "id",
        "organisation",
        "code",
        "created_at",
        "expires_at",
    ]


def test_an_unknown_reference_is_refused_in_the_form_nothing_saved(responder, responder_client, themes):
    from tests.helpline.test_views import _post_data

    responder.language = "fr"
    responder.save()
    answer = responder_client.post(reverse("helpline:call_new"), _post_data(reference="ACDEFH"))
    assert answer.context["form"].errors["reference"] == ["Aucune référence ACDEFH n'a été donnée sur cette ligne."]
    assert answer.context["form"].non_field_errors() == []
    assert Call.objects.count() == 0
    bad = responder_client.post(reverse("helpline:call_new"), _post_data(reference="0O1IL2"))
    assert bad.context["form"].errors["reference"] == [
        "Une référence a six caractères parmi A C D E F H K M N P R T W X Y 3 4 7 9."
    ]


def test_guessing_references_is_rate_limited(responder, responder_client, themes):
    from django.core.cache import cache

    cache.clear()
    for _ in range(20):
        assert responder_client.get(reverse("helpline:reference_lookup"), {"reference": "ACDEFH"}).status_code == 200
    refused = responder_client.get(reverse("helpline:reference_lookup"), {"reference": "ACDEFK"})
    assert refused.status_code == 429
    cache.clear()


def test_another_lines_reference_is_unknown_and_its_call_gets_404(
    responder, other_line_responder, themes, responder_client
):
    call = log(responder)
    reference = references.give_reference(responder, call)
    other_line_responder.language = "en"
    other_line_responder.save()
    other = client_for(other_line_responder)
    answer = other.get(reverse("helpline:reference_lookup"), {"reference": reference.code})
    assert answer.context["reference_error"] == f"No reference {reference.code} was given on this line."
    assert other.post(reverse("helpline:reference_give", args=[call.pk])).status_code == 404
    given = responder_client.post(reverse("helpline:reference_give", args=[call.pk]), headers={"HX-Request": "true"})
    assert given.context["reference"] == reference
