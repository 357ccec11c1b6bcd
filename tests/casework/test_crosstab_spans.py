"""Distinct counts over a long period from the spans of the columnar copy (maillage/casework/columnar_spans.py,
maillage/stats/tabulate/spans_read.py), and distinct counts by month, quarter or year cut at the first and last
whole ones (`query._time_pieces`): the same figures as PostgreSQL's GROUP BY over the period's rows, before and
after writes made since the copy was taken (PostgreSQL only)."""

from __future__ import annotations

import datetime
import random
from typing import Any

import pytest
from django.db import connection

from maillage.casework import columnar, columnar_spans, rollups_rebuild, services
from maillage.casework.columnar_spans import GAP_DAYS
from maillage.casework.models import FollowUp, Person
from maillage.stats.crosstab import Params, Scope, build
from maillage.stats.tabulate import build as tabulate_build
from maillage.stats.tabulate import query
from maillage.stats.tabulate.dimensions import dimension
from maillage.stats.tabulate.spans_read import from_spans
from tests.casework.factories import CaseFileFactory, FollowUpFactory, PersonFactory, RequestFactory
from tests.casework.test_crosstab_columnar import _table, record_follow_ups

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the columnar copy is kept on PostgreSQL only"),
]

LONG = (datetime.date(2023, 1, 5), datetime.date(2025, 12, 20))
MIDDLE = (datetime.date(2023, 6, 15), datetime.date(2025, 3, 10))
GAP = (datetime.date(2023, 3, 1), datetime.date(2025, 10, 31))  # inside the gap person's stretch without rows
SHORT = (datetime.date(2024, 3, 5), datetime.date(2024, 5, 20))


def _gap_person(world: dict[str, Any]) -> Person:
    """A person seen twice, long apart, under the same theme: inside GAP's stretch no row of theirs."""
    centre = world["scope"].organisation_ids[0]
    person = PersonFactory(organisation_id=centre, reference="P-GAP", sex="x", nationality_group="eu")
    case_file = CaseFileFactory(person=person)
    for day in (datetime.date(2023, 1, 10), datetime.date(2025, 11, 20)):
        follow_up = FollowUpFactory(case_file=case_file, worker=world["workers"][centre][0], date=day, mode="phone")
        RequestFactory(follow_up=follow_up, theme=world["themes"][2])
    rollups_rebuild.rebuild()  # the factories write no roll-up
    return person


def _questions(world: dict[str, Any]) -> list[tuple[Params, Scope]]:
    """Distinct persons and case files by a category or a follow-up's own code, with a person's codes, over long
    periods; distinct follow-ups by one or two codes with any of their own."""
    rng = random.Random(3)
    scope, one = world["scope"], world["one"]
    constant = ["sex", "nationality_group", "household", "centre", "postal_code", "income_source"]
    questions = []
    for period in (LONG, MIDDLE, GAP, (datetime.date(2024, 2, 2), None), (None, datetime.date(2024, 2, 2))):
        for measure in ("persons", "case_files"):
            for varying in ("theme1", "theme2", "institution1", "stage2", "mode", "worker", "age_band", "subsidy"):
                questions.append((Params(measure, [varying, rng.choice(constant)], *period), rng.choice([scope, one])))
            questions.append((Params(measure, ["sex", "household"], *period), scope))
            questions.append((Params(measure, ["institution2"], *period), one))
            # two that vary within a person (`firsts`), in either order, with the whole sector or not
            for pair in (
                ["theme1", "mode"],
                ["stage2", "theme2"],
                ["age_band", "institution1"],
                ["subsidy", "mode"],
                ["mode", "household", "theme1"],  # and a person's code (one per unit)
            ):
                questions.append((Params(measure, pair, *period), rng.choice([scope, one])))
        for code in ("theme1", "theme2", "institution2", "stage1"):
            other = rng.choice([*constant, "mode", "worker", "month", "year", "subsidy", "age_band", "stage2"])
            questions.append((Params("followups", [code, other], *period), rng.choice([scope, one])))
    # Distinct follow-ups by one or two codes over any period, a short one too (a follow-up has one day).
    for first, second in [("theme1", "institution2"), ("theme2", "theme1"), ("stage1", "institution1")]:
        questions.append((Params("followups", [first, second], *SHORT), rng.choice([scope, one])))
    return questions


