"""One protection pattern for the network's figures of a year: the annual report (shared with every centre)
and each centre's "my centre and the sector" page print the same states, so a coordinator who sets the two
side by side, with their own centre's figures, recovers no hidden cell. The pattern is stored, read the same
while its counts do not change, and chosen again when they do (never stale)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from maillage.casework.schemes import ensure_casework_schemes
from maillage.core.models import Organisation
from maillage.sector.comparison import comparisons
from maillage.sector.counts import sector_centres
from maillage.sector.models import DataYear, NetworkPattern
from maillage.sector.network_pattern import network_pattern, refresh_year
from maillage.sector.periods import Period
from maillage.sector.report import report_context
from maillage.stats.disclosure import TOTAL, Rule, audit_published, protect
from tests.factories import OrganisationFactory, member
from tests.sector.conftest import add_persons

YEAR = 2025
RULE = Rule(k=5)
DAY = datetime.date(YEAR, 3, 10)
# centre → level-2 theme → requests (one person, follow-up and request each). Energy: 9 in the network, 5 of
# them CSS A's — to CSS A the others' part is 4, a count the rule hides.
PLAN = {
    "CSS A": {"FOOD.PARCEL": 10, "ENERGY.BILLS": 5},
    "CSS B": {"FOOD.PARCEL": 6, "HOUSING.RENT": 6},
    "CSS C": {"FOOD.PARCEL": 6, "HOUSING.RENT": 6},
    "CSS D": {"FOOD.PARCEL": 6, "ENERGY.BILLS": 4},
    "CSS E": {"FOOD.PARCEL": 6},
    "CSS F": {"FOOD.PARCEL": 6},
}
THEMES = ("ENERGY.BILLS", "FOOD.PARCEL", "HOUSING.RENT")
CODE = "requests.theme2"


@pytest.fixture
def centres(db: None) -> dict[str, Organisation]:
    ensure_casework_schemes()
    out = {}
    for name, themes in PLAN.items():
        centre = OrganisationFactory(short_name=name)
        out[name] = centre
        worker = member("worker", centre, language="en")
        for theme, n in themes.items():
            add_persons(centre, worker, theme, n, day=DAY)
    return out


def _report_view() -> dict[str, str]:
    """The report's network figures of requests by theme (level 2): theme or TOTAL → "12" / "<5" / "x"."""
    context = report_context(YEAR, charts=False)
    block = next(b for b in context["parts"][0].blocks if b.comparison.indicator.code == CODE)
    out = {line.label.split(" — ")[0]: line.now for line in block.lines}
    return out | {TOTAL: block.comparison.sector_total_text}


def _page_view(centre: Organisation) -> dict[str, str]:
    """The same figures on the centre's page for the year."""
    found = comparisons(centre.pk, Period(YEAR), sector_centres(), codes=["requests", CODE])
    comparison = next(c for c in found if c.indicator.code == CODE)
    return {line.key: line.sector_text for line in comparison.lines} | {TOTAL: comparison.sector_total_text}


def _attack(name: str, report: dict[str, str], page: dict[str, str]) -> list[Any]:
    """What the coordinator of `name` works out from both views and their own counts: every figure hidden in
    either view that is printed in the other (recovered exactly), then the LP intervals of those hidden in
    both, each against the protection interval of the others' part."""
    recovered: list[Any] = [
        key for key in (*THEMES, TOTAL) if (report.get(key, "0").isdigit()) != (page.get(key, "0").isdigit())
    ]
    figures = {theme: [(theme, centre) for centre in PLAN] for theme in THEMES}
    figures[TOTAL] = [(theme, centre) for theme in THEMES for centre in PLAN]
    published: dict[Any, int | str] = {}
    for key in figures:
        a, b = report.get(key, "0"), page.get(key, "0")
        published[key] = int(a) if a.isdigit() else (int(b) if b.isdigit() else a)
    known = {(theme, name): n for theme, n in PLAN[name].items()}
    intervals = audit_published(figures, published, rule=RULE, known=known, refuse=False)
    return recovered + [interval.cell for interval in intervals if not interval.holds(RULE)]


