"""Protecting a set of published figures given one by one: tables published side by side that add up (the
annual report's network, its sectors and its subsidies — the network minus a subsidised part is the rest)
and tables whose total is not the sum of their cells (distinct persons by a variable a person may take
several values of).

Figures
    Each published figure is the sum of base counts it lists (`figures = {key: [base cell, ...]}`, `base =
    {base cell: count}`). Two figures sharing base cells are linked for the reader: whatever they print
    together, the audit works out each hidden figure's interval from all of them at once — one protection
    pattern for the whole set.

Non-additive totals (the rule)
    A count of distinct units (persons, case files, follow-ups) over a variable a unit may take several
    values of (a person's age band changes within the year, a follow-up records several actions, a person is
    followed under two subsidies) is not the sum of its cells: the total is a distinct count, never the sum.
    Such a total is its own base count, and the reader knows only inequalities about it (`Bound`): every
    cell is at most the total, and when every unit falls in at least one cell (`covers`) the total is at
    most the sum of the cells. The audit adds those inequalities to the published sums, so a hidden cell
    keeps its protection interval against them too (e.g. the total minus the other cells is a lower bound
    of a hidden cell; with the other cells at zero it would be exact). What the reader knows from
    elsewhere (a distinct total published in another table) is given as a `Fact`.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse

from maillage.stats.disclosure.lp import could_hold, inside, reader_intervals
from maillage.stats.disclosure.protect import DisclosureRefused, Interval
from maillage.stats.disclosure.rule import SECONDARY, SHOWN, SMALL, Rule


@dataclass(frozen=True)
class Bound:
    """A distinct total and its cells: each part ≤ total; total ≤ Σ parts when every unit is in a part."""

    total: Hashable
    parts: tuple[Hashable, ...]
    covers: bool = True
    contained: bool = True  # False: only total ≤ Σ parts (periods overlapping the total, not inside it)
    categories: bool = True  # the parts are categories (the one-category rule applies), not periods
    # The total is the sum of its parts (each unit in exactly one: a variable a unit takes one value of):
    # the reader may know it, so Σ parts ≤ total as well.
    adds_up: bool = False


@dataclass(frozen=True)
class Fact:
    """What the reader knows besides the published figures: lower ≤ Σ of these base cells ≤ upper."""

    cells: tuple[Hashable, ...]
    lower: float | None = None
    upper: float | None = None


@dataclass
class ProtectedFigures:
    """Each published figure with its state: shown, small ("<k") or secondary ("x")."""

    rule: Rule
    family: str
    kinds: dict[Hashable, str]
    values: dict[Hashable, int]
    intervals: list[Interval] = field(default_factory=list)
    # (the one category of a hidden group, the zeros hidden beside it): see `Protected.guards`.
    guards: list[tuple[Hashable, tuple[Hashable, ...]]] = field(default_factory=list)

    def kind(self, key: Hashable) -> str:
        return self.kinds[key]

    def hidden(self, key: Hashable) -> bool:
        return self.kinds[key] != SHOWN

    def state(self, key: Hashable) -> str:
        kind = self.kinds[key]
        return SHOWN if kind == SHOWN else self.rule.label(kind)

    def value(self, key: Hashable) -> int | None:
        """The count, or None when hidden (never a zero)."""
        return None if self.hidden(key) else self.values[key]

    def text(self, key: Hashable) -> str:
        value = self.value(key)
        return self.state(key) if value is None else str(value)

    def published(self) -> dict[Hashable, int | None]:
        return {key: self.value(key) for key in self.kinds}

    @property
    def hidden_figures(self) -> list[Hashable]:
        return [key for key, kind in self.kinds.items() if kind != SHOWN]


class _System:
    """The figures as rows of a matrix over the base counts, with the reader's inequalities."""

    def __init__(
        self,
        figures: Mapping[Any, Sequence[Hashable]],
        base: Mapping[Any, int],
        known: Mapping[Any, int] | None,
        bounds: Sequence[Bound],
        facts: Sequence[Fact],
    ) -> None:
        self.keys = list(figures)
        self.index = {key: i for i, key in enumerate(self.keys)}
        cells: dict[Hashable, int] = {}
        rows, cols = [], []
        for row, key in enumerate(self.keys):
            for cell in dict.fromkeys(figures[key]):
                rows.append(row)
                cols.append(cells.setdefault(cell, len(cells)))
        self.cells = cells
        self.matrix = sparse.csr_matrix(
            (np.ones(len(rows)), (rows, cols)), shape=(len(self.keys), len(cells)), dtype=float
        )
        counts = np.zeros(len(cells))
        for cell, count in base.items():
            if count < 0:
                raise ValueError(f"base count {cell!r} is negative")
            if cell in cells:
                counts[cells[cell]] = count
        self.lower = np.zeros(len(cells))
        for cell, count in (known or {}).items():
            if cell in cells:
                self.lower[cells[cell]] = max(0, count)
        self.values = (self.matrix @ counts).round().astype(np.int64)
        self.true_values = True  # False when the values are only what is printed (an audit of a page)
        self.known = (self.matrix @ self.lower).round().astype(np.int64)
        fact_rows: list[sparse.csr_matrix] = []
        fact_values: list[float] = []
        for bound in bounds:  # only what holds in the figures (declared figures need not agree)
            t = self.index[bound.total]
            total = self.matrix[t]
            members = [self.index[part] for part in bound.parts]
            for m in members if bound.contained else []:
                if self.values[m] <= self.values[t]:
                    fact_rows.append(self.matrix[m] - total)
                    fact_values.append(0.0)
            if bound.covers and members and self.values[t] <= sum(self.values[m] for m in members):
                fact_rows.append(total - sum((self.matrix[m] for m in members[1:]), self.matrix[members[0]]))
                fact_values.append(0.0)
            if bound.adds_up and members and self.values[t] == sum(self.values[m] for m in members):
                fact_rows.append(sum((self.matrix[m] for m in members[1:]), self.matrix[members[0]]) - total)
                fact_values.append(0.0)
        for fact in facts:
            row = sparse.csr_matrix(
                (np.ones(len(fact.cells)), ([0] * len(fact.cells), [cells[c] for c in fact.cells])),
                shape=(1, len(cells)),
            )
            if fact.upper is not None:
                fact_rows.append(row)
                fact_values.append(float(fact.upper))
            if fact.lower is not None:
                fact_rows.append(-row)
                fact_values.append(-float(fact.lower))
        self.facts = (sparse.vstack(fact_rows).tocsr(), np.array(fact_values)) if fact_rows else None

    def exposed_guards(
        self, hidden: np.ndarray, labelled: np.ndarray, guards: Sequence[tuple[int, list[int]]], rule: Rule
    ) -> list[tuple[int, list[int]]]:
        """The guards whose zeros a reader can prove to be zeros together (using every "<k" label too)."""
        if not guards:
            return []
        shown = np.flatnonzero(~hidden)
        rows = sparse.csr_matrix(np.vstack([np.asarray(self.matrix[zeros].sum(axis=0)) for _c, zeros in guards]))
        found = could_hold(
            self.matrix[shown], self.values[shown].astype(float), self.lower, rows,
            self.matrix[np.flatnonzero(labelled)], (1.0, float(rule.k - 1)), facts=self.facts,
        )  # fmt: skip
        return [guard for guard, possible in zip(guards, found, strict=True) if not possible]

    def intervals(self, hidden: np.ndarray, labelled: np.ndarray, targets: Sequence[int], rule: Rule) -> list[Interval]:
        """The intervals of `targets` for the reader of `reader_intervals` (with the bounds and facts)."""
        shown = np.flatnonzero(~hidden)
        labels = self.matrix[[int(i) for i in np.flatnonzero(labelled)]]
        rows = self.matrix[list(targets)]
        within = inside(rows, labels)
        found = reader_intervals(
            self.matrix[shown], self.values[shown].astype(float), self.lower, rows,
            [bool(labelled[t]) or within[row] for row, t in enumerate(targets)], labels,
            (1.0, float(rule.k - 1)), facts=self.facts,
        )  # fmt: skip
        out = []
        for row, (target, (low, high, label_low, label_high)) in enumerate(zip(targets, found, strict=True)):
            key = self.keys[target]
            out.append(
                Interval(
                    key if isinstance(key, tuple) else (str(key),),
                    low,
                    high,
                    SMALL if labelled[target] else SECONDARY,
                    float(self.known[target]),
                    label_low,
                    label_high,
                    float(self.values[target]) if self.true_values else None,
                    inside_label=within[row] and not labelled[target],
                )
            )
        return out


