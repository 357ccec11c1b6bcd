"""Cross-tab comparisons aligned on time buckets, a filter on every dimension, and what the page and exports
say about the table: every figure counted again here from the raw rows."""

from __future__ import annotations

import csv
import datetime
import io
import random
from collections import Counter
from typing import Any

import pytest
from django.urls import reverse

from maillage.casework.models import FollowUp, Request
from maillage.core.models import Commune, Role
from maillage.stats.crosstab import FILTER_DIMENSIONS, TOTAL, Params, Scope, build
from tests.casework.factories import (
    CaseFileFactory,
    FollowUpFactory,
    PersonFactory,
    RequestFactory,
    SubsidyFactory,
    category,
)
from tests.conftest import client_for
from tests.factories import OrganisationFactory, member

THEMES = ["FOOD.PARCEL", "FOOD.MEALS", "HOUSING.RENT", "INCOME.DEBT", "MENTAL.DISTRESS"]


@pytest.fixture(autouse=True)
def _english(settings):  # type: ignore[no-untyped-def]
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with translation.override("en"):
        yield


@pytest.fixture
def world(db: None) -> dict[str, Any]:
    """A centre's follow-ups over 2023–2025 with every dimension varied; another centre's rows besides."""
    from maillage.casework.schemes import ensure_casework_schemes

    ensure_casework_schemes()
    rng = random.Random(23)
    centre = OrganisationFactory(short_name="Centre")
    workers = [member(Role.WORKER, centre, full_name=f"Worker {i}", language="en") for i in range(2)]
    subsidies = [SubsidyFactory(), SubsidyFactory()]
    commune = Commune.objects.get(nis_code="21001")
    themes = [category("request-themes", code) for code in THEMES]
    institutions = [None, *list(category_pick("institution-concerned", rng, 3))]
    stages = [None, *list(category_pick("request-stage", rng, 2))]
    persons = [
        PersonFactory(
            organisation=centre,
            reference=f"P-{i:06d}",
            sex=rng.choice("fmx"),
            postal_code=rng.choice(["1000", "1070", ""]),
            commune=rng.choice([None, commune]),
            household=rng.choice(["single", "couple"]),
            income_source=rng.choice(["work", "integration"]),
            nationality_group=rng.choice(["be", "non_eu"]),
        )
        for i in range(10)
    ]
    files = [CaseFileFactory(person=p) for p in persons]
    for _ in range(120):
        follow_up = FollowUpFactory(
            case_file=rng.choice(files),
            worker=rng.choice(workers),
            mode=rng.choice(["phone", "walk_in", "appointment"]),
            age_band=rng.choice(["18-24", "35-44"]),
            subsidy=rng.choice([None, *subsidies]),
            date=datetime.date(rng.choice([2023, 2024, 2025]), rng.randint(1, 12), rng.randint(1, 28)),
        )
        for _ in range(rng.choice([1, 1, 2])):
            RequestFactory(
                follow_up=follow_up,
                theme=rng.choice(themes),
                institution=rng.choice(institutions),
                stage=rng.choice(stages),
            )
    other = OrganisationFactory(short_name="Ailleurs")
    RequestFactory(follow_up=FollowUpFactory(case_file=CaseFileFactory(person=PersonFactory(organisation=other))))
    return {"centre": centre, "workers": workers}


def category_pick(scheme: str, rng: random.Random, count: int) -> list:
    from maillage.taxonomy.queries import active_categories

    return rng.sample(list(active_categories(scheme).filter(level=2).order_by("code")), count)


def _month(day: datetime.date) -> str:
    return day.replace(day=1).isoformat()


def _quarter(day: datetime.date) -> str:
    return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1).isoformat()


def test_each_month_is_compared_with_the_month_before_without_a_column_of_its_own(world):
    centre = world["centre"]
    params = Params(
        measure="followups",
        dimensions=["mode", "month"],
        date_from=datetime.date(2025, 1, 1),
        date_to=datetime.date(2025, 3, 31),
        compare="previous",
    )
    result = build(params, Scope([centre.pk]))
    table = result.tables[0]
    rows = list(FollowUp.objects.filter(organisation=centre).values_list("mode", "date"))
    now = Counter(
        (mode, _month(day)) for mode, day in rows if datetime.date(2025, 1, 1) <= day <= datetime.date(2025, 3, 31)
    )
    # The month before each month: December 2024 lands on January 2025, and so on.
    before = Counter(
        (mode, _month(day.replace(day=1) + datetime.timedelta(days=32)))
        for mode, day in rows
        if datetime.date(2024, 12, 1) <= day <= datetime.date(2025, 2, 28)
    )
    assert table.col_keys == ["2025-01-01", "2025-02-01", "2025-03-01"]
    assert {cell: n for cell, n in table.cells.items() if n} == dict(now)
    assert {cell: n for cell, n in (table.previous or {}).items() if n} == dict(before)
    assert result.previous_range == (datetime.date(2024, 12, 1), datetime.date(2025, 2, 28))
    assert result.compared_bucket == "month"


