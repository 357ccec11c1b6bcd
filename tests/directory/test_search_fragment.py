"""The search as htmx asks for it (results fragment only) and as a page without JavaScript: exact
content, workers on the professional page only, and the few statements one search runs."""

from __future__ import annotations

import re
from datetime import datetime, time

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from maillage.core.geography import forget_postal_locations
from maillage.core.models import Role
from maillage.directory.models import CrisisStatus, ServiceStatus, Worker
from tests.conftest import client_for
from tests.directory.factories import make_service
from tests.factories import member

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
# Monday 23 November 2026, 10:00 in Brussels.
MONDAY_10 = "2026-11-23 09:00:00+00:00"


@pytest.fixture
def soup_kitchen(themes):  # type: ignore[no-untyped-def]
    service = make_service(
        name_fr="Soupe <chaude> & pain",
        needs=[themes["FOOD.PARCEL"]],
        postal_code="1070",
        serves=["1070"],
        hours=[("MO,TU,WE,TH,FR", time(9), time(17))],
        phone="02 555 12 34",
        modalities="walk_in",
        crisis_status=CrisisStatus.CHANGED,
    )
    Worker.objects.create(
        service=service,
        full_name="Karim Visible",
        function_fr="Assistant social",
        phone="0470 12 34 56",
        email="karim@example.org",
        consent=True,
    )
    Worker.objects.create(service=service, full_name="Nina Hidden", function_fr="Stagiaire", consent=False)
    return service


def _items(html: str) -> list[str]:
    return re.findall(r'<li class="card directory-result">.*?</li>(?=\s*(?:<li class="card|</ol>))', html, re.S)


@time_machine.travel(MONDAY_10, tick=False)
def test_htmx_search_answers_the_results_fragment_only(client: Client, themes, soup_kitchen) -> None:  # type: ignore[no-untyped-def]
    make_service(name_fr="Brouillon", needs=[themes["FOOD"]], postal_code="1070", status=ServiceStatus.DRAFT)
    response = client.get(
        reverse("directory:search"),
        {"need": themes["FOOD"].pk, "postal_code": "1070", "open_now": "on"},
        headers=HTMX,
    )
    html = response.content.decode()
    assert [template.name for template in response.templates] == ["directory/_results.html"]
    for outside in ("<form", "<nav", "<html"):
        assert outside not in html
    assert "<h2>1 service trouvé</h2>" in html
    location = soup_kitchen.service_at_locations.get().location
    card = (
        '<li class="card directory-result">'
        f'<h3><a href="/directory/services/{soup_kitchen.pk}/">Soupe &lt;chaude&gt; &amp; pain</a></h3>'
        f'<p class="meta">{soup_kitchen.organisation.name_fr}</p>'
        '<p><span class="badge badge--ok">Ouvert maintenant · jusqu\'à 17:00</span>'
        '<span class="badge">Dessert ce quartier</span>'
        '<span class="badge badge--warn">Ouvert avec changements</span></p>'
        "<p>Comment y accéder : Accès libre</p>"
        f"<p>{location.address}, 1070 {location.city}</p>"
        '<p><a href="tel:025551234">02 555 12 34</a></p>'
        "</li>"
    )
    assert _items(html) == [card]
    assert "Karim" not in html
    assert "Brouillon" not in html


@time_machine.travel("2026-11-23 19:00:00+00:00", tick=False)
def test_closed_result_prints_its_next_opening(client: Client, themes, soup_kitchen) -> None:  # type: ignore[no-untyped-def]
    response = client.get(reverse("directory:search"), {"postal_code": "1070"}, headers=HTMX)
    (item,) = _items(response.content.decode())
    assert '<span class="badge">Fermé maintenant</span>' in item
    assert (
        '<p>Prochaine ouverture : <time datetime="2026-11-24T09:00:00+01:00">Mardi 24 novembre, 09:00</time></p>'
        in item
    )


@time_machine.travel(MONDAY_10, tick=False)
def test_professional_fragment_lists_consenting_workers(themes, soup_kitchen) -> None:  # type: ignore[no-untyped-def]
    client = client_for(member(Role.WORKER))
    response = client.get(reverse("directory:pro"), {"postal_code": "1070"}, headers=HTMX)
    (item,) = _items(response.content.decode())
    assert item.endswith(
        '<h4>Travailleur·euse·s</h4><ul class="directory-workers"><li>Karim Visible — Assistant social'
        ' · <a href="tel:0470123456">0470 12 34 56</a>'
        ' · <a href="mailto:karim@example.org">karim@example.org</a></li></ul></li>'
    )
    assert "Nina Hidden" not in response.content.decode()


