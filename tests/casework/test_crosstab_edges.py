"""A long period of odd days counted as the all-time cells less the days outside it (maillage/stats/tabulate/
edges_read.py): the same figures as PostgreSQL's GROUP BY over the period's rows, before and after writes made
since the columnar copy was taken, including units seen only outside the period (PostgreSQL only)."""

from __future__ import annotations

import datetime
import random
from itertools import combinations
from typing import Any

import pytest
from django.db import connection

from maillage.casework import columnar, rollups_rebuild, services
from maillage.casework.models import CaseFile, FollowUp, Person, StatCell
from maillage.stats.crosstab import DIMENSION_LABELS, Params, Scope, build
from maillage.stats.tabulate import edges_read, query
from maillage.stats.tabulate.dimensions import dimension
from maillage.stats.tabulate.edges_read import from_whole_less_edges
from maillage.stats.tabulate.params import MEASURES
from tests.casework.factories import CaseFileFactory, FollowUpFactory, PersonFactory, RequestFactory
from tests.casework.test_crosstab_columnar import _table

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the columnar copy is kept on PostgreSQL only"),
]

# The world's rows are dated 2023-01-01..2025-12-28: a few days fall outside this period, most inside.
LONG = (datetime.date(2023, 1, 5), datetime.date(2025, 12, 20))
SHORT = (datetime.date(2024, 3, 5), datetime.date(2025, 2, 20))  # two thirds of the rows outside


def _edge_rows(world: dict[str, Any]) -> tuple[Person, Person]:
    """Units seen only outside the period, and units seen both outside and inside it in the same cells or not."""
    rng, themes, workers = world["rng"], world["themes"], world["workers"]
    centre = world["scope"].organisation_ids[1]
    only_outside = PersonFactory(organisation_id=centre, reference="P-EDGE-1", sex="x", nationality_group="eu")
    both = PersonFactory(organisation_id=centre, reference="P-EDGE-2", sex="f", nationality_group="be")
    for person, days in [
        (only_outside, [datetime.date(2023, 1, 2), datetime.date(2025, 12, 27)]),
        (both, [datetime.date(2023, 1, 3), datetime.date(2024, 7, 1), datetime.date(2025, 12, 21)]),
    ]:
        case_file = CaseFileFactory(person=person)
        for index, day in enumerate(days):
            follow_up = FollowUpFactory(
                case_file=case_file, worker=workers[centre][index % 3], mode=("phone", "email")[index % 2], date=day
            )
            for theme in rng.sample(themes, 2):
                RequestFactory(follow_up=follow_up, theme=theme)
    return only_outside, both


def _questions(world: dict[str, Any], period: tuple[datetime.date, datetime.date]) -> list[tuple[Params, Scope]]:
    rng = random.Random(7)
    scope, one = world["scope"], world["one"]
    questions = []
    for measure in ("requests", "followups", "persons", "case_files"):
        pairs = rng.sample(list(combinations(list(DIMENSION_LABELS), 2)), 8)
        for first, second in [("theme1", "nationality_group"), ("year", "sex"), ("quarter", "theme2"), *pairs]:
            questions.append((Params(measure, [first, second], *period), rng.choice([scope, one])))
    return questions


def _filtered(world: dict[str, Any], period: tuple[datetime.date, datetime.date]) -> list[tuple[Params, Scope]]:
    scope = world["scope"]
    return [
        (Params(measure, ["sex", "mode"], *period, filters=chosen), scope)
        for measure in ("requests", "followups", "persons", "case_files")
        for chosen in ({"theme1": ["FOOD"]}, {"centre": [str(scope.organisation_ids[0])]}, {"sex": ["f", "m"]})
    ] + [(Params("persons", ["theme1", "sex"], period[0], None), scope)]  # from a day on, no end


