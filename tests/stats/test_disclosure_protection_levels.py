"""Protection on both sides (τ-ARGUS's upper and lower protection levels), not only a wide interval.

The regression: distinct persons by quarter with the year's distinct persons. Distinct counts are
sub-additive — the year is at most the sum of its quarters and at least each quarter (`Bound`) — so a hidden
quarter is at least "the year minus the other quarters", which is its exact count when nobody was followed in
two quarters. Its upper end (the year) is far away, so the interval was wide enough and the table was shown,
yet the reader learnt that the quarter held at least its true count.
"""

from __future__ import annotations

import pytest

from maillage.stats.disclosure import (
    SECONDARY,
    SHOWN,
    SMALL,
    Bound,
    DisclosureRefused,
    Interval,
    Rule,
    audit_published,
    protect_figures,
)

RULE = Rule(k=5)
QUARTERS = ("q1", "q2", "q3", "q4")
# Persons followed in each quarter; nobody spans two quarters, so the year's distinct persons are their sum.
PERSONS = {"q1": 8, "q2": 6, "q3": 5, "q4": 6}
YEAR_BOUND = Bound("year", QUARTERS, covers=True, categories=False)


def _figures() -> tuple[dict[str, int], dict[str, list[str]]]:
    base = {**PERSONS, "year": sum(PERSONS.values())}
    return base, {key: [key] for key in base}


def _printed(protected, figures) -> dict[str, int | str]:
    return {key: protected.value(key) if not protected.hidden(key) else protected.state(key) for key in figures}


def test_a_hidden_quarter_is_not_bounded_below_by_the_year_minus_the_others() -> None:
    # The reader's own centre followed 4 of the first quarter's 8 persons: the others' 4 are hidden ("x").
    base, figures = _figures()
    own = {"q1": 4, "year": 4}
    protected = protect_figures(base, figures, rule=RULE, known=own, bounds=[YEAR_BOUND], family="persons:2026")
    printed = _printed(protected, figures)
    assert printed["q1"] == "x"
    # The year minus the shown quarters must not pin the first quarter: a second quarter is hidden with it.
    assert sum(1 for key in QUARTERS if protected.hidden(key)) >= 2
    intervals = audit_published(figures, printed, rule=RULE, known=own, bounds=[YEAR_BOUND], values=base, refuse=False)
    by_cell = {interval.cell: interval for interval in intervals}
    first = by_cell[("q1",)]
    assert first.lower <= 4  # possibly as low as the reader's own 4 (the others' 4 could be none)
    assert first.upper >= 8 + RULE.p
    assert all(interval.holds(RULE) for interval in intervals), intervals


def test_a_quarter_hidden_elsewhere_brings_a_partner_for_its_lower_side() -> None:
    # The first quarter is hidden in a table this one must agree with (its margin elsewhere).
    base, figures = _figures()
    protected = protect_figures(
        base, figures, rule=RULE, bounds=[YEAR_BOUND], fixed={"q1": SECONDARY}, family="persons:2026"
    )
    printed = _printed(protected, figures)
    assert printed == {"q1": "x", "q2": 6, "q3": "x", "q4": 6, "year": 25}
    intervals = audit_published(figures, printed, rule=RULE, bounds=[YEAR_BOUND], values=base, refuse=False)
    assert [(i.cell, i.lower, i.upper) for i in intervals] == [(("q1",), 0.0, 25.0), (("q3",), 0.0, 25.0)]
    assert all(interval.holds(RULE) for interval in intervals)


def test_the_width_alone_no_longer_passes() -> None:
    # What the reader could work out before: the first quarter between 8 (exact) and 25.
    exact_below = Interval(("q1",), 8.0, 25.0, SECONDARY, value=8.0)
    assert exact_below.width >= RULE.p
    assert not exact_below.holds(RULE)
    assert Interval(("q1",), 3.0, 13.0, SECONDARY, value=8.0).holds(RULE)
    assert not Interval(("q1",), 3.0, 12.0, SECONDARY, value=8.0).holds(RULE)  # the upper side: 8 + 5
    # The lower side stops at what the reader knows: a count is never below 0, nor below their own part.
    assert Interval(("q1",), 0.0, 7.0, SECONDARY, value=2.0).holds(RULE)
    assert Interval(("q1",), 4.0, 13.0, SECONDARY, own=4.0, value=8.0).holds(RULE)
    assert not Interval(("q1",), 5.0, 13.0, SECONDARY, own=4.0, value=8.0).holds(RULE)
    # Without the true count (an audit of a printed page), only the width can be checked.
    assert Interval(("q1",), 8.0, 25.0, SECONDARY).holds(RULE)


@pytest.mark.parametrize(
    ("value", "label", "holds"),
    [
        (2, (1.0, 3.0), True),  # 1..3: neither side is known
        (2, (2.0, 4.0), False),  # "at least 2" is exact below
        (1, (1.0, 2.0), False),  # two possible counts: narrower than the label width
        (1, (1.0, 3.0), True),  # 1 is where the label stops: nothing learnt below
        (4, (2.0, 4.0), True),
        (4, (3.0, 4.0), False),
    ],
)
def test_a_small_cell_keeps_its_label_levels(value: int, label: tuple[float, float], holds: bool) -> None:
    """A "<5" cell: the reader knows 1..4 from the label; to one who uses every label it must still reach
    v ± 1 within 1..4 and keep three possible counts."""
    interval = Interval(("c",), 0.0, value + 5.0, SMALL, 0.0, label[0], label[1], float(value))
    assert interval.holds(RULE) is holds
    assert RULE.label_interval(value) == (max(1, value - 1), min(4, value + 1))


def test_a_small_quarter_with_the_year_cannot_be_pinned() -> None:
    base = {"q1": 3, "q2": 6, "q3": 5, "q4": 6, "year": 20}
    figures = {key: [key] for key in base}
    try:
        protected = protect_figures(base, figures, rule=RULE, bounds=[YEAR_BOUND], family="persons:small")
    except DisclosureRefused:
        pytest.fail("a partner quarter protects it")
    printed = _printed(protected, figures)
    assert printed["q1"] == "<5"
    assert protected.kind("year") == SHOWN
    intervals = audit_published(figures, printed, rule=RULE, bounds=[YEAR_BOUND], values=base, refuse=False)
    assert all(interval.holds(RULE) for interval in intervals), intervals
