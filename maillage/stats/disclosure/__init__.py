"""Disclosure control of shared figures: primary and secondary suppression, checked by linear programming.

Every figure shared beyond a centre (the sector extraction, "my centre and the sector", the annual report)
goes through this engine. Nothing else decides what is hidden.

The rule
    ``Rule(k=settings.MAILLAGE_DISCLOSURE_K (5), protection=None → k)``. Counts from 1 to k−1 are hidden
    ("<5"); ``rule.describe()`` is the translated sentence written with every shared output (page, CSV, XLSX,
    PDF), ``rule.as_dict()`` the parameters recorded in audit entries and file headers.

Protecting a family of tables
    ``protect(cells, *, dims, rule=None, known=None, family="") -> Protected``

    ``cells``: ``{(v1, v2, ...): count}``, the base counts, one coordinate per dimension (missing = 0).
    ``dims``: names, or ``Dimension(name, values=(), show_values=True, total=True, groups={label: values})``:
    every published cell of the family is built from them — each base value (if ``show_values``), each group
    (level-1 codes over level-2 ones, quarters and four-month periods over months) and the total (key
    ``TOTAL`` = "__total__") on every dimension, so a 2-D table carries its row, column and grand totals and a
    1-D table of the same figures is one of its margins. A *family* is every table a reader can set against
    another: protect it once, with all its dimensions, and read each view from the result — one protection
    pattern per family, the same cells hidden whatever view is asked (a filtered table is a slice, a 1-D table
    a margin, a quarter a group of months). Keep ``family`` a stable name (it is written in audit entries).
    ``known``: base counts the reader contributed themselves (their own centre: "the sector minus my centre");
    a cell is also hidden when the *others'* part is 1..k−1, and the audit starts from those lower bounds.
    ``fixed``: ``{cell: kind}`` states decided by a smaller family this one must agree with (a 2-D table's
    margins are the 1-D tables of the same figures): hidden ones stay hidden, shown ones are never chosen.

    Primary rule: 1..k−1 hidden (state "<5"), and in a line (row or column, total included) where every
    contributor falls in one category that category is hidden ("x"). When that line's total is hidden too (a
    group of fewer than k: "<5" beside zeros would tell that its few all gave that one answer), the zeros
    beside it are hidden as well ("x", never "0"), along the dimensions that are attributes of the units
    (``Dimension(attribute=True)``, the default; sector and region are not). Those zeros are guarded by their
    line, not by ±p: the audit checks that, together, they could hold someone (``Protected.guards``). Secondary suppression ("x") is then
    chosen, line by line and then by the LP audit, so that every hidden cell's feasible interval covers its
    protection interval on both sides (below), and no "<5" cell can be narrowed below its label's levels even
    by a reader who knows what every "<5" means. When no choice can protect a cell, ``DisclosureRefused`` is raised.

    ``Protected``: ``.state(cell)`` → "shown" / "<5" / "x"; ``.kind(cell)`` → SHOWN / SMALL / SECONDARY;
    ``.value(cell)`` → int or None (hidden: never a zero); ``.text(cell)`` → "12" / "<5" / "x";
    ``.share(cell, of=total)`` → percent or None when either count is hidden; ``.view(keep, where)`` → the
    states of one view; ``.published()`` → what a reader sees; ``.intervals`` → the audit's intervals.
    A cell is a tuple of coordinates (a string is accepted for a 1-D family).

Figures given one by one, and totals that are not sums
    ``protect_figures(base, figures, bounds=..., lines=..., disclosed=..., fixed=..., known=...)``: the same
    protection over any set of published figures, each the sum of the base counts it lists — tables printed
    side by side that add up without being one cross-table (the annual report's network, sectors and
    subsidies). ``audit_published(figures, printed, bounds=...)`` is its audit of what a reader sees.
    **The rule for non-additive tables**: a total of distinct units over a variable a unit may take several
    values of (persons by age band, follow-ups by action, persons across subsidies) is the distinct count,
    never the sum of its cells, and it is its own unknown in the audit, tied to its cells by
    ``Bound(total, parts, covers)``: each part ≤ total, and when every unit is in some part, total ≤ Σ parts.
    A hidden cell must keep its protection interval under those inequalities too (total − the other cells is
    a lower bound of it). ``protect(..., ceilings=)`` gives the same knowledge (a cell ≤ a distinct total
    published elsewhere) to a linked family. See ``figures.py``.

The period grid
    ``period_dimension()``: months as base values never shown, the year as the total, four-month periods
    ("t1".."t3") and quarters ("q1".."q4") as groups — shared figures are given on this grid only, so no
    figure of a free date range can be set against another.

Protection levels (both sides, as τ-ARGUS's upper and lower protection levels)
    A width is not enough: an interval [v, v + 20] is wide, yet it tells the reader the count is at least its
    true value (a quarter's distinct persons ≥ the year minus the other quarters, exact when nobody spans two
    quarters). A hidden count v is protected only when the reader's max ≥ v + ``rule.upper_protection`` and
    their min ≤ v − ``rule.lower_protection`` (both p, default k), the lower end capped where the domain stops:
    never below 0, nor below the reader's own contribution (``rule.protection_interval(v, own)``). A cell shown
    "<5": the reader knows 1..k−1 from the label, so its levels are within the label — from the published sums
    alone it keeps at least p of width, and to a reader who also uses every label it must still reach
    v ± ``rule.label_protection`` (max(1, (k−3)//2): 1 for k = 5) capped to 1..k−1, and keep
    ``rule.label_width`` possible counts (``rule.label_interval``): a "<5" that is 3 may not be shown to be at
    least 3. A "<5" cell whose own label is what narrows it, and which would hold as an "x" (±p on both
    sides), is shown "x" instead. The small-group guards are unchanged: zeros hidden beside a hidden
    group's one category are held by their line (some other answer stays possible), not by levels.

The reader
    Every protection and audit asks one function, ``lp.reader_intervals``: a reader who has every shown
    figure (equalities), knows that every figure shown "<k" holds 1..k−1 (inequalities), that no count is below
    their own part, and the non-additive bounds. An "x" must keep ±p against that reader; an "x" that is part
    of a "<k" figure (capped at k−1 by it) keeps ±p from the sums alone and the label's levels against that
    reader. When every cell of an "x"'s lines is hidden already and a "<k" label beside it is what narrows it,
    that "<k" is shown "x" instead (never one a smaller family prints as "<k").

Auditing
    ``audit(protected, rule=None) -> list[Interval]``: each hidden cell's min and max over every table
    consistent with what is published (non-negative counts, the reader's own contributions, every label), by
    ``scipy.optimize.linprog(method="highs")``; ``DisclosureRefused`` if any interval does not cover its
    protection interval on both sides, or a "<5" cell can be narrowed within its label's levels by a reader
    who also uses what every "<5" means (``Interval.label_lower/label_upper``; ``Interval.holds`` checks
    both; ``Interval.value`` is the true count, None in an audit of what is printed, where only the widths
    can be checked).
    ``audit_figures(figures, rule=None, lower=None)``: the same over any set of published figures, each given
    as (the base cells it sums, its published value or None) — how the tests check everything several pages
    print together. Pages catch ``DisclosureRefused`` and show ``error.message`` instead of the table.

Speed
    ``protect`` checks its hidden cells round after round; ``rounds.Rounds`` keeps what each round proved
    (a solve's dual certificate, the points found, bounds propagated along the lines) and solves a bound
    only where the decision needs it — the same states as solving every bound (``rounds.EXACT = True``,
    the reference path the tests compare with). ``audit`` always solves every bound afresh.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np
from scipy import sparse

from maillage.stats.disclosure.figures import Bound, Fact, ProtectedFigures, audit_published, protect_figures
from maillage.stats.disclosure.lp import InconsistentFigures, inside, reader_intervals
from maillage.stats.disclosure.periods import GRID, GridPeriod, period_dimension
from maillage.stats.disclosure.protect import DisclosureRefused, Interval, Protected, audit, protect
from maillage.stats.disclosure.rule import SECONDARY, SECONDARY_LABEL, SHOWN, SMALL, Rule
from maillage.stats.disclosure.table import TOTAL, Dimension, LinkedTable

__all__ = [
    "GRID",
    "SECONDARY",
    "SECONDARY_LABEL",
    "SHOWN",
    "SMALL",
    "TOTAL",
    "Bound",
    "Dimension",
    "DisclosureRefused",
    "Fact",
    "GridPeriod",
    "InconsistentFigures",
    "Interval",
    "LinkedTable",
    "Protected",
    "ProtectedFigures",
    "Rule",
    "audit",
    "audit_figures",
    "audit_published",
    "period_dimension",
    "protect",
    "protect_figures",
]


def audit_figures(
    figures: Sequence[tuple[Sequence[Hashable], int | str | None]],
    *,
    rule: Rule | None = None,
    lower: Mapping[Hashable, int] | None = None,
    refuse: bool = True,
    values: Sequence[int | None] | None = None,
) -> list[Interval]:
    """Feasible interval of every hidden figure given the shown ones, each figure the sum of the base cells it
    lists and shown as a count, "<k" (1..k−1) or anything else / None (hidden); the intervals come back in the
    order of the hidden figures. `values`: each figure's true count (None where unknown), so that each side of
    the protection interval is checked, not only its width."""
    rule = rule or Rule()
    base: dict[Hashable, int] = {}
    for cells, _value in figures:
        for cell in cells:
            base.setdefault(cell, len(base))
    matrix = sparse.lil_matrix((len(figures), len(base)))
    for row, (cells, _value) in enumerate(figures):
        for cell in cells:
            matrix[row, base[cell]] += 1.0
    matrix = matrix.tocsr()
    shown = [i for i, (_cells, value) in enumerate(figures) if isinstance(value, int)]
    hidden = [i for i, (_cells, value) in enumerate(figures) if not isinstance(value, int)]
    small = [i for i in hidden if figures[i][1] == rule.small_label]
    floor = np.zeros(len(base))
    for cell, count in (lower or {}).items():
        if cell in base:
            floor[base[cell]] = count
    labels = matrix[small]
    targets = matrix[hidden]
    within = inside(targets, labels) if hidden else []
    found = reader_intervals(
        matrix[shown], np.array([float(figures[i][1] or 0) for i in shown]), floor, targets,
        [i in small or within[row] for row, i in enumerate(hidden)], labels, (1.0, float(rule.k - 1)),
    ) if hidden else []  # fmt: skip
    out = []
    for row, (i, (low, high, label_low, label_high)) in enumerate(zip(hidden, found, strict=True)):
        own = float(sum(floor[base[c]] for c in figures[i][0]))
        true = values[i] if values is not None else None
        out.append(
            Interval(
                tuple(str(c) for c in figures[i][0]),
                low,
                high,
                SMALL if i in small else SECONDARY,
                own,
                label_low,
                label_high,
                None if true is None else float(true),
                inside_label=within[row] and i not in small,
            )
        )
    failures = [interval for interval in out if not interval.holds(rule)]
    if failures and refuse:
        raise DisclosureRefused(failures)
    return out