def _spanned(params: Params, scope: Scope) -> list[dict[str, Any]] | None:
    specs = [dimension(key, "followups", params.versions) for key in params.dimensions]
    return from_spans(params.measure, "followups", specs, params, scope, params.date_from, params.date_to)


def _from_rows(params: Params, scope: Scope, monkeypatch: pytest.MonkeyPatch, *, cut: bool = True) -> Any:
    """The table as PostgreSQL counts the period's rows (`cut`: a distinct count by time still cut in pieces)."""
    with monkeypatch.context() as patch:
        for reader in ("from_rollup", "from_spans", "from_whole_less_edges", "from_columnar"):
            patch.setattr(query, reader, lambda *args, **options: None)
        if not cut:
            patch.setattr(query, "_time_pieces", lambda *args: None)
        return _table(build(params, scope))


def _compare(questions: list[tuple[Params, Scope]], monkeypatch: pytest.MonkeyPatch) -> None:
    """Each question read from the spans equals PostgreSQL's count of the rows."""
    for params, scope in questions:
        assert _spanned(params, scope) is not None, params
        assert _table(build(params, scope)) == _from_rows(params, scope, monkeypatch), (params, scope)


def _theme_cell(params: Params, scope: Scope, code: str, sex: str) -> int:
    _specs, rows = query.grouped(params, scope, params.date_from, params.date_to)
    return sum(row["value"] for row in rows if (row["d0"], row["d1"]) == (code, sex))


