"""The people search's id statement is written by hand (search_people's ORM queryset cost more CPU to
build than to run): it must find what the queryset found, criterion by criterion and combined; the
communes and quartiers of its form are kept per process and must follow their rows."""

from __future__ import annotations

import itertools
import re

import pytest
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext

from maillage.core.models import Commune, Role
from maillage.directory.forms_people import PeopleSearchForm
from maillage.directory.models import Quartier, Service, ServiceAtLocation, Worker
from maillage.directory.people import PeopleCriteria, language_filter, listed_workers, search_people
from maillage.directory.queries import category_ids
from tests.conftest import client_for
from tests.directory.test_people import people, quartiers  # noqa: F401  (fixtures)
from tests.factories import member

pytestmark = pytest.mark.django_db


def _queryset_ids(criteria: PeopleCriteria) -> list[int]:
    """The queryset search_people() ran before its statement was written by hand (the reference)."""
    workers = listed_workers()
    for word in criteria.text.split():
        workers = workers.filter(
            Q(full_name__icontains=word) | Q(function_fr__icontains=word) | Q(function_nl__icontains=word)
        )
    for word in criteria.organisation.split():
        named = Service.objects.filter(
            Q(organisation__name_fr__icontains=word) | Q(organisation__name_nl__icontains=word)
        ).values("pk")
        workers = workers.filter(service_id__in=named)
    if criteria.need is not None:
        ids = category_ids(criteria.need)
        workers = workers.filter(
            Q(pk__in=Worker.needs.through.objects.filter(category_id__in=ids).values("worker_id"))
            | Q(service_id__in=Service.needs.through.objects.filter(category_id__in=ids).values("service_id"))
        )
    if (commune := criteria.commune) is not None:
        workers = workers.filter(
            Q(pk__in=Worker.area_communes.through.objects.filter(commune_id=commune.pk).values("worker_id"))
            | Q(pk__in=Worker.quartiers.through.objects.filter(quartier__communes=commune).values("worker_id"))
            | Q(service_id__in=Service.area_communes.through.objects.filter(commune_id=commune.pk).values("service_id"))
            | Q(service_id__in=ServiceAtLocation.objects.filter(location__commune=commune).values("service_id"))
        )
    if (quartier := criteria.quartier) is not None:
        workers = workers.filter(
            Q(pk__in=Worker.quartiers.through.objects.filter(quartier_id=quartier.pk).values("worker_id"))
            | Q(service_id__in=Service.quartiers.through.objects.filter(quartier_id=quartier.pk).values("service_id"))
        )
    if criteria.language:
        workers = workers.filter(language_filter("languages", criteria.language))
    return list(workers.order_by("full_name", "pk").values_list("pk", flat=True)[:50])


def test_statement_finds_what_the_queryset_found(people, themes, quartiers) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    people["housing"].quartiers.set([quartiers["S02"]])
    people["housing"].area_communes.set([Commune.objects.get(nis_code="21004")])
    Worker.objects.create(
        service=people["housing"], full_name="Zoé 100% O'Brien_x", function_nl="Jurist", consent=True, languages="ar nl fr"
    )  # fmt: skip
    texts = ["", "amina", "A", "straathoek", "éducateur", "100%", "_x", "o'b", "100% zoé", "nobody"]
    organisations = ["", "solidarité", "HABITAT", "%"]
    needs = [None, themes["FOOD"], themes["HOUSING"]]
    communes = [None, *Commune.objects.filter(nis_code__in=["21001", "21004", "21009", "21013"])]
    places = [None, quartiers["S02"], quartiers["S03"]]
    languages = ["", "fr", "nl", "ar", "a"]
    checked = found = 0
    for text, organisation, need, commune, quartier, language in itertools.product(
        texts, organisations, needs, communes, places, languages
    ):
        checked += 1
        if checked % 11:  # a spread of the combinations (11 is prime to each criterion's count of values)
            continue
        criteria = PeopleCriteria(text, need, organisation, commune, quartier, language)
        expected = _queryset_ids(criteria)
        assert [w.pk for w in search_people(criteria)] == expected, criteria
        found += bool(expected)
    assert found > 20  # the combinations are not all empty


