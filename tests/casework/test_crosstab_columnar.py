"""The columnar copy (maillage/casework/columnar.py): the engine's figures counted on it by DuckDB equal
PostgreSQL's GROUP BY over the rows, before and after writes made since the copy was taken (PostgreSQL only)."""

from __future__ import annotations

import datetime
import random
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from maillage.casework import columnar, rollups, services
from maillage.casework.models import FollowUp, Person, Request
from maillage.stats.crosstab import DIMENSION_LABELS, Params, Scope, build
from maillage.stats.tabulate import query
from maillage.stats.tabulate.columnar_read import from_columnar
from maillage.stats.tabulate.dimensions import dimension
from maillage.stats.tabulate.params import MEASURES
from tests.casework.factories import FollowUpFactory
from tests.casework.test_rollups import _figures

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the columnar copy is kept on PostgreSQL only"),
]

ODD = (datetime.date(2024, 3, 5), datetime.date(2025, 2, 20))  # not whole months: the roll-ups do not answer


def _questions(world: dict[str, Any], count: int) -> list[tuple[Params, Scope]]:
    """Every measure by pairs of dimensions over an odd period, with filters, versions, subsidy scopes."""
    rng = random.Random(5)
    scope, one = world["scope"], world["one"]
    worker = world["workers"][one.organisation_ids[0]][0]
    keys = list(DIMENSION_LABELS)
    questions = []
    for measure in ("requests", "followups", "persons", "case_files"):
        for first, second in rng.sample(list(combinations(keys, 2)), count):
            questions.append((Params(measure, [first, second], *ODD), rng.choice([scope, one])))
    # Totals summed from a wider part (a person's codes: one value per person) or counted without the requests.
    questions += [
        (Params("persons", ["theme1", "nationality_group"], *ODD), scope),
        (Params("case_files", ["sex", "institution2", "household"], *ODD), scope),
        (Params("followups", ["month", "theme1", "centre"], *ODD), scope),
        (Params("persons", ["mode", "sex", "stage1"], *ODD), one),
    ]
    filters = [
        {"sex": ["f", "m"]},
        {"theme1": ["FOOD", "HOUSING"]},
        {"mode": ["phone"], "worker": [str(worker.pk)]},
        {"institution2": [""]},
        {"subsidy": [str(world["subsidies"][0].pk)]},
        {"centre": [str(pk) for pk in scope.organisation_ids[:2]]},
        {"postal_code": ["", "1000"]},
        {"stage1": ["x-none"], "theme2": ["FOOD.MEALS"]},
    ]
    for measure in ("requests", "followups", "persons", "case_files"):
        for chosen in filters:
            dimensions = rng.sample([k for k in keys if k not in chosen], rng.choice([1, 2, 3]))
            questions.append((Params(measure, dimensions, *ODD, filters=chosen), scope))
        questions += [
            (Params(measure, ["theme1", "quarter"], versions={"theme": world["v1"]}), scope),
            (Params(measure, ["theme2", "sex"], date_from=datetime.date(2024, 6, 2)), scope),
            (Params(measure, ["month", "centre"], date_to=datetime.date(2024, 6, 2), compare="year"), scope),
            (Params(measure, ["mode", "age_band"], *ODD), Scope(scope.organisation_ids, world["subsidies"][1].pk)),
            (Params(measure, ["stage2", "institution1", "sex"], *ODD, percent="row"), scope),
        ]
    return questions


def record_follow_ups(world: dict[str, Any], count: int) -> None:
    """New follow-ups through the service (roll-ups and the copy's change log kept), from 2024-05-10 on."""
    rng, files, themes = world["rng"], world["files"], world["themes"]
    for index in range(count):
        case_file = rng.choice(files)
        worker = world["workers"][case_file.organisation_id][index % 3]
        services.record_follow_up(
            worker,
            case_file,
            services.FollowUpData(date=datetime.date(2024, 5, 10 + index), mode="home_visit", worker=worker),
            [services.RequestData(theme) for theme in rng.sample(themes[3:], 2)],
        )


def _table(result: Any) -> dict[tuple[str, str, str], Any]:
    """The cells and, for a distinct count, the totals counted on their own (row, column, grand)."""
    figures = _figures(result)
    for table in result.tables:
        if table.margins is not None:
            figures.update({("row total " + table.title, key, ""): n for key, n in table.margins.rows.items() if n})
            figures.update(
                {("column total " + table.title, key, ""): n for key, n in table.margins.columns.items() if n}
            )
            figures[("total " + table.title, "", "")] = table.margins.total
    return figures


def _rows_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rollups, "available", lambda *kind: False)


