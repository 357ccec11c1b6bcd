from __future__ import annotations

from datetime import datetime

import pytest
from django.test import Client

from maillage.core import demo as core_demo
from maillage.core.demo_context import DemoContext
from maillage.directory import demo as directory_demo
from maillage.directory.models import Service
from maillage.directory.opening import BRUSSELS
from maillage.directory.search.engine import services_for_referral
from maillage.taxonomy import demo as taxonomy_demo
from maillage.taxonomy.queries import active_categories
from tests.directory.factories import make_service

pytestmark = pytest.mark.django_db


def test_demo_has_an_open_food_aid_service_in_anderlecht() -> None:
    context = DemoContext()
    core_demo.load(context)
    taxonomy_demo.load(context)
    directory_demo.load(context)
    directory_demo.load(context)  # twice: loads once
    assert Service.objects.count() == len(directory_demo.SERVICES)
    food = active_categories("request-themes").get(code="FOOD")
    monday_10 = datetime(2026, 11, 23, 10, 0, tzinfo=BRUSSELS)
    first = services_for_referral(food, "1070", "fr", monday_10)[0]
    assert (first.service.name_fr, first.is_open, first.serves_area) == ("Colis alimentaires d'Anderlecht", True, True)
    # The people side: quartiers, the worker's own card, a local contract with members, holidays.
    from maillage.directory.models import Network, Quartier, Worker

    assert Quartier.objects.count() == 6
    assert Worker.objects.get(user=context.accounts["worker"]).consent is True
    contract = Network.objects.get()
    assert contract.services.exists()
    assert Service.objects.filter(holiday_calendars="be brussels").exists()


@pytest.fixture
def api_services(themes):  # type: ignore[no-untyped-def]
    return [
        make_service(name_fr="Alpha colis", needs=[themes["FOOD.PARCEL"]], postal_code="1070"),
        make_service(name_fr="Bêta logement", needs=[themes["HOUSING"]], postal_code="1030"),
        make_service(name_fr="Gamma brouillon", status="draft"),
    ]


def test_api_services_pagination_and_filters(client: Client, api_services, themes) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/directory/api/services", {"per_page": 1, "page": 2}).json()
    assert {k: v for k, v in page.items() if k != "contents"} == {
        "total_items": 2,
        "total_pages": 2,
        "page_number": 2,
        "size": 1,
        "first_page": False,
        "last_page": True,
        "empty": False,
    }
    assert [s["name"] for s in page["contents"]] == ["Bêta logement"]
    by_text = client.get("/directory/api/services", {"search": "BETA"}).json()
    assert [s["name"] for s in by_text["contents"]] == ["Bêta logement"]
    terms = client.get("/directory/api/taxonomy_terms", {"per_page": 100}).json()["contents"]
    parcel = next(t for t in terms if t["code"] == "FOOD.PARCEL")
    by_term = client.get("/directory/api/services", {"taxonomy_term_id": parcel["id"]}).json()
    assert [s["name"] for s in by_term["contents"]] == ["Alpha colis"]
    by_postcode = client.get("/directory/api/services", {"postcode": "1030"}).json()
    assert [s["name"] for s in by_postcode["contents"]] == ["Bêta logement"]
    org_id = str(api_services[0].organisation.uuid)
    by_org = client.get("/directory/api/services", {"organization_id": org_id}).json()
    assert [s["name"] for s in by_org["contents"]] == ["Alpha colis"]
    assert client.get("/directory/api/services", {"organization_id": "x"}).json()["total_items"] == 0
    assert client.get("/directory/api/services", {"modified_after": "2000-01-01T00:00:00Z"}).json()["total_items"] == 2
    assert client.get("/directory/api/services", {"modified_after": "yesterday"}).status_code == 422


def test_api_service_and_organization_detail(client: Client, api_services) -> None:  # type: ignore[no-untyped-def]
    alpha, _beta, draft = api_services
    assert client.get(f"/directory/api/services/{alpha.uuid}").json()["name"] == "Alpha colis"
    assert client.get(f"/directory/api/services/{draft.uuid}").status_code == 404
    # An id that cannot be one is refused by the documented pattern (422); an unknown one is a 404.
    assert client.get("/directory/api/services/not-a-uuid").status_code == 422
    organisation = client.get(f"/directory/api/organizations/{alpha.organisation.uuid}").json()
    assert [s["name"] for s in organisation["services"]] == ["Alpha colis"]
    assert client.get(f"/directory/api/organizations/{draft.organisation.uuid}").status_code == 404
    assert client.get("/directory/api/organizations/nope").status_code == 422
    listing = client.get("/directory/api/organizations").json()
    assert listing["total_items"] == 2


def test_api_taxonomies_and_openapi(client: Client, api_services) -> None:  # type: ignore[no-untyped-def]
    taxonomies = client.get("/directory/api/taxonomies").json()
    assert [t["name"] for t in taxonomies["contents"]] == ["Request themes"]
    schema = client.get("/directory/api/openapi.json").json()
    assert sorted(schema["paths"]) == [
        "/directory/api/organizations",
        "/directory/api/organizations/{organization_id}",
        "/directory/api/services",
        "/directory/api/services/{service_id}",
        "/directory/api/taxonomies",
        "/directory/api/taxonomy_terms",
    ]


def test_api_list_query_count_is_flat(client: Client, themes, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    make_service(needs=[themes["FOOD"]], postal_code="1070", phone="02 555 00 00")
    with django_assert_max_num_queries(20) as one:
        client.get("/directory/api/services")
    for _index in range(5):
        make_service(needs=[themes["FOOD"]], postal_code="1070", phone="02 555 00 00")
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get("/directory/api/services").json()["total_items"] == 6