def _engine_and_rows(params: Params, scope: Scope, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    """The table as the engine counts it without the spans (the edges answer first), and as PostgreSQL counts the
    period's rows."""
    with monkeypatch.context() as patch:
        patch.setattr(query, "from_spans", lambda *args, **options: None)
        counted = _table(build(params, scope))
    with monkeypatch.context() as patch:
        for reader in ("from_spans", "from_whole_less_edges", "from_columnar"):
            patch.setattr(query, reader, lambda *args, **options: None)
        return counted, _table(build(params, scope))


def _cell(params: Params, scope: Scope, cell: tuple[str, ...]) -> int:
    """One cell as `query.grouped` counts it (0 when absent)."""
    _specs, rows = query.grouped(params, scope, params.date_from, params.date_to)
    return sum(row["value"] for row in rows if tuple(row[f"d{i}"] for i in range(len(cell))) == cell)


def _from_edges(params: Params, scope: Scope) -> list[dict[str, Any]] | None:
    base = MEASURES[params.measure].base
    specs = [dimension(key, base, params.versions) for key in params.dimensions]
    return from_whole_less_edges(params.measure, base, specs, params, scope, params.date_from, params.date_to)


@pytest.mark.slow(seconds=40)
@pytest.mark.django_db(transaction=True)
def test_a_long_odd_period_is_the_whole_less_its_edges(transactional_db, world, monkeypatch, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    # A few rows: the edges' share of them is larger than the days outside a long period hold at 5M.
    monkeypatch.setattr(edges_read, "_OUTSIDE_AT_MOST", dict.fromkeys(edges_read._OUTSIDE_AT_MOST, 0.1))
    only_outside, both = _edge_rows(world)
    written = world["files"][:3]  # follow-ups are recorded in these after the copy, on both sides of the period
    CaseFile.objects.filter(pk__in=[f.pk for f in written]).update(opened_on=datetime.date(2022, 12, 1), closed_on=None)
    for case_file in written:
        case_file.refresh_from_db()
    rollups_rebuild.rebuild()
    assert columnar.build() is not None
    questions = _questions(world, LONG)
    for params, scope in questions:
        assert _from_edges(params, scope) is not None, params  # every pair has all-time cells
        counted, rows = _engine_and_rows(params, scope, monkeypatch)
        assert counted == rows, (params, scope)
    # The person seen only outside the period is not counted; the one seen on both sides is, once: the period's
    # figure is the persons with a follow-up inside it, the all-time figure less those seen only outside.
    for person in (only_outside, both):
        followups = FollowUp.objects.filter(organisation_id=person.organisation_id, person__sex=person.sex)
        seen = set(followups.values_list("person_id", flat=True))
        inside = set(followups.filter(date__range=LONG).values_list("person_id", flat=True))
        assert (person.pk in inside) is (person is both)
        cell = (person.sex, str(person.organisation_id))
        period = _cell(Params("persons", ["sex", "centre"], *LONG), world["scope"], cell)
        all_time = _cell(Params("persons", ["sex", "centre"]), world["scope"], cell)
        assert (period, all_time) == (len(inside), len(seen))
    for params, scope in _filtered(world, LONG):
        counted, rows = _engine_and_rows(params, scope, monkeypatch)
        assert counted == rows, (params, scope)
    # several values of a filter: a person in two of them is one person, which the all-time cells cannot tell
    two_themes = Params("persons", ["sex", "mode"], *LONG, filters={"theme1": ["FOOD", "HOUSING"]})
    assert _from_edges(two_themes, world["scope"]) is None

    # Writes since the copy: recorded follow-ups outside and inside the period, a person's codes changed.
    rng, files, themes = world["rng"], world["files"], world["themes"]
    for index, day in enumerate([datetime.date(2023, 1, 4), datetime.date(2025, 12, 22), datetime.date(2024, 2, 9)]):
        case_file = written[index]
        worker = world["workers"][case_file.organisation_id][index % 3]
        services.record_follow_up(
            worker,
            case_file,
            services.FollowUpData(date=day, mode="home_visit", worker=worker),
            [services.RequestData(theme) for theme in rng.sample(themes[3:], 2)],
        )
    moved = files[-1].person
    services.update_person(world["workers"][moved.organisation_id][0], moved, {"sex": "x", "postal_code": "1060"})
    assert columnar.changed_persons() == len({*(f.person_id for f in written), moved.pk})  # read from PostgreSQL
    for params, scope in questions[::2]:
        assert _from_edges(params, scope) is not None, params
        counted, rows = _engine_and_rows(params, scope, monkeypatch)
        assert counted == rows, (params, scope)


@pytest.mark.slow(seconds=15)
@pytest.mark.django_db(transaction=True)
def test_a_short_period_or_cells_that_disagree_count_the_period(
    transactional_db, world, monkeypatch, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    _edge_rows(world)
    rollups_rebuild.rebuild()
    assert columnar.build() is not None
    params = Params("persons", ["theme1", "nationality_group"], *SHORT)
    assert _from_edges(params, world["scope"]) is None  # most rows outside: the period is counted on its own
    counted, rows = _engine_and_rows(params, world["scope"], monkeypatch)
    assert counted == rows

    # All-time cells that lost a unit (as if kept wrongly): an edge larger than its cell is not subtracted.
    params = Params("persons", ["sex", "mode"], *LONG)
    expected = _engine_and_rows(params, world["scope"], monkeypatch)[1]
    monkeypatch.setattr(edges_read, "_OUTSIDE_AT_MOST", dict.fromkeys(edges_read._OUTSIDE_AT_MOST, 0.1))
    assert _from_edges(params, world["scope"]) is not None
    StatCell.objects.filter(period=datetime.date(1900, 1, 1)).update(n=0)
    assert _from_edges(params, world["scope"]) is None
    assert _table(build(params, world["scope"])) == expected
