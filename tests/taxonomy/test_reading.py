"""Reading every version's categories in one version: merges, splits (joined keys), renames, backwards."""

from __future__ import annotations

import pytest

from maillage.taxonomy import services
from maillage.taxonomy.models import Category, Scheme, SchemeVersion
from maillage.taxonomy.reading import UNMAPPED, UnknownVersion, reading_in, version_to_read
from tests.factories import SchemeFactory
from tests.taxonomy.nomenclature import draft_v2, published_v1


@pytest.fixture
def themes(db: None) -> Scheme:
    return SchemeFactory(code="nomenclature-test", label_fr="Thèmes", label_nl="Thema's", label_en="Themes")


@pytest.fixture
def versions(themes: Scheme) -> tuple[SchemeVersion, SchemeVersion]:
    v1 = published_v1(themes)
    v2 = services.publish_version(None, draft_v2(v1))
    v1.refresh_from_db()
    return v1, v2


def ids(version: SchemeVersion) -> dict[str, int]:
    return dict(Category.objects.filter(version=version).values_list("code", "pk"))


def test_old_records_read_in_the_new_version(versions: tuple[SchemeVersion, SchemeVersion]) -> None:
    v1, v2 = versions
    reading = reading_in(v2, 2)
    old = ids(v1)
    assert {code: reading.code_of[pk] for code, pk in old.items()} == {
        "INCOME": "INCOME+DEBT",
        "HEALTH": "HEALTH",
        "MENTAL": "HEALTH",
        "HOUSING": "HOUSING",
        "HOUSING.RENT": "HOUSING.RENT",
        "HOUSING.SHELTER": "HOUSING.SHELTER",
        "LEGAL": "LEGAL",
    }
    assert {code: reading.code_of[pk] for code, pk in ids(v2).items()} == {code: code for code in ids(v2)}
    assert reading.splits == {"INCOME+DEBT": ("INCOME", "DEBT")}
    assert reading.labels["INCOME+DEBT"] == "Income or Debt — before version 2"
    assert reading.labels["LEGAL"] == "Legal aid"
    assert reading.labels[UNMAPPED] == "No equivalent in this version"
    assert reading.order == [
        "INCOME",
        "INCOME+DEBT",
        "DEBT",
        "HEALTH",
        "HOUSING",
        "HOUSING.RENT",
        "HOUSING.SHELTER",
        "LEGAL",
    ]
    top = reading_in(v2, 1)
    assert top.code_of[old["HOUSING.SHELTER"]] == "HOUSING"
    assert top.code_of[old["INCOME"]] == "INCOME+DEBT"
    assert top.order == ["INCOME", "INCOME+DEBT", "DEBT", "HEALTH", "HOUSING", "LEGAL"]


def test_new_records_read_in_the_old_version(versions: tuple[SchemeVersion, SchemeVersion]) -> None:
    v1, v2 = versions
    reading = reading_in(v1, 2)
    assert {code: reading.code_of[pk] for code, pk in ids(v2).items()} == {
        "INCOME": "INCOME",
        "DEBT": "INCOME",
        "HEALTH": "HEALTH+MENTAL",
        "HOUSING": "HOUSING",
        "HOUSING.RENT": "HOUSING.RENT",
        "HOUSING.SHELTER": "HOUSING.SHELTER",
        "LEGAL": "LEGAL",
    }
    assert reading.splits == {"HEALTH+MENTAL": ("HEALTH", "MENTAL")}
    assert reading.labels["HEALTH+MENTAL"] == "Health or Mental health — from version 2"
    assert reading.labels["LEGAL"] == "Legal"
    assert reading.order.index("HEALTH+MENTAL") == reading.order.index("HEALTH") + 1


def test_three_versions_follow_each_step(versions: tuple[SchemeVersion, SchemeVersion]) -> None:
    v1, v2 = versions
    v3 = services.create_draft(None, v2.scheme)  # a copy: every code to itself
    services.publish_version(None, v3)
    reading = reading_in(v3, 2)
    old = ids(v1)
    assert reading.code_of[old["INCOME"]] == "INCOME+DEBT"
    assert reading.labels["INCOME+DEBT"] == "Income or Debt — before version 2"
    assert reading.code_of[old["MENTAL"]] == "HEALTH"
    assert reading_in(v1, 2).code_of[ids(v3)["HEALTH"]] == "HEALTH+MENTAL"


def test_version_to_read(versions: tuple[SchemeVersion, SchemeVersion]) -> None:
    v1, v2 = versions
    assert version_to_read("nomenclature-test", None) == v2
    assert version_to_read("nomenclature-test", 1) == v1
    with pytest.raises(UnknownVersion) as raised:
        version_to_read("nomenclature-test", 7)
    assert raised.value.messages == ["There is no version 7 of Themes."]
