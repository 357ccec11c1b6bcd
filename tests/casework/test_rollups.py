"""Statistics roll-ups: the engine's figures read from them equal the raw computation, and the services
keep them exactly in step (PostgreSQL: on SQLite the engine always reads the raw tables)."""

from __future__ import annotations

import datetime
from itertools import combinations
from typing import Any

import pytest
from django.db import connection

from maillage.casework import rollups, rollups_rebuild, services
from maillage.casework.models import FollowUp, Person, Request, RollupState, StatCell
from maillage.stats import crosstab
from maillage.stats.crosstab import DIMENSION_LABELS, Params, Scope, build

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="roll-ups are kept on PostgreSQL only"),
]

MEASURES = ["requests", "followups", "persons", "case_files"]
DIMENSIONS = list(DIMENSION_LABELS)


def _figures(result: crosstab.CrossTab) -> dict[tuple[str, str, str], Any]:
    figures: dict[tuple[str, str, str], Any] = {}
    for table in result.tables:
        for (row, col), value in table.cells.items():
            if value:
                figures[(table.title, row, col)] = value
        for (row, col), value in (table.previous or {}).items():
            if value:
                figures[("previous " + table.title, row, col)] = value
    return figures


def _raw(params: Params, scope: Scope, monkeypatch: pytest.MonkeyPatch) -> dict[tuple[str, str, str], Any]:
    with monkeypatch.context() as patch:
        patch.setattr(rollups, "available", lambda *kind: False)
        return _figures(build(params, scope))


def _used_rollup(params: Params, scope: Scope) -> bool:
    measure = crosstab.MEASURES[params.measure]
    specs = [crosstab._dimension(key, measure.base, params.versions) for key in params.dimensions]
    rows = crosstab._from_rollup(params.measure, measure.base, specs, params, scope, params.date_from, params.date_to)
    return rows is not None


def _cells() -> set[tuple[int, int, int, datetime.date, str, str, int]]:
    return set(StatCell.objects.exclude(n=0).values_list("kind", "gset", "organisation_id", "period", "a", "b", "n"))


@pytest.mark.slow(seconds=23)
def test_every_pair_of_dimensions_equals_the_raw_count(world, monkeypatch):
    scope = world["scope"]
    # What distinct counts must not count twice is there: a follow-up in two theme codes, a person (and a case
    # file) followed in two quarters of one year.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT follow_up_id FROM casework_request GROUP BY 1"
            " HAVING count(DISTINCT theme_id) > 1) two"
        )
        assert cursor.fetchone()[0] > 0
        cursor.execute(
            "SELECT count(*) FROM (SELECT case_file_id FROM casework_followup GROUP BY case_file_id,"
            " extract(year FROM date) HAVING count(DISTINCT date_trunc('quarter', date)) > 1) two"
        )
        assert cursor.fetchone()[0] > 0
    used = 0
    for measure in MEASURES:
        for first, second in combinations(DIMENSIONS, 2):
            params = Params(measure=measure, dimensions=[first, second])
            assert _figures(build(params, scope)) == _raw(params, scope, monkeypatch), (measure, first, second)
            used += _used_rollup(params, scope)
    # Every pair of requests reads roll-ups; follow-ups, persons and case files too except a request axis with
    # another coded dimension (and, distinct, quarters); two times together read the finest one's cells
    # (10 pairs: three for requests and follow-ups each, month × quarter and month × year for the others);
    # every category code with every other dimension (6 × 10 × 3); two codes (15 pairs × 3, kinds 13–15); and
    # distinct persons and case files per quarter with each of the 18 other dimensions but the month (16–19).
    assert used == 489 + 10 + 6 * 10 * 3 + 15 * 3 + 2 * 18