def protect_figures(
    base: Mapping[Any, int],
    figures: Mapping[Any, Sequence[Hashable]],
    *,
    rule: Rule | None = None,
    known: Mapping[Any, int] | None = None,
    lines: Sequence[tuple[Any, Sequence[Any]]] = (),
    bounds: Sequence[Bound] = (),
    facts: Sequence[Fact] = (),
    fixed: Mapping[Any, str] | None = None,
    disclosed: Sequence[Hashable] = (),
    family: str = "",
) -> ProtectedFigures:
    """Primary and secondary suppression over a set of figures, checked by the LP audit with the bounds and
    facts. `lines`: (total, parts) that add up exactly (the one-category rule and the choice of partners);
    `bounds`: non-additive totals; `fixed`: states decided elsewhere (hidden stay hidden, shown are never
    chosen); `disclosed`: figures whose state another family decides (a part's total), taken as known to the
    reader here — the pattern then holds whether or not they are printed. Raises DisclosureRefused when no choice protects every hidden figure."""
    rule = rule or Rule()
    # Figures summing the same base counts are one figure printed twice (a level-1 code with one level-2
    # code): one state for all of them.
    first: dict[frozenset[Hashable], Hashable] = {}
    alias = {key: first.setdefault(frozenset(cells), key) for key, cells in figures.items()}
    figures = {key: cells for key, cells in figures.items() if alias[key] == key}
    lines = [(alias[total], tuple(dict.fromkeys(alias[p] for p in parts))) for total, parts in lines]
    bounds = [
        Bound(
            alias[b.total],
            tuple(dict.fromkeys(alias[p] for p in b.parts)),
            b.covers,
            b.contained,
            b.categories,
            b.adds_up,
        )
        for b in bounds
    ]
    fixed = {alias[key]: kind for key, kind in (fixed or {}).items() if key in alias}
    disclosed = [alias[key] for key in disclosed if key in alias]
    system = _System(figures, base, known, bounds, facts)
    n = len(system.keys)
    values = system.values
    others = values - system.known
    hidden = np.array([rule.is_small(int(v)) for v in values], dtype=bool)
    if known:
        hidden |= np.array([rule.is_small(int(v)) for v in others], dtype=bool)
    keep = np.zeros(n, dtype=bool)
    masked = np.zeros(n, dtype=bool)
    label_fixed = np.zeros(n, dtype=bool)
    for key, kind in (fixed or {}).items():
        if key in system.index:
            i = system.index[key]
            hidden[i] = hidden[i] or kind != SHOWN
            keep[i] = kind == SHOWN
            masked[i] = kind == SECONDARY and rule.is_small(int(values[i]))
            label_fixed[i] = kind == SMALL
    groups = [[system.index[total], *(system.index[p] for p in parts)] for total, parts in lines]
    groups += [
        [system.index[b.total], *(system.index[p] for p in b.parts)] for b in bounds if b.covers and b.categories
    ]
    for key in disclosed:  # known to the reader from another family: never hidden here
        hidden[system.index[key]] = False
        keep[system.index[key]] = True
    group_hidden = hidden.copy()  # lines whose total is itself hidden: a small group (or one hidden elsewhere)
    guards: list[tuple[int, list[int]]] = []  # (the one category, the zeros hidden beside it)
    for group in groups:  # every contributor of a line in one category
        nonzero = [m for m in group[1:] if values[m] > 0]
        if values[group[0]] > 0 and len(nonzero) == 1:
            if keep[nonzero[0]]:  # the one category is a figure the reader knows (the total itself): no way
                raise DisclosureRefused()
            hidden[nonzero[0]] = True
            zeros = [m for m in group[1:] if values[m] == 0 and not keep[m] and not hidden[m]]
            if group_hidden[group[0]] and zeros:  # "<5" beside zeros: the few of the group all in that one
                hidden[zeros] = True
                guards.append((nonzero[0], zeros))
    guarded = np.zeros(n, dtype=bool)  # guarded by their line (another answer stays possible), not by ±p
    for _category, zeros in guards:
        guarded[zeros] = True
    # Neighbours: figures in a line or bound with it, or sharing base counts with it.
    overlap = (system.matrix @ system.matrix.T).tocsr()
    neighbours = [set(overlap.indices[overlap.indptr[i] : overlap.indptr[i + 1]].tolist()) - {i} for i in range(n)]
    for group in [*groups, *([system.index[b.total], *(system.index[p] for p in b.parts)] for b in bounds)]:
        for member in group:
            neighbours[member].update(m for m in group if m != member)
    is_total = np.zeros(n, dtype=bool)
    for group in groups:
        is_total[group[0]] = True
    for bound in bounds:
        is_total[system.index[bound.total]] = True
    size = np.diff(system.matrix.indptr)

    def score(candidate: int) -> tuple[int, int, int, int, int, int]:
        room = int(others[candidate])
        closing = sum(1 for s in neighbours[candidate] if hidden[s] and not guarded[s])
        fit = 0 if room >= rule.p else (1 if room > 0 else 2)
        return (int(is_total[candidate]), fit, int(size[candidate]), -closing, room, candidate)

    def hide_partner(pool: list[int]) -> bool:
        choices = [c for c in pool if not hidden[c] and not keep[c]]
        if not choices:
            return False
        hidden[min(choices, key=score)] = True
        return True

    exact = [[system.index[total], *(system.index[p] for p in parts)] for total, parts in lines]
    changed = True
    while changed:  # cheap first pass: no exact line with a single hidden figure
        changed = False
        for group in exact:
            if sum(1 for c in group if hidden[c] and not guarded[c]) == 1:
                changed = hide_partner(group) or changed
    small = np.array([rule.is_small(int(v)) for v in values], dtype=bool)
    done: set[int] = set()
    held_inside: set[int] = set()  # held as parts of a "<k" figure: checked again once a label is masked

    def forget_inside() -> None:
        done.difference_update(held_inside)
        held_inside.clear()

    def mask_label(pool: set[int]) -> bool:
        """Every figure beside it is hidden already: show one "<k" beside it as "x" instead, whose label
        narrowed it (not one another family prints as "<k")."""
        choices = [c for c in pool if hidden[c] and small[c] and not masked[c] and not label_fixed[c]]
        if not choices:
            return False
        chosen = min(choices, key=score)
        masked[chosen] = True
        forget_inside()
        done.discard(chosen)  # an "x" now: checked again against ±p
        return True

    def protect_hidden_figures() -> None:
        to_check = {int(c) for c in np.flatnonzero(hidden & ~guarded) if int(c) not in done}
        while to_check:
            order = sorted(to_check)
            found = system.intervals(hidden, hidden & ~masked & small, order, rule)
            to_check = set()
            failures = []
            progress = False
            before = hidden.copy()
            masks_before = int(masked.sum())
            was_masked = masked.copy()
            for cell, interval in zip(order, found, strict=True):
                if masked[cell] != was_masked[cell]:  # masked beside another cell since: an "x" to check again
                    to_check.add(cell)
                    continue
                if interval.holds(rule):
                    done.add(cell)
                    if interval.inside_label:
                        held_inside.add(cell)
                    continue
                failures.append(interval)
                to_check.add(cell)
                if interval.kind == SMALL and interval.plain_holds(rule) and not label_fixed[cell]:
                    masked[cell] = True
                    forget_inside()
                    progress = True
                    continue
                if any(hidden[s] and not before[s] for s in neighbours[cell]):
                    continue  # a partner beside it was just hidden: check again before adding more
                pool = [s for s in neighbours[cell] if not hidden[s] and not keep[s]]
                if not pool and mask_label(neighbours[cell]):
                    progress = True
                    continue
                if not pool:
                    pool = [c for c in range(n) if not hidden[c] and not keep[c]]
                progress = hide_partner(pool) or progress
            if failures and not progress:
                raise DisclosureRefused(failures)
            # Hiding or masking only widens the intervals already found: check the figures not yet protected.
            if int(masked.sum()) != masks_before:  # parts of a label masked in this batch were held on old intervals
                forget_inside()
            to_check.update(int(c) for c in np.flatnonzero(hidden & ~guarded) if int(c) not in done)

    while True:
        protect_hidden_figures()
        exposed = system.exposed_guards(hidden, hidden & ~masked & small, guards, rule)
        if not exposed:
            break
        progress = False
        for _category, zeros in exposed:  # another answer must stay possible: open one of their lines
            pool = sorted({s for z in zeros for s in neighbours[z] if not hidden[s] and not keep[s]})
            progress = hide_partner([s for s in pool if values[s] > 0] or pool) or progress
        if not progress:
            raise DisclosureRefused()
    kinds = {
        key: (SHOWN if not hidden[i] else (SMALL if small[i] and not masked[i] else SECONDARY))
        for i, key in enumerate(system.keys)
    }
    intervals_found = _audit(system, kinds, rule, guards)
    return ProtectedFigures(
        rule,
        family,
        {key: kinds[rep] for key, rep in alias.items()},
        {key: int(values[system.index[rep]]) for key, rep in alias.items()},
        intervals_found,
        [(system.keys[c], tuple(system.keys[z] for z in zeros)) for c, zeros in guards],
    )


