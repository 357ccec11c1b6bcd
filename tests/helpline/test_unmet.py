"""Unanswered needs: requests ending "no suitable service", in the bilan, the weekly synthesis and for coordinators."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from maillage.core.models import PostalCode, Role
from maillage.helpline.models import Request
from tests.conftest import client_for
from tests.factories import OrganisationFactory, member
from tests.helpline.factories import log

pytestmark = pytest.mark.django_db

# (need, postal code or "" for outside Brussels, reason) of each request that found no service.
UNMET = [
    ("FOOD.PARCEL", "1060", "none_open"),
    ("FOOD.PARCEL", "1060", "none_open"),
    ("FOOD.PARCEL", "1060", "none_in_area"),
    ("FOOD.PARCEL", "1070", "none_in_language"),
    ("HOUSING.RENT", "1070", "none_at_all"),
    ("HOUSING.RENT", "", "none_in_area"),
    ("INCOME.DEBT", "1060", "none_at_all"),
]


def _day(days_ago: int) -> datetime:
    return timezone.make_aware(datetime.combine(timezone.localdate() - timedelta(days=days_ago), datetime.min.time()))


def _log_unmet(responder, at: datetime) -> None:  # type: ignore[no-untyped-def]
    for index, (need, postal_code, reason) in enumerate(UNMET):
        extra = {"postal_code": postal_code} if postal_code else {"postal_code": "", "caller_area": "outside"}
        log(
            responder,
            {"category": need, "action": "no_service", "service": f"none:{reason}"},
            {"category": "FOOD.MEALS", "action": "information"},  # answered: never counted
            at=at + timedelta(hours=9, minutes=index),
            **extra,
        )


def _independent_count() -> dict[tuple[str, str], Counter[str]]:
    communes = {"1060": "Saint-Gilles", "1070": "Anderlecht", "": "Outside Brussels"}
    expected: dict[tuple[str, str], Counter[str]] = {}
    for need, postal_code, reason in UNMET:
        expected.setdefault((need, communes[postal_code]), Counter())[reason] += 1
    return expected


def _table_as_dict(table) -> dict[tuple[str, str], Counter[str]]:  # type: ignore[no-untyped-def]
    return {(row.need_code, row.commune): Counter({k: v for k, v in row.by_reason.items() if v}) for row in table.rows}


def test_a_request_ends_with_no_suitable_service_and_its_reason(responder, themes):
    call = log(responder, {"category": "FOOD.PARCEL", "action": "", "service": "none:none_in_language"})
    request = call.requests.get()
    assert (request.action, request.unmet_reason, request.service, call.commune.name_fr) == (
        "no_service",
        "none_in_language",
        None,
        "Anderlecht",
    )


def test_no_suitable_service_is_refused_with_a_referral_or_without_a_reason(responder, themes):
    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        log(responder, {"category": "FOOD.PARCEL", "action": "referral", "service": "none:none_open"})
    assert refused.value.message_dict == {
        "requests-0-service": [
            "Une orientation demande un service ; quand aucun ne convient, choisissez l'action « Aucun service adéquat »."
        ]
    }
    with translation.override("nl"), pytest.raises(ValidationError) as no_reason:
        log(responder, {"category": "FOOD.PARCEL", "action": "no_service"})
    assert no_reason.value.message_dict == {
        "requests-0-service": ["Zeg waarom geen dienst past: kies de reden in de lijst van diensten."]
    }
    assert Request.objects.count() == 0


def test_the_bilan_and_the_weekly_synthesis_count_unanswered_needs_as_an_independent_count(
    responder, federation_staff, line, themes
):
    _log_unmet(responder, _day(1))
    log(responder, {"category": "FOOD.PARCEL", "action": "no_service", "service": "none:none_open"}, at=_day(200))
    other_line = OrganisationFactory(short_name="Autre", sector="federation")
    elsewhere = member(Role.RESPONDER, other_line)
    log(elsewhere, {"category": "FOOD.PARCEL", "action": "no_service", "service": "none:none_open"}, at=_day(1))
    federation_staff.language = "en"
    federation_staff.save()
    client = client_for(federation_staff)
    start, end = (timezone.localdate() - timedelta(days=7)).isoformat(), timezone.localdate().isoformat()
    bilan = client.get(reverse("stats:helpline_bilan"), {"start": start, "end": end})
    assert bilan.status_code == 200
    table = bilan.context["unanswered_needs"]
    assert _table_as_dict(table) == _independent_count()
    assert table.total == len(UNMET) == 7
    assert table.by_need() == {"FOOD.PARCEL": 4, "HOUSING.RENT": 2, "INCOME.DEBT": 1}
    assert table.rows[0].need_code == "FOOD.PARCEL"
    assert table.rows[0].commune == "Saint-Gilles"
    assert table.rows[0].counts() == [2, 1, 0, 0]
    assert b'<td class="number" id="unanswered-needs-total">7</td>' in bilan.content
    weekly = client.get(
        reverse("stats:helpline_weekly"), {"week": (timezone.localdate() - timedelta(days=1)).isoformat()}
    )
    assert weekly.status_code == 200
    assert _table_as_dict(weekly.context["unanswered_needs"]) == _independent_count()


def test_coordinators_read_the_unanswered_needs_of_their_area_only(responder, federation_staff, themes):
    from tests.directory.factories import DirectoryOrganisationFactory, make_service

    _log_unmet(responder, _day(1))
    centre = OrganisationFactory(short_name="CPAS Saint-Gilles")
    coordinator = member(Role.COORDINATOR, centre)
    make_service(organisation=DirectoryOrganisationFactory(organisation=centre), serves=["1060"])
    answer = client_for(coordinator).get(reverse("helpline:unmet_needs"))
    assert answer.status_code == 200
    expected = {key: counts for key, counts in _independent_count().items() if key[1] == "Saint-Gilles"}
    assert _table_as_dict(answer.context["unanswered_needs"]) == expected
    assert answer.context["area_limited"] is True
    # The line's staff see every commune; someone without either role gets 404.
    federation_staff.language = "en"
    federation_staff.save()
    staff = client_for(federation_staff).get(reverse("helpline:unmet_needs"))
    assert _table_as_dict(staff.context["unanswered_needs"]) == _independent_count()
    worker = member(Role.WORKER, centre)
    assert client_for(worker).get(reverse("helpline:unmet_needs")).status_code == 404
    assert client_for(coordinator).get(reverse("helpline:unmet_needs"), {"start": "2026-13-01"}).status_code == 400
    assert PostalCode.objects.filter(code="1060").exists()
