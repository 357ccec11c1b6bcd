"""The four ways hidden cells of the sector extraction were recovered, tried again through the pages as
federation staff: everything the pages print, put together, must leave every hidden cell its protection
interval (the LP audit of `maillage.stats.disclosure.audit_figures` over all the figures read)."""

from __future__ import annotations

import datetime
import itertools
import random
from typing import Any

import pytest
from django.urls import reverse

from maillage.casework.models import Request
from maillage.stats.disclosure import GRID, TOTAL, Rule, audit_figures
from tests.casework.factories import CaseFileFactory, FollowUpFactory, PersonFactory, category
from tests.conftest import client_for

THEMES = {"FOOD": "FOOD.PARCEL", "HOUSING": "HOUSING.RENT", "INCOME": "INCOME.DEBT", "FOREIGN": "FOREIGN.RESIDENCE"}
MODES = ["phone", "walk_in", "appointment"]
MONTHS = [f"{year}-{month:02d}" for year in (2024, 2025) for month in range(1, 13)]
RULE = Rule(k=5)
Base = tuple[str, str, str]  # (month, theme level 1, mode)


@pytest.fixture(autouse=True)
def _english(settings):  # type: ignore[no-untyped-def]
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with translation.override("en"):
        yield


@pytest.fixture
def requests_2024_2025(organisation, federation_staff):  # type: ignore[no-untyped-def]
    """Requests of one member centre by month, theme and mode: many small cells in a quarter, fewer in a year."""
    from maillage.casework.schemes import ensure_casework_schemes

    ensure_casework_schemes()
    rng = random.Random(13)
    themes = {key: category("request-themes", code) for key, code in THEMES.items()}
    case_file = CaseFileFactory(person=PersonFactory(organisation=organisation))
    requests = []
    for month, mode in itertools.product(MONTHS, MODES):
        day = datetime.date(int(month[:4]), int(month[5:]), 10)
        follow_up = FollowUpFactory(case_file=case_file, mode=mode, date=day)
        for key in THEMES:
            for _ in range(rng.choice([0, 1, 1, 2, 3, 4, 6])):
                requests.append(Request(follow_up=follow_up, organisation=organisation, date=day, theme=themes[key]))
    Request.objects.bulk_create(requests)
    return client_for(federation_staff)


def page(client: Any, **asked: str) -> Any:
    query = {"run": "1", "measure": "requests", "rows": "theme1", "year": "2025", **asked}
    response = client.get(reverse("stats:casework_sector"), query)
    assert response.status_code == 200
    assert response.context["error"] == "", response.context["error"]
    return response


def _months(year: int, key: str) -> list[str]:
    first, last = GRID[key]
    return [f"{year}-{m:02d}" for m in range(first, last + 1)]


def _base(months: list[str], theme: str, mode: str) -> list[Base]:
    return [
        (m, t, o)
        for m in months
        for t in (THEMES if theme == TOTAL else [theme])
        for o in (MODES if mode == TOTAL else [mode])
    ]


def _shown(text: str) -> int | str:
    return int(text) if text.isdigit() else text


def figures(
    response: Any, months: list[str], previous_months: list[str] | None = None
) -> list[tuple[list[Base], int | str]]:
    """Every count the page prints, as the base cells it sums and what it shows ("<5", "x" when hidden)."""
    result = response.context["result"]
    params = result.params
    dims = params.dimensions
    fixed = {key: values[0] for key, values in params.filters.items() if values}
    row_keys, col_keys = list(result.row_labels), list(result.col_labels)
    out: list[tuple[list[Base], int | str]] = []

    def base(coords: dict[str, str], period: list[str]) -> list[Base]:
        coords = {**fixed, **coords}
        return _base(period, coords.get("theme1", TOTAL), coords.get("mode", TOTAL))

    for grid in response.context["grids"]:
        for row, (_label, cells, row_total) in zip(row_keys, grid.rows, strict=True):
            for col, cell in zip(col_keys, cells, strict=True):
                coords = {dims[0]: row, **({dims[1]: col} if len(dims) > 1 else {})}
                out.append((base(coords, months), _shown(cell.text)))
                if previous_months is not None:
                    out.append((base(coords, previous_months), _shown(cell.previous)))
                    hidden = not cell.text.isdigit() or not str(cell.previous).isdigit()
                    assert (cell.delta is None) == hidden  # a difference is shown only between two shown counts
            out.append((base({dims[0]: row}, months), _shown(row_total)))
        for col, total in zip(col_keys, grid.totals, strict=True):
            out.append((base({dims[1]: col} if len(dims) > 1 else {}, months), _shown(total)))
        out.append((base({}, months), _shown(grid.total)))
    return out