@pytest.mark.slow(seconds=35)
def test_every_pair_over_whole_years_and_every_code_pair_equal_the_raw_count(world, monkeypatch):
    scope, one = world["scope"], world["one"]
    used = 0
    periods = [
        (scope, datetime.date(2023, 1, 1), datetime.date(2024, 12, 31)),
        (one, datetime.date(2024, 1, 1), datetime.date(2024, 12, 31)),
    ]
    for measure in ("requests", "followups"):
        for first, second in combinations(DIMENSIONS, 2):
            for chosen, date_from, date_to in periods:
                params = Params(measure, [first, second], date_from, date_to)
                assert _figures(build(params, chosen)) == _raw(params, chosen, monkeypatch), (params, chosen)
                used += _used_rollup(params, chosen)
    # Every pair over whole years, the sector's and one centre's: requests by the pairs per year (kinds 8, 28),
    # follow-ups too (9, 29) and, by a category, distinct follow-ups per year by a code and another dimension
    # (22) or two codes (25); a time with one coded dimension from the months, two times from the finest.
    assert used == 2 * len(periods) * 190
    used = 0
    codes = [key for key in DIMENSIONS if key[:-1] in crosstab._AXIS_PATHS]
    others = [key for key in DIMENSIONS if key not in codes]
    for measure in ("followups", "persons", "case_files"):
        for code in codes:
            for other in others:
                params = Params(measure, [other, code])
                assert _figures(build(params, scope)) == _raw(params, scope, monkeypatch), params
                used += _used_rollup(params, scope)
    # Every code with every other dimension (persons and case files per quarter too).
    assert used == 3 * 6 * len(others)


@pytest.mark.slow(seconds=12)
def test_every_pair_of_distinct_counts_over_one_year_equals_the_raw_count(world, monkeypatch):
    scope, one = world["scope"], world["one"]
    year = {"date_from": datetime.date(2024, 1, 1), "date_to": datetime.date(2024, 12, 31)}
    untimed = [key for key in DIMENSIONS if key not in {"month", "quarter", "year"}]
    used = 0
    for measure in ("persons", "case_files"):
        for first, second in combinations(untimed, 2):
            # By centre: each centre's figures (a person is followed in one centre: the sector's add up).
            params = Params(measure, list(dict.fromkeys([first, second, "centre"])), **year)
            assert _figures(build(params, scope)) == _raw(params, scope, monkeypatch), params
            used += _used_rollup(params, scope)
    params = Params("persons", ["theme1", "sex"], **year)  # the sector's figure without the centre, one centre's
    for chosen in (scope, one):
        assert _figures(build(params, chosen)) == _raw(params, chosen, monkeypatch), chosen
        assert _used_rollup(params, chosen)
    # Every pair of the 17 (the centre, 6 category codes, 10 follow-up and person codes) from cells per year:
    # two of the 10 (kinds 20, 21), a code and another (23, 24), two codes (26, 27), one with the centre (3, 4, 6, 7).
    assert used == 2 * 136


