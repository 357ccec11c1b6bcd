"""The read side: versions in force, pickers' search, mappings across versions, trees."""

from __future__ import annotations

from collections import Counter

import pytest
from django.utils import translation

from maillage.taxonomy import queries, services
from maillage.taxonomy.models import Scheme, SchemeVersion
from tests.factories import CategoryFactory

V3_CSV = """code,parent_code,label_fr,label_nl,label_en,description,active
FOOD,,Aide alimentaire,Voedselhulp,Food aid,,yes
FOOD.AID,FOOD,Colis et épicerie,Pakketten en kruidenier,Parcels and grocery,,yes
HOUSING,,Logement,Huisvesting,Housing,,yes
HOUSING.COSTS,HOUSING,Frais de logement,Woonkosten,Housing costs,,yes
"""


def publish_v2(v2_draft: SchemeVersion) -> SchemeVersion:
    old = v2_draft.previous
    aid = v2_draft.categories.get(code="FOOD.AID")
    services.record_mapping(None, old.categories.get(code="FOOD.PARCEL"), aid)
    services.record_mapping(None, old.categories.get(code="FOOD.SHOP"), aid)
    return services.publish_version(None, v2_draft)


def test_mapping_between_two_versions_reads_old_counts_in_new_categories(v2_draft: SchemeVersion) -> None:
    v2 = publish_v2(v2_draft)
    mapping = queries.mapping_between(v2.previous, v2)
    assert mapping == {
        "FOOD": "FOOD",
        "FOOD.PARCEL": "FOOD.AID",
        "FOOD.SHOP": "FOOD.AID",
        "HOUSING": "HOUSING",
        "HOUSING.RENT": "HOUSING.RENT",
    }
    counts_of_2025 = {"FOOD.PARCEL": 7, "FOOD.SHOP": 3, "HOUSING.RENT": 4}
    in_new = Counter()
    for code, count in counts_of_2025.items():
        in_new[mapping[code]] += count
    assert dict(in_new) == {"FOOD.AID": 10, "HOUSING.RENT": 4}


def test_mapping_between_three_versions_follows_each_step(v2_draft: SchemeVersion) -> None:
    v2 = publish_v2(v2_draft)
    v3 = services.create_draft(None, v2.scheme)
    assert services.import_categories_csv(None, v3, V3_CSV).errors == []
    services.record_mapping(None, v2.categories.get(code="HOUSING.RENT"), v3.categories.get(code="HOUSING.COSTS"))
    services.publish_version(None, v3)
    v1 = v2.previous
    assert queries.mapping_between(v1, v3) == {
        "FOOD": "FOOD",
        "FOOD.PARCEL": "FOOD.AID",
        "FOOD.SHOP": "FOOD.AID",
        "HOUSING": "HOUSING",
        "HOUSING.RENT": "HOUSING.COSTS",
    }
    assert queries.mapping_between(v2, v3) == {
        "FOOD": "FOOD",
        "FOOD.AID": "FOOD.AID",
        "HOUSING": "HOUSING",
        "HOUSING.RENT": "HOUSING.COSTS",
    }
    assert queries.mapping_between(v3, v3) == {
        "FOOD": "FOOD",
        "FOOD.AID": "FOOD.AID",
        "HOUSING": "HOUSING",
        "HOUSING.COSTS": "HOUSING.COSTS",
    }


def test_mapping_between_refuses_versions_out_of_order(v2_draft: SchemeVersion) -> None:
    with pytest.raises(ValueError, match=r"^themes v1 does not descend from themes v2\.$"):
        queries.mapping_between(v2_draft, v2_draft.previous)


def test_published_version_is_the_newest_published(v2_draft: SchemeVersion) -> None:
    assert queries.published_version("themes") == v2_draft.previous
    publish_v2(v2_draft)
    assert queries.published_version("themes") == v2_draft
    assert queries.published_version("unknown") is None


def test_active_categories_leave_out_retired_ones_and_those_under_a_retired_parent(v1: SchemeVersion) -> None:
    draft = services.create_draft(None, v1.scheme)
    services.update_category(None, draft.categories.get(code="FOOD"), is_active=False)
    services.update_category(None, draft.categories.get(code="HOUSING.RENT"), is_active=False)
    services.publish_version(None, draft)
    assert [c.code for c in queries.active_categories("themes").order_by("position")] == ["HOUSING"]
    assert list(queries.active_categories("unknown")) == []


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("", ["FOOD", "FOOD.PARCEL", "FOOD.SHOP", "HOUSING", "HOUSING.RENT"]),
        ("food.", ["FOOD.PARCEL", "FOOD.SHOP"]),
        ("epicerie", ["FOOD.SHOP"]),  # accents ignored
        ("ÉPICERIE", ["FOOD.SHOP"]),
        ("kruidenier", ["FOOD.SHOP"]),  # Dutch label
        ("unpaid", ["HOUSING.RENT"]),  # English label
        ("alim colis", ["FOOD.PARCEL"]),  # every word must match, in any order
        ("loyer huur", ["HOUSING.RENT"]),
        ("nothing here", []),
    ],
)
def test_search_categories(v1: SchemeVersion, text: str, codes: list[str]) -> None:
    assert [c.code for c in queries.search_categories("themes", text)] == codes


def test_search_puts_code_matches_first_and_respects_the_limit(v1: SchemeVersion) -> None:
    assert [c.code for c in queries.search_categories("themes", "housing")] == ["HOUSING", "HOUSING.RENT"]
    assert [c.code for c in queries.search_categories("themes", "", limit=2)] == ["FOOD", "FOOD.PARCEL"]
    assert queries.search_categories("unknown", "food") == []


def test_version_tree_nests_level_two_under_level_one(v1: SchemeVersion, django_assert_num_queries) -> None:
    with django_assert_num_queries(1):
        tree = queries.version_tree(v1)
    assert [(node.category.code, [c.code for c in node.children]) for node in tree] == [
        ("FOOD", ["FOOD.PARCEL", "FOOD.SHOP"]),
        ("HOUSING", ["HOUSING.RENT"]),
    ]


def test_descendants_and_self(v1: SchemeVersion) -> None:
    food = v1.categories.get(code="FOOD")
    assert sorted(queries.descendants_and_self(food)) == sorted(
        v1.categories.filter(code__startswith="FOOD").values_list("pk", flat=True)
    )


def test_schemes_with_versions_counts_categories(v2_draft: SchemeVersion) -> None:
    Scheme.objects.create(code="empty", label_fr="Vide", label_nl="Leeg")
    schemes = list(queries.schemes_with_versions())
    assert [(s.code, [(v.number, v.status, v.category_count) for v in s.versions.all()]) for s in schemes] == [
        ("empty", []),
        ("themes", [(2, "draft", 4), (1, "published", 5)]),
    ]


def test_labels_follow_the_language() -> None:
    category = CategoryFactory.build(label_fr="Santé", label_nl="Gezondheid", label_en="")
    with translation.override("nl"):
        assert category.label == "Gezondheid"
    with translation.override("en"):
        assert category.label == "Santé"  # no English label: French
    with translation.override("fr"):
        assert category.label == "Santé"
        assert str(category) == f"{category.code} Santé"
