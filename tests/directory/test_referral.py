from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time

import pytest

from maillage.directory.models import CrisisStatus, ScheduleException, ServiceStatus
from maillage.directory.opening import BRUSSELS
from maillage.directory.queries import ReferralSuggestion, SearchCriteria, category_ids, search, services_for_referral
from tests.directory.factories import make_service

pytestmark = pytest.mark.django_db

WEEKDAYS = "MO,TU,WE,TH,FR"
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=BRUSSELS)


def test_level_one_need_finds_level_two_services(themes) -> None:  # type: ignore[no-untyped-def]
    parcel = make_service(name_fr="Colis", needs=[themes["FOOD.PARCEL"]], hours=[(WEEKDAYS, time(9), time(17))])
    make_service(name_fr="Logement", needs=[themes["HOUSING"]])
    result = services_for_referral(themes["FOOD"], None, None, MONDAY_10)
    assert [s.service.pk for s in result] == [parcel.pk]
    assert replace(result[0], service=None) == ReferralSuggestion(
        service=None,  # type: ignore[arg-type]
        is_open=True,
        next_opening=datetime(2026, 11, 24, 9, 0, tzinfo=BRUSSELS),
        serves_area=False,
        distance_km=None,
        open_until=datetime(2026, 11, 23, 17, 0, tzinfo=BRUSSELS),
    )


def test_level_two_need_finds_services_tagged_with_parent(themes) -> None:  # type: ignore[no-untyped-def]
    general = make_service(name_fr="Aide alimentaire générale", needs=[themes["FOOD"]])
    meals = make_service(name_fr="Repas", needs=[themes["FOOD.MEALS"]])
    make_service(name_fr="Épicerie", needs=[themes["FOOD.SOCIALSHOP"]])
    result = services_for_referral(themes["FOOD.MEALS"], None, None, MONDAY_10)
    assert {s.service.pk for s in result} == {general.pk, meals.pk}
    assert sorted(category_ids(themes["FOOD.MEALS"])) == sorted([themes["FOOD.MEALS"].pk, themes["FOOD"].pk])


def test_order_serving_area_then_open_now_then_opening_soon(themes) -> None:  # type: ignore[no-untyped-def]
    food = themes["FOOD"]
    far_open = make_service(name_fr="A far open", needs=[food], serves=["1030"], hours=[(WEEKDAYS, time(9), time(17))])
    area_closed_soon = make_service(
        name_fr="B area soon", needs=[food], serves=["1070"], hours=[(WEEKDAYS, time(11), time(12))]
    )
    area_open = make_service(
        name_fr="C area open", needs=[food], serves=["1070"], hours=[(WEEKDAYS, time(9), time(17))]
    )
    area_closed_later = make_service(
        name_fr="D area later", needs=[food], serves=["1070"], hours=[("WE", time(9), time(12))]
    )
    whole_region = make_service(
        name_fr="E region", needs=[food], serves_whole_region=True, hours=[("SA", time(9), time(12))]
    )
    result = services_for_referral(food, "1070", None, MONDAY_10)
    assert [(s.service.pk, s.serves_area, s.is_open) for s in result] == [
        (area_open.pk, True, True),
        (area_closed_soon.pk, True, False),
        (area_closed_later.pk, True, False),
        (whole_region.pk, True, False),
        (far_open.pk, False, True),
    ]
    assert result[1].next_opening == datetime(2026, 11, 23, 11, 0, tzinfo=BRUSSELS)
    assert result[3].next_opening == datetime(2026, 11, 28, 9, 0, tzinfo=BRUSSELS)


def test_extra_postal_code_counts_as_served(themes) -> None:  # type: ignore[no-untyped-def]
    service = make_service(needs=[themes["FOOD"]], extra_postal_codes="1500 1600")
    [result] = services_for_referral(themes["FOOD"], "1600", None, MONDAY_10)
    assert (result.service.pk, result.serves_area) == (service.pk, True)


def test_language_filter_and_drafts_hidden(themes) -> None:  # type: ignore[no-untyped-def]
    dutch = make_service(needs=[themes["FOOD"]], languages=["nl", "fr"])
    make_service(needs=[themes["FOOD"]], languages=["fr"])
    make_service(needs=[themes["FOOD"]], languages=["nl"], status=ServiceStatus.DRAFT)
    assert [s.service.pk for s in services_for_referral(themes["FOOD"], None, "nl", MONDAY_10)] == [dutch.pk]


def test_limit_and_no_category(themes) -> None:  # type: ignore[no-untyped-def]
    services = [make_service(name_fr=f"S{i}", hours=[(WEEKDAYS, time(9), time(17))]) for i in range(5)]
    result = services_for_referral(None, None, None, MONDAY_10, limit=3)
    assert [s.service.pk for s in result] == [s.pk for s in services[:3]]


def test_closed_by_crisis_status_is_not_open(themes) -> None:  # type: ignore[no-untyped-def]
    service = make_service(
        needs=[themes["FOOD"]], hours=[(WEEKDAYS, time(9), time(17))], crisis_status=CrisisStatus.CLOSED
    )
    [result] = services_for_referral(themes["FOOD"], None, None, MONDAY_10)
    assert (result.service.pk, result.is_open, result.next_opening) == (service.pk, False, None)


def test_search_open_now_filter_and_nearby_order(themes) -> None:  # type: ignore[no-untyped-def]
    food = themes["FOOD"]
    ixelles = make_service(name_fr="Ixelles", needs=[food], postal_code="1050", hours=[(WEEKDAYS, time(9), time(17))])
    molenbeek = make_service(
        name_fr="Molenbeek", needs=[food], postal_code="1080", hours=[(WEEKDAYS, time(9), time(17))]
    )
    closed = make_service(name_fr="Fermé", needs=[food], postal_code="1070", hours=[("SA", time(9), time(17))])
    holiday = make_service(name_fr="Congé", needs=[food], postal_code="1070", hours=[(WEEKDAYS, time(9), time(17))])
    ScheduleException.objects.create(service=holiday, start_date=date(2026, 11, 23), end_date=date(2026, 11, 23))
    result = search(SearchCriteria(category=food, postal_code="1070", open_now=True, at=MONDAY_10))
    assert [r.service.pk for r in result] == [molenbeek.pk, ixelles.pk]
    everything = search(SearchCriteria(category=food, postal_code="1070", at=MONDAY_10))
    assert [r.service.pk for r in everything] == [holiday.pk, closed.pk, molenbeek.pk, ixelles.pk]
    assert everything[0].distance_km == 0.0


def test_search_free_text_ignores_accents_and_case(themes) -> None:  # type: ignore[no-untyped-def]
    shop = make_service(name_fr="Épicerie sociale du Midi", name_nl="Sociale kruidenier")
    make_service(name_fr="Logement")
    assert [r.service.pk for r in search(SearchCriteria(text="EPICERIE", at=MONDAY_10))] == [shop.pk]
    assert [r.service.pk for r in search(SearchCriteria(text="kruidénier soc", at=MONDAY_10))] == [shop.pk]
    assert search(SearchCriteria(text="pizza", at=MONDAY_10)) == []


def test_search_modality_and_free_filters(themes) -> None:  # type: ignore[no-untyped-def]
    walk_in = make_service(modalities="walk_in appointment", is_free=True)
    make_service(modalities="phone", is_free=True)
    make_service(modalities="walk_in", is_free=False)
    result = search(SearchCriteria(modality="walk_in", free_only=True, at=MONDAY_10))
    assert [r.service.pk for r in result] == [walk_in.pk]
