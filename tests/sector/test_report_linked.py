"""The annual report's network, sector and subsidy parts set against each other: one table minus another
(the network minus a sector, the network minus the subsidised part) recovers no hidden figure, and the LP
audit over every figure the parts print together leaves each hidden one its protection interval."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from maillage.casework.schemes import ensure_casework_schemes
from maillage.core.models import Organisation
from maillage.sector.report import report_context
from maillage.stats.disclosure import TOTAL, Rule, audit_published, protect
from tests.casework.factories import (
    CaseFileFactory,
    FollowUpFactory,
    PersonFactory,
    RequestFactory,
    SubsidyFactory,
    category,
)
from tests.factories import OrganisationFactory, member

YEAR = 2025
RULE = Rule(k=5)
# centre → (sector, [(theme, requests (one person, follow-up and request each), under the subsidy?)])
PLAN: dict[str, tuple[str, list[tuple[str, int, bool]]]] = {
    "CSS A": ("css", [("FOOD.PARCEL", 8, True), ("HOUSING.RENT", 5, True)]),
    "CSS B": ("css", [("FOOD.PARCEL", 6, True), ("HOUSING.RENT", 4, True)]),
    "CSS C": ("css", [("FOOD.PARCEL", 6, True)]),
    "CASG D": ("casg", [("FOOD.PARCEL", 10, False), ("INCOME.BENEFITS", 2, False)]),
    "CASG E": ("casg", [("FOOD.PARCEL", 5, False), ("INCOME.BENEFITS", 1, False)]),
    "CASG F": ("casg", [("FOOD.PARCEL", 5, False)]),
}
THEMES = ("FOOD.PARCEL", "HOUSING.RENT", "INCOME.BENEFITS")
Base = tuple[str, str, bool]  # (level-2 theme, sector, under the subsidy)
BASE: list[Base] = [
    (theme, sector, funded) for theme in THEMES for sector in ("css", "casg") for funded in (True, False)
]


@pytest.fixture
def subsidy_pk(db: None) -> int:
    ensure_casework_schemes()
    subsidy = SubsidyFactory(code="cocof", name="COCOF")
    for name, (sector, lines) in PLAN.items():
        centre = OrganisationFactory(short_name=name, sector=sector)
        worker = member("worker", centre)
        for theme, n, funded in lines:
            for _ in range(n):
                case_file = CaseFileFactory(person=PersonFactory(organisation=centre))
                followup = FollowUpFactory(
                    case_file=case_file,
                    worker=worker,
                    date=datetime.date(YEAR, 3, 10),
                    subsidy=subsidy if funded else None,
                )
                RequestFactory(follow_up=followup, theme=category("request-themes", theme))
    # The year before: 6 food requests in CSS A, 7 housing ones in CASG D.
    for name, theme, n in (("CSS A", "FOOD.PARCEL", 6), ("CASG D", "HOUSING.RENT", 7)):
        centre = Organisation.objects.get(short_name=name)
        for _ in range(n):
            case_file = CaseFileFactory(person=PersonFactory(organisation=centre))
            followup = FollowUpFactory(case_file=case_file, date=datetime.date(YEAR - 1, 5, 2))
            RequestFactory(follow_up=followup, theme=category("request-themes", theme))
    return int(subsidy.pk)


def _members(part: str, code: str, key: str, subsidy: str) -> list[Base]:
    """The base cells a printed figure sums, worked out from the plan's structure (not from the app)."""
    out = []
    for theme, sector, funded in BASE:
        if (part == "CSS" and sector != "css") or (part == "CASG" and sector != "casg"):
            continue
        if part == subsidy and not funded:
            continue
        if key != TOTAL and (theme.split(".")[0] != key.split(" — ")[0] if code.endswith("1") else theme != key):
            continue
        out.append((theme, sector, funded))
    return out


def _printed(context: dict[str, Any]) -> dict[tuple[str, str, str], int | str]:
    """(part, indicator, category label or TOTAL) → what the report prints: a count, "<5" or "x"."""
    out: dict[tuple[str, str, str], int | str] = {}
    for part in context["parts"]:
        name = part.title.split(": ")[-1]
        for block in part.blocks:
            code = block.comparison.indicator.code
            if code == "requests":
                text = block.lines[0].now
                out[(name, "requests.theme1", TOTAL)] = int(text) if text.isdigit() else text
            elif code in ("requests.theme1", "requests.theme2"):
                if block.comparison.refused:  # withheld: the reader sees the engine's message, not zeros
                    for key in ("FOOD", "HOUSING", "INCOME") if code == "requests.theme1" else THEMES:
                        out[(name, code, key)] = "x"
                for line in block.lines:
                    key = line.label.split(" — ")[0]
                    out[(name, code, key)] = int(line.now) if line.now.isdigit() else line.now
    return out


