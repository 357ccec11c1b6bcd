"""Feasible intervals by linear programming (SciPy's HiGHS): what a reader can deduce about a hidden count.

The reader knows the published figures (each a sum of unknown non-negative base counts), that a cell shown
"<k" holds 1 to k−1, the lower bound of each base count (what they contributed themselves) and nothing else. A hidden figure's feasible interval is
the minimum and maximum of its sum under those constraints (the LP relaxation: the integer interval is never
wider than this one's rounded ends, and the attacks the tests try are all linear).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

try:  # SciPy's own binding of HiGHS, the solver `linprog(method="highs")` drives
    from scipy.optimize._highspy import _core as _highs
except ImportError:  # pragma: no cover - another SciPy: every bound through linprog
    _highs = None


class InconsistentFigures(ValueError):  # noqa: N818 (the name says what happened)
    """The published figures contradict each other (a bug upstream: they do not add up)."""


def intervals(
    shown: sparse.csr_matrix,
    shown_values: np.ndarray,
    lower: np.ndarray,
    targets: sparse.csr_matrix,
    labelled: sparse.csr_matrix | None = None,
    label_range: tuple[float, float] = (1.0, 4.0),
    facts: tuple[sparse.csr_matrix, np.ndarray] | None = None,
) -> list[tuple[float, float]]:
    """(min, max) of each row of `targets` · x subject to `shown` · x = `shown_values`, x ≥ `lower`, each
    row of `labelled` (the cells shown as "<k") between the ends of `label_range`, and `facts` (A, b):
    A · x ≤ b, what the reader knows besides sums (a distinct total is at least each of its parts)."""
    n = shown.shape[1]
    bounds = [(float(low), None) for low in lower]
    a_eq = shown if shown.shape[0] else None
    b_eq = shown_values if shown.shape[0] else None
    a_ub = b_ub = None
    if labelled is not None and labelled.shape[0]:
        a_ub = sparse.vstack([labelled, -labelled]).tocsr()
        b_ub = np.concatenate([np.full(labelled.shape[0], label_range[1]), np.full(labelled.shape[0], -label_range[0])])
    if facts is not None and facts[0].shape[0]:
        a_ub = facts[0].tocsr() if a_ub is None else sparse.vstack([a_ub, facts[0]]).tocsr()
        b_ub = np.asarray(facts[1], dtype=float) if b_ub is None else np.concatenate([b_ub, facts[1]])
    out: list[tuple[float, float]] = []
    model = _Model(n, a_eq, b_eq, a_ub, b_ub, bounds) if targets.shape[0] else None
    targets = targets.tocsr()
    for row in range(targets.shape[0]):
        assert model is not None
        objective = np.zeros(n)
        start, end = targets.indptr[row], targets.indptr[row + 1]
        objective[targets.indices[start:end]] = targets.data[start:end]
        low = model.minimum(objective)
        high = model.minimum(-objective)
        out.append((low, -high if math.isfinite(high) else math.inf))
    return out


def reader_intervals(
    shown: sparse.csr_matrix,
    shown_values: np.ndarray,
    lower: np.ndarray,
    targets: sparse.csr_matrix,
    small: Sequence[bool],
    labelled: sparse.csr_matrix,
    label_range: tuple[float, float],
    facts: tuple[sparse.csr_matrix, np.ndarray] | None = None,
) -> list[tuple[float, float, float | None, float | None]]:
    """What one reader can deduce about each row of `targets`: a reader who has every shown figure, knows
    that every row of `labelled` (each figure shown "<k") holds `label_range`, that no count is below
    `lower` (their own part), and the `facts`. Returns (low, high, label_low, label_high)
    per target: for an "x" target (`small` False) (low, high) is that reader's interval and the label ends
    are None; for a "<k" target, or an "x" part of a "<k" figure (`small` True: the labels cap it at k−1),
    (low, high) comes from the sums alone (at least p wide) and the label ends from that same reader. The
    one function every protection and audit asks, so none uses a weaker reader than another."""
    everything = intervals(shown, shown_values, lower, targets, labelled, label_range, facts)
    small_rows = [row for row, is_small in enumerate(small) if is_small]
    sums_only = (
        dict(zip(small_rows, intervals(shown, shown_values, lower, targets[small_rows], facts=facts), strict=True))
        if small_rows
        else {}
    )
    out: list[tuple[float, float, float | None, float | None]] = []
    for row, (low, high) in enumerate(everything):
        if row in sums_only:
            out.append((*sums_only[row], low, high))
        else:
            out.append((low, high, None, None))
    return out


def inside(targets: sparse.csr_matrix, containers: sparse.csr_matrix) -> list[bool]:
    """Whether each row of `targets` sums only base counts that one row of `containers` sums too: a part of
    a figure shown "<k", so at most k−1 whatever else is published."""
    if not containers.shape[0] or not targets.shape[0]:
        return [False] * targets.shape[0]
    support = (targets != 0).astype(float)
    common = (support @ (containers != 0).astype(float).T).toarray()
    sizes = np.asarray(support.sum(axis=1)).ravel()
    return [bool(size > 0 and (common[row] >= size - 1e-9).any()) for row, size in enumerate(sizes)]


def could_hold(
    shown: sparse.csr_matrix,
    shown_values: np.ndarray,
    lower: np.ndarray,
    targets: sparse.csr_matrix,
    labelled: sparse.csr_matrix | None = None,
    label_range: tuple[float, float] = (1.0, 4.0),
    facts: tuple[sparse.csr_matrix, np.ndarray] | None = None,
) -> list[bool]:
    """Whether each row of `targets` (a sum of hidden zeros) could hold at least one unit, for a reader who
    knows everything `intervals` lets them use: False means they can prove the sum is zero."""
    found = intervals(shown, shown_values, lower, targets, labelled, label_range, facts)
    return [high >= 1 - 1e-6 for _low, high in found]


class _Model:
    """One reader's constraints, loaded into HiGHS once; each bound then only changes the objective, and HiGHS
    starts from the last basis. `linprog` checks its inputs, sets its options and loads the whole model again
    for each of the two bounds of every hidden cell: on a page, that set-up was most of the audits' time.
    Any answer other than an optimum or "unbounded" is asked again through `linprog` (the reference path)."""

    def __init__(
        self,
        n: int,
        a_eq: sparse.csr_matrix | None,
        b_eq: np.ndarray | None,
        a_ub: sparse.csr_matrix | None,
        b_ub: np.ndarray | None,
        bounds: Sequence[tuple[float, float | None]],
        primal: bool = False,
    ) -> None:
        self.n = n
        self.problem = (a_eq, b_eq, a_ub, b_ub, bounds)
        self.highs = None
        if _highs is None or n == 0:
            return
        blocks, lower, upper = [], [], []
        if a_ub is not None and b_ub is not None:  # as linprog: the inequalities first, then the equalities
            blocks.append(a_ub)
            lower.append(np.full(a_ub.shape[0], -_highs.kHighsInf))
            upper.append(np.asarray(b_ub, dtype=float))
        if a_eq is not None and b_eq is not None:
            blocks.append(a_eq)
            lower.append(np.asarray(b_eq, dtype=float))
            upper.append(np.asarray(b_eq, dtype=float))
        matrix = sparse.csc_matrix(sparse.vstack(blocks)) if blocks else sparse.csc_matrix((0, n))
        lp = _highs.HighsLp()
        lp.num_col_ = n
        lp.num_row_ = matrix.shape[0]
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = np.array([low for low, _high in bounds], dtype=float)
        lp.col_upper_ = np.array([_highs.kHighsInf if high is None else high for _low, high in bounds], dtype=float)
        lp.row_lower_ = np.concatenate(lower) if lower else np.zeros(0)
        lp.row_upper_ = np.concatenate(upper) if upper else np.zeros(0)
        lp.a_matrix_.format_ = _highs.MatrixFormat.kColwise
        lp.a_matrix_.num_col_ = n
        lp.a_matrix_.num_row_ = matrix.shape[0]
        lp.a_matrix_.start_ = matrix.indptr
        lp.a_matrix_.index_ = matrix.indices
        lp.a_matrix_.value_ = matrix.data.astype(float)
        highs = _highs._Highs()
        highs.setOptionValue("output_flag", False)
        # Dual simplex, as linprog; primal for `rounds`: a new objective leaves the last basis feasible, where
        # the primal simplex starts (half the time per bound there; the minimum is the same number).
        highs.setOptionValue("simplex_strategy", 4 if primal else 1)
        if highs.passModel(lp) != _highs.HighsStatus.kError:
            self.highs = highs
            self.columns = np.arange(n, dtype=np.int32)

    def minimum(self, objective: np.ndarray) -> float:
        return self.optimum(objective)[0]

    def optimum(self, objective: np.ndarray) -> tuple[float, np.ndarray | None, np.ndarray | None]:
        """The minimum, with HiGHS's optimal point and row duals when it found one (else None, None): what
        `rounds` keeps to skip later solves. The rows are in the model's order: inequalities, then equalities."""
        highs = self.highs
        if highs is not None:
            highs.changeColsCost(self.n, self.columns, objective.astype(float))
            if highs.run() != _highs.HighsStatus.kError:
                status = highs.getModelStatus()
                if status == _highs.HighsModelStatus.kOptimal:
                    value = float(highs.getInfo().objective_function_value)
                    solution = highs.getSolution()
                    if solution.value_valid and solution.dual_valid:
                        return value, np.array(solution.col_value), np.array(solution.row_dual)
                    return value, None, None
                if status == _highs.HighsModelStatus.kUnbounded:
                    return -math.inf, None, None
        return _solve(objective, *self.problem), None, None


def _solve(
    objective: np.ndarray,
    a_eq: sparse.csr_matrix | None,
    b_eq: np.ndarray | None,
    a_ub: sparse.csr_matrix | None,
    b_ub: np.ndarray | None,
    bounds: Sequence[tuple[float, float | None]],
) -> float:
    result = linprog(objective, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    if result.status == 3:  # unbounded: the reader learns no upper limit
        return -math.inf
    if result.status != 0:
        raise InconsistentFigures(result.message)
    return float(result.fun)