def _audit(
    system: _System, kinds: Mapping[Any, str], rule: Rule, guards: Sequence[tuple[int, list[int]]] = ()
) -> list[Interval]:
    hidden = np.array([kinds[key] != SHOWN for key in system.keys], dtype=bool)
    labelled = np.array([kinds[key] == SMALL for key in system.keys], dtype=bool)
    guarded = {zero for _category, zeros in guards for zero in zeros}
    targets = [int(i) for i in np.flatnonzero(hidden) if int(i) not in guarded]
    out = system.intervals(hidden, labelled, targets, rule) if targets else []
    failures = [interval for interval in out if not interval.holds(rule)]
    if failures:
        raise DisclosureRefused(failures)
    if system.exposed_guards(hidden, labelled, guards, rule):
        raise DisclosureRefused()
    return out


def audit_published(
    figures: Mapping[Any, Sequence[Hashable]],
    published: Mapping[Any, int | str | None],
    *,
    rule: Rule | None = None,
    known: Mapping[Any, int] | None = None,
    bounds: Sequence[Bound] = (),
    facts: Sequence[Fact] = (),
    refuse: bool = True,
    values: Mapping[Any, int] | None = None,
) -> list[Interval]:
    """The LP audit of what a reader sees: each figure as the base counts it sums and what is printed (a
    count, "<k", or anything else for hidden), with the non-additive bounds. Intervals of the hidden figures,
    in the order of `figures`. `values`: the figures' true counts, when the caller knows them, so that each
    side of the protection interval is checked (else only the widths)."""
    rule = rule or Rule()
    shown = {key: value for key, value in published.items() if isinstance(value, int)}
    # The shown values stand for the base counts: solve only with the published sums.
    system = _System(figures, {}, known, bounds, facts)
    system.values = np.array([shown.get(key, 0) for key in system.keys], dtype=np.int64)
    system.true_values = values is not None  # without the true counts only the widths can be checked
    hidden = np.array([key not in shown for key in system.keys], dtype=bool)
    labelled = np.array([published.get(key) == rule.small_label for key in system.keys], dtype=bool)
    targets = [int(i) for i in np.flatnonzero(hidden)]
    if values is not None:
        system.values = np.array([values.get(key, shown.get(key, 0)) for key in system.keys], dtype=np.int64)
    out = system.intervals(hidden, labelled, targets, rule) if targets else []
    failures = [interval for interval in out if not interval.holds(rule)]
    if failures and refuse:
        raise DisclosureRefused(failures)
    return out
