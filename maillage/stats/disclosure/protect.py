"""Primary and secondary suppression over a linked table, checked by the LP audit."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from django.utils.translation import gettext as _
from scipy import sparse

from maillage.stats.disclosure import rounds as kept_rounds
from maillage.stats.disclosure.lp import could_hold, inside, reader_intervals
from maillage.stats.disclosure.rule import SECONDARY, SHOWN, SMALL, Rule
from maillage.stats.disclosure.table import TOTAL, Dimension, Key, LinkedTable


@dataclass(frozen=True)
class Interval:
    """What a reader can deduce about one hidden cell: it lies between `lower` and `upper`."""

    cell: Key
    lower: float
    upper: float
    kind: str = SECONDARY
    own: float = 0.0  # the reader's own contribution to the cell
    # A "<k" cell's interval when the reader also uses what "<k" means for every such cell.
    label_lower: float | None = None
    label_upper: float | None = None
    # The cell's true count: known to the engine, not to an audit of what is printed (then None, and only the
    # widths can be checked).
    value: float | None = None
    # An "x" cell that is part of a figure shown "<k": ±p cannot be kept against a reader who uses the labels
    # (the label caps it at k−1), so `lower`/`upper` are its interval from the sums alone (±p, as before) and
    # `label_lower`/`label_upper` the labelled reader's, held to the label's levels (`inside_label_interval`).
    inside_label: bool = False

    @property
    def width(self) -> float:
        return self.upper - self.lower

    def plain_holds(self, rule: Rule) -> bool:
        """The interval from the published sums (and the reader's inequalities) covers the protection interval
        on both sides: upper ≥ v + UPL and lower ≤ v − LPL (capped at the reader's floor); at least p wide. What
        an "x" cell must keep (and a "<k" cell shown "x" instead, once its label is what narrows it), against a
        reader who uses every "<k" label; inside a "<k" figure, the label's levels (0..k−1)."""
        if self.inside_label and not self._inside_label_holds(rule):
            return False
        if self.width < rule.p - 1e-6:
            return False
        if self.value is None or not rule.two_sided:
            return True
        low, high = rule.protection_interval(self.value, self.own)
        return self.lower <= low + 1e-6 and self.upper >= high - 1e-6

    def _inside_label_holds(self, rule: Rule) -> bool:
        """An "x" that is part of a "<k" figure, to the reader who uses every label (`label_lower/upper`):
        within 0..k−1 it keeps the label's levels (v ± `label_protection`) and `label_width` possible counts."""
        if self.label_lower is None or self.label_upper is None:
            return True
        if self.label_upper - self.label_lower < rule.label_width - 1e-6:
            return False
        if self.value is None or not rule.two_sided:
            return True
        low, high = rule.inside_label_interval(self.value, self.own)
        return self.label_lower <= low + 1e-6 and self.label_upper >= high - 1e-6

    def label_holds(self, rule: Rule) -> bool:
        """A "<k" cell to a reader who also uses what every "<k" label means: still `rule.label_width` wide and,
        when the count is known, covering v ± `rule.label_protection` within 1..k−1 on both sides."""
        if self.kind != SMALL or self.label_lower is None or self.label_upper is None:
            return True
        if self.label_upper - self.label_lower < rule.label_width - 1e-6:
            return False
        if self.value is None or not rule.two_sided:
            return True
        low, high = rule.label_interval(self.value, self.own)
        return self.label_lower <= low + 1e-6 and self.label_upper >= high - 1e-6

    def levels(self, rule: Rule) -> tuple[float | None, float | None, float | None, float | None]:
        """What each end must reach for its side to hold (`lower` ≤, `upper` ≥, `label_lower` ≤, `label_upper`
        ≥), the sides `plain_holds`, `_inside_label_holds` and `label_holds` check; None where only a width is
        asked. `rounds` solves first the bounds its points leave short of these; `holds` alone decides."""
        if self.value is None or not rule.two_sided:
            return (None, None, None, None)
        low, high = rule.protection_interval(self.value, self.own)  # a "<k" cell's too: `plain_holds` asks them
        if self.kind == SMALL:
            return (low, high, *rule.label_interval(self.value, self.own))
        if self.inside_label:
            return (low, high, *rule.inside_label_interval(self.value, self.own))
        return (low, high, None, None)

    def holds(self, rule: Rule) -> bool:
        """An "x" cell: its interval covers the protection interval on both sides (`plain_holds`). A "<k" cell:
        the reader knows 1..k−1 from the label, so its levels are within the label — at least p wide from the
        sums alone, and to a reader who uses every label still v ± `rule.label_protection` within 1..k−1 and
        `rule.label_width` wide (`label_holds`)."""
        if self.kind == SMALL:
            return self.width >= rule.p - 1e-6 and self.label_holds(rule)
        return self.plain_holds(rule)


class DisclosureRefused(Exception):  # noqa: N818 (the name the pages catch)
    """A hidden cell could be worked out closer than the protection interval: the table is not shown."""

    def __init__(self, failures: Sequence[Interval] = ()):
        self.failures = list(failures)
        super().__init__(str(self.message))

    @property
    def message(self) -> str:
        return _(
            "This table is not shown: some hidden figures could be worked out from the others. Choose fewer "
            "or broader categories, a longer period or a wider group of centres."
        )


@dataclass
class Protected:
    """Every published cell of a family with its state: shown, small ("<k") or secondary ("x")."""

    rule: Rule
    family: str
    dims: tuple[str, ...]
    table: LinkedTable
    kinds: dict[Key, str]
    intervals: list[Interval] = field(default_factory=list)
    # A line where the few of a hidden group all fall in one category: (that category, the zeros hidden beside
    # it). Those zeros are protected by their line — some other answer stays possible — not by ±p.
    guards: list[tuple[Key, tuple[Key, ...]]] = field(default_factory=list)

    # Reading cells ---------------------------------------------------------------------------------------

    def _key(self, cell: Key | str) -> Key:
        return (cell,) if isinstance(cell, str) else tuple(cell)

    def kind(self, cell: Key | str) -> str:
        """SHOWN, SMALL or SECONDARY."""
        return self.kinds[self._key(cell)]

    def state(self, cell: Key | str) -> str:
        """ "shown", "<k" or "x"."""
        kind = self.kind(cell)
        return SHOWN if kind == SHOWN else self.rule.label(kind)

    def hidden(self, cell: Key | str) -> bool:
        return self.kind(cell) != SHOWN

    def value(self, cell: Key | str) -> int | None:
        """The count, or None when hidden (never a zero)."""
        key = self._key(cell)
        return None if self.kinds[key] != SHOWN else int(self.table.values[self.table.index[key]])

    def text(self, cell: Key | str) -> str:
        value = self.value(cell)
        return self.state(cell) if value is None else str(value)

    def share(self, cell: Key | str, of: Key | str, digits: int = 1) -> float | None:
        """cell / of in percent; None when either count is hidden or the denominator is zero."""
        numerator, denominator = self.value(cell), self.value(of)
        if numerator is None or not denominator:
            return None
        return round(100.0 * numerator / denominator, digits)

    def cells(self) -> list[Key]:
        return list(self.table.keys)

    def published(self) -> dict[Key, int | None]:
        """What a reader sees: every cell's count, None for a hidden one."""
        return {key: self.value(key) for key in self.table.keys}

    def view(self, keep: Sequence[str], where: Mapping[str, str] | None = None) -> dict[Key, str]:
        """The states of a view of the family: the dimensions `keep`, the others at TOTAL or at the value
        given in `where` (a filter). Same pattern whatever view is asked: the cells are the family's."""
        where = dict(where or {})
        positions = [self.dims.index(name) for name in keep]
        out = {}
        for key in self.table.keys:
            ok = all(key[d] == where.get(name, TOTAL) for d, name in enumerate(self.dims) if name not in keep)
            if ok:
                out[tuple(key[d] for d in positions)] = self.state(key)
        return out

    @property
    def hidden_cells(self) -> list[Key]:
        return [key for key, kind in self.kinds.items() if kind != SHOWN]


def protect(
    cells: Mapping[Key, int],
    *,
    dims: Sequence[str | Dimension],
    rule: Rule | None = None,
    known: Mapping[Key, int] | None = None,
    family: str = "",
    fixed: Mapping[Key, str] | None = None,
    check: bool = True,
    ceilings: Mapping[Key, int] | None = None,
) -> Protected:
    """Protect a family of tables given by its base counts. See the package docstring. `ceilings`: what the
    reader knows of a published cell besides the sums — at most this many (a cell of follow-ups by action is
    at most the period's follow-ups, a distinct total published in another family)."""
    rule = rule or Rule()
    table = LinkedTable(cells, dims, known)
    table.ceilings = {table.index[key]: float(v) for key, v in (ceilings or {}).items() if key in table.index}
    n = len(table.keys)
    values = table.values
    others = values - table.known  # what the other contributors put in each cell
    hidden = np.zeros(n, dtype=bool)
    keep = np.zeros(n, dtype=bool)  # shown in a table this family must agree with
    masked = np.zeros(n, dtype=bool)  # a count of 1..k−1 shown as "x": its label would narrow others
    label_fixed = np.zeros(n, dtype=bool)  # shown as "<k" in a table this family must agree with
    for key, kind in (fixed or {}).items():
        if key in table.index:
            i = table.index[key]
            hidden[i] = kind != SHOWN
            keep[i] = kind == SHOWN
            masked[i] = kind == SECONDARY and rule.is_small(int(table.values[i]))
            label_fixed[i] = kind == SMALL
    for i in range(n):
        if rule.is_small(int(values[i])) or (known and rule.is_small(int(others[i]))):
            hidden[i] = True
    lines = table.lines()
    group_hidden = hidden.copy()  # lines whose total is itself hidden: a small group (or one hidden elsewhere)
    guards: list[tuple[int, list[int]]] = []  # (the one category, the zeros hidden beside it)
    along_attribute = {tuple(line) for line in table.lines(attributes_only=True)}
    for line in lines:  # every contributor of a line in one category
        total, members = line[0], line[1:]
        nonzero = [m for m in members if values[m] > 0]
        if values[total] > 0 and len(nonzero) == 1:
            hidden[nonzero[0]] = True
            zeros = [m for m in members if values[m] == 0 and not keep[m] and not hidden[m]]
            if group_hidden[total] and zeros and tuple(line) in along_attribute:
                # The zeros beside it would tell that the few of a hidden group all gave that one answer.
                hidden[zeros] = True
                guards.append((nonzero[0], zeros))
    guarded = np.zeros(n, dtype=bool)  # hidden only so as not to tell that: guarded by their line, not by ±p
    for _category, zeros in guards:
        guarded[zeros] = True
    # A zero inside a line whose total is a zero shown elsewhere stays exactly zero whatever is hidden: never a
    # partner (hiding it protects nothing, and it could never be protected itself).
    for line in lines:
        if keep[line[0]] and values[line[0]] == 0:
            keep[[m for m in line[1:] if not hidden[m]]] = True
    lines_of: list[list[int]] = [[] for _ in range(n)]
    for number, line in enumerate(lines):
        for cell in line:
            lines_of[cell].append(number)
    siblings = [table.siblings(i) for i in range(n)]

    def score(candidate: int) -> tuple[int, int, int, int, int]:
        room = int(others[candidate])
        closing = sum(1 for s in siblings[candidate] if hidden[s] and not guarded[s])
        return (table.level[candidate], 0 if room >= rule.p else (1 if room > 0 else 2), -closing, room, candidate)

    def hide_partner(pool: Iterable[int]) -> bool:
        choices = [c for c in pool if not hidden[c] and not keep[c]]
        if not choices:
            return False
        hidden[min(choices, key=score)] = True
        return True

    changed = True
    while changed:  # cheap first pass: no line with a single hidden cell
        changed = False
        for line in lines:
            if sum(1 for c in line if hidden[c] and not guarded[c]) == 1:
                changed = hide_partner(line) or changed
    protected_cells: set[int] = set()  # checked and holding (their intervals are not kept: `audit` solves afresh)
    held_inside: set[int] = set()  # held as parts of a "<k" figure: checked again once a label is masked

    def forget_inside() -> None:
        protected_cells.difference_update(held_inside)
        held_inside.clear()

    small = _small(table, rule)
    kept: list[kept_rounds.Rounds] = []  # bounds kept from round to round, made when first asked (`rounds`)

    def reader() -> kept_rounds.Rounds | None:
        """The same decisions as solving every bound each round (`rounds.EXACT`: the reference path)."""
        if kept_rounds.EXACT:
            return None
        if not kept:
            label_range = (1.0, float(rule.k - 1))
            every_line = lines + table.partitions()  # its proved bounds also go along the groups (periods)
            kept.append(
                kept_rounds.Rounds(
                    table.matrix, values.astype(float), table.lower, _facts(table), label_range, every_line
                )
            )
        return kept[0]

    def mask_label(pool: Iterable[int]) -> bool:
        """Every cell of its lines is hidden already: show one "<k" beside it as "x" instead, whose label
        narrowed it (not one a smaller family prints as "<k")."""
        choices = [c for c in pool if hidden[c] and small[c] and not masked[c] and not label_fixed[c]]
        if not choices:
            return False
        chosen = min(choices, key=score)
        masked[chosen] = True
        forget_inside()
        protected_cells.discard(chosen)  # an "x" now: checked again against ±p
        return True

    def protect_hidden_cells() -> None:
        to_check = {int(c) for c in np.flatnonzero(hidden & ~guarded) if int(c) not in protected_cells}
        while to_check:
            order = sorted(to_check)
            found = _intervals(table, hidden, hidden & ~masked & small, order, rule, reader())
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
                    protected_cells.add(cell)
                    if interval.inside_label:
                        held_inside.add(cell)
                    continue
                failures.append(cell)
                to_check.add(cell)
                if interval.kind == SMALL and interval.plain_holds(rule) and not label_fixed[cell]:
                    masked[cell] = True
                    forget_inside()  # its own "<k" label is what narrows it: shown as "x" instead
                    progress = True
                    continue
                if any(hidden[s] and not before[s] for s in siblings[cell]):
                    continue  # a partner in one of its lines was just hidden: check again before adding more
                pool = [s for s in siblings[cell] if not hidden[s] and not keep[s]]
                if not pool and mask_label(siblings[cell]):
                    progress = True
                    continue
                if not pool:
                    pool = [c for c in range(n) if not hidden[c] and not keep[c]]
                progress = hide_partner(pool) or progress
            if failures and not progress:  # nothing left to hide: this family cannot be shown
                # Nothing changed in this round: the failures' exact intervals (some ends were only witnessed).
                raise DisclosureRefused(_intervals(table, hidden, hidden & ~masked & small, failures, rule))
            # Hiding or masking only widens intervals, but a masked label changes which cells are labelled.
            if int(masked.sum()) != masks_before:  # parts of a label masked in this batch were held on old intervals
                forget_inside()
            to_check.update(int(c) for c in np.flatnonzero(hidden & ~guarded) if int(c) not in protected_cells)

    while True:
        protect_hidden_cells()
        exposed = _exposed_guards(table, hidden, hidden & ~masked & _small(table, rule), guards, rule)
        if not exposed:
            break
        progress = False
        for _category, zeros in exposed:  # another answer must stay possible: open one of their lines
            pool = sorted({s for z in zeros for s in siblings[z] if not hidden[s] and not keep[s]})
            # Only a count above zero makes room for another answer: hiding a zero opens nothing.
            progress = hide_partner([s for s in pool if values[s] > 0] or pool) or progress
        if not progress:
            raise DisclosureRefused()
    kinds = {
        key: (SHOWN if not hidden[i] else (SMALL if rule.is_small(int(values[i])) and not masked[i] else SECONDARY))
        for i, key in enumerate(table.keys)
    }
    result = Protected(
        rule=rule,
        family=family,
        dims=tuple(d.name for d in table.dims),
        table=table,
        kinds=kinds,
        guards=[(table.keys[c], tuple(table.keys[z] for z in zeros)) for c, zeros in guards],
    )
    if check:
        result.intervals = audit(result, rule)
    return result


def _small(table: LinkedTable, rule: Rule) -> np.ndarray:
    return np.array([rule.is_small(int(v)) for v in table.values], dtype=bool)


def _exposed_guards(
    table: LinkedTable, hidden: np.ndarray, labelled: np.ndarray, guards: Sequence[tuple[int, list[int]]], rule: Rule
) -> list[tuple[int, list[int]]]:
    """The guarded lines whose hidden zeros a reader can prove to be zeros together (so the group's one answer
    would be known), using every "<k" label as well."""
    if not guards:
        return []
    shown = np.flatnonzero(~hidden)
    facts = _facts(table)
    targets = sparse.csr_matrix(np.vstack([np.asarray(table.matrix[zeros].sum(axis=0)) for _c, zeros in guards]))
    labels = [int(i) for i in np.flatnonzero(labelled)]
    found = could_hold(
        table.matrix[shown], table.values[shown].astype(float), table.lower, targets,
        table.matrix[labels], (1.0, float(rule.k - 1)), facts=facts,
    )  # fmt: skip
    return [guard for guard, possible in zip(guards, found, strict=True) if not possible]


def _facts(table: LinkedTable) -> tuple[sparse.csr_matrix, np.ndarray] | None:
    rows = sorted(table.ceilings)
    return (table.matrix[rows], np.array([table.ceilings[r] for r in rows])) if rows else None


def _intervals(
    table: LinkedTable,
    hidden: np.ndarray,
    labelled: np.ndarray,
    cells: Sequence[int],
    rule: Rule,
    kept: kept_rounds.Rounds | None = None,
) -> list[Interval]:
    """The intervals of `cells` for the reader of `reader_intervals`: every shown count, every "<k" label
    (`labelled`), non-negativity and their own part (a "<k" cell also from the sums alone). With `kept` (a
    round of `protect`), ends that `holds` does not need exactly may be bounds witnessed by kept points."""
    shown = np.flatnonzero(~hidden)
    labels = table.matrix[[int(i) for i in np.flatnonzero(labelled)]]
    targets = table.matrix[list(cells)]
    within = inside(targets, labels)
    small = [bool(labelled[c]) or within[row] for row, c in enumerate(cells)]

    def interval(row: int, ends: tuple[float, float, float | None, float | None]) -> Interval:
        cell = cells[row]
        return Interval(
            table.keys[cell],
            ends[0],
            ends[1],
            SMALL if labelled[cell] else SECONDARY,
            float(table.known[cell]),
            ends[2],
            ends[3],
            float(table.values[cell]),
            inside_label=within[row] and not labelled[cell],
        )

    if kept is not None:

        def decide(row: int, ends: tuple[float, float, float | None, float | None]) -> tuple[bool, bool]:
            # What `protect_hidden_cells` reads of an interval: whether it holds, and if not, for a "<k" cell,
            # whether it would hold as an "x" (both only turn from False to True as the interval widens).
            found = interval(row, ends)
            holds = found.holds(rule)
            return holds, holds or (found.kind == SMALL and found.plain_holds(rule))

        judge = kept_rounds.Judge(decide, lambda row: interval(row, (0.0, 0.0, None, None)).levels(rule))
        found = kept.intervals(hidden, labelled, cells, small, judge)
    else:
        found = reader_intervals(
            table.matrix[shown], table.values[shown].astype(float), table.lower, targets, small, labels,
            (1.0, float(rule.k - 1)), facts=_facts(table),
        )  # fmt: skip
    return [interval(row, ends) for row, ends in enumerate(found)]


def audit(protected: Protected, rule: Rule | None = None) -> list[Interval]:
    """Each hidden cell's feasible interval from what is published (and what the reader knows); raises
    DisclosureRefused when any is narrower than the protection interval."""
    rule = rule or protected.rule
    table = protected.table
    hidden = np.array([protected.kinds[key] != SHOWN for key in table.keys], dtype=bool)
    guarded = {table.index[zero] for _category, zeros in protected.guards for zero in zeros}
    cells = [int(i) for i in np.flatnonzero(hidden) if int(i) not in guarded]
    labelled = np.array([protected.kinds[key] == SMALL for key in table.keys], dtype=bool)
    out = _intervals(table, hidden, labelled, cells, rule) if cells else []
    failures = [interval for interval in out if not interval.holds(rule)]
    if failures:
        raise DisclosureRefused(failures)
    guards = [(table.index[c], [table.index[z] for z in zeros]) for c, zeros in protected.guards]
    if _exposed_guards(table, hidden, labelled, guards, rule):
        raise DisclosureRefused()
    return out
