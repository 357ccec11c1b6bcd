"""The people search's in-memory index (search/people_index.py): it finds what the hand-written statement
finds, in its order, and every change to what the search filters on shows in the very next search, the
index followed from the changes being the one built anew; a rolled-back change leaves nothing."""

from __future__ import annotations

import itertools

import pytest
from django.db import transaction

from maillage.core.models import Commune, Role
from maillage.directory.models import Location, Quartier, ServiceAtLocation, ServiceStatus, Worker
from maillage.directory.people import PeopleCriteria, _statement_ids, search_people
from maillage.directory.search import people_index
from maillage.directory.search.generation import current_generation
from maillage.directory.search.people_index import PeopleIndex, current_people_index
from tests.conftest import client_for
from tests.directory.factories import make_service
from tests.directory.test_people import people, quartiers  # noqa: F401  (fixtures)
from tests.directory.test_people_statement import _queryset_ids
from tests.factories import member

pytestmark = pytest.mark.django_db


def _same_index(held: PeopleIndex, built: PeopleIndex) -> None:
    assert held.generation == built.generation
    assert held.service_of == built.service_of
    assert held.tokens_of == built.tokens_of
    assert held.by_service == built.by_service
    assert held.by_token == built.by_token
    # The order of the listed workers (a followed index may keep the places of workers gone or unlisted).
    listed = list(built.service_of)
    assert sorted(listed, key=held.rank.__getitem__) == sorted(listed, key=built.rank.__getitem__)


def _names(criteria: PeopleCriteria) -> list[str]:
    found = [w.full_name for w in search_people(criteria)]
    # The index, the statement and the queryset agree, and the index followed is the one built anew.
    assert [w.pk for w in search_people(criteria)] == _statement_ids(criteria, 50) == _queryset_ids(criteria)
    _same_index(current_people_index(), PeopleIndex.build(current_generation()))
    return found


def test_the_index_finds_what_the_statement_finds(people, themes, quartiers) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    food, housing = people["food"], people["housing"]
    housing.quartiers.set([quartiers["S02"]])
    for name, languages in [
        ("Zoé Majuscules", "FR NL"),
        ("Yann Seul", "FR"),
        ("Xavier Espaces", "nl  fr"),
        ("Walid Trois", "ar nl fr"),
        ("Victor Joker", "f_ %"),
        ("Ursula Vide", ""),
    ]:
        Worker.objects.create(service=housing if len(name) % 2 else food, full_name=name, function_fr="Juriste",
                              consent=True, languages=languages)  # fmt: skip
    Worker.objects.create(service=food, full_name="Tom Inactif", function_fr="Juriste", consent=True, is_active=False)
    communes = [None, *Commune.objects.filter(nis_code__in=["21001", "21009", "21013"])]
    for text, organisation, need, commune, quartier, language in itertools.product(
        ["", "juriste", "a", "zz"],
        ["", "habitat"],
        [None, themes["FOOD"], themes["HOUSING"]],
        communes,
        [None, quartiers["S02"], quartiers["S03"]],
        ["", "fr", "FR", "nl", "ar", "a", "f_", "%", "nl fr", " fr"],
    ):
        criteria = PeopleCriteria(text, need, organisation, commune, quartier, language)
        assert [w.pk for w in search_people(criteria)] == _statement_ids(criteria, 50), criteria
    assert [w.full_name for w in search_people(PeopleCriteria(text="juriste"), limit=3)] == [
        "Ursula Vide",
        "Victor Joker",
        "Walid Trois",
    ]


