"""Bounds kept across the rounds of `protect` (`maillage.stats.disclosure.rounds`): the same protection as
solving every bound in every round, and `audit` still exact.

Tables are drawn at random (seeded) with small counts, so that most cells are hidden and protection takes
many rounds, as on a small database; some with the reader's own part, a ceiling, states fixed by another
family or a grid of periods."""

from __future__ import annotations

import importlib
import random
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pytest

from maillage.stats.disclosure import (
    SECONDARY,
    SHOWN,
    SMALL,
    TOTAL,
    DisclosureRefused,
    LinkedTable,
    Protected,
    Rule,
    audit,
    lp,
    period_dimension,
    protect,
    rounds,
)
from maillage.stats.disclosure.periods import MONTHS
from tests.stats.test_disclosure_labels import reader_interval

protect_module = importlib.import_module("maillage.stats.disclosure.protect")

RULE = Rule(k=5)
SMALL_COUNTS = [0, 0, 1, 1, 2, 2, 3, 4, 5, 6, 9, 14]


def _table(rng: random.Random) -> dict[str, Any]:
    """protect()'s arguments for one random family: 2-D (rows × columns) or a year of months × categories."""
    if rng.random() < 0.25:
        themes = [f"t{i}" for i in range(rng.randint(2, 3))]
        cells = {(month, theme): rng.choice(SMALL_COUNTS) for month in MONTHS for theme in themes}
        dims: list[Any] = [period_dimension(), "theme"]
    else:
        rows, cols = rng.randint(2, 5), rng.randint(2, 5)
        cells = {(f"r{r}", f"c{c}"): rng.choice(SMALL_COUNTS) for r in range(rows) for c in range(cols)}
        dims = ["r", "c"]
    arguments: dict[str, Any] = {"cells": cells, "dims": dims}
    if rng.random() < 0.4:  # the reader's own centre
        arguments["known"] = {key: rng.randint(0, value) for key, value in cells.items() if rng.random() < 0.3}
    published = LinkedTable(cells, dims, None)
    if rng.random() < 0.2:  # a distinct total published elsewhere caps a cell
        key = rng.choice(published.keys)
        arguments["ceilings"] = {key: int(published.values[published.index[key]]) + rng.randint(0, 3)}
    if rng.random() < 0.2:  # states decided by a smaller family (its totals): never chosen / kept hidden
        margins = [key for key in published.keys if TOTAL in key]
        arguments["fixed"] = {
            key: SHOWN if published.values[published.index[key]] >= RULE.k else SECONDARY
            for key in rng.sample(margins, min(2, len(margins)))
        }
    return arguments


def _outcome(arguments: dict[str, Any]) -> tuple[Any, ...]:
    """Everything protect() publishes or reports: the states, the guards and the audit's intervals, or the
    refusal with its failures' intervals."""
    try:
        protected = protect(**arguments, rule=RULE, family="rounds")
    except DisclosureRefused as refused:
        return ("refused", [_rounded(interval) for interval in refused.failures])
    return ("shown", protected.kinds, protected.guards, [_rounded(interval) for interval in protected.intervals])


def _rounded(interval: Any) -> tuple[Any, ...]:
    ends = (interval.lower, interval.upper, interval.label_lower, interval.label_upper)
    return (interval.cell, interval.kind, *(None if end is None else round(end, 6) for end in ends))


