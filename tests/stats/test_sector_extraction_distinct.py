"""The sector extraction of a distinct count: its totals are distinct counts, not sums of its cells, and the
disclosure engine is told they are sub-additive (each part ≤ total ≤ Σ parts), not equal to the sum."""

from __future__ import annotations

import datetime

import pytest

from maillage.stats.crosstab import Params, Scope
from maillage.stats.disclosure import GridPeriod, Rule
from maillage.stats.sector_extraction import DistinctFamily, Families, extract
from tests.casework.factories import CaseFileFactory, FollowUpFactory, PersonFactory


@pytest.fixture
def persons_by_mode(db, organisation):  # type: ignore[no-untyped-def]
    """36 persons followed in 2024, each by phone and walk-in (in different months), the first 24 by
    appointment too — spread over the year, three or two a month."""
    from maillage.casework.schemes import ensure_casework_schemes

    ensure_casework_schemes()
    for i in range(36):
        case_file = CaseFileFactory(person=PersonFactory(organisation=organisation, reference=f"D-{i:04d}"))
        modes = {"phone": i % 12, "walk_in": (i + 5) % 12, **({"appointment": (i + 3) % 12} if i < 24 else {})}
        for mode, month in modes.items():
            FollowUpFactory(case_file=case_file, mode=mode, date=datetime.date(2024, month + 1, 10))
    return organisation


def test_the_total_of_distinct_persons_is_their_distinct_count(persons_by_mode) -> None:
    scope = Scope([persons_by_mode.pk])
    extraction = extract(Params(measure="persons", dimensions=["mode"]), scope, GridPeriod(2024), Rule(k=5))
    grid = extraction.grids[0]
    cells = {label: cells[0].text for label, cells, _total in grid.rows}
    assert sorted(cells.values()) == ["24", "36", "36"]
    assert grid.total == "36"  # 36 persons, not 96 = 36 + 36 + 24 (a person followed two ways is one person)
    family = Families(Params(measure="persons", dimensions=["mode"]), scope, Rule(k=5)).family(
        ("mode",), GridPeriod(2024)
    )
    assert isinstance(family.protected, DistinctFamily)


def test_a_hidden_mode_is_not_worked_out_from_the_distinct_total(persons_by_mode) -> None:
    """3 more persons by e-mail only, in June: "<5" in the year. The total (39) is at most the sum of the
    modes, so the reader knows e-mail ≥ 39 − 36 − 36 − 24 < 0 — nothing below; the small cell keeps both
    sides, and the total is the distinct count, never the sum."""
    organisation = persons_by_mode
    for i in range(3):
        case_file = CaseFileFactory(person=PersonFactory(organisation=organisation, reference=f"E-{i:04d}"))
        FollowUpFactory(case_file=case_file, mode="email", date=datetime.date(2024, 6, 10))
    extraction = extract(
        Params(measure="persons", dimensions=["mode"]), Scope([organisation.pk]), GridPeriod(2024), Rule(k=5)
    )
    grid = extraction.grids[0]
    texts = sorted(cells[0].text for _label, cells, _total in grid.rows)
    assert "<5" in texts
    assert grid.total in {"39", "x"}
    assert "99" not in [grid.total, *texts]  # never the plain sum 36 + 36 + 24 + 3
