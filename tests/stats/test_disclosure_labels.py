"""An "x" cell against a reader who knows what every "<5" beside it means.

The regression: a line of four categories, 2 · 4 · 5 · 6 (total 17). The 2 and the 4 are shown "<5", the 5
"x" as their partner, the 6 and the total shown. From the sums alone the 5 lies in 0..11 (wide enough on both
sides of 5 ± 5), and that is all the engine used to check; but every reader knows a "<5" holds 1..4, so the
two small cells hold 2..8 together and the "x" lies in 3..9: neither 0 nor 10 is possible any more. The
attacker here is a plain LP of its own (not the engine's), given every printed figure and every label.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import pytest
from scipy.optimize import linprog

from maillage.stats.disclosure import (
    SECONDARY,
    DisclosureRefused,
    Rule,
    audit_figures,
    audit_published,
    protect,
    protect_figures,
)

RULE = Rule(k=5)
COUNTS = {"a": 2, "b": 4, "c": 5, "d": 6}
# What the engine showed before: the "x" narrowed by the two labels to 3..9.
NARROWED = {"a": "<5", "b": "<5", "c": "x", "d": 6, "total": 17}

Printed = Sequence[tuple[Sequence[Hashable], int | str | None]]


def reader_interval(
    printed: Printed, target: Sequence[Hashable], rule: Rule, own: Mapping[Hashable, int] | None = None
) -> tuple[float, float]:
    """The min and max of the figure summing `target` for a reader who has every printed figure (each the sum
    of the base cells it lists: a count, "<k" or hidden), knows that every "<k" holds 1..k−1, that no count
    is negative, and their own part of each base cell (`own`)."""
    cells = list(dict.fromkeys(cell for members, _value in printed for cell in members))
    column = {cell: i for i, cell in enumerate(cells)}

    def row(members: Sequence[Hashable]) -> np.ndarray:
        out = np.zeros(len(cells))
        for cell in members:
            out[column[cell]] += 1.0
        return out

    shown = [(row(members), value) for members, value in printed if isinstance(value, int)]
    labelled = [row(members) for members, value in printed if value == rule.small_label]
    a_ub = [*labelled, *(-r for r in labelled)]
    b_ub = [float(rule.k - 1)] * len(labelled) + [-1.0] * len(labelled)
    problem = {
        "A_eq": np.array([r for r, _v in shown]) if shown else None,
        "b_eq": np.array([float(v) for _r, v in shown]) if shown else None,
        "A_ub": np.array(a_ub) if a_ub else None,
        "b_ub": np.array(b_ub) if b_ub else None,
        "bounds": [(float((own or {}).get(cell, 0)), None) for cell in cells],
        "method": "highs",
    }
    objective = row(target)
    low = linprog(objective, **problem)
    high = linprog(-objective, **problem)
    assert low.status == 0, low.message  # the printed figures are consistent: the true table is feasible
    return float(low.fun), (-float(high.fun) if high.status == 0 else float("inf"))


def _assert_every_x_keeps_its_interval(printed: Printed, values: Sequence[int], rule: Rule) -> None:
    for (members, state), value in zip(printed, values, strict=True):
        if state == "x":
            low, high = reader_interval(printed, members, rule)
            needed = rule.protection_interval(value)
            assert low <= needed[0] + 1e-6, (members, value, (low, high))
            assert high >= needed[1] - 1e-6, (members, value, (low, high))


def _text(protected, key) -> int | str:
    """What the reader sees: the count, or "<5" / "x" (a shown zero stays a count)."""
    value = protected.value(key)
    return protected.state(key) if value is None else int(value)


def test_a_table_keeps_its_x_cell_out_of_reach_of_the_labels_beside_it() -> None:
    protected = protect({(key,): value for key, value in COUNTS.items()}, dims=["kind"], rule=RULE)
    printed = [
        (list(COUNTS) if key == ("__total__",) else [key[0]], _text(protected, key)) for key in protected.cells()
    ]
    values = [sum(COUNTS[cell] for cell in members) for members, _state in printed]
    assert protected.state(("a",)) == protected.state(("b",)) == "<5"
    assert protected.state(("c",)) == "x"
    _assert_every_x_keeps_its_interval(printed, values, RULE)
    # The engine's own intervals for the "x" cells are the labelled reader's.
    for interval in protected.intervals:
        if interval.kind == SECONDARY:
            members = [interval.cell[0]] if interval.cell[0] in COUNTS else list(COUNTS)
            assert (interval.lower, interval.upper) == pytest.approx(reader_interval(printed, members, RULE))


def test_figures_given_one_by_one_keep_their_x_cell_out_of_reach_of_the_labels() -> None:
    figures: dict[str, list[str]] = {**{key: [key] for key in COUNTS}, "total": list(COUNTS)}
    protected = protect_figures(COUNTS, figures, rule=RULE, lines=[("total", tuple(COUNTS))])
    printed = [(members, _text(protected, key)) for key, members in figures.items()]
    assert protected.state("c") == "x"
    _assert_every_x_keeps_its_interval(printed, [sum(COUNTS[c] for c in m) for m in figures.values()], RULE)


def test_the_audit_refuses_the_pattern_the_labels_narrow() -> None:
    figures = {**{key: [key] for key in COUNTS}, "total": list(COUNTS)}
    values = {**COUNTS, "total": sum(COUNTS.values())}
    assert reader_interval([(figures[k], v) for k, v in NARROWED.items()], ["c"], RULE) == (3.0, 9.0)
    with pytest.raises(DisclosureRefused) as refused:
        audit_published(figures, NARROWED, rule=RULE, values=values)
    assert [(i.cell, i.lower, i.upper) for i in refused.value.failures] == [(("c",), 3.0, 9.0)]
    with pytest.raises(DisclosureRefused):
        audit_figures(
            [(figures[key], value) for key, value in NARROWED.items()],
            rule=RULE,
            values=[values[key] for key in NARROWED],
        )