def test_the_report_and_every_centre_page_print_one_pattern_and_both_together_recover_nothing(
    centres: dict[str, Organisation],
) -> None:
    report = _report_view()
    # Energy is hidden for everyone: to CSS A (5 of the 9) the others' part is 4. Before, the report printed 9
    # while CSS A's page hid it: 9 − 5 gave CSS D's 4 exactly.
    assert report["ENERGY.BILLS"] == "x"
    assert report["FOOD.PARCEL"] == "x"
    assert report["HOUSING.RENT"] == "x"
    assert report[TOTAL] == "61"
    for name, centre in centres.items():
        page = _page_view(centre)
        assert page == report, name
        assert _attack(name, report, page) == [], name


def test_the_two_patterns_chosen_apart_gave_a_hidden_cell_back(centres: dict[str, Organisation]) -> None:
    """The test above has teeth: the report protected for the public alone (as before) prints energy, which
    CSS A's page hides; together they give CSS A the others' part exactly."""
    cells: dict[tuple[str, ...], int] = {
        (theme,): sum(plan.get(theme, 0) for plan in PLAN.values()) for theme in THEMES
    }
    public = protect(cells, dims=["theme2"], rule=RULE, family="public")
    assert public.state(("ENERGY.BILLS",)) == "shown"
    report = {theme: str(public.value((theme,))) for theme in THEMES} | {TOTAL: "61"}
    page = {"ENERGY.BILLS": "x", "FOOD.PARCEL": "x", "HOUSING.RENT": "x", TOTAL: "61"}
    assert "ENERGY.BILLS" in _attack("CSS A", report, page)


def test_the_pattern_is_stored_read_the_same_and_chosen_again_when_the_counts_change(
    centres: dict[str, Organisation],
) -> None:
    first = network_pattern(CODE, YEAR)
    stored = NetworkPattern.objects.get(year=YEAR, family=CODE)
    # Stored as the report prints it: the hidden themes, at both levels (one level-2 code per level-1 here).
    hidden = sorted(key for key, text in _report_view().items() if not text.isdigit())
    assert hidden == ["ENERGY.BILLS", "FOOD.PARCEL", "HOUSING.RENT"]
    assert sorted(tuple(key) for key, kind in stored.states if kind != "shown") == sorted(
        [("2", theme) for theme in hidden] + [("1", theme.split(".")[0]) for theme in hidden]
    )
    # Read again (a closed year read tomorrow): the stored states, not chosen anew.
    DataYear.objects.create(year=YEAR, status=DataYear.Status.CLOSED)
    refresh_year(YEAR)
    again = NetworkPattern.objects.get(year=YEAR, family=CODE)
    assert (again.computed_at, again.input_hash) == (stored.computed_at, stored.input_hash)
    assert network_pattern(CODE, YEAR).states == first.states
    # The counts change (a late follow-up, two more energy requests for CSS E): chosen again before it is read.
    add_persons(centres["CSS E"], member("worker", centres["CSS E"]), "ENERGY.BILLS", 2, day=DAY)
    from django.core.cache import cache

    cache.clear()
    changed = network_pattern(CODE, YEAR)
    assert NetworkPattern.objects.get(year=YEAR, family=CODE).input_hash != stored.input_hash
    assert changed.category("ENERGY.BILLS") == "shown"  # 11, 6 of them others' even to CSS A
    assert _report_view()["ENERGY.BILLS"] == "11"
    assert _page_view(centres["CSS A"])["ENERGY.BILLS"] == "11"


def test_the_reports_generation_chooses_an_open_years_patterns_again(centres: dict[str, Organisation]) -> None:
    network_pattern(CODE, YEAR)
    before = NetworkPattern.objects.get(year=YEAR, family=CODE).computed_at
    DataYear.objects.create(year=YEAR)
    refresh_year(YEAR)
    row = NetworkPattern.objects.get(year=YEAR, family=CODE)
    assert row.computed_at > before
    assert NetworkPattern.objects.filter(year=YEAR).count() == len(
        {"persons", "case_files", "followups"}
        | {
            "requests",
            "requests.theme2",
            "requests.institution2",
            "requests.stage2",
            "persons.age_band",
            "persons.sex",
            "persons.household",
            "persons.income_source",
            "persons.commune",
            "followups.mode",
            "followups.actions",
            "followups.referral",
        }
    )
