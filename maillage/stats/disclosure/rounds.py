"""Bounds kept across the rounds of one protection, so that `protect` solves only what it has to.

`protect` checks the hidden cells not yet protected, hides a few more and checks again: some thirty rounds on
a small database, where most cells are small and hidden. Each round used to solve every such cell's min and
max again (21,528 HiGHS solves for one page at 3,000 follow-ups). Between two rounds the reader only loses
constraints: a cell hidden drops its equality, or turns it into its "<k" label, which its count meets; a
label masked drops its inequality; the column bounds (the reader's own part) and the facts never change.
`Rounds` checks that this is so at each round (else it forgets everything it kept). Each end of an interval
is then held between an inner value (no further out than the exact one) and an outer one (no further in):

Certificates: the same figure, not solved again (inner = outer = exact). HiGHS's minimum comes with row duals
y and column duals z, c = Aᵀy + z, so c·x ≥ Σ y_r·(row r's bound) + Σ z_j·(column j's bound) for every x that
meets the rows with y_r ≠ 0 and the column bounds. While each such row is still a constraint with the same
meaning, that lower bound still holds; the optimal point x* met every constraint then, and the constraints
are only looser now, so x* is still possible: the minimum is the same number. Rows are named by what they say
(cell c's equality, cell c's label, fact j), never by their place in a model.

Witnesses (inner). Every point a solve returned that met the constraints then still meets them (they are
only looser): a table the reader cannot rule out, so for a target t, t·x ≥ its minimum and ≤ its maximum.

Proved bounds (outer, `_bounds`): what follows from the constraints row by row and along the table's lines
(a minimum is never below them, a maximum never above them).

Deciding. The caller's answers (`Judge.decide`: `Interval.holds`, and for a "<k" cell that fails,
`plain_holds`) only turn from False to True as an interval widens: every test in them is an end ≤ or ≥ a
level, or a width ≥ a minimum. The exact interval lies between the inner one and the outer one, so where
their answers agree, the exact interval's are the same; where they do not, ends are solved one at a time
(first those still open on their level, `Judge.levels`) until they agree, at worst all of them. So a
protection decides exactly as when every bound is solved. Inner ends go only to those answers: `protect`
solves afresh the intervals it reports (a refusal's failures, `audit`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from scipy import sparse

from maillage.stats.disclosure.lp import _Model

# True: `protect` solves every bound of every round (the reference path the tests compare this one with).
EXACT = False
# How far a kept point may miss a constraint and still count as possible (HiGHS's vertices of these integer
# tables miss by ~1e-12; the decisions' own tolerance is 1e-6).
TOLERANCE = 1e-9
MIN, MAX = 1.0, -1.0
ALL, SUMS = "all", "sums"  # the reader who uses every "<k" label; the reader of the sums alone

Ends = tuple[float, float, float | None, float | None]
Levels = tuple[float | None, float | None, float | None, float | None]


class Judge:
    """What `Rounds` asks the caller about target `row`. `decide`: every answer the caller reads from an
    interval (`Interval.holds`, `plain_holds`), each one that a wider interval can only turn from False to True.
    `levels`: what each end must reach for its side to hold (lower ≤, upper ≥, label lower ≤, label upper ≥;
    None where only a width is asked): which bounds to solve first."""

    def __init__(self, decide: Callable[[int, Ends], tuple[bool, ...]], levels: Callable[[int], Levels]) -> None:
        self.decide = decide
        self.levels = levels


class Rounds:
    """One protection's readers over the published cells `matrix` (rows) of the base counts (columns)."""

    def __init__(
        self,
        matrix: sparse.csr_matrix,
        values: np.ndarray,
        lower: np.ndarray,
        facts: tuple[sparse.csr_matrix, np.ndarray] | None,
        label_range: tuple[float, float],
        lines: Sequence[Sequence[int]] = (),
    ) -> None:
        self.matrix = matrix.tocsr()
        self.cells, self.n = self.matrix.shape
        self.values = np.asarray(values, dtype=float)
        self.lower = np.asarray(lower, dtype=float)
        self.facts = facts if facts is not None and facts[0].shape[0] else None
        self.label_range = label_range
        self.state: tuple[np.ndarray, np.ndarray] | None = None
        self._forget()
        # For `_outer`: the reader's own part of each published cell, and the rows that sum every base count
        # of a cell: published cells (their equality or label) and facts.
        self.own = self.matrix @ self.lower
        self.cover_cell, self.cover_row = _covering(self.matrix, self.matrix)
        self.fact_highest = np.full(self.cells, math.inf)  # what the facts alone cap each cell at
        if self.facts is not None:
            cell, fact = _covering(self.matrix, self.facts[0])
            facts_own = self.facts[0] @ self.lower
            np.minimum.at(self.fact_highest, cell, self.facts[1][fact] - (facts_own[fact] - self.own[cell]))
        # Lines (published cell = the sum of other published cells) as (line, member) pairs, for `_bounds`;
        # only those whose rows do add up (a line that did not would prove wrong bounds).
        lines = _adding_up(self.matrix, lines)
        self.line_total = np.array([line[0] for line in lines], dtype=np.int64)
        self.pair_line = np.array([n for n, line in enumerate(lines) for _m in line[1:]], dtype=np.int64)
        self.pair_member = np.array([m for line in lines for m in line[1:]], dtype=np.int64)

    def _forget(self) -> None:
        # (cell, reader, sense) → (value, the names of the rows its certificate uses)
        self.known: dict[tuple[int, str, float], tuple[float, np.ndarray]] = {}
        self.points = np.zeros((16, self.n))
        self.count = 0
        self.fits = {ALL: np.zeros(16, dtype=bool), SUMS: np.zeros(16, dtype=bool)}
        self.seen: dict[bytes, dict[str, bool]] = {}

    def intervals(
        self, hidden: np.ndarray, labelled: np.ndarray, cells: Sequence[int], small: Sequence[bool], judge: Judge
    ) -> list[Ends]:
        """As `lp.reader_intervals` for the published cells `cells` (rows of `matrix`): each end exact, or an
        inner value where that settles `judge.decide` already (module docstring)."""
        self._advance(hidden, labelled)
        self._load(hidden, labelled)
        self._aim(cells)
        out: list[Ends] = []
        for row, cell in enumerate(cells):
            start, end = self.matrix.indptr[cell], self.matrix.indptr[cell + 1]
            target = (self.matrix.indices[start:end], self.matrix.data[start:end])
            plain = SUMS if small[row] else ALL
            spec = [(plain, MIN), (plain, MAX)] + ([(ALL, MIN), (ALL, MAX)] if small[row] else [])
            found: list[float] = []  # each end's value as far in as known: a point's, or the exact one
            outer: list[float] = []  # and as far out as it can be: a bound proved, or the exact one
            for reader, sense in spec:
                value = self._certified(cell, reader, sense)
                if value is None:
                    found.append(self._witness(row, reader, sense))
                    outer.append(self._outer(cell, reader, sense))
                else:
                    found.append(value)
                    outer.append(value)
            if not _settled(judge, row, found, outer):
                # One end at a time until the answers are known: first those still open on their level.
                levels = judge.levels(row)
                order = sorted(
                    (e for e in range(len(spec)) if found[e] != outer[e]),
                    key=lambda e: (
                        _reaches(found[e], levels[e], spec[e][1]) or not _reaches(outer[e], levels[e], spec[e][1])
                    ),
                )
                for e in order:
                    found[e] = outer[e] = self._solve(cell, target, *spec[e])
                    if _settled(judge, row, found, outer):
                        break
            out.append(_ends(found))
        return out

    # The readers' constraints ---------------------------------------------------------------------------

    def _advance(self, hidden: np.ndarray, labelled: np.ndarray) -> None:
        """Keep what was found only when the constraints are the last round's, loosened: no shown cell
        again, and every new label on a cell shown before whose count it holds."""
        if self.state is not None:
            was_hidden, was_labelled = self.state
            new_labels = np.flatnonzero(labelled & ~was_labelled)
            low, high = self.label_range
            looser = not (was_hidden & ~hidden).any() and all(
                not was_hidden[c] and low <= self.values[c] <= high for c in new_labels
            )
            if not looser:
                self._forget()
        self.state = (hidden.copy(), labelled.copy())

    def _load(self, hidden: np.ndarray, labelled: np.ndarray) -> None:
        """This round's two readers (models built when first asked) and which rows they hold, by name: cell
        c's equality is c, its label cells + c, fact j 2·cells + j."""
        self.shown = np.flatnonzero(~hidden)
        self.labels = np.flatnonzero(labelled)
        facts = self.facts[0].shape[0] if self.facts is not None else 0
        self.active = {ALL: np.zeros(2 * self.cells + facts, dtype=bool)}
        self.active[ALL][self.shown] = True
        self.active[ALL][self.cells + self.labels] = True
        self.active[ALL][2 * self.cells :] = True
        self.active[SUMS] = self.active[ALL].copy()
        self.active[SUMS][self.cells + self.labels] = False
        self.models: dict[str, tuple[_Model, np.ndarray]] = {}
        self.outer: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.shown_matrix = self.matrix[self.shown]
        self.shown_values = self.values[self.shown]
        self.labels_matrix = self.matrix[self.labels]

    def _model(self, reader: str) -> tuple[_Model, np.ndarray]:
        """The reader's model as `lp.intervals` builds it (inequalities: labels ≤ high, −labels ≤ −low, facts;
        then the equalities), with the name of each of its rows."""
        if reader not in self.models:
            labels = self.labels if reader == ALL else np.zeros(0, dtype=np.int64)
            blocks, bounds, names = [], [], []
            if labels.size:
                block = self.labels_matrix
                blocks += [block, -block]
                bounds += [np.full(labels.size, self.label_range[1]), np.full(labels.size, -self.label_range[0])]
                names += [self.cells + labels, self.cells + labels]
            if self.facts is not None:
                blocks.append(self.facts[0])
                bounds.append(np.asarray(self.facts[1], dtype=float))
                names.append(2 * self.cells + np.arange(self.facts[0].shape[0]))
            a_ub = sparse.vstack(blocks).tocsr() if blocks else None
            b_ub = np.concatenate(bounds) if bounds else None
            a_eq = self.shown_matrix if self.shown.size else None
            b_eq = self.shown_values if self.shown.size else None
            model = _Model(self.n, a_eq, b_eq, a_ub, b_ub, [(float(low), None) for low in self.lower], primal=True)
            self.models[reader] = (model, np.concatenate([*names, self.shown]).astype(np.int64))
        return self.models[reader]

    def _meets(self, point: np.ndarray, reader: str) -> bool:
        """Whether `point` meets this round's constraints of `reader` (within TOLERANCE)."""
        if (point < self.lower - TOLERANCE).any():
            return False
        if self.shown.size:
            wanted = self.shown_values
            if (np.abs(self.shown_matrix @ point - wanted) > TOLERANCE * np.maximum(1.0, wanted)).any():
                return False
        if self.facts is not None and (self.facts[0] @ point > self.facts[1] + TOLERANCE).any():
            return False
        if reader == ALL and self.labels.size:
            sums = self.labels_matrix @ point
            low, high = self.label_range
            if (sums < low - TOLERANCE).any() or (sums > high + TOLERANCE).any():
                return False
        return True

    # Bounds -------------------------------------------------------------------------------------------

    def _certified(self, cell: int, reader: str, sense: float) -> float | None:
        """The bound found before, when its certificate's rows all still hold (module docstring)."""
        kept = self.known.get((cell, reader, sense))
        if kept is None:
            return None
        value, rows = kept
        if self.active[reader][rows].all():
            return value
        del self.known[(cell, reader, sense)]  # a row of it is gone for good (constraints only loosen)
        return None

    def _outer(self, cell: int, reader: str, sense: float) -> float:
        """A bound the exact one cannot pass, without a solve (`_bounds`)."""
        if reader not in self.outer:
            self.outer[reader] = self._bounds(reader)
        lowest, highest = self.outer[reader]
        return float(lowest[cell] if sense == MIN else highest[cell])

    def _bounds(self, reader: str) -> tuple[np.ndarray, np.ndarray]:
        """Every published cell's bounds that follow from this reader's constraints one row at a time: each
        cell at least the reader's own part of it (x ≥ lower) and, if shown, its count, if labelled, the
        label's low end; at most, for each constraint row r that sums every base count of the cell (published
        cells are 0/1 sums), r's bound minus the reader's own part of r's other counts. Then along each line
        (total = Σ members), as long as a bound moves: the total within the sums of its members' bounds, a
        member within the total's bounds minus the others'. Each step is an inequality every table the
        reader allows meets, so the exact minimum is never below `lowest`, the maximum never above
        `highest`."""
        active = self.active[reader]
        shown, labelled = active[: self.cells], active[self.cells : 2 * self.cells]
        lowest = self.own.astype(float).copy()
        highest = self.fact_highest.copy()
        cell, row = self.cover_cell, self.cover_row
        bound = np.where(shown[row], self.values[row], np.where(labelled[row], self.label_range[1], math.inf))
        np.minimum.at(highest, cell, bound - (self.own[row] - self.own[cell]))
        lowest[labelled] = np.maximum(lowest[labelled], self.label_range[0])
        lowest[shown] = np.maximum(lowest[shown], self.values[shown])
        highest[shown] = np.minimum(highest[shown], self.values[shown])
        if not self.pair_line.size:
            return lowest, highest
        line, member, total = self.pair_line, self.pair_member, self.line_total
        lines = len(total)
        for _pass in range(50):
            before = (lowest.copy(), highest.copy())
            open_ended = np.isinf(highest[member])
            sum_low = np.bincount(line, lowest[member], lines)
            sum_high = np.bincount(line, np.where(open_ended, 0.0, highest[member]), lines)
            unbounded = np.bincount(line, open_ended, lines)
            np.maximum.at(lowest, total, sum_low)
            np.minimum.at(highest, total, np.where(unbounded > 0, math.inf, sum_high))
            others_low = sum_low[line] - lowest[member]
            others_high = np.where(
                unbounded[line] - open_ended > 0, math.inf, sum_high[line] - np.where(open_ended, 0.0, highest[member])
            )
            np.minimum.at(highest, member, highest[total[line]] - others_low)
            np.maximum.at(lowest, member, lowest[total[line]] - others_high)
            if np.array_equal(before[0], lowest) and np.array_equal(before[1], highest):
                break
        return lowest, highest

    def _aim(self, cells: Sequence[int]) -> None:
        """This round's targets, and each one's lowest and highest value over the kept points each reader
        allows (kept up to date as points come: `_keep`)."""
        self.targets = self.matrix[list(cells)]
        self.witnessed: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for reader in (ALL, SUMS):
            points = self.points[: self.count][self.fits[reader][: self.count]]
            if len(points):
                values = np.asarray(self.targets @ points.T)
                self.witnessed[reader] = (values.min(axis=1), values.max(axis=1))
            else:
                self.witnessed[reader] = (np.full(len(cells), math.inf), np.full(len(cells), -math.inf))

    def _witness(self, row: int, reader: str, sense: float) -> float:
        """The lowest (MIN) or highest (MAX) value of target `row` over the kept points this reader allows: no
        further out than the exact bound. ±inf (nothing settled) without a point."""
        lowest, highest = self.witnessed[reader]
        return float(lowest[row] if sense == MIN else highest[row])

    def _solve(self, cell: int, target: tuple[np.ndarray, np.ndarray], reader: str, sense: float) -> float:
        model, names = self._model(reader)
        objective = np.zeros(self.n)
        objective[target[0]] = sense * target[1]
        value, point, duals = model.optimum(objective)
        bound = value if sense == MIN else (-value if math.isfinite(value) else math.inf)
        if point is not None and duals is not None and self._keep(point)[reader]:
            self.known[(cell, reader, sense)] = (bound, names[duals != 0])
        return bound

    def _keep(self, point: np.ndarray) -> dict[str, bool]:
        """Keep `point` among the witnesses; which readers' constraints it meets."""
        key = np.round(point, 9).tobytes()
        if key in self.seen:
            return self.seen[key]
        meets_all = self._meets(point, ALL)
        fits = {ALL: meets_all, SUMS: meets_all or self._meets(point, SUMS)}  # the sums: fewer constraints
        self.seen[key] = fits
        if self.count == len(self.points):
            self.points = np.vstack([self.points, np.zeros_like(self.points)])
            for reader in (ALL, SUMS):
                self.fits[reader] = np.concatenate([self.fits[reader], np.zeros(len(self.fits[reader]), dtype=bool)])
        self.points[self.count] = point
        for reader in (ALL, SUMS):
            self.fits[reader][self.count] = fits[reader]
        self.count += 1
        values = self.targets @ point
        for reader in (ALL, SUMS):
            if fits[reader]:
                lowest, highest = self.witnessed[reader]
                np.minimum(lowest, values, out=lowest)
                np.maximum(highest, values, out=highest)
        return fits