def _compare(questions: list[tuple[Params, Scope]], monkeypatch: pytest.MonkeyPatch) -> int:
    """Each question counted on the copy and by PostgreSQL; returns how many were read from the copy."""
    read = 0
    for params, scope in questions:
        counted = _table(build(params, scope))
        with monkeypatch.context() as patch:
            patch.setattr(query, "from_columnar", lambda *args, **options: None)
            assert counted == _table(build(params, scope)), (params, scope)
        base = MEASURES[params.measure].base
        specs = [dimension(key, base, params.versions) for key in params.dimensions]
        read += from_columnar(params.measure, base, specs, params, scope, params.date_from, params.date_to) is not None
    return read


@pytest.mark.slow(seconds=20)
@pytest.mark.django_db(transaction=True)
def test_the_copy_counts_what_postgresql_counts(transactional_db, world, monkeypatch, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    _rows_read(monkeypatch)
    assert columnar.changed_persons() is None  # no copy yet: PostgreSQL's rows
    params = Params("persons", ["sex", "mode"], *ODD)
    assert (
        from_columnar(
            "persons",
            "followups",
            [dimension(k, "followups", {}) for k in params.dimensions],
            params,
            world["scope"],
            *ODD,
        )
        is None
    )
    path = columnar.build()
    assert path is not None
    assert path.exists()
    assert oct(path.stat().st_mode)[-3:] == "600"
    assert columnar.changed_persons() == 0  # every row is read from the copy
    with columnar.reading() as reading:
        assert reading is not None
        assert reading.coded is True  # follow-ups by a category read pre-joined to their requests
    questions = _questions(world, 12)
    assert _compare(questions, monkeypatch) == len(questions)


@pytest.mark.slow(seconds=30)
@pytest.mark.django_db(transaction=True)
def test_writes_after_the_copy_are_counted_at_once(transactional_db, world, monkeypatch, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    _rows_read(monkeypatch)
    first = columnar.build()
    assert first is not None
    assert columnar.changed_persons() == 0
    rng, files = world["rng"], world["files"]
    record_follow_ups(world, 4)  # new follow-ups, in the odd period
    moved = rng.choice(files).person
    services.update_person(world["workers"][moved.organisation_id][0], moved, {"sex": "x", "postal_code": "1060"})
    gone = FollowUp.objects.filter(date__range=ODD).order_by("pk").first()
    FollowUp.objects.filter(pk=gone.pk).delete()  # its requests with it
    Request.objects.filter(pk=Request.objects.order_by("-pk").values("pk")[:1]).update(stage=None)
    # A request filed under another centre than its follow-up's (no service writes one): the pre-joined rows
    # would not be the engine's join, so the reads join follow-ups and requests again.
    stray = Request.objects.filter(follow_up__date__range=ODD).order_by("pk").first()
    elsewhere = next(pk for pk in world["scope"].organisation_ids if pk != stray.organisation_id)
    Request.objects.filter(pk=stray.pk).update(organisation_id=elsewhere)
    with columnar.reading() as reading:
        assert reading is not None
        assert reading.coded is False
    changed = columnar.changed_persons()
    assert changed is not None
    assert 3 <= changed <= 8
    questions = _questions(world, 6)
    assert _compare(questions, monkeypatch) == len(questions)

    second = columnar.build()  # the new copy holds the changes: none left to read from PostgreSQL
    assert second is not None
    assert columnar.changed_persons() == 0
    assert not first.exists()
    assert second.exists()
    assert _compare(questions[::3], monkeypatch) == len(questions[::3])

    Person.objects.filter(pk=moved.pk).update(household="shared")
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE casework_request")  # no row trigger: the copy is dropped, the rows are read
    assert columnar.changed_persons() is None
    assert _compare(questions[:4], monkeypatch) == 0


def test_a_copy_that_cannot_be_opened_leaves_the_rows_to_postgresql(case_file, monkeypatch, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    _rows_read(monkeypatch)
    FollowUpFactory(case_file=case_file, date=datetime.date(2024, 5, 3))
    scope = Scope([case_file.organisation_id])
    Path(columnar.build()).unlink()
    params = Params("case_files", ["mode", "household"], *ODD)
    specs = [dimension(key, "followups", {}) for key in params.dimensions]
    assert from_columnar("case_files", "followups", specs, params, scope, *ODD) is None
    assert build(params, scope).tables[0].total == 1  # counted by PostgreSQL


def test_a_copy_taken_in_another_cluster_is_not_read(case_file, settings, tmp_path):
    """A database restored from a dump into another cluster starts its transaction ids over: the copy's snapshot
    would see every later change as already copied."""
    settings.VAR_DIR = tmp_path
    columnar.build()
    assert columnar.changed_persons() is not None
    with connection.cursor() as cursor:
        cursor.execute("UPDATE casework_columnarcopy SET snapshot = '900000000:900000000:'::pg_snapshot")
    assert columnar.changed_persons() is None