def assert_nothing_recovered(collected: list[tuple[list[Base], int | str]]) -> None:
    hidden = [text for _cells, text in collected if not isinstance(text, int)]
    assert hidden, "the attack needs hidden cells to try"
    assert all(not isinstance(t, int) or not 1 <= t <= 4 for _c, t in collected)
    intervals = audit_figures(collected, rule=RULE, refuse=False)
    assert [i for i in intervals if not i.holds(RULE)] == []
    assert min(i.width for i in intervals) >= RULE.p


@pytest.mark.django_db
def test_the_compare_view_no_longer_gives_a_hidden_cell_by_subtraction(requests_2024_2025) -> None:
    client = requests_2024_2025
    collected = []
    for key, earlier in [("year", _months(2024, "year")), ("q1", _months(2024, "q4")), ("t2", _months(2025, "t1"))]:
        response = page(client, columns="mode", period=key, compare="previous")
        collected += figures(response, _months(2025, key), earlier)
    for key in GRID:  # the earlier periods read on their own agree with the compare view
        collected += figures(page(client, columns="mode", year="2024", period=key), _months(2024, key))
    assert_nothing_recovered(collected)


@pytest.mark.django_db
def test_filtering_on_one_value_no_longer_reveals_the_cells_hidden_as_x(requests_2024_2025) -> None:
    client = requests_2024_2025
    months = _months(2025, "year")
    collected = figures(page(client, columns="mode"), months)
    for mode in MODES:
        collected += figures(page(client, f_mode=mode), months)
    for theme in THEMES:
        collected += figures(page(client, rows="mode", f_theme1=theme), months)
    assert_nothing_recovered(collected)


@pytest.mark.django_db
def test_the_one_way_table_no_longer_gives_a_hidden_cell_against_the_two_way_row_totals(requests_2024_2025) -> None:
    client = requests_2024_2025
    collected = []
    for key in ("year", "q2"):
        months = _months(2025, key)
        collected += figures(page(client, columns="mode", period=key), months)
        collected += figures(page(client, period=key), months)
        collected += figures(page(client, rows="mode", period=key), months)
    assert_nothing_recovered(collected)


@pytest.mark.django_db
def test_overlapping_periods_are_refused_and_the_grid_gives_nothing_away(requests_2024_2025) -> None:
    client = requests_2024_2025
    free = client.get(
        reverse("stats:casework_sector"),
        {"run": "1", "measure": "requests", "rows": "theme1", "date_from": "2025-01-01", "date_to": "2025-06-30"},
    )
    assert (free.status_code, free.context["grids"]) == (200, [])
    assert free.context["error"] == (  # federation staff read French
        "Les chiffres partagés sont donnés par année, quadrimestre ou trimestre, pas pour des dates libres."
    )
    assert client.get(reverse("stats:casework_sector"), {"run": "1", "period": "h1"}).status_code == 400
    collected = []
    for key in GRID:  # every period of the grid, January–April against the first quarter and so on
        collected += figures(page(client, columns="mode", period=key), _months(2025, key))
    assert_nothing_recovered(collected)


@pytest.mark.django_db
def test_shares_of_the_row_are_given_on_protected_cells_and_hidden_with_them(requests_2024_2025) -> None:
    response = page(requests_2024_2025, columns="mode", percent="row")
    seen_hidden = seen_shown = False
    for _label, cells, row_total in response.context["grids"][0].rows:
        for cell in cells:
            if cell.text.isdigit() and row_total.isdigit() and int(row_total):
                assert cell.percent == round(100 * int(cell.text) / int(row_total), 1)
                seen_shown = True
            else:
                assert cell.percent is None
                seen_hidden = True
    assert (seen_hidden, seen_shown) == (True, True)
    assert "±5" in response.context["description"][-1][1]  # the rule is written with the figures
