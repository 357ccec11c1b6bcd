"""Over-long and strange category texts: bounded, refused with a clear message, nothing changed."""

from __future__ import annotations

import json

import pytest
from django.contrib.admin.sites import site
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from maillage.taxonomy.forms import CategoryForm, DraftForm
from maillage.taxonomy.models import Category, SchemeVersion
from tests.conftest import client_for
from tests.factories import member
from tests.taxonomy.conftest import V1_CSV

pytestmark = pytest.mark.django_db

HUGE = "é" * 100_000


def _upload(client: Client, content: str):  # type: ignore[no-untyped-def]
    file = SimpleUploadedFile("categories.csv", content.encode(), content_type="text/csv")
    return client.post("/categories/themes/v2/upload/", {"file": file})


def test_a_100000_character_label_in_the_edit_form_is_refused(staff_client: Client, v2_draft: SchemeVersion) -> None:
    aid = v2_draft.categories.get(code="FOOD.AID")
    response = staff_client.post(
        f"/categories/themes/v2/categories/{aid.pk}/edit/",
        {"label_fr": HUGE, "label_nl": "Kort", "description": HUGE, "is_active": "on"},
    )
    assert (response.status_code, response.context["form"].errors) == (
        200,
        {
            "label_fr": ["Ensure this value has at most 200 characters (it has 100000)."],
            "description": ["Ensure this value has at most 2000 characters (it has 100000)."],
        },
    )
    assert Category.objects.get(pk=aid.pk).label_fr == "Colis et épicerie"


@pytest.mark.parametrize("field", ["label_fr", "label_nl", "label_en", "description"])
def test_the_category_form_refuses_control_characters(v2_draft: SchemeVersion, field: str) -> None:
    aid = v2_draft.categories.get(code="FOOD.AID")
    data = {"label_fr": "Aide", "label_nl": "Hulp", "label_en": "", "description": "", "is_active": "on"}
    form = CategoryForm({**data, field: "Aide\x1b[31m"}, instance=aid)
    assert (form.is_valid(), form.errors) == (
        False,
        {field: ["The text contains characters that are not allowed."]},
    )


def test_a_new_draft_title_is_bounded_and_clean(staff_client: Client, v1: SchemeVersion) -> None:
    response = staff_client.post("/categories/themes/new-draft/", {"title": HUGE}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Ensure this value has at most 200 characters (it has 100000)."
    ]
    assert v1.scheme.versions.count() == 1
    assert DraftForm({"title": "v2\x07"}).errors == {"title": ["The text contains characters that are not allowed."]}


def test_a_100000_character_value_in_an_uploaded_file_is_a_row_error(
    staff_client: Client, v2_draft: SchemeVersion
) -> None:
    response = _upload(staff_client, V1_CSV + f"LONG,,{HUGE},Lang,,,\n")
    assert response.context["row_errors"] == [(7, "a value is longer than 2000 characters.")]
    assert sorted(v2_draft.categories.values_list("code", flat=True)) == [
        "FOOD",
        "FOOD.AID",
        "HOUSING",
        "HOUSING.RENT",
    ]


def test_control_characters_in_an_uploaded_file_are_a_row_error(staff_client: Client, v2_draft: SchemeVersion) -> None:
    response = _upload(staff_client, V1_CSV + "BELL,,Cloche\x07,Bel,,,\n")
    assert response.context["row_errors"] == [(7, "a value holds control characters, which are not allowed.")]
    assert v2_draft.categories.count() == 4


def test_the_search_cuts_a_long_text_and_refuses_a_bad_limit(staff_client: Client, v1: SchemeVersion) -> None:
    data = json.loads(staff_client.get("/categories/themes/search", {"q": "food " + "x" * 3000}).content)
    assert data["results"] == []  # cut at 200 characters, searched, nothing matches
    assert staff_client.get("/categories/themes/search", {"q": "x" * 100_000}).status_code == 400
    bad = staff_client.get("/categories/themes/search", {"q": "food", "limit": "many"})
    assert (bad.status_code, bad.context["error"].message) == (400, "Enter a whole number.")


def test_the_admin_search_of_categories_is_bounded(v1: SchemeVersion) -> None:
    from django.test import RequestFactory

    administrator = member("administrator", full_name="Ada Admin", language="en")
    request = RequestFactory().get("/admin/taxonomy/category/")
    request.user = administrator
    model_admin = site._registry[Category]
    queryset, _duplicates = model_admin.get_search_results(request, Category.objects.all(), "FOOD" + "x" * 100_000)
    assert list(queryset) == []  # on SQLite the whole term gave "LIKE or GLOB pattern too complex"
    found, _duplicates = model_admin.get_search_results(request, Category.objects.all(), "HOUSING.RENT")
    assert [category.code for category in found] == ["HOUSING.RENT"]
    assert client_for(administrator).get("/admin/taxonomy/category/", {"q": "FOOD"}).status_code == 200
