"""The case-work cross-tab: figures equal those counted independently here, in Python."""

from __future__ import annotations

import datetime
import random
from collections import Counter

import pytest
from django.urls import reverse

from maillage.casework.models import FollowUp, Request
from maillage.core.models import AuditEntry, Role
from maillage.stats.crosstab import Params, Scope, build, suppressed_table
from maillage.stats.disclosure import TOTAL, Rule, protect
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
from tests.stats.test_disclosure_labels import reader_interval

THEMES = ["FOOD.PARCEL", "FOOD.MEALS", "HOUSING.RENT", "FOREIGN.RESIDENCE", "INCOME.DEBT"]


@pytest.fixture(autouse=True)
def _english(settings):  # type: ignore[no-untyped-def]
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast test users
    with translation.override("en"):
        yield


@pytest.fixture
def worker(organisation):  # type: ignore[no-untyped-def]
    return member(Role.WORKER, organisation, full_name="Awa Worker", language="en")


@pytest.fixture
def schemes(db):  # type: ignore[no-untyped-def]
    from maillage.casework.schemes import ensure_casework_schemes

    return ensure_casework_schemes()


@pytest.fixture
def seeded(schemes, organisation, worker):  # type: ignore[no-untyped-def]
    rng = random.Random(7)
    themes = {code: category("request-themes", code) for code in THEMES}
    persons = [
        PersonFactory(organisation=organisation, sex=rng.choice("fmx"), reference=f"P-{i:06d}") for i in range(12)
    ]
    files = [CaseFileFactory(person=p) for p in persons]
    for _ in range(60):
        follow_up = FollowUpFactory(
            case_file=rng.choice(files),
            worker=worker,
            mode=rng.choice(["phone", "walk_in", "appointment"]),
            date=datetime.date(2024, rng.randint(1, 12), rng.randint(1, 28)),
        )
        for code in rng.sample(THEMES, rng.randint(1, 2)):
            RequestFactory(follow_up=follow_up, theme=themes[code])
    # Another centre's rows must never be counted.
    other = OrganisationFactory(short_name="Ailleurs")
    RequestFactory(follow_up=FollowUpFactory(case_file=CaseFileFactory(person=PersonFactory(organisation=other))))
    return organisation


def test_requests_by_theme_level1_and_sex_equal_an_independent_count(seeded):
    result = build(Params(measure="requests", dimensions=["theme1", "sex"]), Scope([seeded.pk]))
    expected = Counter(
        (r.theme.parent.code, r.follow_up.case_file.person.sex)
        for r in Request.objects.filter(organisation=seeded).select_related(
            "theme__parent", "follow_up__case_file__person"
        )
    )
    table = result.tables[0]
    assert {key: value for key, value in table.cells.items() if value} == dict(expected)
    assert table.total == Request.objects.filter(organisation=seeded).count()


def test_persons_by_month_and_distinct_follow_ups_by_theme(seeded):
    result = build(
        Params(
            measure="persons",
            dimensions=["month"],
            date_from=datetime.date(2024, 4, 1),
            date_to=datetime.date(2024, 9, 30),
        ),
        Scope([seeded.pk]),
    )
    expected: dict[str, set[int]] = {}
    for f in FollowUp.objects.filter(
        organisation=seeded, date__range=(datetime.date(2024, 4, 1), datetime.date(2024, 9, 30))
    ).select_related("case_file"):
        expected.setdefault(f.date.replace(day=1).isoformat(), set()).add(f.case_file.person_id)
    assert {row: result.tables[0].value(row, "__total__") for row in result.tables[0].row_keys} == {
        month: len(persons) for month, persons in expected.items()
    }
    by_theme = build(Params(measure="followups", dimensions=["theme1"]), Scope([seeded.pk]))
    counted: dict[str, set[int]] = {}
    for r in Request.objects.filter(organisation=seeded).select_related("theme__parent"):
        counted.setdefault(r.theme.parent.code, set()).add(r.follow_up_id)
    assert {row: by_theme.tables[0].value(row, "__total__") for row in by_theme.tables[0].row_keys} == {
        code: len(ids) for code, ids in counted.items()
    }