def test_periods_filters_versions_and_subsidy_scope_equal_the_raw_count(world, monkeypatch):
    scope, one = world["scope"], world["one"]
    year = {"date_from": datetime.date(2024, 1, 1), "date_to": datetime.date(2024, 12, 31)}
    half = {"date_from": datetime.date(2024, 7, 1), "date_to": datetime.date(2024, 12, 31)}
    month = {"date_from": datetime.date(2024, 3, 1), "date_to": datetime.date(2024, 3, 31)}
    odd = {"date_from": datetime.date(2024, 3, 5), "date_to": datetime.date(2024, 11, 20)}
    two_years = {"date_from": datetime.date(2023, 1, 1), "date_to": datetime.date(2024, 12, 31)}
    worker = world["workers"][one.organisation_ids[0]][0]
    funder = world["subsidies"][1]
    cases: list[tuple[Params, Scope, bool]] = [
        (Params("requests", ["theme2", "year"]), scope, True),
        (Params("requests", ["theme1", "month"], **year), one, True),
        (Params("requests", ["theme1", "mode"], **year), one, True),  # a pair over a year
        (Params("requests", ["theme1", "mode"], **half), scope, False),  # a pair over a half-year: raw
        (Params("requests", ["worker", "theme1"], **year), one, True),  # year pairs by worker (kind 28)
        (Params("requests", ["worker", "postal_code"], **two_years), scope, True),
        (Params("requests", ["worker", "theme1"], **half), one, False),
        (Params("requests", ["theme2", "sex", "year"], **two_years), scope, True),
        (Params("requests", ["theme2", "sex", "quarter"], **year), scope, False),
        (Params("followups", ["age_band", "mode"], **two_years, compare=True), scope, True),
        (Params("followups", ["subsidy", "sex"], date_to=datetime.date(2024, 12, 31)), scope, True),
        (Params("persons", ["theme1", "sex"]), scope, True),  # a code and another dimension, distinct
        (Params("persons", ["theme1", "sex"], **year), scope, True),  # a code and another dimension per year
        (Params("persons", ["theme1", "sex"], **year), one, True),
        (Params("persons", ["theme1", "sex"], **two_years), scope, False),  # distinct over two years: raw
        (Params("persons", ["theme1", "sex", "year"], **two_years), scope, True),  # but per year, cells
        (Params("persons", ["theme2", "mode"], filters={"sex": ["f"]}), scope, False),  # three coded
        (Params("persons", ["theme1"], filters={"sex": ["f"]}), scope, True),
        (Params("case_files", ["worker", "stage2"]), scope, True),
        (Params("followups", ["institution1", "household"], versions={"theme": world["v1"]}), scope, True),
        (Params("followups", ["theme1", "income_source"], versions={"theme": world["v1"]}), scope, False),
        (Params("followups", ["theme1", "institution1"]), scope, True),  # two codes, all time
        (Params("followups", ["theme1", "institution1"], **year), scope, True),  # two codes per year
        (Params("case_files", ["theme1", "institution1"], **year), one, True),
        (Params("case_files", ["theme1", "institution1"], **half), one, False),
        (Params("persons", ["theme2", "stage1"], filters={"theme1": ["FOOD", "HOUSING"]}), scope, False),
        (Params("persons", ["theme1", "theme2"], filters={"theme1": ["FOOD", "HOUSING"]}), scope, True),
        (Params("persons", ["theme1"], filters={"institution2": [""]}), scope, True),  # a code filter: a pair
        (Params("case_files", ["stage2"], filters={"theme1": ["FOOD"]}), scope, True),
        (Params("case_files", ["theme1", "stage2"], filters={"sex": ["f"]}), scope, False),  # three coded
        (Params("persons", ["theme1", "institution1"], versions={"theme": world["v1"]}), scope, False),
        (Params("persons", ["quarter", "sex"], **half), scope, True),  # distinct per quarter
        (Params("persons", ["quarter", "sex"], **odd), scope, False),
        (
            Params("case_files", ["sex"], date_from=datetime.date(2024, 4, 1), date_to=datetime.date(2024, 6, 30)),
            scope,
            True,
        ),
        (Params("case_files", ["quarter", "theme2"], **two_years, compare=True), scope, True),
        (Params("persons", ["quarter", "year"]), scope, True),
        (Params("persons", ["quarter", "centre"], filters={"mode": ["phone"]}), scope, True),
        (Params("persons", ["quarter", "centre"], filters={"mode": ["phone", "email"]}), scope, False),
        (Params("case_files", ["quarter"], filters={"theme1": ["FOOD"]}), one, True),
        (Params("followups", ["mode"], filters={"theme1": ["FOOD", "HOUSING"]}), scope, False),  # counted twice
        (Params("followups", ["mode"], filters={"theme1": ["FOOD"]}), scope, True),
        (Params("requests", ["theme2", "postal_code"]), scope, True),
        (Params("requests", ["worker", "theme1"]), scope, True),
        (Params("requests", ["theme2", "quarter"], versions={"theme": world["v1"]}), scope, True),
        (Params("requests", ["theme1", "centre"], versions={"theme": world["v1"]}), scope, True),
        (Params("requests", ["theme1", "mode"], filters={"theme1": ["FOOD", "HOUSING"]}), scope, True),
        (Params("requests", ["theme2", "sex"], filters={"theme1": ["FOOD"]}), scope, True),  # one axis
        (Params("requests", ["theme2", "sex"], filters={"mode": ["phone"]}), scope, False),  # three coded
        (Params("requests", ["theme2", "month"], filters={"mode": ["phone", "email"]}), scope, False),
        (Params("requests", ["institution2", "stage1"]), scope, True),
        (Params("requests", ["stage2", "month"], filters={"stage2": [""]}), scope, True),
        (Params("followups", ["age_band", "mode"]), scope, True),
        (Params("followups", ["mode", "quarter"], **half, compare=True), scope, True),
        (Params("followups", ["mode", "month"], **odd), scope, False),
        (Params("followups", ["worker", "year"], filters={"worker": [str(worker.pk)]}), scope, True),
        (Params("followups", ["theme1", "year"]), scope, True),  # distinct follow-ups per code
        (Params("followups", ["theme1", "month"], **odd), scope, False),
        (Params("followups", ["theme2", "centre"], versions={"theme": world["v1"]}), scope, False),  # not built in
        (Params("followups", ["theme1", "mode"]), scope, True),
        (Params("followups", ["theme1", "mode"], **year), scope, True),
        (Params("followups", ["theme1", "mode"], **two_years), scope, True),  # distinct follow-ups add up
        (Params("followups", ["theme1", "postal_code"], **year), one, True),
        (Params("persons", ["theme1", "month"], **half), scope, True),
        (Params("persons", ["stage2", "centre"], **year), scope, True),
        (Params("case_files", ["institution1", "year"]), scope, True),
        (Params("persons", ["month"], **half, filters={"theme1": ["FOOD"]}), scope, True),
        (Params("persons", ["month"], **half, filters={"theme1": ["FOOD", "HOUSING"]}), scope, False),
        (Params("followups", ["subsidy", "centre"], filters={"subsidy": [str(funder.pk)]}), scope, True),
        (Params("persons", ["sex", "year"]), scope, True),
        (Params("persons", ["sex", "month"], **half), scope, True),
        (Params("persons", ["sex", "quarter"]), scope, True),
        (Params("persons", ["sex", "postal_code"]), scope, True),
        (Params("persons", ["sex", "postal_code"], **year), scope, True),
        (Params("persons", ["worker", "postal_code"], **year), one, True),
        (Params("persons", ["sex", "postal_code"], **two_years), scope, False),
        (Params("persons", ["household", "centre"], **year), scope, True),
        (Params("persons", ["household", "centre"], **month), scope, True),
        (Params("persons", ["sex", "year"], filters={"mode": ["phone"]}), scope, True),  # two coded per year
        (Params("persons", ["sex", "year"], filters={"mode": ["phone"], "worker": [str(worker.pk)]}), one, False),
        (Params("persons", ["sex"], filters={"mode": ["phone"]}), scope, True),
        (Params("persons", ["sex"], filters={"mode": ["phone", "email"]}), scope, False),  # a person in both
        (Params("persons", ["mode"], filters={"mode": ["phone", "email"]}), scope, True),
        (Params("persons", ["theme1", "year"]), scope, True),
        (Params("case_files", ["year", "income_source"]), scope, True),
        (Params("case_files", ["nationality_group", "age_band"]), scope, True),
        (Params("participants", ["sex", "age_band"]), scope, False),
        (Params("requests", ["theme1", "sex", "year"]), scope, True),  # pairs per year
        (Params("requests", ["theme1", "sex", "month"]), scope, False),
        (Params("requests", ["theme1", "sex", "centre"]), scope, True),
    ]
    for params, chosen_scope, covered in cases:
        assert _figures(build(params, chosen_scope)) == _raw(params, chosen_scope, monkeypatch), params
        assert _used_rollup(params, chosen_scope) == covered, params
    subsidy = world["subsidies"][0]
    for measure in MEASURES:
        funded = Scope(scope.organisation_ids, subsidy_id=subsidy.pk)
        for dimensions in (["mode", "year"], ["sex"], ["theme1", "sex"], ["centre", "month"]):
            params = Params(measure, dimensions)
            assert _figures(build(params, funded)) == _raw(params, funded, monkeypatch), (measure, dimensions)