@pytest.mark.slow(seconds=30)
@pytest.mark.django_db(transaction=True)
def test_spans_count_what_postgresql_counts(transactional_db, world, monkeypatch, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    gap = _gap_person(world)
    assert columnar.build() is not None
    with columnar.reading() as reading:
        assert reading is not None
        assert reading.spans is not None
    questions = _questions(world)
    _compare(questions, monkeypatch)
    # The person with a stretch of nearly three years without a row is not counted over a period inside it,
    # though their first row is before it and their last after; counted over a period holding one of the rows.
    theme = world["themes"][2]
    code = dimension("theme1", "followups", {}).codes[theme.pk]
    own = FollowUp.objects.filter(
        person__sex="x", requests__theme__parent__code=code, organisation_id=gap.organisation_id
    )
    for period, counted in ((GAP, False), (LONG, True)):
        persons = set(own.filter(date__range=period).values_list("person_id", flat=True))
        assert (gap.pk in persons) is counted
        params = Params("persons", ["theme1", "sex"], *period)
        assert _theme_cell(params, Scope([gap.organisation_id]), code, "x") == len(persons)

    # Two dimensions varying within a person, from their pair's spans but the worker's (counted from the rows,
    # their totals from the spans); a mode outside the choices (an old import's) counted as text, not lost among the
    # empty ones.
    FollowUp.objects.filter(pk=FollowUp.objects.filter(date__range=MIDDLE).order_by("pk").values("pk")[:1]).update(
        mode="fax"
    )
    rollups_rebuild.rebuild()
    assert columnar.build() is not None
    two = [
        (Params(measure, dimensions, *period), scope)
        for period in (LONG, MIDDLE)
        for measure, dimensions in [
            ("persons", ["theme1", "mode"]),
            ("persons", ["age_band", "mode"]),
            ("case_files", ["institution2", "subsidy"]),
            ("case_files", ["stage1", "age_band"]),
            ("persons", ["worker", "theme2"]),
            ("case_files", ["subsidy", "mode"]),
        ]
        for scope in (world["scope"], world["one"])
    ]
    for params, scope in two:
        assert (_spanned(params, scope) is None) is ("worker" in params.dimensions), params
        assert _table(build(params, scope)) == _from_rows(params, scope, monkeypatch), (params, scope)
    assert any(key[2] == "fax" for key in _table(build(*two[12])))  # persons theme1 × mode over MIDDLE

    # Not from the spans: a period under GAP_DAYS, a filter, a subsidy scope, the worker with another dimension
    # varying within a person, three of them, a time dimension, another version of the themes.
    scope = world["scope"]
    short = (LONG[0], LONG[0] + datetime.timedelta(days=GAP_DAYS - 1))
    for params, asked in [
        (Params("persons", ["theme1", "sex"], *short), scope),
        (Params("persons", ["theme1", "sex"], *LONG, filters={"mode": ["phone"]}), scope),
        (Params("persons", ["theme1", "sex"], *LONG), Scope(scope.organisation_ids, world["subsidies"][0].pk)),
        (Params("case_files", ["worker", "mode"], *LONG), scope),
        (Params("persons", ["theme1", "mode", "age_band"], *LONG), scope),
        (Params("persons", ["theme1", "year"], *LONG), scope),
        (Params("followups", ["mode", "sex"], *LONG), scope),
        (Params("persons", ["theme1", "sex"], *LONG, versions={"theme": world["v1"]}), scope),
    ]:
        assert _spanned(params, asked) is None, params

    # A pair over a period shorter than GAP_DAYS, from `firsts` too; a copy without the pair's column (an older
    # one, or one of other pairs): counted from the rows, the same figures.
    params = Params("case_files", ["stage2", "theme2"], *SHORT)
    assert _spanned(params, scope) is not None
    assert _table(build(params, scope)) == _from_rows(params, scope, monkeypatch)
    with monkeypatch.context() as patch:
        patch.setattr(columnar_spans, "SPANNED_PAIRS", [("theme1", "mode")])
        assert columnar.build() is not None
    assert _spanned(Params("case_files", ["mode", "theme1"], *LONG), scope) is not None
    params = Params("case_files", ["stage2", "theme2"], *LONG)
    assert _spanned(params, scope) is None
    assert _spanned(Params("case_files", ["stage2", "sex"], *LONG), scope) is not None
    assert _table(build(params, scope)) == _from_rows(params, scope, monkeypatch)


@pytest.mark.slow(seconds=30)
@pytest.mark.django_db(transaction=True)
def test_writes_after_the_copy_are_counted_from_the_spans_at_once(
    transactional_db, world, monkeypatch, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    gap = _gap_person(world)
    assert columnar.build() is not None
    files, themes = world["files"], world["themes"]
    # a follow-up inside the gap person's stretch: now counted over GAP
    worker = world["workers"][gap.organisation_id][1]
    services.record_follow_up(
        worker,
        gap.case_files.get(),
        services.FollowUpData(date=datetime.date(2024, 6, 3), mode="home_visit", worker=worker),
        [services.RequestData(themes[2])],
    )
    record_follow_ups(world, 3)
    moved = files[-1].person
    services.update_person(world["workers"][moved.organisation_id][0], moved, {"sex": "x", "postal_code": "1060"})
    assert 3 <= columnar.changed_persons() <= 5
    code = dimension("theme1", "followups", {}).codes[themes[2].pk]
    assert _theme_cell(Params("persons", ["theme1", "sex"], *GAP), Scope([gap.organisation_id]), code, "x") >= 1
    _compare(_questions(world)[::3], monkeypatch)

    # A case file's follow-up filed under another centre (no service writes one): its spans would carry one
    # centre, so the distinct counts are counted from the rows until it is put right.
    stray = FollowUp.objects.filter(case_file=files[0]).first()
    elsewhere = next(pk for pk in world["scope"].organisation_ids if pk != stray.organisation_id)
    FollowUp.objects.filter(pk=stray.pk).update(organisation_id=elsewhere)
    with columnar.reading() as reading:
        assert reading is not None
        assert reading.spans is None
    params = Params("persons", ["theme1", "centre"], *LONG)
    assert _spanned(params, world["scope"]) is None
    assert columnar.build() is not None  # nor does a new copy keep spans
    with columnar.reading() as reading:
        assert reading is not None
        assert reading.spans is None


@pytest.mark.slow(seconds=20)
@pytest.mark.django_db(transaction=True)
def test_a_pair_counts_a_person_once_by_their_first_row_in_the_period(
    transactional_db, world, monkeypatch, settings, tmp_path
):
    """`firsts` at its edges: a row on the period's first day and another after it under the same pair, two
    requests of one follow-up under the same theme (a tie on a day), a row the day before the period."""
    settings.VAR_DIR = tmp_path
    centre = world["scope"].organisation_ids[0]
    worker, theme = world["workers"][centre][0], world["themes"][2]
    person = PersonFactory(organisation_id=centre, reference="P-EDGE", sex="x")
    case_file = CaseFileFactory(person=person)
    start = LONG[0]
    for day, requests in (
        (start - datetime.timedelta(days=1), 1),
        (start, 2),
        (start + datetime.timedelta(days=40), 1),
    ):
        follow_up = FollowUpFactory(case_file=case_file, worker=worker, date=day, mode="phone")
        for _ in range(requests):
            RequestFactory(follow_up=follow_up, theme=theme)
    rollups_rebuild.rebuild()
    assert columnar.build() is not None
    code = dimension("theme1", "followups", {}).codes[theme.pk]
    rows = FollowUp.objects.filter(
        organisation_id=centre, mode="phone", date__range=LONG, requests__theme__parent__code=code
    )
    for measure, dimensions, cell, unit in (
        ("persons", ["theme1", "mode"], (code, "phone"), "person_id"),
        ("case_files", ["mode", "theme1", "sex"], ("phone", code, "x"), "case_file_id"),
    ):
        params = Params(measure, dimensions, *LONG)
        assert _spanned(params, Scope([centre])) is not None
        assert _table(build(params, Scope([centre]))) == _from_rows(params, Scope([centre]), monkeypatch), params
        _specs, grouped = query.grouped(params, Scope([centre]), *LONG)
        counted = sum(row["value"] for row in grouped if tuple(row[f"d{i}"] for i in range(len(cell))) == cell)
        expected = rows.filter(person__sex="x") if measure == "case_files" else rows
        assert counted == len(set(expected.values_list(unit, flat=True)))


@pytest.mark.slow(seconds=20)
@pytest.mark.django_db(transaction=True)
def test_a_distinct_count_by_time_is_cut_at_whole_periods(transactional_db, world, monkeypatch, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    assert columnar.build() is not None
    cut = []
    grouped = query.grouped

    def recorded(params, scope, date_from, date_to, *, margin=False):  # type: ignore[no-untyped-def]
        cut.append((date_from, date_to))
        return grouped(params, scope, date_from, date_to, margin=margin)

    monkeypatch.setattr(query, "grouped", recorded)
    monkeypatch.setattr(tabulate_build, "grouped", recorded)
    for measure, dimensions, first_whole in [
        ("persons", ["theme1", "year"], datetime.date(2024, 1, 1)),
        ("case_files", ["quarter", "sex"], datetime.date(2023, 7, 1)),
        ("followups", ["month", "institution1"], datetime.date(2023, 7, 1)),
        ("persons", ["year", "month", "mode"], datetime.date(2023, 7, 1)),
    ]:
        params = Params(measure, dimensions, *MIDDLE)
        cut.clear()
        counted = _table(build(params, world["scope"]))
        assert cut[:3] == [MIDDLE, (MIDDLE[0], first_whole - datetime.timedelta(days=1)), (first_whole, cut[2][1])]
        assert counted == _from_rows(params, world["scope"], monkeypatch, cut=False), params


@pytest.mark.parametrize(
    ("dimensions", "period", "pieces"),
    [
        (
            ["year"],
            ("2023-06-15", "2025-03-10"),
            [("2023-06-15", "2023-12-31"), ("2024-01-01", "2024-12-31"), ("2025-01-01", "2025-03-10")],
        ),
        (
            ["quarter", "sex"],
            ("2024-01-01", "2024-08-20"),
            [("2024-01-01", "2024-06-30"), ("2024-07-01", "2024-08-20")],
        ),
        (["month"], ("2024-01-05", "2024-03-31"), [("2024-01-05", "2024-01-31"), ("2024-02-01", "2024-03-31")]),
        (["month"], ("2024-01-01", "2024-03-31"), None),  # whole months already
        (["year"], ("2024-02-01", "2024-11-30"), None),  # within one year
        (["sex"], ("2024-01-05", "2025-03-31"), None),  # no time dimension
    ],
)
def test_time_pieces(dimensions, period, pieces):
    day = datetime.date.fromisoformat
    cut = query._time_pieces(Params("persons", dimensions), "persons", day(period[0]), day(period[1]))
    assert cut == (None if pieces is None else [(day(a), day(b)) for a, b in pieces])
    assert query._time_pieces(Params("requests", dimensions), "requests", day(period[0]), day(period[1])) is None