def test_places_of_the_form_follow_their_rows(people, quartiers) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    ixelles = Commune.objects.get(nis_code="21009")
    form = PeopleSearchForm({"commune": str(ixelles.pk), "quartier": ""})
    assert form.is_valid()
    assert form.cleaned_data["commune"] == ixelles
    assert form.cleaned_data["commune"].nis_code == "21009"  # the deferred fields are read if asked for
    with translation.override("nl"):
        assert f'<option value="{ixelles.pk}" selected>Elsene</option>' in form.place_options("commune")
        assert '<option value="" selected>' in form.place_options("quartier")
    ixelles.name_fr = "Ixelles <renamed>"
    ixelles.save()
    with translation.override("fr"):
        assert f'<option value="{ixelles.pk}">Ixelles &lt;renamed&gt;</option>' in PeopleSearchForm().place_options(
            "commune"
        )
    new = Quartier.objects.create(code="Z99", name_fr="Nouveau quartier", name_nl="Nieuwe wijk")
    assert PeopleSearchForm({"quartier": str(new.pk)}).is_valid()
    new.delete()
    for bad in (str(new.pk), "abc", "99999999999999999999999", "-1"):
        form = PeopleSearchForm({"quartier": bad})
        assert not form.is_valid()
        assert form.errors["quartier"] == [gettext("This quartier does not exist.")]
    assert not PeopleSearchForm({"commune": "0"}).is_valid()


def test_people_page_with_a_place_filters_and_shows_it(people, quartiers) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    client = client_for(member(Role.WORKER))
    ixelles = Commune.objects.get(nis_code="21009")
    response = client.get(f"/directory/people/?commune={ixelles.pk}")
    assert [w.full_name for w in response.context["workers"]] == ["Bart Peeters"]
    assert f'<option value="{ixelles.pk}" selected>' in response.content.decode()
    response = client.get("/directory/people/?quartier=999999")
    assert response.status_code == 200
    assert response.context["workers"] is None
    assert response.context["form"].errors["quartier"]


@pytest.mark.parametrize("language", ["fr", "nl"])
def test_need_options_kept_per_version_are_those_written_anew(people, themes, language: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from maillage.directory.search.page import _options, options_html

    food = str(themes["FOOD"].pk)
    with translation.override(language):
        for value in ("", food, "abc", '"><x', None):
            form = PeopleSearchForm({"need": value} if value is not None else None)
            form.is_valid()
            current = form["need"].value()
            expected = _options(form.fields["need"].choices, "" if current is None else str(current))
            assert options_html(form, "need") == expected
            assert options_html(form, "need") == expected  # from the cache
        assert f'<option value="{food}" selected>' in options_html(PeopleSearchForm({"need": food}), "need")


def _tags(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).strip()


@pytest.mark.parametrize("language", ["fr", "nl"])
def test_fields_written_in_python_are_those_of_the_templates(people, themes, quartiers, language: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from django.template.loader import render_to_string

    from maillage.directory.search.page import options_html

    values = [
        None,
        {},
        {"q": "amina", "organisation": "Habitat & <Solidarité>", "need": str(themes["FOOD"].pk), "language": "fr"},
        {"q": "a\"'<b>&", "commune": str(Commune.objects.get(nis_code="21009").pk), "quartier": "x"},
        {"q": "x" * 101, "organisation": "o\x00", "need": "abc", "commune": "0", "language": "zz"},
    ]
    with translation.override(language):
        for data in values:
            form = PeopleSearchForm(data)
            if data is not None:
                form.is_valid()
            selects = {
                "need": options_html(form, "need"),
                "commune": form.place_options("commune"),
                "quartier": form.place_options("quartier"),
                "language": options_html(form, "language"),
            }
            for name in ("q", "organisation", *selects):
                options = selects.get(name)
                template = "directory/_field.html" if options is None else "directory/_select.html"
                expected = render_to_string(template, {"field": form[name], "options": options})
                assert _tags(form.field_html(name, options)) == _tags(expected), (data, name)