def test_services_keep_the_rollups_exactly_in_step(world, monkeypatch):
    rng = world["rng"]
    files = world["files"]
    themes = world["themes"]
    for index in range(8):
        case_file = rng.choice(files)
        worker = world["workers"][case_file.organisation_id][index % 3]
        services.record_follow_up(
            worker,
            case_file,
            services.FollowUpData(date=datetime.date(2024, rng.randint(1, 12), 15), mode="home_visit", worker=worker),
            [services.RequestData(theme) for theme in rng.sample(themes[3:], rng.randint(1, 2))],
        )
    for case_file in rng.sample(files, 4):
        person = case_file.person
        services.update_person(
            world["workers"][person.organisation_id][0],
            person,
            {"sex": "x" if person.sex != "x" else "f", "postal_code": "1060", "household": "shared"},
        )
    services.erase_person(world["workers"][files[0].organisation_id][0], files[0].person)
    kept = _cells()
    rollups_rebuild.rebuild()
    assert kept == _cells()
    scope = world["scope"]
    for params in [
        Params("requests", ["theme2", "postal_code"]),
        Params("followups", ["mode", "month"]),
        Params("persons", ["sex", "year"]),
        Params("persons", ["sex", "postal_code"]),
        Params("case_files", ["household", "year"]),
        Params("persons", ["theme1", "year"]),
        Params("followups", ["theme2", "month"]),
        Params("requests", ["theme1", "mode"], datetime.date(2024, 1, 1), datetime.date(2024, 12, 31)),
        Params("followups", ["age_band", "sex", "year"]),
        Params("persons", ["theme1", "sex"]),
        Params("case_files", ["stage2", "worker"]),
        Params("followups", ["institution1", "mode"]),
        Params("persons", ["month", "year"]),  # two periods: the finest one's cells
        Params("requests", ["quarter", "year"]),
        Params("case_files", ["month", "quarter"], datetime.date(2024, 1, 1), datetime.date(2024, 12, 31)),
        Params("persons", ["theme1", "institution2"]),  # two codes
        Params("followups", ["stage1", "theme2"]),
        Params("case_files", ["theme1", "theme2"]),
        Params("persons", ["quarter", "sex"]),  # distinct per quarter
        Params("case_files", ["stage2", "quarter"]),
        Params("persons", ["theme1", "sex"], datetime.date(2024, 1, 1), datetime.date(2024, 12, 31)),  # per year
        Params("case_files", ["worker", "postal_code", "year"]),
        Params("followups", ["theme2", "postal_code", "year"]),
        Params("persons", ["institution1", "theme2", "year"]),
        Params("requests", ["worker", "postal_code", "year"]),
        Params("followups", ["worker", "household", "year"]),
    ]:
        assert _used_rollup(params, scope)
        assert _figures(build(params, scope)) == _raw(params, scope, monkeypatch), params
    total = build(Params("requests", ["centre"]), scope).tables[0].total
    assert total == Request.objects.count()
    assert build(Params("followups", ["centre"]), scope).tables[0].total == FollowUp.objects.count()


