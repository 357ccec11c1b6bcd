"""The linked table a family of figures makes: base counts, the published cells (values, groups, totals) and
the sum each published cell is of the base counts."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

TOTAL = "__total__"

Key = tuple[str, ...]


@dataclass(frozen=True, eq=False)
class Dimension:
    """One dimension of a family of tables.

    `values`: the base values (taken from the cells when empty). `show_values`: False when the base values are
    never published on their own (months under a grid of periods, centres under a sector). `total`: a total
    over the dimension is published (key TOTAL). `groups`: published aggregates, label → base values (level-1
    codes over level-2 ones, quarters and four-month periods over months, sectors over centres).
    """

    name: str
    values: tuple[str, ...] = ()
    show_values: bool = True
    total: bool = True
    groups: Mapping[str, Sequence[str]] = field(default_factory=dict)
    # The figures tell something of each unit along this dimension (an answer, a theme, a sex), so a hidden
    # group all in one of its values is a secret to keep; False for the dimensions that only say where the
    # units are (sector, region).
    attribute: bool = True


def as_dimension(spec: str | Dimension) -> Dimension:
    return spec if isinstance(spec, Dimension) else Dimension(spec)


class LinkedTable:
    """Published cells as sums of base-count classes (base values published in the same cells are merged)."""

    def __init__(self, cells: Mapping[Key, int], dims: Sequence[str | Dimension], known: Mapping[Key, int] | None):
        self.dims = [as_dimension(d) for d in dims]
        width = len(self.dims)
        for key in cells:
            if len(key) != width:
                raise ValueError(f"cell {key!r} does not have {width} coordinates")
        self.coords: list[list[str]] = []
        class_members: list[list[list[int]]] = []  # per dim: coordinate index → class indices
        class_of_value: list[dict[str, int]] = []
        for position, dim in enumerate(self.dims):
            base = list(dim.values) or sorted({key[position] for key in cells})
            for members in dim.groups.values():
                base += [value for value in members if value not in base]
            coords = (list(base) if dim.show_values else []) + list(dim.groups) + ([TOTAL] if dim.total else [])
            if not coords:
                raise ValueError(f"dimension {dim.name!r} publishes nothing")
            contains = [{value} if (dim.show_values and i < len(base)) else None for i, value in enumerate(coords)]
            sets: list[set[str]] = []
            for i, coord in enumerate(coords):
                if contains[i] is not None:
                    sets.append(contains[i])  # type: ignore[arg-type]
                elif coord == TOTAL:
                    sets.append(set(base))
                else:
                    sets.append(set(dim.groups[coord]))
            signatures: dict[tuple[int, ...], int] = {}
            of_value: dict[str, int] = {}
            for value in base:
                signature = tuple(i for i, members in enumerate(sets) if value in members)
                of_value[value] = signatures.setdefault(signature, len(signatures))
            self.coords.append(coords)
            class_of_value.append(of_value)
            class_members.append([sorted({of_value[v] for v in members}) for members in sets])
        self.shape = tuple(len(set(of.values())) for of in class_of_value)
        base_values = np.zeros(self.shape, dtype=np.int64)
        lower = np.zeros(self.shape, dtype=np.int64)
        for key, count in cells.items():
            if count < 0:
                raise ValueError(f"cell {key!r} is negative")
            base_values[tuple(class_of_value[d][v] for d, v in enumerate(key))] += int(count)
        for key, count in (known or {}).items():
            if len(key) == width and all(v in class_of_value[d] for d, v in enumerate(key)):
                lower[tuple(class_of_value[d][v] for d, v in enumerate(key))] += max(0, int(count))
        self.keys: list[Key] = [
            tuple(self.coords[d][i] for d, i in enumerate(index))
            for index in itertools.product(*(range(len(c)) for c in self.coords))
        ]
        self.index: dict[Key, int] = {key: i for i, key in enumerate(self.keys)}
        rows: list[int] = []
        cols: list[int] = []
        for row, index in enumerate(itertools.product(*(range(len(c)) for c in self.coords))):
            blocks = [class_members[d][i] for d, i in enumerate(index)]
            flat = np.ravel_multi_index(np.array(list(itertools.product(*blocks))).T, self.shape)
            rows += [row] * len(flat)
            cols += list(np.atleast_1d(flat))
        n_vars = int(np.prod(self.shape))
        self.matrix = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(self.keys), n_vars), dtype=float)
        self.lower = lower.ravel().astype(float)
        self.values = (self.matrix @ base_values.ravel().astype(float)).round().astype(np.int64)
        self.known = (self.matrix @ self.lower).round().astype(np.int64)
        self.ceilings: dict[int, float] = {}  # published cell → what the reader knows it does not exceed
        self.level = [sum(1 for d, v in enumerate(key) if not self._is_base(d, v)) for key in self.keys]

    def _is_base(self, position: int, coord: str) -> bool:
        dim = self.dims[position]
        return dim.show_values and coord != TOTAL and coord not in dim.groups

    def siblings(self, cell: int) -> list[int]:
        """Published cells differing from `cell` in one coordinate (its lines, and the same cell in other
        groups or periods)."""
        key = self.keys[cell]
        out = []
        for d, coords in enumerate(self.coords):
            for coord in coords:
                if coord != key[d]:
                    out.append(self.index[(*key[:d], coord, *key[d + 1 :])])
        return out

    def lines(self, attributes_only: bool = False) -> list[list[int]]:
        """Each published equation along one dimension whose members are all published: [total, *members]
        (`attributes_only`: along the dimensions marked as attributes)."""
        out = []
        for cell, key in enumerate(self.keys):
            for d, coord in enumerate(key):
                dim = self.dims[d]
                if attributes_only and not dim.attribute:
                    continue
                if not dim.show_values or self._is_base(d, coord):
                    continue
                members = (
                    [c for c in self.coords[d] if self._is_base(d, c)] if coord == TOTAL else list(dim.groups[coord])
                )
                if len(members) >= 2:
                    out.append([cell] + [self.index[(*key[:d], m, *key[d + 1 :])] for m in members])
        return out

    def partitions(self) -> list[list[int]]:
        """Equations a dimension's groups make with its total, [total, *groups], where those groups cover every
        base value once (a year's quarters, its four-month periods): lines of the table that `lines` leaves
        out when the base values are never published. Found greedily in the groups' order."""
        out = []
        for d, dim in enumerate(self.dims):
            if not dim.total or not dim.groups:
                continue
            base = {value for members in dim.groups.values() for value in members} | set(dim.values)
            found: set[tuple[str, ...]] = set()
            names = list(dim.groups)
            for start, first in enumerate(names):
                chosen, covered = [first], set(dim.groups[first])
                for name in names[start + 1 :]:
                    if not covered & set(dim.groups[name]):
                        chosen.append(name)
                        covered |= set(dim.groups[name])
                if covered == base and len(chosen) >= 2:
                    found.add(tuple(chosen))
            for groups in sorted(found):
                for cell, key in enumerate(self.keys):
                    if key[d] == TOTAL:
                        out.append([cell] + [self.index[(*key[:d], group, *key[d + 1 :])] for group in groups])
        return out