def _adding_up(matrix: sparse.csr_matrix, lines: Sequence[Sequence[int]]) -> list[Sequence[int]]:
    """The lines whose total's row is exactly the sum of its members' rows."""
    lines = [line for line in lines if len(line) > 1]
    if not lines:
        return []
    pairs = [(n, cell, 1.0 if place else -1.0) for n, line in enumerate(lines) for place, cell in enumerate(line)]
    rows, cells, signs = zip(*pairs, strict=True)
    balance = sparse.csr_matrix((signs, (rows, cells)), shape=(len(lines), matrix.shape[0])) @ matrix
    balance.eliminate_zeros()
    return [line for n, line in enumerate(lines) if balance.indptr[n + 1] == balance.indptr[n]]


def _covering(cells: sparse.csr_matrix, rows: sparse.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """(cell, row) pairs where a row of `rows` sums each base count of a row of `cells` once, and maybe others:
    row·x ≥ cell·x whenever x ≥ 0. Only for 0/1 sums (every linked table's); otherwise none."""
    rows = sparse.csr_matrix(rows)
    if not (cells.data == 1.0).all() or not (rows.data == 1.0).all():
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    common = (cells @ rows.T).tocoo()
    whole = common.data == np.diff(cells.indptr)[common.row]
    return common.row[whole].astype(np.int64), common.col[whole].astype(np.int64)


def _settled(judge: Judge, row: int, found: list[float], outer: list[float]) -> bool:
    """Whether the exact interval's answers are known already: it lies between the interval of `found` (each
    end no further out than the exact one) and that of `outer` (no further in); `judge.decide`'s answers only
    turn from False to True as an interval widens, so where those two agree the exact interval's agree."""
    return found == outer or judge.decide(row, _ends(found)) == judge.decide(row, _ends(outer))


def _ends(found: list[float]) -> Ends:
    """(low, high) and, for a "<k" target or a part of one (four ends found), the label ends."""
    return (found[0], found[1], found[2], found[3]) if len(found) == 4 else (found[0], found[1], None, None)


def _reaches(value: float, level: float | None, sense: float) -> bool:
    """A witnessed end is as far out as its level: a minimum at or below it, a maximum at or above it (None:
    no level, never reached)."""
    if level is None:
        return False
    return value <= level if sense == MIN else value >= level
