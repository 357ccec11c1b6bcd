"""The starter schemes: the request themes the issue lists, loaded once and published."""

from __future__ import annotations

import pytest

from maillage.core.demo_context import DemoContext
from maillage.taxonomy import demo
from maillage.taxonomy.models import Category, CategoryMapping, Scheme


def test_demo_loads_request_themes_once(db: None) -> None:
    demo.load(DemoContext())
    demo.load(DemoContext())
    scheme = Scheme.objects.get(code="request-themes")
    version = scheme.versions.get()
    assert (str(scheme), version.number, version.status, version.title) == (
        "Request themes",
        1,
        "published",
        "Version 1",
    )
    level_one = list(version.categories.filter(level=1).order_by("position").values_list("code", "label_en"))
    assert level_one == [
        ("FOOD", "Food aid"),
        ("HOUSING", "Housing and homelessness"),
        ("INCOME", "Income, employment and debt"),
        ("ENERGY", "Energy and water"),
        ("HEALTH", "Health"),
        ("MENTAL", "Mental health"),
        ("ADMIN", "Administrative and legal help"),
        ("FOREIGN", "Foreigners' rights"),
        ("FAMILY", "Family and parenting"),
        ("VIOLENCE", "Violence"),
        ("SCHOOL", "School and education"),
        ("DIGITAL", "Digital access"),
        ("ISOLATION", "Isolation"),
        ("OTHER", "Other"),
    ]
    # Each theme has a few level-2 categories; violence includes domestic violence.
    assert all(category.children.exists() for category in version.categories.filter(level=1))
    assert version.categories.get(code="VIOLENCE.DOMESTIC").parent.code == "VIOLENCE"
    assert version.categories.count() == 45


def test_ensure_scheme_fills_a_scheme_left_without_version(db: None) -> None:
    Scheme.objects.create(code="request-themes", label_fr="T", label_nl="T")
    scheme = demo.ensure_scheme(*demo.STARTER_SCHEMES[0])
    assert scheme.versions.get().categories.count() == 45


def test_ensure_scheme_refuses_a_bad_starter_file(db: None, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "bad.csv").write_text("code,parent_code,label_fr,label_nl\nA,B,a,a\n", encoding="utf-8")
    monkeypatch.setattr(demo, "DATA", tmp_path)
    with pytest.raises(
        ValueError, match=r"^Starter scheme bad has errors: \[\(2, 'parent code B does not exist in this file\.'\)\]$"
    ):
        demo.ensure_scheme("bad", "Mauvais", "Slecht", "Bad", "bad.csv")
    assert not Scheme.objects.filter(code="bad").exists()


def test_category_helpers(request_themes: Scheme) -> None:
    parcel = Category.objects.get(version__scheme=request_themes, code="FOOD.PARCEL")
    assert (parcel.top.code, parcel.parent.top.code) == ("FOOD", "FOOD")
    assert str(request_themes.versions.get()) == "request-themes v1"
    mapping = CategoryMapping(source=parcel, target=parcel.parent)
    assert str(mapping) == "FOOD.PARCEL → FOOD"


def test_demo_note_names_the_staff_account(federation_staff) -> None:  # type: ignore[no-untyped-def]
    context = DemoContext(accounts={"federation_staff": federation_staff})
    demo.load(context)
    assert context.notes == [
        (
            f"Categories: /categories/ for federation staff and administrators ({federation_staff.email})"
            " — start a draft of the request themes, upload a CSV, map retired codes, publish."
        )
    ]
