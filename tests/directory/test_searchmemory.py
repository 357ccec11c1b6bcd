"""The search's in-memory index: every change to what a search filters on or prints shows in the very
next search, through the services and through plain model saves, and a rolled-back change leaves nothing."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from django.db import transaction

from maillage.directory import services as directory_services
from maillage.directory.models import CrisisStatus, Location, Phone, ServiceAtLocation, ServiceStatus
from maillage.directory.opening import BRUSSELS
from maillage.directory.queries import ReferralSuggestion, SearchCriteria, search
from maillage.directory.search.generation import current_generation
from maillage.directory.search.index import SearchIndex, current_index
from tests.directory.factories import make_service

pytestmark = pytest.mark.django_db

MONDAY_10 = datetime(2026, 11, 23, 10, tzinfo=BRUSSELS)
WEEKDAYS = [("MO,TU,WE,TH,FR", time(9), time(17))]


@pytest.fixture
def parcels(themes):  # type: ignore[no-untyped-def]
    return make_service(
        name_fr="Colis du lundi",
        needs=[themes["FOOD.PARCEL"]],
        postal_code="1070",
        serves=["1070"],
        hours=WEEKDAYS,
        phone="02 555 00 01",
    )


def _open_in_1070(themes) -> list[ReferralSuggestion]:  # type: ignore[no-untyped-def]
    return search(SearchCriteria(category=themes["FOOD"], postal_code="1070", open_now=True, at=MONDAY_10))


def test_a_search_reads_the_index_again_only_after_a_change(themes, parcels) -> None:  # type: ignore[no-untyped-def]
    _open_in_1070(themes)
    held = current_index()
    _open_in_1070(themes)
    assert current_index() is held
    before = current_generation()
    directory_services.add_phone(None, parcels, "02 555 00 02")
    after = current_generation()
    assert after.number > before.number
    assert after.token != before.token
    [result] = _open_in_1070(themes)
    assert current_index() is not held
    assert result.service.phone_numbers == ("02 555 00 01", "02 555 00 02")


def test_what_a_result_prints_follows_plain_saves(themes, parcels) -> None:  # type: ignore[no-untyped-def]
    _open_in_1070(themes)
    organisation = parcels.organisation
    organisation.name_fr = "Nouvelle association"
    organisation.save()
    location = Location.objects.get(service_at_locations__service=parcels)
    location.address = "Rue Nouvelle 9"
    location.save()
    Phone.objects.filter(service=parcels).update(number="unused")  # update() sends no signal ...
    Phone.objects.create(service=parcels, number="0470 00 00 00")  # ... the next save does
    [result] = _open_in_1070(themes)
    assert (result.service.organisation.name, [p.address for p in result.service.places]) == (
        "Nouvelle association",
        ["Rue Nouvelle 9"],
    )
    assert result.service.phone_numbers == ("unused", "0470 00 00 00")


def test_closing_unpublishing_and_deleting_show_at_once(themes, parcels) -> None:  # type: ignore[no-untyped-def]
    other = make_service(
        name_fr="Épicerie", needs=[themes["FOOD"]], postal_code="1070", serves=["1070"], hours=WEEKDAYS
    )
    assert [r.service.pk for r in _open_in_1070(themes)] == [parcels.pk, other.pk]
    directory_services.set_crisis_status(None, parcels, CrisisStatus.CLOSED, "Travaux")
    assert [r.service.pk for r in _open_in_1070(themes)] == [other.pk]
    directory_services.set_crisis_status(None, parcels, CrisisStatus.USUAL)
    directory_services.add_exception(None, other, {"start_date": date(2026, 11, 23), "end_date": date(2026, 11, 23)})
    assert [r.service.pk for r in _open_in_1070(themes)] == [parcels.pk]
    parcels.status = ServiceStatus.DRAFT
    parcels.save()
    assert _open_in_1070(themes) == []
    parcels.status = ServiceStatus.PUBLISHED
    parcels.save()
    assert [r.service.pk for r in _open_in_1070(themes)] == [parcels.pk]
    ServiceAtLocation.objects.filter(service=parcels).delete()
    [result] = _open_in_1070(themes)
    assert result.service.places == ()
    parcels.delete()
    assert _open_in_1070(themes) == []


def test_needs_areas_and_hours_saved_through_the_services(themes, parcels) -> None:  # type: ignore[no-untyped-def]
    assert [r.service.pk for r in _open_in_1070(themes)] == [parcels.pk]
    directory_services.save_service(
        None,
        parcels.organisation,
        {"name_fr": "Colis du lundi", "status": "published"},
        service=parcels,
        needs=[themes["HOUSING"]],
        languages=["fr"],
    )
    assert _open_in_1070(themes) == []


def test_a_rolled_back_change_is_not_searched(themes, parcels) -> None:  # type: ignore[no-untyped-def]
    seen_inside: list[str] = []

    def add_then_fail() -> None:
        with transaction.atomic():
            make_service(name_fr="Fantôme", needs=[themes["FOOD"]], postal_code="1070", serves=["1070"], hours=WEEKDAYS)
            seen_inside.extend(r.service.name_fr for r in _open_in_1070(themes))
            raise RuntimeError

    _open_in_1070(themes)
    with pytest.raises(RuntimeError):
        add_then_fail()
    assert seen_inside == ["Colis du lundi", "Fantôme"]
    assert [r.service.name_fr for r in _open_in_1070(themes)] == ["Colis du lundi"]
    # The next change takes the rolled-back one's number with another token: still not searched.
    directory_services.add_phone(None, parcels, "02 555 00 09")
    assert [r.service.name_fr for r in _open_in_1070(themes)] == ["Colis du lundi"]


def test_only_published_services_are_held(themes, parcels) -> None:  # type: ignore[no-untyped-def]
    draft = make_service(name_fr="Brouillon", needs=[themes["FOOD"]], status=ServiceStatus.DRAFT)
    index = SearchIndex.build(current_generation())
    assert (parcels.pk in index.entries, draft.pk in index.entries) == (True, False)
    assert index.any_of([f"n{themes['FOOD'].pk}"]) == {parcels.pk}


def _same_index(held: SearchIndex, built: SearchIndex) -> None:
    """What a search reads of both indexes is the same."""
    assert held.by_token == built.by_token
    assert held.rank == built.rank
    assert held.closed_for_good == built.closed_for_good
    assert {
        pk: (e.name_fr, e.places, e.phones, e.weekly, e.exceptions, e.crisis_status) for pk, e in held.entries.items()
    } == {
        pk: (e.name_fr, e.places, e.phones, e.weekly, e.exceptions, e.crisis_status) for pk, e in built.entries.items()
    }


def test_after_changes_a_process_reads_only_the_services_they_name(themes, parcels) -> None:  # type: ignore[no-untyped-def]
    other = make_service(
        name_fr="Épicerie", needs=[themes["FOOD"]], postal_code="1070", serves=["1070"], hours=WEEKDAYS
    )
    untouched = make_service(name_fr="Logement", needs=[themes["HOUSING"]], postal_code="1070", hours=WEEKDAYS)
    _open_in_1070(themes)
    held = current_index()
    directory_services.add_phone(None, parcels, "02 555 00 03")
    directory_services.set_crisis_status(None, other, CrisisStatus.CLOSED, "Travaux")
    new = make_service(
        name_fr="Aide d'abord", needs=[themes["FOOD.MEALS"]], postal_code="1070", serves=["1070"], hours=WEEKDAYS
    )
    parcels.organisation.name_fr = "Renommée"
    parcels.organisation.save()
    assert [r.service.name_fr for r in _open_in_1070(themes)] == ["Aide d'abord", "Colis du lundi"]
    # Followed from the changes, not read again: the service no change named is the very same entry.
    assert current_index().entries[untouched.pk] is held.entries[untouched.pk]
    assert current_index().entries[parcels.pk] is not held.entries[parcels.pk]
    _same_index(current_index(), SearchIndex.build(current_generation()))
    new.delete()
    assert [r.service.name_fr for r in _open_in_1070(themes)] == ["Colis du lundi"]
    assert current_index().entries[untouched.pk] is held.entries[untouched.pk]
    _same_index(current_index(), SearchIndex.build(current_generation()))


def test_a_change_to_every_service_reads_everything_again(themes, parcels) -> None:  # type: ignore[no-untyped-def]
    from maillage.core.models import Commune

    _open_in_1070(themes)
    held = current_index()
    commune = Commune.objects.get(postal_codes__code="1070")
    commune.save()
    _open_in_1070(themes)
    assert current_index().generation == current_generation()
    assert current_index().entries[parcels.pk] is not held.entries[parcels.pk]


def test_changed_since_refuses_a_broken_chain(parcels) -> None:  # type: ignore[no-untyped-def]
    from maillage.directory.search.generation import Generation, changed_since

    held = current_generation()
    directory_services.add_phone(None, parcels, "02 555 00 04")
    assert changed_since(held) == ({parcels.pk}, current_generation())
    assert changed_since(Generation("not-the-token", held.number)) is None
    assert changed_since(Generation("", 0)) is None


def test_warm_up_builds_the_index_before_any_search(themes) -> None:  # type: ignore[no-untyped-def]
    from maillage.directory.search import index as searchmemory

    make_service(name_fr="Colis", needs=[themes["FOOD"]], postal_code="1070")
    searchmemory._KEPT.index = None
    assert searchmemory.warm_up() is True
    assert searchmemory._KEPT.index is not None
    assert [entry.name_fr for entry in searchmemory._KEPT.index.entries.values()] == ["Colis"]