@time_machine.travel(MONDAY_10, tick=False)
def test_page_without_javascript_has_the_form_and_the_same_results(client: Client, themes, soup_kitchen) -> None:  # type: ignore[no-untyped-def]
    params = {"need": themes["FOOD"].pk, "postal_code": "1070", "open_now": "on"}
    page = client.get(reverse("directory:search"), params).content.decode()
    fragment = client.get(reverse("directory:search"), params, headers=HTMX).content.decode()
    assert '<form class="directory-search card"' in page
    assert f'<option value="{themes["FOOD"].pk}" selected>' in page
    assert _items(page) == _items(fragment) != []


def _tables(captured: CaptureQueriesContext) -> list[str]:
    """The first table each statement reads."""
    return [re.search(r'FROM "?(\w+)"?', query["sql"]).group(1) for query in captured.captured_queries]  # type: ignore[union-attr]


@time_machine.travel(MONDAY_10, tick=False)
def test_one_public_search_runs_two_statements(client: Client, themes, soup_kitchen) -> None:  # type: ignore[no-untyped-def]
    """Need + postal code + open now + language through htmx, once the process holds the search
    index: the published taxonomy version (the form's needs) and the search generation. Nothing
    about a session or a user; the postal code read once per process."""
    params = {"need": themes["FOOD"].pk, "postal_code": "1070", "open_now": "on", "language": "fr"}
    forget_postal_locations()
    with CaptureQueriesContext(connection) as first:
        client.get(reverse("directory:search"), params, headers=HTMX)
    assert "core_postalcode" in _tables(first)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("directory:search"), params, headers=HTMX)
    assert len(_items(response.content.decode())) == 1
    assert _tables(captured) == ["taxonomy_schemeversion", "directory_searchgeneration"]


@time_machine.travel(MONDAY_10, tick=False)
def test_a_page_of_open_services_in_the_area_comes_before_the_others(themes) -> None:  # type: ignore[no-untyped-def]
    """Open now: the services serving the area fill the page first; the others come after them,
    only when the page has room."""
    from django.utils import timezone

    from maillage.directory.search.engine import SearchCriteria, search

    hours = [("MO,TU,WE,TH,FR", time(9), time(17))]
    serving = [
        make_service(name_fr=name, needs=[themes["FOOD"]], postal_code="1070", serves=["1070"], hours=hours)
        for name in ("B dans la zone", "C dans la zone")
    ]
    make_service(name_fr="A ailleurs", needs=[themes["FOOD"]], postal_code="1000", serves=["1000"], hours=hours)
    criteria = SearchCriteria(category=themes["FOOD"], postal_code="1070", open_now=True, at=timezone.now(), limit=2)
    assert [r.service.pk for r in search(criteria)] == [s.pk for s in serving]
    criteria.limit = 3
    assert [(r.service.name_fr, r.serves_area) for r in search(criteria)] == [
        ("B dans la zone", True),
        ("C dans la zone", True),
        ("A ailleurs", False),
    ]


def test_a_result_is_a_typed_object_read_from_the_index_without_a_query(themes, soup_kitchen) -> None:  # type: ignore[no-untyped-def]
    """The search returns SearchResult/ResultService (search/results.py), not half-built model rows: what a
    result prints is there, and reading it costs no statement."""
    from maillage.directory.search.engine import SearchCriteria, search
    from maillage.directory.search.results import ResultOrganisation, ResultService, SearchResult

    [result] = search(SearchCriteria(category=themes["FOOD"], at=datetime.fromisoformat(MONDAY_10)))
    with CaptureQueriesContext(connection) as captured:
        service = result.service
        printed = (service.pk, service.name, service.organisation.name, service.places[0].postal_code)
    assert len(captured) == 0
    assert (type(result), type(service), type(service.organisation)) == (
        SearchResult,
        ResultService,
        ResultOrganisation,
    )
    assert printed == (
        soup_kitchen.pk,
        "Soupe <chaude> & pain",
        soup_kitchen.organisation.name,
        soup_kitchen.service_at_locations.get().location.postal_code,
    )
