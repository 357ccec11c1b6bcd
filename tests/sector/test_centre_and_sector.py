"""My centre and the sector: exact figures, hidden sector figures, quartiles, tenancy, bad input, exports."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from maillage.casework.models import Request
from maillage.sector.comparison import ABOVE_Q3, MIN_CENTRES
from maillage.sector.disclosure_bridge import describe_rule
from maillage.sector.models import KeptFigures, NetworkPattern
from tests.conftest import client_for
from tests.sector.conftest import YEAR, World, add_persons

URL = reverse("sector:centre")


def _page(client, world: World, **query):  # type: ignore[no-untyped-def]
    params = {"centre": world.ours.pk, "year": YEAR, "period": "year", **query}
    return client.get(URL, params)


def _comparison(response, code: str):  # type: ignore[no-untyped-def]
    for group in response.context["groups"]:
        for comparison in group["totals"]:
            if comparison.indicator.code == code:
                return comparison
        for item in group["comparisons"]:
            if item["comparison"].indicator.code == code:
                return item["comparison"]
    raise AssertionError(code)


def test_requests_by_theme_match_an_independent_count(world: World) -> None:
    response = _page(client_for(world.worker), world)
    assert response.status_code == 200
    theme = {line.key: line for line in _comparison(response, "requests.theme1").lines}
    food = Request.objects.filter(date__year=YEAR, theme__parent__code="FOOD")
    housing = Request.objects.filter(date__year=YEAR, theme__parent__code="HOUSING")
    assert theme["FOOD"].own == food.filter(organisation=world.ours).count() == 10
    assert theme["HOUSING"].own == housing.filter(organisation=world.ours).count() == 3
    # INCOME (1 in the sector) is hidden, so at least one other line is hidden too (else the total gives it);
    # every figure shown is the independent count.
    independent = {"FOOD": food.count(), "HOUSING": housing.count(), "INCOME": 1}
    assert independent == {"FOOD": 51, "HOUSING": 16, "INCOME": 1}
    assert theme["INCOME"].sector_state == "<5"
    assert [key for key, line in theme.items() if line.sector is None] in (
        ["FOOD", "HOUSING", "INCOME"],
        ["HOUSING", "INCOME"],
    )
    for key, line in theme.items():
        assert line.sector in (None, independent[key])
        assert line.sector_share in (None, round(100 * independent[key] / 68, 1))
    assert _comparison(response, "requests.theme1").sector_total_text == "68"
    assert theme["FOOD"].own_share == round(100 * 10 / 13, 1)
    # The centres' shares of FOOD: 50.0 (E), 57.1 (B), 76.9 (A), 77.8 (C), 90.0 (F), 100.0 (D)
    assert (theme["FOOD"].q1, theme["FOOD"].median, theme["FOOD"].q3) == (
        62.1,
        77.3,
        87.0,
    )  # inclusive quartiles, one decimal
    assert theme["FOOD"].position == "between the 1st quartile and the median"
    persons = _comparison(response, "persons").lines[0]
    assert (persons.own, persons.sector) == (13, 68)
    actions = {line.key: (line.own, line.sector) for line in _comparison(response, "followups.actions").lines}
    assert actions == {"information": (13, 68)}
    referral = {line.key: (line.own, line.sector) for line in _comparison(response, "followups.referral").lines}
    # Every follow-up of the sector in one category: the network's one pattern hides it (the report does too).
    assert referral == {"no": (13, None)}
    sex = {line.key: (line.own, line.own_share) for line in _comparison(response, "persons.sex").lines}
    assert sex == {"f": (13, 100.0)}


def test_a_small_sector_figure_is_hidden_never_zero(world: World) -> None:
    response = _page(client_for(world.coordinator), world)
    income = {line.key: line for line in _comparison(response, "requests.theme1").lines}["INCOME"]
    assert income.own == 0
    assert income.sector is None
    assert income.sector_share is None
    assert income.sector_state in {"<5", "x"}
    assert income.sector_text == income.sector_state


def test_where_the_centre_stands(world: World) -> None:
    add_persons(world.ours, world.worker, "FOOD.PARCEL", 40, day=__import__("datetime").date(YEAR, 6, 1))
    response = _page(client_for(world.worker), world)
    food = {line.key: line for line in _comparison(response, "requests.theme1").lines}["FOOD"]
    assert food.position == str(ABOVE_Q3)


def test_quartiles_need_five_centres(world: World) -> None:
    from maillage.casework.models import FollowUp

    for name in ("CSS D", "CSS E"):
        Request.objects.filter(organisation=world.centres[name]).delete()
        FollowUp.objects.filter(organisation=world.centres[name]).delete()
    response = _page(client_for(world.worker), world)
    theme = _comparison(response, "requests.theme1")
    assert theme.centres == 4 < MIN_CENTRES
    assert [line.median for line in theme.lines] == [None] * len(theme.lines)
    assert theme.quartiles_reason == (
        "Median and quartiles are shown only when at least 5 centres contribute (4 here)."
    )
    assert theme.quartiles_reason in response.content.decode()


def test_a_quarter_counts_only_its_months(world: World) -> None:
    import datetime

    # The plan's follow-ups are all in March; 20 more requests of CSS A in May.
    add_persons(world.ours, world.worker, "FOOD.PARCEL", 20, day=datetime.date(YEAR, 5, 5))
    client = client_for(world.worker)
    assert _comparison(_page(client, world, period="q1"), "requests").lines[0].sector == 68
    assert _comparison(_page(client, world, period="q2"), "requests").lines[0].sector == 20
    assert _comparison(_page(client, world, period="year"), "requests").lines[0].sector == 88
    q3 = _comparison(_page(client, world, period="q3"), "requests").lines[0]
    assert (q3.own, q3.sector) == (0, 0)


def test_another_organisation_gets_404(world: World) -> None:
    assert _page(client_for(world.outsider), world).status_code == 404
    assert _page(client_for(world.staff), world).status_code == 404


def test_no_other_centre_is_named(world: World) -> None:
    content = _page(client_for(world.worker), world).content.decode()
    assert [name for name in world.centres if name in content] == ["CSS A"]


@pytest.mark.parametrize(
    "query", [{"period": "t9"}, {"year": "abc"}, {"year": "1800"}, {"export": "doc"}, {"year": "99999999999999"}]
)
def test_bad_parameters_answer_400(world: World, query: dict) -> None:
    assert _page(client_for(world.worker), world, **query).status_code == 400


def test_query_count_does_not_grow_with_the_centres(world: World) -> None:
    client = client_for(world.worker)
    _page(client, world)  # sessions, language
    cache.clear()
    NetworkPattern.objects.all().delete()  # both pages choose the network's patterns anew
    KeptFigures.objects.all().delete()  # and count and protect every indicator (no kept figures)
    with CaptureQueriesContext(connection) as first:
        assert _page(client, world).status_code == 200
    from tests.factories import OrganisationFactory, member

    for name in ("CSS G", "CSS H", "CSS I"):
        centre = OrganisationFactory(short_name=name)
        add_persons(centre, member("worker", centre), "HOUSING.SEARCH", 3, day=__import__("datetime").date(YEAR, 3, 3))
    cache.clear()
    NetworkPattern.objects.all().delete()
    KeptFigures.objects.all().delete()
    with CaptureQueriesContext(connection) as second:
        assert _page(client, world).status_code == 200
    assert len(second) == len(first)
    with CaptureQueriesContext(connection) as warm:
        assert _page(client, world).status_code == 200
    assert len(warm) < 30


def test_csv_export_says_period_versions_and_rule(world: World) -> None:
    response = _page(client_for(world.worker), world, export="csv", sep="comma")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    assert "Whole year 2025 (01/01/2025–31/12/2025)" in text
    assert describe_rule() in text
    assert "Category versions" in text
    lines = text.splitlines()
    food = next(line for line in lines if line.startswith("Requests by theme (level 1),FOOD — Food aid,"))
    own, share, sector, sector_share, q1, median, q3 = food.split(",")[2:9]
    assert (own, share, q1, median, q3) == ("10", "76.9", "62.1", "77.3", "87.0")
    assert (sector, sector_share) in {("51", "75.0"), ("x", "")}


def test_xlsx_export_has_the_figures_and_what_they_are(world: World) -> None:
    from openpyxl import load_workbook

    response = _page(client_for(world.worker), world, export="xlsx")
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames == ["Figures", "About these figures"]
    about = {row[0]: row[1] for row in workbook["About these figures"].iter_rows(min_row=2, values_only=True)}
    assert about["Disclosure rule"] == describe_rule()
    assert about["Centre"] == "CSS A"


def test_pdf_export(world: World) -> None:
    response = _page(client_for(world.worker), world, export="pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_the_sector_minus_my_centre_singles_out_nobody(world: World) -> None:
    """INCOME: CSS A has 10, CSS F has 1. Showing the sector's 11 to CSS A would give CSS F's 1 by subtraction:
    the disclosure engine is told CSS A's own figures, and hides it."""
    import datetime

    add_persons(world.ours, world.worker, "INCOME.BENEFITS", 10, day=datetime.date(YEAR, 2, 2))
    response = _page(client_for(world.worker), world)
    income = {line.key: line for line in _comparison(response, "requests.theme1").lines}["INCOME"]
    assert income.own == 10
    assert income.sector is None
    assert income.sector_state in {"<5", "x"}


def test_the_profile_scan_of_a_quarter_is_the_engines_count(world: World) -> None:
    """Quarters and four-month periods read the five profile variables in one scan (not rolled up); pinned to
    the cross-tab engine's distinct counts."""
    import datetime

    from maillage.sector import counts
    from maillage.sector.periods import Period

    add_persons(world.ours, world.worker, "FOOD.PARCEL", 3, day=datetime.date(YEAR, 2, 2), sex="m")
    ids = counts.sector_centres()
    for key in ("q1", "t1", "q4"):
        period = Period(YEAR, key)
        scanned = counts._profile_scan(period, ids, None)
        for variable in counts.PROFILE_COLUMNS:
            indicator = counts.INDICATORS[f"persons.{variable}"]
            assert scanned[variable] == counts._grouped_counts(indicator, period, ids, None).by_centre
    assert counts._profile_scan(Period(YEAR, "q1"), ids, None)["sex"][world.ours.pk] == {"f": 13, "m": 3}