def test_every_change_shows_in_the_next_search(people, themes, quartiers) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    amina, bart, food, housing = people["amina"], people["bart"], people["food"], people["housing"]
    ixelles = Commune.objects.get(nis_code="21009")
    schaerbeek = Commune.objects.get(nis_code="21015")
    assert _names(PeopleCriteria(language="fr")) == ["Amina Diallo"]
    held = current_people_index()
    assert _names(PeopleCriteria(language="fr")) == ["Amina Diallo"]
    assert current_people_index() is held  # nothing changed: the same index

    # A worker's card: consent, name (the order), languages, active.
    amina.consent = False
    amina.save()
    assert _names(PeopleCriteria(language="fr")) == []
    amina.consent = True
    amina.languages = "fr ar nl"
    amina.save()
    assert _names(PeopleCriteria(language="nl")) == ["Amina Diallo", "Bart Peeters"]
    amina.full_name = "Zora Diallo"
    amina.save()
    assert _names(PeopleCriteria(language="nl")) == ["Bart Peeters", "Zora Diallo"]
    assert _names(PeopleCriteria(text="zora")) == ["Zora Diallo"]

    # Its links, from the worker and from the other side.
    amina.needs.set([themes["HOUSING"]])
    assert _names(PeopleCriteria(need=themes["HOUSING"])) == ["Bart Peeters", "Zora Diallo"]
    themes["HOUSING"].directory_workers.remove(amina)
    assert _names(PeopleCriteria(need=themes["HOUSING"])) == ["Bart Peeters"]
    schaerbeek.directory_workers.add(amina)
    assert _names(PeopleCriteria(commune=schaerbeek)) == ["Zora Diallo"]
    amina.area_communes.clear()
    assert _names(PeopleCriteria(commune=schaerbeek)) == []
    quartiers["S03"].workers.add(amina)
    assert _names(PeopleCriteria(quartier=quartiers["S03"])) == ["Bart Peeters", "Zora Diallo"]

    # A quartier's communes: who covers it covers them.
    quartiers["S03"].communes.add(schaerbeek)
    assert _names(PeopleCriteria(commune=schaerbeek)) == ["Bart Peeters", "Zora Diallo"]
    schaerbeek.quartiers.clear()
    assert _names(PeopleCriteria(commune=schaerbeek)) == []
    amina.quartiers.remove(quartiers["S03"])

    # The service: its quartiers, places, areas, publication; a worker moved, deleted.
    food.quartiers.set([quartiers["S01"]])
    assert _names(PeopleCriteria(quartier=quartiers["S01"])) == ["Zora Diallo"]
    location = Location.objects.get(service_at_locations__service=food)
    location.commune = schaerbeek
    location.save()
    assert _names(PeopleCriteria(commune=schaerbeek)) == ["Zora Diallo"]
    ServiceAtLocation.objects.filter(service=food).delete()
    assert _names(PeopleCriteria(commune=schaerbeek)) == []
    housing.area_communes.add(schaerbeek)
    assert _names(PeopleCriteria(commune=schaerbeek)) == ["Bart Peeters"]
    housing.status = ServiceStatus.DRAFT
    housing.save()
    assert _names(PeopleCriteria(language="nl")) == ["Zora Diallo"]
    housing.status = ServiceStatus.PUBLISHED
    housing.save()
    assert _names(PeopleCriteria(commune=ixelles)) == ["Bart Peeters"]
    bart.service = food
    bart.save()
    assert _names(PeopleCriteria(need=themes["FOOD"])) == ["Bart Peeters", "Zora Diallo"]
    assert _names(PeopleCriteria(commune=ixelles)) == ["Bart Peeters"]  # his own quartier, Matonge
    assert _names(PeopleCriteria(commune=Commune.objects.get(nis_code="21013"))) == ["Bart Peeters", "Zora Diallo"]
    housing.organisation.name_fr = "Bart Company"
    housing.organisation.save()
    assert _names(PeopleCriteria(organisation="company")) == []
    bart.delete()
    assert _names(PeopleCriteria(need=themes["FOOD"])) == ["Zora Diallo"]
    new = Quartier.objects.create(code="Z99", name_fr="Nouveau", name_nl="Nieuw")
    new.communes.add(ixelles)
    amina.quartiers.add(new)
    assert _names(PeopleCriteria(commune=ixelles)) == ["Zora Diallo"]
    new.delete()
    assert _names(PeopleCriteria(commune=ixelles)) == []


def test_a_rolled_back_change_is_not_searched(people, themes) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    seen_inside: list[str] = []

    def add_then_fail() -> None:
        with transaction.atomic():
            Worker.objects.create(service=people["food"], full_name="Fantôme", function_fr="x", consent=True)
            seen_inside.extend(w.full_name for w in search_people(PeopleCriteria(need=themes["FOOD"])))
            raise RuntimeError

    assert _names(PeopleCriteria(need=themes["FOOD"])) == ["Amina Diallo"]
    with pytest.raises(RuntimeError):
        add_then_fail()
    assert seen_inside == ["Amina Diallo", "Fantôme"]
    assert _names(PeopleCriteria(need=themes["FOOD"])) == ["Amina Diallo"]
    people["amina"].languages = "fr"  # the next change takes the rolled-back one's number, with another token
    people["amina"].save()
    assert _names(PeopleCriteria(need=themes["FOOD"])) == ["Amina Diallo"]


def test_a_new_service_and_its_workers(people, themes) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    current_people_index()
    legal = make_service(name_fr="Droit pour tous", needs=[themes["HOUSING"]], postal_code="1030")
    Worker.objects.create(service=legal, full_name="Aline Avocate", function_fr="Juriste", consent=True)
    assert _names(PeopleCriteria(need=themes["HOUSING"])) == ["Aline Avocate", "Bart Peeters"]
    assert _names(PeopleCriteria(organisation="quotidiens")) == []
    legal.organisation.name_fr = "Droits Quotidiens"
    legal.organisation.save()
    assert _names(PeopleCriteria(organisation="quotidiens")) == ["Aline Avocate"]


def test_warm_up_builds_the_people_index(people) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from maillage.directory.search import index

    people_index._KEPT.index = None
    assert index.warm_up() is True
    assert people_index._KEPT.index is not None
    assert set(people_index._KEPT.index.service_of) == {people["amina"].pk, people["bart"].pk}


def test_the_page_still_audits_each_search(people, themes) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from maillage.core.models import AuditEntry

    client = client_for(member(Role.WORKER))
    response = client.get(f"/directory/people/?need={themes['FOOD'].pk}")
    assert [w.full_name for w in response.context["workers"]] == ["Amina Diallo"]
    entry = AuditEntry.objects.filter(code="directory.worker.read").latest("pk")
    assert entry.data["what"] == "people_search"
    assert entry.data["results"] == 1