def test_duckdb_and_postgresql_count_the_same_cells(world):
    # A value with the CSV's delimiter and quote, and empty values ('' is a value, not NULL), cross the copy.
    Person.objects.filter(pk=world["files"][0].person_id).update(household='a,"b', nationality_group="")
    rollups_rebuild.rebuild(engine="postgresql")
    in_postgresql = _cells()
    assert {cell[0] for cell in in_postgresql} == set(rollups.KINDS)
    assert any('a,"b' in cell[4:6] for cell in in_postgresql)
    assert any(cell[4] == "" and cell[5] == "" for cell in in_postgresql)
    indexes = "SELECT indexdef FROM pg_indexes WHERE tablename = 'casework_statcell' ORDER BY indexname"
    with connection.cursor() as cursor:
        cursor.execute(indexes)
        before = cursor.fetchall()
        rollups_rebuild.rebuild(engine="duckdb")
        cursor.execute(indexes)
        assert cursor.fetchall() == before  # dropped for the copy, built again
    assert len(before) == 3
    assert _cells() == in_postgresql
    rollups_rebuild.rebuild(kinds=[rollups.REQUESTS_YEAR_PAIRS, rollups.PERSONS_BY_CODE_PAIRS], engine="duckdb")
    assert _cells() == in_postgresql


def test_kinds_added_later_are_counted_alone_by_the_command_and_the_duckdb_recount(world):
    from io import StringIO

    from django.core.management import call_command

    added = [
        rollups.FOLLOWUPS_CODE_CODE,
        rollups.PERSONS_QUARTER,
        rollups.CASE_FILES_BY_CODE_QUARTER,
        rollups.PERSONS_YEAR_PAIRS,
        rollups.CASE_FILES_CODE_CODE_YEAR,
        rollups.REQUESTS_WORKER_POSTAL_YEAR_PAIRS,
    ]
    built = _cells()
    kept = {cell for cell in built if cell[0] not in added}

    def forget_added() -> None:  # as after an upgrade adding these kinds: neither counted nor declared built
        StatCell.objects.filter(kind__in=added).delete()
        state = RollupState.objects.get()
        state.kinds = [kind for kind in state.kinds if kind not in added]
        state.save(update_fields=["kinds"])

    forget_added()
    assert not _used_rollup(Params("persons", ["quarter", "sex"]), world["scope"])
    assert not _used_rollup(Params("persons", ["mode", "sex", "year"]), world["scope"])
    out = StringIO()
    call_command("casework_rollups", stdout=out)
    assert f"Roll-ups of kinds {sorted(added)} counted (kinds missing)" in out.getvalue()
    assert _cells() == built
    assert set(RollupState.objects.get().kinds) == set(rollups.KINDS)
    assert _used_rollup(Params("persons", ["quarter", "sex"]), world["scope"])
    assert _used_rollup(Params("persons", ["mode", "sex", "year"]), world["scope"])
    forget_added()
    # The other kinds stay as they are (their cells are not recounted: changed by hand here, they stay changed).
    StatCell.objects.filter(kind=rollups.REQUESTS).update(n=-1)
    rollups_rebuild.rebuild(kinds=added, engine="duckdb")
    assert {cell for cell in _cells() if cell[0] in added} == built - kept
    assert StatCell.objects.filter(kind=rollups.REQUESTS).exclude(n=-1).count() == 0
    assert set(RollupState.objects.get().kinds) == set(rollups.KINDS)