@pytest.mark.parametrize("pages", [False, True])
def test_the_totals_of_a_distinct_count_are_distinct_counts_not_sums(seeded, pages):
    """12 persons followed over the year: the year's total is 12, not the sum of the months (a person followed
    in March and in May is one person); the same for the themes a person came for and for each mode."""
    dimensions = ["month", "theme1", "mode"] if pages else ["month", "theme1"]
    result = build(Params(measure="persons", dimensions=dimensions), Scope([seeded.pk]))
    requests = Request.objects.filter(organisation=seeded).select_related("theme__parent", "follow_up__case_file")
    seen = [(r.follow_up.date.replace(day=1).isoformat(), r.theme.parent.code, r.follow_up.mode,
             r.follow_up.case_file.person_id) for r in requests]  # fmt: skip
    for table in result.tables:
        labels = {"Mode: Phone": "phone", "Mode: Walk-in": "walk_in", "Mode: Appointment": "appointment"}
        mode = labels[table.title] if pages else None
        here = [s for s in seen if mode is None or s[2] == mode]
        assert table.total == len({s[3] for s in here})
        for month in table.row_keys:
            assert table.row_total(month) == len({s[3] for s in here if s[0] == month})
        for theme in table.col_keys:
            assert table.col_total(theme) == len({s[3] for s in here if s[1] == theme})
    if not pages:
        table = result.tables[0]
        assert table.total == 12
        assert sum(table.row_total(month) for month in table.row_keys) > 12  # the plain sum counted people twice
        row_shares = build(Params(measure="persons", dimensions=dimensions, percent="row"), Scope([seeded.pk]))
        march = row_shares.tables[0]
        for theme in march.col_keys:  # a share of the month's distinct persons
            expected = round(100 * march.value("2024-03-01", theme) / march.row_total("2024-03-01"), 1)
            assert row_shares.percent(march, "2024-03-01", theme) == expected


def test_percentages_and_comparison_with_previous_period(seeded):
    params = Params(
        measure="followups",
        dimensions=["mode"],
        date_from=datetime.date(2024, 7, 1),
        date_to=datetime.date(2024, 12, 31),
        percent="total",
        compare=True,
    )
    result = build(params, Scope([seeded.pk]))
    table = result.tables[0]
    now = Counter(FollowUp.objects.filter(organisation=seeded, date__gte="2024-07-01").values_list("mode", flat=True))
    before = Counter(FollowUp.objects.filter(organisation=seeded, date__lt="2024-07-01").values_list("mode", flat=True))
    assert result.previous_range == (datetime.date(2024, 1, 1), datetime.date(2024, 6, 30))
    assert {row: table.value(row, "__total__") for row in table.row_keys if table.value(row, "__total__")} == dict(now)
    assert table.previous == {(mode, "__total__"): count for mode, count in before.items()}
    assert result.percent(table, "phone", "__total__") == round(100 * now["phone"] / sum(now.values()), 1)


def test_small_cells_are_hidden_with_a_second_cell_in_their_row():
    from maillage.stats.crosstab import Table

    table = Table(
        "",
        ["a", "b"],
        ["x", "y", "z"],
        {("a", "x"): 3, ("a", "y"): 40, ("a", "z"): 12, ("b", "x"): 9, ("b", "y"): 7, ("b", "z"): 30},
    )
    # The rectangle a/b × x/z alone would leave a-z (12) at most 12 + 3 = 15 (within +5): each side of every
    # hidden cell must hold, so the whole of both rows is hidden. Against a reader who also uses what "<5"
    # means, a-x's label narrows its partners (b-x = column x − a-x), so it is shown "x" instead; the pattern
    # checked by an independent LP (tests/stats/test_disclosure_labels.reader_interval): every "x" keeps ±5.
    assert suppressed_table(table) == {
        ("a", "x"): "x",
        ("a", "y"): "x",
        ("a", "z"): "x",
        ("b", "x"): "x",
        ("b", "y"): "x",
        ("b", "z"): "x",
    }
    protected = protect(dict(table.cells), dims=["row", "column"])  # what suppressed_table prints, with margins

    def members(key: tuple[str, ...]) -> list[tuple[str, str]]:
        rows = ["a", "b"] if key[0] == TOTAL else [key[0]]
        return [(r, c) for r in rows for c in (["x", "y", "z"] if key[1] == TOTAL else [key[1]])]

    printed = [(members(key), protected.value(key) if protected.value(key) is not None else protected.state(key))
               for key in protected.cells()]  # fmt: skip
    for cells, state in printed:
        if state == "x":
            true = sum(table.cells.get(cell, 0) for cell in cells)
            low, high = reader_interval(printed, cells, Rule(k=5))
            assert low <= max(0, true - 5), (cells, low, high)
            assert high >= true + 5, (cells, low, high)


