"""A case-work import looks each category text up once per file, not once per row, and still reports every
bad cell by its row."""

from __future__ import annotations

import pytest
from django.utils import translation

from maillage.casework.imports.checking import RowChecker
from maillage.casework.models import ImportKind

pytestmark = pytest.mark.django_db

ROW = {"source_id": "F1", "person_source_id": "", "date": "2024-02-01", "mode": "phone", "theme": "FOOD.PARCEL"}


def test_category_texts_are_looked_up_once_per_file(
    organisation, coordinator, casework_schemes, django_assert_num_queries
):
    checker = RowChecker(organisation, ImportKind.FOLLOWUPS, {}, coordinator)
    with translation.override("en"):
        first = [checker.check(2, {**ROW, "theme_2": "Recherche de logement", "institution": "NOT.A.CODE"})]
        with django_assert_num_queries(0):
            rows = [
                checker.check(line, {**ROW, "theme_2": "Recherche de logement", "institution": "NOT.A.CODE"})
                for line in range(3, 53)
            ]
    assert all(problems == first[0][1] for _planned, problems in rows)
    assert "institution: unknown category NOT.A.CODE" in first[0][1]
    assert "no person with identifier  was imported in this centre" in first[0][1]


def test_a_good_row_keeps_its_categories(organisation, coordinator, casework_schemes):
    from tests.casework.factories import PersonFactory

    person = PersonFactory(organisation=organisation, source_id="P1")
    checker = RowChecker(organisation, ImportKind.FOLLOWUPS, {}, coordinator)
    planned = [
        checker.check(line, {**ROW, "person_source_id": "P1", "theme_2": "Recherche de logement"}) for line in (2, 3)
    ]
    for plan, problems in planned:
        assert problems == []
        assert plan is not None
        assert plan.values["person"] == person
        assert [request.theme.code for request in plan.values["requests"]] == ["FOOD.PARCEL", "HOUSING.SEARCH"]
