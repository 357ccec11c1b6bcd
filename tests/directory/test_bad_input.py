"""Bad input at the directory's edge gets a clear answer, never a server error (issue 20)."""

from __future__ import annotations

from datetime import time

import pytest
from django.test import Client
from django.urls import reverse

from maillage.directory.models import Service
from tests.directory.factories import make_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_service() -> Service:
    return make_service(name_fr="Colis", postal_code="1070", hours=[("MO,TU,WE,TH,FR,SA,SU", time(0), time(23))])


@pytest.mark.parametrize(
    ("at", "message"),
    [
        ("9999-12-31T23:59", "L'année doit être comprise entre 1900 et 2100."),
        ("0001-01-01T00:00", "L'année doit être comprise entre 1900 et 2100."),
        ("0000-00-00T10:00", "Saisissez une date et une heure valides."),
        ("2026-02-30T10:00", "Saisissez une date et une heure valides."),
        ("2026-03-03T25:99", "Saisissez une date et une heure valides."),
        ("9999-12-31", "L'année doit être comprise entre 1900 et 2100."),
    ],
)
def test_search_at_an_impossible_moment_is_a_field_error_for_anonymous_visitors(
    open_service: Service, at: str, message: str
) -> None:
    client = Client(raise_request_exception=False)
    page = client.get(reverse("directory:search"), {"at": at})
    assert page.status_code == 200
    assert page.context["form"].errors == {"at": [message]}
    assert page.context["results"] is None
    fragment = client.get(reverse("directory:search"), {"at": at}, headers={"hx-request": "true"})
    assert fragment.status_code == 200


def test_search_at_a_possible_moment_still_searches(open_service: Service) -> None:
    page = Client().get(reverse("directory:search"), {"at": "2026-03-03T10:00"})
    assert [result.service.pk for result in page.context["results"]] == [open_service.pk]


def test_search_words_are_bounded(open_service: Service) -> None:
    page = Client().get(reverse("directory:search"), {"q": "colis " * 30})
    assert page.status_code == 200
    assert page.context["form"].errors == {
        "q": ["Assurez-vous que cette valeur comporte au plus 100 caractères (actuellement 179)."]
    }


def test_search_words_with_control_characters_are_refused(open_service: Service) -> None:
    """Refused at the edge (a 400 page), and by the field itself should the edge change."""
    assert Client().get(reverse("directory:search"), {"q": "colis\x07"}).status_code == 400
    from maillage.directory.forms import SearchForm

    form = SearchForm({"q": "colis\x07"})
    assert form.errors == {"q": ["Le texte contient des caractères non autorisés."]}


@pytest.mark.parametrize(
    ("query", "location"),
    [
        ("page=99999999999999999999999", ["query", "page"]),
        ("page=9223372036854775807", ["query", "page"]),
        ("page=10001", ["query", "page"]),
        ("page=0", ["query", "page"]),
        ("page=-5", ["query", "page"]),
        ("page=1e400", ["query", "page"]),
        ("per_page=0", ["query", "per_page"]),
        ("per_page=101", ["query", "per_page"]),
        ("modified_after=0001-01-01T00:00:00", ["query", "modified_after"]),
        ("modified_after=9999-12-31T23:59:59", ["query", "modified_after"]),
        ("modified_after=0.5", ["query", "modified_after"]),
        ("postcode=" + "1" * 11, ["query", "postcode"]),
        ("search=" + "a" * 201, ["query", "search"]),
    ],
)
def test_api_refuses_out_of_range_parameters_with_a_422_naming_them(
    open_service: Service, query: str, location: list[str]
) -> None:
    client = Client(raise_request_exception=False)
    for path in ("services", "organizations", "taxonomy_terms", "taxonomies"):
        if path != "services" and location[1] not in ("page", "per_page"):
            continue
        response = client.get(f"/directory/api/{path}?{query}")
        assert (response.status_code, response["Content-Type"]) == (422, "application/json; charset=utf-8"), path
        assert [error["loc"] for error in response.json()["detail"]] == [location]


def test_api_last_allowed_page_is_an_empty_page(open_service: Service) -> None:
    response = Client().get("/directory/api/services?page=10000&per_page=100")
    assert response.status_code == 200
    assert {key: response.json()[key] for key in ("total_items", "page_number", "size", "empty")} == {
        "total_items": 1,
        "page_number": 10000,
        "size": 0,
        "empty": True,
    }


def test_api_naive_modified_after_is_read_as_brussels_time(open_service: Service) -> None:
    response = Client().get("/directory/api/services?modified_after=2000-01-01T00:00:00")
    assert [service["name"] for service in response.json()["contents"]] == ["Colis"]


@pytest.mark.parametrize("path", ["services", "organizations"])
def test_api_an_id_that_is_not_a_uuid_is_a_422_and_an_unknown_one_a_404(open_service: Service, path: str) -> None:
    client = Client(raise_request_exception=False)
    bad = client.get(f"/directory/api/{path}/not-an-id")
    assert (bad.status_code, [error["loc"] for error in bad.json()["detail"]]) == (422, [["path", f"{path[:-1]}_id"]])
    unknown = client.get(f"/directory/api/{path}/6f1c6a54-0e55-4e34-9a8a-2b8c5d0f6a01")
    assert (unknown.status_code, unknown.json()) == (404, {"detail": "Not Found"})


def test_api_documents_every_answer_it_gives() -> None:
    """What schemathesis checks (run against a live server: zero failures with --checks all)."""
    document = Client().get("/directory/api/openapi.json").json()
    answers = {path: sorted(operation["get"]["responses"]) for path, operation in document["paths"].items()}
    assert answers == {
        "/directory/api/services": ["200", "400", "422"],
        "/directory/api/services/{service_id}": ["200", "400", "404", "422"],
        "/directory/api/organizations": ["200", "400", "422"],
        "/directory/api/organizations/{organization_id}": ["200", "400", "404", "422"],
        "/directory/api/taxonomies": ["200", "400", "422"],
        "/directory/api/taxonomy_terms": ["200", "400", "422"],
    }


@pytest.mark.parametrize("value", ["abc", "99999999999999999999999", "-1", "1e5", ""])
@pytest.mark.parametrize("field", ["remove_location", "remove_phone"])
def test_removing_a_contact_with_a_bad_id_is_a_404(coordinator, organisation, field: str, value: str) -> None:  # type: ignore[no-untyped-def]
    """An id that is not one of the service's (not a number, out of any column's range) is not found; nothing removed."""
    from tests.conftest import client_for
    from tests.directory.factories import DirectoryOrganisationFactory

    service = make_service(organisation=DirectoryOrganisationFactory(organisation=organisation), phone="02 512 34 56")
    client = client_for(coordinator)
    client.raise_request_exception = False
    response = client.post(reverse("directory:contacts", args=[service.pk]), {field: value})
    assert response.status_code == 404
    assert service.phones.count() == 1