def test_crosstab_page_export_and_saved_report(seeded, worker, coordinator):
    client = client_for(worker)
    url = reverse("stats:casework_crosstab")
    response = client.get(url, {"run": "1", "measure": "requests", "rows": "theme1", "columns": "mode"})
    assert response.status_code == 200
    assert response.context["result"].tables[0].total == Request.objects.filter(organisation=seeded).count()
    export = client.get(url, {"run": "1", "measure": "requests", "rows": "theme1", "export": "csv"})
    assert export["Content-Type"] == "text/csv; charset=utf-8"
    lines = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()
    assert (
        lines[-1]
        == f"Total;{Request.objects.filter(organisation=seeded).count()};{Request.objects.filter(organisation=seeded).count()}"
    )
    assert AuditEntry.objects.filter(code="stats.crosstab.exported", actor=worker, organisation=seeded).count() == 1
    xlsx = client.get(url, {"run": "1", "measure": "requests", "rows": "theme1", "export": "xlsx"})
    assert b"".join(xlsx.streaming_content)[:2] == b"PK"
    saved = client.post(
        reverse("stats:casework_report_save"),
        {"measure": "requests", "rows": "theme1", "columns": "sex", "name": "Thèmes par sexe"},
    )
    assert saved.status_code == 302
    report = seeded.saved_reports.get()
    assert (report.name, report.params["dimensions"]) == ("Thèmes par sexe", ["theme1", "sex"])
    reopened = client.get(url, {"report": report.pk})
    assert reopened.status_code == 302
    assert client.get(reopened["Location"]).context["result"].dimension_labels == ["Theme (level 1)", "Sex / gender"]


def test_sector_extraction_is_for_federation_staff_with_small_cells_hidden(seeded, worker, federation_staff):
    assert client_for(worker).get(reverse("stats:casework_sector")).status_code == 404
    subsidy = SubsidyFactory(code="cocof-casg", name="COCOF CASG")
    FollowUp.objects.filter(organisation=seeded).update(subsidy=subsidy)
    response = client_for(federation_staff).get(
        reverse("stats:casework_sector"),
        {"run": "1", "measure": "followups", "rows": "sex", "subsidy": str(subsidy.pk), "year": "2024"},
    )
    assert response.status_code == 200
    assert response.context["error"] == ""
    grid = response.context["grids"][0]
    counts = Counter(FollowUp.objects.filter(subsidy=subsidy).values_list("case_file__person__sex", flat=True))
    assert grid.total == str(sum(counts.values()))
    assert all(
        cell.text != "0" and ((cell.text.isdigit() and int(cell.text) >= 5) or cell.text in {"<5", "x"})
        for _label, cells, _total in grid.rows
        for cell in cells
    )
    assert member(Role.WORKER).pk  # a worker elsewhere changes nothing


def test_statistics_read_in_either_version_of_the_themes(schemes, organisation, worker):
    from maillage.taxonomy import services as taxonomy
    from maillage.taxonomy.models import Category, Scheme

    v1_parcel = category("request-themes", "FOOD.PARCEL")
    v1_rent = category("request-themes", "HOUSING.RENT")
    case_file = CaseFileFactory(person=PersonFactory(organisation=organisation))
    RequestFactory(follow_up=FollowUpFactory(case_file=case_file, worker=worker), theme=v1_parcel)
    RequestFactory(follow_up=FollowUpFactory(case_file=case_file, worker=worker), theme=v1_rent)
    draft = taxonomy.create_draft(None, Scheme.objects.get(code="request-themes"), title="v2")
    Category.objects.get(version=draft, code="FOOD.PARCEL").delete()  # merged into the social grocery
    taxonomy.record_mapping(None, v1_parcel, Category.objects.get(version=draft, code="FOOD.SOCIALSHOP"))
    taxonomy.publish_version(None, draft)
    RequestFactory(
        follow_up=FollowUpFactory(case_file=case_file, worker=worker),
        theme=category("request-themes", "FOOD.SOCIALSHOP"),
    )
    scope = Scope([organisation.pk])
    in_v2 = build(Params(measure="requests", dimensions=["theme2"]), scope).tables[0]
    assert {k[0]: v for k, v in in_v2.cells.items()} == {"FOOD.SOCIALSHOP": 2, "HOUSING.RENT": 1}
    in_v1 = build(
        Params(measure="requests", dimensions=["theme2"], versions={"theme": v1_parcel.version.number}), scope
    ).tables[0]
    # Read back in version 1, the social grocery of version 2 may be a parcel or a grocery: a joined key.
    assert {k[0]: v for k, v in in_v1.cells.items()} == {
        "FOOD.PARCEL": 1,
        "FOOD.PARCEL+FOOD.SOCIALSHOP": 1,
        "HOUSING.RENT": 1,
    }
    by_top = build(Params(measure="requests", dimensions=["theme1", "quarter", "worker"]), scope)
    assert [t.title for t in by_top.tables] == ["Worker: Awa Worker"]
    assert by_top.col_labels == {"2024-01-01": "2024 Q1"}