def _count_solves(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    solves = [0]
    optimum = lp._Model.optimum

    def counted(self: Any, objective: np.ndarray) -> Any:
        solves[0] += 1
        return optimum(self, objective)

    monkeypatch.setattr(lp._Model, "optimum", counted)
    return solves


def test_kept_bounds_protect_exactly_as_every_bound_solved(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(20261205)
    solves = _count_solves(monkeypatch)
    exact_solves = kept_solves = 0
    refused = shown = 0
    for _number in range(80):
        arguments = _table(rng)
        start = solves[0]
        monkeypatch.setattr(rounds, "EXACT", True)
        expected = _outcome(arguments)
        exact_solves += solves[0] - start
        start = solves[0]
        monkeypatch.setattr(rounds, "EXACT", False)
        assert _outcome(arguments) == expected, arguments
        kept_solves += solves[0] - start
        refused += expected[0] == "refused"
        shown += expected[0] == "shown"
    assert refused > 0  # both outcomes of a protection were compared
    assert shown > 0
    assert kept_solves < exact_solves  # and bounds were skipped (the point of the kept path)


def test_kept_bounds_forget_everything_when_constraints_tighten() -> None:
    """A round whose constraints are not the last ones loosened (a cell shown again) is solved afresh: the
    answers equal the exact reader's in both states."""
    rng = random.Random(7)
    cells = {(f"r{r}", f"c{c}"): rng.choice(SMALL_COUNTS) for r in range(4) for c in range(4)}
    table = LinkedTable(cells, ["r", "c"], None)
    small = np.array([RULE.is_small(int(v)) for v in table.values], dtype=bool)
    kept = rounds.Rounds(table.matrix, table.values.astype(float), table.lower, None, (1.0, float(RULE.k - 1)))
    wide = small | (np.arange(len(table.keys)) % 3 == 0)
    narrow = small.copy()  # fewer hidden cells: tighter
    for hidden in (wide, narrow, wide):
        cells_checked = [int(c) for c in np.flatnonzero(hidden)]
        labelled = hidden & small
        exact = protect_module._intervals(table, hidden, labelled, cells_checked, RULE)
        found = protect_module._intervals(table, hidden, labelled, cells_checked, RULE, kept)
        assert [(i.holds(RULE), i.plain_holds(RULE)) for i in found] == [
            (i.holds(RULE), i.plain_holds(RULE)) for i in exact
        ]


def _printed(protected: Protected, cells: dict[tuple[str, str], int]) -> list[tuple[list[Hashable], Any]]:
    rows = sorted({key[0] for key in cells})
    cols = sorted({key[1] for key in cells})
    out: list[tuple[list[Hashable], Any]] = []
    for key in protected.cells():
        members: list[Hashable] = [
            (r, c) for r in (rows if key[0] == TOTAL else [key[0]]) for c in (cols if key[1] == TOTAL else [key[1]])
        ]
        out.append((members, protected.value(key) if not protected.hidden(key) else protected.state(key)))
    return out


def _without_labels(printed: Sequence[tuple[list[Hashable], Any]]) -> list[tuple[list[Hashable], Any]]:
    return [(members, value if isinstance(value, int) else None) for members, value in printed]


def test_audit_still_reports_each_hidden_cells_exact_interval() -> None:
    """After a protection on the kept path, `audit` (and `Protected.intervals`) give every hidden cell its
    exact interval, worked out here by the labels test's own LP over what is printed."""
    rng = random.Random(42)
    checked = 0
    while checked < 12:
        rows, cols = rng.randint(3, 5), rng.randint(3, 5)
        cells = {(f"r{r}", f"c{c}"): rng.choice(SMALL_COUNTS) for r in range(rows) for c in range(cols)}
        known = {key: rng.randint(0, value) for key, value in cells.items() if rng.random() < 0.3}
        try:
            protected = protect(cells, dims=["r", "c"], rule=RULE, known=known, family="rounds")
        except DisclosureRefused:
            continue
        intervals = audit(protected)
        assert intervals == protected.intervals
        printed = _printed(protected, cells)
        members = {key: printed[i][0] for i, key in enumerate(protected.cells())}
        guarded = {zero for _category, zeros in protected.guards for zero in zeros}
        hidden = [key for key in protected.hidden_cells if key not in guarded]
        assert [interval.cell for interval in intervals] == hidden
        for interval in intervals:
            labelled = reader_interval(printed, members[interval.cell], RULE, own=known)
            if interval.kind == SMALL or interval.inside_label:
                sums = reader_interval(_without_labels(printed), members[interval.cell], RULE, own=known)
                assert (interval.lower, interval.upper) == pytest.approx(sums, abs=1e-7)
                assert (interval.label_lower, interval.label_upper) == pytest.approx(labelled, abs=1e-7)
            else:
                assert (interval.lower, interval.upper) == pytest.approx(labelled, abs=1e-7)
        checked += 1


def test_proved_bounds_never_cut_into_the_exact_interval() -> None:
    """`Rounds._bounds` (what a reader deduces row by row and along the lines) is never inside the exact
    interval: a minimum never below it, a maximum never above it, for both readers."""
    rng = random.Random(99)
    for _number in range(40):
        arguments = _table(rng)
        table = LinkedTable(arguments["cells"], arguments["dims"], arguments.get("known"))
        table.ceilings = {table.index[key]: float(v) for key, v in arguments.get("ceilings", {}).items()}
        small = np.array([RULE.is_small(int(v)) for v in table.values], dtype=bool)
        hidden = small | np.array([rng.random() < 0.3 for _key in table.keys], dtype=bool)
        labelled = small & hidden & np.array([rng.random() < 0.8 for _key in table.keys], dtype=bool)
        facts = protect_module._facts(table)
        kept = rounds.Rounds(
            table.matrix,
            table.values.astype(float),
            table.lower,
            facts,
            (1.0, float(RULE.k - 1)),
            table.lines() + table.partitions(),
        )
        kept.intervals(hidden, labelled, [], [], rounds.Judge(lambda row, ends: (True,), lambda row: (None,) * 4))
        shown = np.flatnonzero(~hidden)
        for reader, labels in ((rounds.ALL, table.matrix[np.flatnonzero(labelled)]), (rounds.SUMS, None)):
            lowest, highest = kept._bounds(reader)
            exact = lp.intervals(
                table.matrix[shown], table.values[shown].astype(float), table.lower, table.matrix, labels,
                (1.0, float(RULE.k - 1)), facts=facts,
            )  # fmt: skip
            for cell, (low, high) in enumerate(exact):
                assert lowest[cell] <= low + 1e-7, (reader, table.keys[cell])
                assert highest[cell] >= high - 1e-7, (reader, table.keys[cell])


def test_a_years_quarters_and_four_month_periods_are_lines_of_its_table() -> None:
    """`LinkedTable.partitions`: the year = its quarters = its four-month periods, for every category, each an
    exact sum of the base counts (what `_bounds` may use)."""
    cells = {(month, theme): 1 for month in MONTHS for theme in ("a", "b")}
    table = LinkedTable(cells, [period_dimension(), "theme"], None)
    found = {tuple(table.keys[cell] for cell in line) for line in table.partitions()}
    assert found == {
        ((TOTAL, theme), *((group, theme) for group in groups))
        for theme in ("a", "b", TOTAL)
        for groups in (("q1", "q2", "q3", "q4"), ("t1", "t2", "t3"))
    }
    assert rounds._adding_up(table.matrix, table.partitions()) == table.partitions()
