"""Recording a split on the mapping page: an old category going to several new ones, checked like any mapping."""

from __future__ import annotations

from django.test import Client

from maillage.taxonomy.models import CategoryMapping, SchemeVersion
from tests.taxonomy.test_views import messages_of


def test_a_split_is_recorded_and_shown(staff_client: Client, v2_draft: SchemeVersion) -> None:
    rent = v2_draft.previous.categories.get(code="HOUSING.RENT")
    new = {c.code: c for c in v2_draft.categories.all()}
    url = "/categories/themes/v2/mapping/"
    response = staff_client.post(
        url, {"split-source": rent.pk, "split-targets": [new["HOUSING.RENT"].pk, new["FOOD.AID"].pk]}, follow=True
    )
    assert messages_of(response) == ["HOUSING.RENT now goes to HOUSING.RENT, FOOD.AID."]
    assert sorted(CategoryMapping.objects.filter(source=rent).values_list("target__code", flat=True)) == [
        "FOOD.AID",
        "HOUSING.RENT",
    ]
    assert [(old.code, [t.code for t in targets]) for old, targets in response.context["splits"]] == [
        ("HOUSING.RENT", ["FOOD.AID", "HOUSING.RENT"])
    ]


def test_a_bad_split_is_refused_on_its_field(staff_client: Client, v2_draft: SchemeVersion) -> None:
    rent = v2_draft.previous.categories.get(code="HOUSING.RENT")
    new = {c.code: c for c in v2_draft.categories.all()}
    new["FOOD.AID"].is_active = False
    new["FOOD.AID"].save(update_fields=["is_active"])
    url = "/categories/themes/v2/mapping/"
    one = staff_client.post(url, {"split-source": rent.pk, "split-targets": [new["HOUSING.RENT"].pk]})
    assert one.context["split_form"].errors == {
        "targets": ["A split goes to two categories or more; for one, use the table above."]
    }
    retired = staff_client.post(
        url, {"split-source": rent.pk, "split-targets": [new["HOUSING.RENT"].pk, new["FOOD.AID"].pk]}
    )
    assert retired.context["split_form"].errors == {
        "targets": ["FOOD.AID is retired in version 2: HOUSING.RENT cannot go there."]
    }
    overlap = staff_client.post(
        url, {"split-source": rent.pk, "split-targets": [new["HOUSING"].pk, new["HOUSING.RENT"].pk]}
    )
    assert overlap.context["split_form"].errors == {
        "targets": ["HOUSING.RENT goes both to HOUSING and to its sub-category HOUSING.RENT: choose one of them."]
    }
    assert list(CategoryMapping.objects.filter(source=rent).values_list("target__code", flat=True)) == ["HOUSING.RENT"]