def test_rollups_are_not_read_before_they_are_built_nor_after_a_layout_change(world):
    scope = world["scope"]
    params = Params("followups", ["mode", "year"])
    assert _used_rollup(params, scope)
    RollupState.objects.update(version=rollups.VERSION + 1)
    assert not _used_rollup(params, scope)
    assert build(params, scope).tables[0].total == FollowUp.objects.count()


def test_by_code_cells_can_be_built_for_some_axes_only(world, monkeypatch):
    scope = world["scope"]
    rollups_rebuild.rebuild(axes=["theme"])
    by_theme = Params("persons", ["theme1", "year"])
    by_stage = Params("persons", ["stage1", "year"])
    assert _used_rollup(by_theme, scope)
    assert not _used_rollup(by_stage, scope)
    case_file = world["files"][3]
    worker = world["workers"][case_file.organisation_id][0]
    services.record_follow_up(
        worker,
        case_file,
        services.FollowUpData(date=datetime.date(2025, 2, 3), mode="phone", worker=worker),
        [services.RequestData(world["themes"][4])],
    )
    for params in (by_theme, by_stage):
        assert _figures(build(params, scope)) == _raw(params, scope, monkeypatch), params

    def read(cell: tuple) -> bool:  # cells of another axis than the theme are neither built nor read
        dimensions = set(rollups.SETS[cell[0]][cell[1]].dimensions) & set(rollups.CODE_DIMENSIONS)
        return dimensions <= {"theme1", "theme2"}

    kept = {cell for cell in _cells() if read(cell)}
    rollups_rebuild.rebuild(axes=["theme"])
    assert kept == {cell for cell in _cells() if read(cell)}


def test_follow_ups_coded_in_a_version_published_after_the_build_are_kept_exactly(world, monkeypatch):
    from maillage.taxonomy import services as taxonomy
    from maillage.taxonomy.models import Category, Scheme
    from maillage.taxonomy.queries import active_categories

    scope = world["scope"]
    case_file = world["files"][5]
    worker = world["workers"][case_file.organisation_id][1]

    def record(theme: Category) -> None:
        services.record_follow_up(
            worker,
            case_file,
            services.FollowUpData(date=datetime.date(2025, 3, 4), mode="email", worker=worker),
            [services.RequestData(theme)],
        )

    built = active_categories("request-themes").filter(level=2).first()
    assert built is not None
    record(built)  # the codes of the version in force are read (and kept for the next writes)
    draft = taxonomy.create_draft(None, Scheme.objects.get(code="request-themes"), title="v3")
    taxonomy.publish_version(None, draft)
    newer = Category.objects.get(version=draft, code=built.code)
    record(newer)  # a category the cells' version knows through the mapping only
    params = Params("followups", ["theme2", "mode"], versions={"theme": built.version.number})
    assert _used_rollup(params, scope)
    figures = _figures(build(params, scope))
    assert figures == _raw(params, scope, monkeypatch)
    assert figures[("", built.code, "email")] >= 2


def test_the_daily_command_rebuilds_only_outdated_rollups(world: dict[str, Any]) -> None:
    from io import StringIO

    from django.core.management import call_command

    def run() -> str:
        out = StringIO()
        call_command("casework_rollups", stdout=out)
        return out.getvalue()

    built = _cells()
    first = RollupState.objects.get()
    assert "up to date" in run()
    assert RollupState.objects.get().built_at == first.built_at

    # A version published after the build: the by-code cells hold old codes, the command recounts.
    RollupState.objects.update(axis_versions={**first.axis_versions, "theme": first.axis_versions["theme"] - 1})
    StatCell.objects.all().delete()
    assert "Roll-ups rebuilt (a new category version is in force)" in run()
    assert _cells() == built
    assert rollups.available()


def test_the_duckdb_recount_of_a_database_without_case_work_counts_no_cell(db, casework_schemes):
    # A new installation: no follow-up yet (DuckDB cannot read the empty copy of the rows: nothing is read).
    rollups_rebuild.rebuild(engine="duckdb")
    assert StatCell.objects.count() == 0
    assert rollups.available()
    assert RollupState.objects.get().kinds == sorted(rollups.KINDS)