def test_bad_parameters_are_explained(seeded, worker):
    from maillage.stats.crosstab import CrossTabError

    with pytest.raises(CrossTabError) as error:
        build(Params(measure="participants", dimensions=["postal_code"]), Scope([seeded.pk]))
    assert str(error.value) == "Postal code cannot be crossed with this measure."
    with pytest.raises(CrossTabError):
        build(Params(measure="nope", dimensions=["sex"]), Scope([seeded.pk]))
    with pytest.raises(CrossTabError):
        build(Params(measure="followups", dimensions=["sex", "sex"]), Scope([seeded.pk]))
    response = client_for(worker).get(
        reverse("stats:casework_crosstab"),
        {
            "run": "1",
            "measure": "participants",
            "rows": "postal_code",
            "date_from": "2024-05-01",
            "date_to": "2024-01-01",
            "compare": "on",
        },
    )
    assert response.context["form"].errors == {"date_to": ["The end of the period is before its start."]}
    response = client_for(worker).get(
        reverse("stats:casework_crosstab"), {"run": "1", "measure": "participants", "rows": "postal_code"}
    )
    assert response.context["error"] == "Postal code cannot be crossed with this measure."


def test_filters_and_three_dimensions(seeded):
    params = Params(
        measure="followups", dimensions=["mode", "sex", "year"], filters={"theme1": ["FOOD"], "mode": ["phone"]}
    )
    result = build(params, Scope([seeded.pk]))
    expected = Counter(
        (f.mode, f.case_file.person.sex)
        for f in FollowUp.objects.filter(organisation=seeded, mode="phone", requests__theme__parent__code="FOOD")
        .distinct()
        .select_related("case_file__person")
    )
    assert {k: v for k, v in result.tables[0].cells.items() if v} == dict(expected)
    assert Params.from_json(params.to_json()) == params


def test_saved_report_delete_and_sector_filter(seeded, worker, federation_staff, outsider_client):
    from maillage.casework.services import save_report

    report = save_report(worker, seeded, "Par mode", Params(measure="followups", dimensions=["mode"]).to_json())
    delete = reverse("stats:casework_report_delete", args=[report.pk])
    assert outsider_client.post(delete).status_code == 404
    assert client_for(worker).post(delete).status_code == 302
    assert seeded.saved_reports.count() == 0
    bad = client_for(worker).post(
        reverse("stats:casework_report_save"), {"measure": "followups", "rows": "mode", "name": ""}, follow=True
    )
    assert [str(m) for m in bad.context["messages"]] == [
        "The report could not be saved: give it a name and valid settings."
    ]
    assert "The report could not be saved: give it a name and valid settings." in bad.content.decode()  # shown
    response = client_for(federation_staff).get(
        reverse("stats:casework_sector"),
        {
            "run": "1",
            "measure": "followups",
            "rows": "sex",
            "sector": "casg",
            "year": "2024",
            "export": "csv",
            "sep": "comma",
        },
    )
    assert getattr(response, "context", None) is None or response.context["error"] == ""
    lines = b"".join(response.streaming_content).decode("utf-8").splitlines()
    assert lines[0] == "Mesure,Suivis"  # federation staff reads French; the table's description comes first
    assert lines[5].startswith("Règle de confidentialité,")  # the disclosure rule is written with the figures
    # Few follow-ups a month: the quarters and four-month periods of the year hide most of each sex's figures.
    assert lines[-1] == f"Total,{FollowUp.objects.count()},{FollowUp.objects.count()}"
    for line in lines[-4:-1]:
        label, count, total = line.split(",")
        assert label in {"Femme", "Homme", "Autre / non binaire"}
        assert count == total
        assert count in {"x", "<5"} or int(count) >= 5
    assert AuditEntry.objects.filter(code="stats.crosstab.exported", actor=federation_staff).count() == 1