def test_each_quarter_is_compared_with_the_same_quarter_a_year_before(world):
    centre = world["centre"]
    params = Params(
        measure="requests",
        dimensions=["quarter"],
        date_from=datetime.date(2025, 1, 1),
        date_to=datetime.date(2025, 6, 30),
        compare="year",
    )
    result = build(params, Scope([centre.pk]))
    table = result.tables[0]
    days = list(Request.objects.filter(organisation=centre).values_list("date", flat=True))
    now = Counter(_quarter(d) for d in days if datetime.date(2025, 1, 1) <= d <= datetime.date(2025, 6, 30))
    year_before = Counter(
        _quarter(d.replace(year=2025)) for d in days if datetime.date(2024, 1, 1) <= d <= datetime.date(2024, 6, 30)
    )
    assert table.row_keys == ["2025-01-01", "2025-04-01"]
    assert {row: table.value(row, TOTAL) for row in table.row_keys} == dict(now)
    assert {row: n for (row, _col), n in (table.previous or {}).items()} == dict(year_before)
    assert result.row_labels == {"2025-01-01": "2025 Q1", "2025-04-01": "2025 Q2"}


def test_a_period_without_time_dimension_is_compared_with_the_same_period_a_year_before(world):
    centre = world["centre"]
    params = Params(
        measure="followups",
        dimensions=["sex"],
        date_from=datetime.date(2025, 3, 1),
        date_to=datetime.date(2025, 8, 31),
        compare="year",
    )
    result = build(params, Scope([centre.pk]))
    rows = list(FollowUp.objects.filter(organisation=centre).values_list("person__sex", "date"))
    before = Counter(sex for sex, d in rows if datetime.date(2024, 3, 1) <= d <= datetime.date(2024, 8, 31))
    assert result.previous_range == (datetime.date(2024, 3, 1), datetime.date(2024, 8, 31))
    assert {row: n for (row, _col), n in (result.tables[0].previous or {}).items() if n} == dict(before)


def _value(request: Request, key: str) -> str | None:
    follow_up = request.follow_up
    person = follow_up.person
    return {
        "theme1": request.theme.top.code,
        "theme2": request.theme.code,
        "institution1": request.institution.top.code if request.institution else None,
        "institution2": request.institution.code if request.institution else None,
        "stage1": request.stage.top.code if request.stage else None,
        "stage2": request.stage.code if request.stage else None,
        "age_band": follow_up.age_band,
        "sex": person.sex,
        "postal_code": person.postal_code,
        "commune": str(person.commune_id) if person.commune_id else None,
        "household": person.household,
        "income_source": person.income_source,
        "nationality_group": person.nationality_group,
        "mode": follow_up.mode,
        "worker": str(follow_up.worker_id),
        "subsidy": str(follow_up.subsidy_id) if follow_up.subsidy_id else None,
        "centre": str(request.organisation_id),
    }[key]


def test_a_filter_on_every_dimension_equals_an_independent_count(world):
    centre = world["centre"]
    requests = list(
        Request.objects.filter(organisation=centre).select_related(
            "theme__parent", "institution__parent", "stage__parent", "follow_up__person"
        )
    )
    assert sorted(FILTER_DIMENSIONS) == sorted(
        [
            "theme1",
            "theme2",
            "institution1",
            "institution2",
            "stage1",
            "stage2",
            "age_band",
            "sex",
            "postal_code",
            "commune",
            "household",
            "income_source",
            "nationality_group",
            "mode",
            "worker",
            "subsidy",
            "centre",
        ]
    )
    for key in FILTER_DIMENSIONS:
        values = Counter(_value(r, key) for r in requests)
        wanted = sorted(v for v in values if v)[:2]  # two values: a filter keeps either
        for measure in ("requests", "followups"):
            result = build(Params(measure=measure, dimensions=["year"], filters={key: wanted}), Scope([centre.pk]))
            kept = [r for r in requests if _value(r, key) in wanted]
            if measure == "requests":
                expected = Counter(str(r.date.year) for r in kept)
            else:
                expected = Counter(str(d.year) for d in {r.follow_up_id: r.follow_up.date for r in kept}.values())
            got = {row: result.tables[0].value(row, TOTAL) for row in result.tables[0].row_keys}
            assert got == dict(expected), (key, measure)
        assert [k for k, _label, _values in result.filter_labels] == [key]


@pytest.fixture
def worker_client(world):  # type: ignore[no-untyped-def]
    return client_for(world["workers"][0])


