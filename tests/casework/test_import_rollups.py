"""After an import and the recount of its centre (`rollups_pending`), the roll-up cells are exactly those a full rebuild counts,
on a centre with earlier data: persons followed in earlier years, a follow-up the file updates (moved to another
year and coded again), a person the file does not name, a person the persons file updates."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection, transaction

from maillage.casework import rollups, rollups_pending, rollups_rebuild, services
from maillage.casework.models import CaseFile, ImportKind, Person, StatCell
from maillage.taxonomy.models import Category
from tests.casework.factories import PersonFactory
from tests.casework.test_import_bulk_writes import FOLLOW_UPS, PERSONS, _run, centre, import_storage  # noqa: F401

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="roll-ups are kept on PostgreSQL only"),
]


def _theme(code: str) -> Category:
    return Category.objects.get(version__scheme__code="request-themes", version__status="published", code=code)


def _cells() -> set[tuple[Any, ...]]:
    return set(StatCell.objects.exclude(n=0).values_list("kind", "gset", "organisation_id", "period", "a", "b", "n"))


@pytest.fixture
def earlier_years(centre: dict[str, Any]) -> dict[str, Any]:  # noqa: F811 - the fixture imported above
    """P1 (named by both files) and P9 (named by neither) followed in 2021 and 2022, then the roll-ups rebuilt."""
    organisation, actor = centre["organisation"], centre["actor"]
    p1 = Person.objects.get(organisation=organisation, source_id="P1")
    p9 = PersonFactory(organisation=organisation, reference="P-000009", source_id="P9", birth_year=1962, sex="m")
    for person, opened in [(p1, None), (p9, datetime.date(2021, 1, 4))]:
        case_file = (
            CaseFile.objects.filter(person=person).first()
            if opened is None
            else CaseFile.objects.create(organisation=organisation, person=person, opened_on=opened)
        )
        for day, theme in [(datetime.date(2021, 3, 9), "HOUSING.SEARCH"), (datetime.date(2022, 11, 2), "FOOD.PARCEL")]:
            if case_file.opened_on > day:
                case_file.opened_on = day
                case_file.save(update_fields=["opened_on"])
            services.record_follow_up(
                actor,
                case_file,
                services.FollowUpData(date=day, mode="appointment", worker=actor),
                [services.RequestData(_theme(theme))],
            )
    rollups_rebuild.rebuild()
    return centre


def test_the_cells_after_an_import_equal_a_full_rebuild(earlier_years: dict[str, Any]) -> None:
    before = _cells()
    with transaction.atomic():
        reports = [
            _run(earlier_years, kind, content)
            for kind, content in [(ImportKind.PERSONS, PERSONS), (ImportKind.FOLLOWUPS, FOLLOW_UPS)]
        ]
        assert [report[1:3] for report in reports] == [(3, 1), (4, 1)]  # F1 updated: moved from 2023 to 2024
        assert rollups_pending.any_pending([earlier_years["organisation"].pk])
        assert rollups_pending.recount(earlier_years["organisation"].pk)
        kept = _cells()
        rollups_rebuild.rebuild()
        assert kept == _cells()
    assert kept != before
    # Persons followed per year: 2021 still counted (P1 and P9), 2023 fallen to zero (F1 moved to 2024).
    yearly = rollups.find(rollups.PERSONS, (), rollups.YEAR)
    assert yearly is not None
    years = {cell[3]: cell[6] for cell in kept if cell[:2] == (yearly.kind, yearly.gset)}
    assert years[datetime.date(2021, 1, 1)] == 2
    assert datetime.date(2023, 1, 1) not in years
    assert years[datetime.date(2024, 1, 1)] == 3  # P1, P-000004 (P3) and P-000002 (P5)
