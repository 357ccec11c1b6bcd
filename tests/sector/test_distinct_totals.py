"""Totals of distinct units over a variable a unit may take several values of: persons by age band (a
person's band changes within the year), follow-ups by action (several actions per follow-up). The total is
the distinct count, never the sum of the cells; shares are of it; and the disclosure engine, told the
total is no sum (`Bound`), keeps a hidden cell from being worked out through it."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from scipy.optimize import linprog

from maillage.casework.models import FollowUp
from maillage.casework.schemes import ensure_casework_schemes
from maillage.sector.report import report_figures
from maillage.sector.report_figures import NETWORK
from maillage.stats.disclosure import SHOWN, Bound, Rule, audit_published, protect_figures
from tests.casework.factories import CaseFileFactory, FollowUpFactory, PersonFactory
from tests.conftest import client_for
from tests.factories import OrganisationFactory, member

YEAR = 2025
RULE = Rule(k=5)
CENTRES = ("CSS A", "CSS B", "CSS C", "CSS D", "CSS E", "CSS F")


@pytest.fixture
def ours(db: None):  # type: ignore[no-untyped-def]
    """Six centres, ten persons each: a March follow-up at 25–34 (information) for all, and for four of them
    a June follow-up at 35–44 (information and administrative help) — they had a birthday."""
    ensure_casework_schemes()
    first = None
    for name in CENTRES:
        centre = OrganisationFactory(short_name=name)
        worker = member("worker", centre, language="en")
        first = first or worker
        for i in range(10):
            case_file = CaseFileFactory(person=PersonFactory(organisation=centre))
            FollowUpFactory(
                case_file=case_file,
                worker=worker,
                date=datetime.date(YEAR, 3, 10),
                age_band="25-34",
                actions=["information"],
            )
            if i < 4:
                FollowUpFactory(
                    case_file=case_file,
                    worker=worker,
                    date=datetime.date(YEAR, 6, 10),
                    age_band="35-44",
                    actions=["information", "admin_help"],
                )
    return first


def _comparison(response, code: str):  # type: ignore[no-untyped-def]
    for group in response.context["groups"]:
        for item in group["comparisons"]:
            if item["comparison"].indicator.code == code:
                return item["comparison"]
    raise AssertionError(code)


@pytest.mark.django_db
def test_persons_by_age_band_total_the_distinct_persons(ours, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LANGUAGE_CODE = "en"
    # Counted independently: 10 persons a centre, 4 of them in two bands; 14 follow-ups, 4 with two actions.
    assert FollowUp.objects.filter(date__year=YEAR).values("person").distinct().count() == 60
    assert FollowUp.objects.filter(date__year=YEAR).count() == 84
    response = client_for(ours).get(reverse("sector:centre"), {"year": YEAR, "period": "year"})
    assert response.status_code == 200
    ages = _comparison(response, "persons.age_band")
    lines = {line.key: line for line in ages.lines}
    assert (ages.own_total, ages.sector_total_text) == (10, "60")  # not 14 and 84
    assert (lines["25-34"].own, lines["35-44"].own) == (10, 4)
    assert (lines["25-34"].own_share, lines["35-44"].own_share) == (100.0, 40.0)
    assert (lines["25-34"].sector, lines["35-44"].sector) == (60, 24)
    assert (lines["25-34"].sector_share, lines["35-44"].sector_share) == (100.0, 40.0)
    assert (lines["35-44"].median, lines["35-44"].q1, lines["35-44"].q3) == (40.0, 40.0, 40.0)
    actions = _comparison(response, "followups.actions")
    lines = {line.key: line for line in actions.lines}
    assert (actions.own_total, actions.sector_total_text) == (14, "84")  # not 18 and 108
    assert (lines["information"].own_share, lines["admin_help"].own_share) == (100.0, 28.6)
    assert (lines["information"].sector, lines["admin_help"].sector) == (84, 24)
    assert (lines["information"].sector_share, lines["admin_help"].sector_share) == (100.0, 28.6)
    assert "The centre: 10 in all; the sector: 60." in response.content.decode()


@pytest.mark.django_db
def test_the_report_totals_the_distinct_persons(ours) -> None:  # type: ignore[no-untyped-def]
    figures = report_figures(YEAR)
    ages = figures.families[("persons.age_band", NETWORK)]
    assert ages.values == {("25-34",): 60, ("35-44",): 24, ("__total__",): 60}
    assert {ages.state(key) for key in ages.values} == {SHOWN}
    actions = figures.families[("followups.actions", NETWORK)]
    assert actions.values[("__total__",)] == 84
    assert figures.distinct[("persons.age_band", NETWORK)].by_centre == dict.fromkeys(
        figures.counts[("persons", NETWORK)].by_centre, 10
    )


def test_a_distinct_total_cannot_give_a_hidden_cell_away() -> None:
    # Persons by age band: 3, 17 and 12, no one in two bands, 32 distinct persons in all.
    base = {"0-17": 3, "18-24": 17, "25-34": 12, "total": 32}
    figures = {key: [key] for key in base}
    bound = Bound("total", ("0-17", "18-24", "25-34"), covers=True)
    # Hiding the small cell alone (no sum published, so no partner seemingly needed) lets the reader narrow
    # it: 32 − 17 − 12 = 3 ≤ 0-17 ≤ 4 (its label), one possible count too few.
    alone = {"0-17": "<5", "18-24": 17, "25-34": 12, "total": 32}
    (interval,) = audit_published(figures, alone, rule=RULE, bounds=[bound], refuse=False)
    assert (interval.lower, interval.label_lower, interval.label_upper) == (3.0, 3.0, 4.0)
    assert not interval.holds(RULE)
    # The engine, told the total is a distinct count, sees it. Shown "x" alone, 3 ≤ 0-17 ≤ 32 would still be
    # exact below (its true 3); so partners are hidden with it and it keeps its "<5"; the total stays (another
    # table's figure). One partner is not enough against a reader who uses the "<5": 25-34 ≥ 32 − 17 − 4 = 11,
    # not 12 − 5; so 18-24 is hidden too.
    protected = protect_figures(base, figures, rule=RULE, bounds=[bound], disclosed=["total"])
    assert {key: protected.text(key) for key in figures} == {"0-17": "<5", "18-24": "x", "25-34": "x", "total": "32"}
    # Checked by an LP of this test's own over (0-17, 18-24, 25-34, total): the total 32, the "<5" 1..4, each
    # band ≤ the total ≤ their sum — each "x" keeps its true count ± 5 on both sides.
    a_ub = [[-1, -1, -1, 1], [1, 0, 0, -1], [0, 1, 0, -1], [0, 0, 1, -1]]
    problem = {"A_ub": a_ub, "b_ub": [0, 0, 0, 0], "A_eq": [[0, 0, 0, 1]], "b_eq": [32], "method": "highs"}
    problem["bounds"] = [(1, 4), (0, None), (0, None), (0, None)]
    for position, true in ((1, 17), (2, 12)):
        objective = [1.0 if i == position else 0.0 for i in range(4)]
        low = linprog(objective, **problem).fun
        high = -linprog([-c for c in objective], **problem).fun
        assert low <= true - 5, (position, low, high)
        assert high >= true + 5, (position, low, high)
    printed = {key: protected.text(key) for key in figures}
    printed = {key: int(text) if text.isdigit() else text for key, text in printed.items()}
    found = audit_published(figures, printed, rule=RULE, bounds=[bound], refuse=False)
    assert all(interval.holds(RULE) for interval in found)
    # With one person in two bands (31 distinct), the total minus the rest is a lower bound of 2: "<5"
    # still leaves 2, 3 or 4, and no partner is needed.
    overlap = {**base, "total": 31}
    protected = protect_figures(overlap, figures, rule=RULE, bounds=[bound], disclosed=["total"])
    assert [key for key in figures if protected.hidden(key)] == ["0-17"]