def _csv(response: Any) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_the_page_and_the_exports_say_period_filters_version_and_percentages(world, worker_client):
    centre = world["centre"]
    query = {
        "run": "1",
        "centre": centre.pk,
        "measure": "requests",
        "rows": "theme1",
        "columns": "sex",
        "date_from": "2025-01-01",
        "date_to": "2025-12-31",
        "percent": "row",
        "compare": "previous",
        "f_mode": ["phone", "walk_in"],
        "f_postal_code": "1000, 1070",
    }
    response = worker_client.get(reverse("stats:casework_crosstab"), query)
    assert response.status_code == 200
    description = dict(response.context["description"])
    assert description == {
        "Measure": "Requests",
        "Dimensions": "Theme (level 1) × Sex / gender",
        "Period": "2025-01-01 – 2025-12-31",
        "Compared with": "the period before, 2024-01-01 – 2024-12-31",
        "Filters": "Postal code: 1000, 1070; Mode: Phone, Walk-in",
        "Categories read in": description["Categories read in"],
        "Shown": "Share of the row (%)",
    }
    assert description["Categories read in"].startswith("Request themes: version 1 (in force, published ")
    # Each chosen value can be taken away on its own.
    chosen = dict(response.context["active_filters"])
    assert [label for label, _url in chosen["Mode"]] == ["Phone", "Walk-in"]
    removed = worker_client.get(reverse("stats:casework_crosstab") + chosen["Mode"][0][1])
    assert removed.context["result"].params.filters == {"postal_code": ["1000", "1070"], "mode": ["walk_in"]}
    page = response.content.decode()
    assert "Request themes: version 1" in page
    # The CSV opens with the same block and keeps the chosen percentages and the comparison.
    rows = _csv(worker_client.get(reverse("stats:casework_crosstab"), {**query, "export": "csv"}))
    assert rows[: len(description)] == [[label, text] for label, text in response.context["description"]]
    result = response.context["result"]
    table = result.tables[0]
    headers = rows[len(description) + 2]
    first_col = result.col_labels[table.col_keys[0]]
    assert headers[:5] == [
        "Theme (level 1) × Sex / gender",
        first_col,
        f"{first_col} (%)",
        f"{first_col} (compared)",
        f"{first_col} (difference)",
    ]
    first_row = rows[len(description) + 3]
    row_key, col_key = table.row_keys[0], table.col_keys[0]
    before = (table.previous or {}).get((row_key, col_key), 0)
    assert first_row[:5] == [
        result.row_labels[row_key],
        str(table.value(row_key, col_key)),
        str(result.percent(table, row_key, col_key) or "").replace(".", ","),
        str(before),
        str(table.value(row_key, col_key) - before),
    ]


def test_a_bad_filter_or_an_unknown_version_is_explained_next_to_its_field(world, worker_client):
    response = worker_client.get(
        reverse("stats:casework_crosstab"),
        {"run": "1", "measure": "requests", "rows": "theme1", "f_postal_code": "10000", "institution_version": "9"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "f_postal_code": ["A postal code has four digits: 10000."],
        "institution_version": ["There is no version 9 of Institution concerned."],
    }
    assert response.context["result"] is None


def test_a_saved_report_keeps_its_filters_versions_and_comparison(world, worker_client):
    centre = world["centre"]
    worker = world["workers"][1]
    settings = {
        "measure": "requests",
        "rows": "stage1",
        "columns": "quarter",
        "date_from": "2025-01-01",
        "date_to": "2025-06-30",
        "compare": "year",
        "stage_version": "1",
        "f_worker": [str(worker.pk)],
        "f_postal_code": "1070",
        "percent": "column",
    }
    saved = worker_client.post(reverse("stats:casework_report_save"), {**settings, "name": "Étapes"})
    assert saved.status_code == 302
    report = centre.saved_reports.get()
    assert report.params["filters"] == {"postal_code": ["1070"], "worker": [str(worker.pk)]}
    assert (report.params["versions"], report.params["compare"]) == ({"stage": 1}, "year")
    reopened = worker_client.get(
        worker_client.get(reverse("stats:casework_crosstab"), {"report": report.pk})["Location"]
    )
    result = reopened.context["result"]
    assert result.params.to_json() == report.params
    kept = [
        r
        for r in Request.objects.filter(organisation=centre).select_related("stage__parent", "follow_up__person")
        if r.follow_up.worker_id == worker.pk
        and r.follow_up.person.postal_code == "1070"
        and datetime.date(2025, 1, 1) <= r.date <= datetime.date(2025, 6, 30)
    ]
    expected = Counter(((r.stage.top.code if r.stage else ""), _quarter(r.date)) for r in kept)
    assert {cell: n for cell, n in result.tables[0].cells.items() if n} == dict(expected)
    assert dict(reopened.context["description"])["Filters"] == f"Postal code: 1070; Worker: {worker}"
