"""Property: after protect(), no shown count is 1..k−1 and every hidden cell's feasible interval, worked out by
LP from what is published and what every "<5" means, contains its protection interval on both sides: the
reader's max ≥ v + p and min ≤ v − p (capped at 0 or the reader's own part), and a "<5" cell keeps its label's
levels."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maillage.stats import disclosure
from maillage.stats.disclosure import (
    TOTAL,
    Bound,
    DisclosureRefused,
    Rule,
    audit_figures,
    audit_published,
    protect,
    protect_figures,
)
from tests.stats.test_disclosure_labels import reader_interval

RULE = Rule(k=5)
counts = st.one_of(st.just(0), st.integers(1, 4), st.integers(5, 40))


@st.composite
def tables(draw: st.DrawFn) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], int]]:
    rows, cols = draw(st.integers(1, 5)), draw(st.integers(2, 5))
    cells = {(f"r{r}", f"c{c}"): draw(counts) for r in range(rows) for c in range(cols)}
    known = {key: draw(st.integers(0, value)) for key, value in cells.items() if draw(st.booleans())}
    return cells, known


def _figures(protected: disclosure.Protected) -> list[tuple[list[tuple[str, str]], int | str | None]]:
    """Every published cell as the base cells it sums, with what the reader sees (a count, "<5" or "x")."""
    figures = []
    for key in protected.cells():
        value = protected.value(key) if not protected.hidden(key) else protected.state(key)
        figures.append((_members(protected, key), value))
    return figures


def _members(protected: disclosure.Protected, key: tuple[str, ...]) -> list[tuple[str, str]]:
    rows = sorted({cell[0] for cell in protected.cells() if cell[0] != TOTAL})
    cols = sorted({cell[1] for cell in protected.cells() if cell[1] != TOTAL})
    return [(r, c) for r in (rows if key[0] == TOTAL else [key[0]]) for c in (cols if key[1] == TOTAL else [key[1]])]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), st.booleans())
def test_every_hidden_cell_keeps_its_protection_interval(table, with_known) -> None:
    cells, known = table
    cells_by_key = dict(cells)
    known = known if with_known else {}
    try:
        protected = protect(cells, dims=["r", "c"], rule=RULE, known=known or None, family="property")
    except DisclosureRefused:
        return  # refused: nothing is shown (a table that cannot be protected, e.g. one line of one category)
    for key, value in protected.published().items():
        assert value is None or not 1 <= value <= 4, key
        assert protected.state(key) in {"shown", "<5", "x"}
        if value is not None and known:
            assert not 1 <= value - sum(v for k, v in known.items() if _in(k, key)) <= 4, key
    # A hidden group all in one category: the zeros beside it are hidden, and together they must be able to
    # hold someone (the reader cannot tell that the group all gave that one answer).
    guarded = {zero for _category, zeros in protected.guards for zero in zeros}
    others_possible = [
        (sorted({m for zero in zeros for m in _members(protected, zero)}), None) for _c, zeros in protected.guards
    ]
    figures = _figures(protected)
    values = [sum(cells.get(base, 0) for base in members) for members, _printed in figures]
    intervals = audit_figures(
        figures + others_possible,
        rule=RULE,
        lower=dict(known),
        refuse=False,
        values=values + [None] * len(others_possible),
    )
    hidden = [key for key in protected.cells() if protected.hidden(key)]
    assert len(intervals) == len(hidden) + len(others_possible)
    cells = [i for key, i in zip(hidden, intervals, strict=False) if key not in guarded]
    for interval in cells:  # both sides, not only the width
        assert interval.value is not None
        assert interval.width >= RULE.p - 1e-6, interval
        if interval.kind == disclosure.SECONDARY:  # "x": possibly as low as v − p (or the floor), as high as v + p
            low, high = RULE.protection_interval(interval.value, interval.own)
            assert interval.lower <= low + 1e-6, interval
            assert interval.upper >= high - 1e-6, interval
        else:  # "<5": to a reader who uses every label, still v ± 1 within 1..4 (and three possible counts)
            low, high = RULE.label_interval(interval.value, interval.own)
            assert interval.label_lower is not None, interval
            assert interval.label_upper is not None, interval
            assert interval.label_lower <= low + 1e-6, interval
            assert interval.label_upper >= high - 1e-6, interval
    assert all(interval.holds(RULE) for interval in cells), cells
    # The same, by an LP of the labels test's own (not the engine's): every "x" against a reader who has every
    # printed figure, knows what every "<5" means and their own part — ±p on both sides, or inside a "<5"
    # figure (which caps it at 4) the label's levels.
    labelled = [set(members) for members, printed in figures if printed == RULE.small_label]
    for key, (members, printed) in zip(protected.cells(), figures, strict=True):
        if printed != "x" or key in guarded:
            continue
        true = sum(cells_by_key.get(base, 0) for base in members)
        own = sum(known.get(base, 0) for base in members)
        low, high = reader_interval(figures, members, RULE, own=known)
        within = any(set(members) <= label for label in labelled)
        need = RULE.inside_label_interval(true, own) if within else RULE.protection_interval(true, own)
        assert low <= need[0] + 1e-6, (key, true, low, high)
        assert high >= need[1] - 1e-6, (key, true, low, high)
    assert all(interval.upper >= 1 for interval in intervals[len(hidden) :]), intervals[len(hidden) :]
    for category, zeros in protected.guards:  # shown as "x" like any hidden count, never as a zero
        assert protected.hidden(category)
        assert all(protected.text(zero) == "x" for zero in zeros)


def _in(base: tuple[str, str], cell: tuple[str, ...]) -> bool:
    return all(c in (TOTAL, b) for b, c in zip(base, cell, strict=True))


@st.composite
def multi_valued(draw: st.DrawFn) -> tuple[dict[str, int], int]:
    """Cells of a variable a unit may take several values of, and the distinct units (max ≤ total ≤ Σ)."""
    cells = {f"c{i}": draw(counts) for i in range(draw(st.integers(2, 6)))}
    total = draw(st.integers(max(cells.values()), max(sum(cells.values()), max(cells.values()))))
    return cells, total


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(multi_valued())
def test_a_distinct_total_leaves_every_hidden_cell_its_interval(table) -> None:
    cells, total = table
    base = {**cells, "total": total}
    figures = {key: [key] for key in base}
    bound = Bound("total", tuple(cells), covers=True)
    try:
        protected = protect_figures(base, figures, rule=RULE, bounds=[bound], disclosed=["total"])
    except DisclosureRefused:
        return
    printed = {key: protected.value(key) if not protected.hidden(key) else protected.state(key) for key in figures}
    assert printed["total"] == total  # the distinct total, decided by its own family, is taken as known
    assert all(not isinstance(v, int) or not 1 <= v <= 4 for v in printed.values())
    intervals = audit_published(figures, printed, rule=RULE, bounds=[bound], values=base, refuse=False)
    assert len(intervals) == len(protected.hidden_figures)
    for interval in intervals:  # the total minus the other cells must not pin a hidden cell from below
        assert interval.value == base[interval.cell[0]]
        if interval.kind == disclosure.SECONDARY:
            low, high = RULE.protection_interval(interval.value)
            assert interval.lower <= low + 1e-6, interval
            assert interval.upper >= high - 1e-6, interval
        else:
            low, high = RULE.label_interval(interval.value)
            assert interval.label_lower is not None, interval
            assert interval.label_lower <= low + 1e-6, interval
    assert all(interval.holds(RULE) for interval in intervals), intervals