def _with_zeros(printed: dict[tuple[str, str, str], int | str], parts: list[str]) -> dict[Any, int | str]:
    """A category a part does not list is a 0 to the reader (a part withheld whole lists none, and is read
    as withheld)."""
    full: dict[Any, int | str] = dict(printed)
    for part in parts:
        for code, keys in (("requests.theme1", ("FOOD", "HOUSING", "INCOME")), ("requests.theme2", THEMES)):
            if code == "requests.theme2" and part != "The whole network":
                continue
            if not any(p == part and c == code and k != TOTAL for p, c, k in printed):
                continue
            for key in keys:
                full.setdefault((part, code, key), 0)
    return full


def _audit(published: dict[Any, int | str]) -> list[Any]:
    figures = {}
    for part, code, key in published:
        figures[(part, code, key)] = _members({"The whole network": "network"}.get(part, part), code, key, "COCOF") or [
            ("none", part, key)
        ]
    return audit_published(figures, published, rule=RULE, refuse=False)


@pytest.mark.django_db
def test_the_network_minus_a_sector_or_the_subsidised_part_gives_nothing_away(subsidy_pk: int) -> None:
    context = report_context(YEAR, charts=False)
    parts = [part.title.split(": ")[-1] for part in context["parts"]]
    assert parts == ["The whole network", "CASG", "CSS", "COCOF"]
    published = _with_zeros(_printed(context), parts)
    network = {key: published[("The whole network", "requests.theme1", key)] for key in ("FOOD", "HOUSING", "INCOME")}
    assert network["INCOME"] == "<5"  # 3 requests
    assert published[("The whole network", "requests.theme1", TOTAL)] == 52
    # The subtraction a reader tries: network − CSS = CASG, network − COCOF = the rest, CASG + CSS = network.
    for key in ("FOOD", "HOUSING", "INCOME"):
        for whole, part, other in (("The whole network", "CSS", "CASG"), ("The whole network", "CASG", "CSS")):
            if not isinstance(published[(other, "requests.theme1", key)], int):
                assert not (
                    isinstance(published[(whole, "requests.theme1", key)], int)
                    and isinstance(published[(part, "requests.theme1", key)], int)
                ), (key, other)
    # The year against the year before, in the same lines.
    network_block = next(b for b in context["parts"][0].blocks if b.comparison.indicator.code == "requests.theme1")
    assert [(line.label.split(" — ")[0], line.now, line.before) for line in network_block.lines] == [
        ("FOOD", "x", "6"),  # HOUSING (9) beside INCOME "<5" alone would be at most 12: FOOD is its partner
        ("HOUSING", "x", "7"),
        ("INCOME", "<5", "0"),
    ]
    assert (network_block.lines[0].before_share, network_block.lines[1].before_share) == (46.2, 53.8)
    # Everything printed together, by linear programming: every hidden figure keeps its interval.
    intervals = _audit(published)
    assert len(intervals) >= 4
    assert [i for i in intervals if not i.holds(RULE)] == []
    assert min(i.width for i in intervals) >= RULE.p


@pytest.mark.django_db
def test_the_same_parts_protected_one_by_one_would_give_a_hidden_figure_back(subsidy_pk: int) -> None:
    """The test above has teeth: each part's table protected on its own (as before) leaves the network
    minus CSS equal to CASG's hidden food requests."""
    separately: dict[Any, int | str] = {}
    for part in ("The whole network", "CASG", "CSS", "COCOF"):
        cells = {}
        for key in ("FOOD", "HOUSING", "INCOME"):
            members = _members({"The whole network": "network"}.get(part, part), "requests.theme1", key, "COCOF")
            cells[(key,)] = _count(members)
        protected = protect(cells, dims=["theme1"], rule=RULE, family=part)
        for key in ("FOOD", "HOUSING", "INCOME", TOTAL):
            value = protected.value(key)
            separately[(part, "requests.theme1", key)] = value if value is not None else protected.state(key)
    assert separately[("CASG", "requests.theme1", "FOOD")] == "x"
    # (With ±5 on both sides the network's own table hides FOOD too: 40 is no longer printed there.)
    assert separately[("CSS", "requests.theme1", "FOOD")] == 20
    failing = [i for i in _audit(separately) if not i.holds(RULE)]
    # The network's 52 minus CSS's 29: CASG's hidden total, exactly 23.
    assert ("CASG", "requests.theme1", TOTAL) in [i.cell for i in failing]


def _count(members: list[Base]) -> int:
    counts: dict[Base, int] = {}
    for _name, (sector, lines) in PLAN.items():
        for theme, n, funded in lines:
            counts[(theme, sector, funded)] = counts.get((theme, sector, funded), 0) + n
    return sum(counts.get(cell, 0) for cell in members)
