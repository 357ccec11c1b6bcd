"""The one place the sector app calls the disclosure engine (`maillage.stats.disclosure`).

Every sector figure a centre or the report shows passes here; this module hides nothing by itself. An
indicator's family of tables is protected once per reader (what they know: their centre's own figures),
and the states of every cell of the family kept for the cache's time, so the other periods of the grid read
the same pattern.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.cache import cache

from maillage.stats import disclosure
from maillage.stats.disclosure import TOTAL, Bound, Dimension, DisclosureRefused

SHOWN = disclosure.SHOWN
CACHE_SECONDS = 600
__all__ = [
    "SHOWN",
    "TOTAL",
    "Bound",
    "Dimension",
    "DisclosureRefused",
    "Family",
    "describe_rule",
    "protect_family",
    "protect_figure_family",
    "rule",
]

Key = tuple[str, ...]


def rule() -> disclosure.Rule:
    return disclosure.Rule()


def describe_rule() -> str:
    return str(rule().describe())


class Family:
    """The states of every published cell of a family; `refused` holds the engine's message when it could
    not protect the family (then every sector figure of it is withheld)."""

    def __init__(self, states: dict[Key, str], values: dict[Key, int | None], refused: str = "") -> None:
        self.states = states
        self.values = values
        self.refused = refused

    def state(self, cell: Key) -> str:
        if self.refused:
            return disclosure.SECONDARY_LABEL
        return self.states.get(cell, SHOWN)

    def value(self, cell: Key) -> int | None:
        if self.refused:
            return None
        return self.values.get(cell, 0)

    def with_states(self, states: Mapping[Key, str]) -> Family:
        """The same family with some states decided elsewhere (a distinct total's, by its own family)."""
        return Family({**self.states, **states}, dict(self.values), self.refused)


def protect_family(
    cells: Mapping[Key, int],
    *,
    dims: Sequence[Dimension],
    known: Mapping[Key, int] | None,
    family: str,
    cache_parts: tuple[object, ...] = (),
    ceilings: Mapping[Key, int] | None = None,
) -> Family:
    """Protect the family given by its base counts, for a reader who contributed `known` themselves."""
    key = (
        "maillage-sector-family:"
        + hashlib.sha256(
            repr(
                (
                    family,
                    sorted(cells.items()),
                    sorted((known or {}).items()),
                    sorted((ceilings or {}).items()),
                    cache_parts,
                )
            ).encode()
        ).hexdigest()
    )
    cached = cache.get(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    if not any(cells.values()):
        result = Family({}, {})
    else:
        try:
            protected = disclosure.protect(
                dict(cells), dims=list(dims), rule=rule(), known=known or None, family=family, ceilings=ceilings
            )
            result = Family({cell: protected.state(cell) for cell in protected.cells()}, dict(protected.published()))
        except DisclosureRefused as error:
            result = Family({}, {}, refused=str(error.message))
    cache.set(key, result, CACHE_SECONDS)
    return result


def protect_figure_family(
    base: Mapping[Any, int],
    figures: Mapping[Any, Sequence[Any]],
    *,
    family: str,
    lines: Sequence[tuple[Key, Sequence[Key]]] = (),
    bounds: Sequence[Bound] = (),
    disclosed: Sequence[Key] = (),
    known: Mapping[Any, int] | None = None,
    fixed: Mapping[Any, str] | None = None,
) -> Family:
    """Protect figures given one by one (`maillage.stats.disclosure.protect_figures`): tables published side
    by side that add up, or whose total is a distinct count. Kept for the cache's time like a family."""
    key = (
        "maillage-sector-figures:"
        + hashlib.sha256(
            repr(
                (
                    family,
                    sorted(base.items(), key=repr),
                    sorted(figures.items()),
                    lines,
                    bounds,
                    disclosed,
                    sorted((known or {}).items(), key=repr),
                )
            ).encode()
        ).hexdigest()
    )
    cached = cache.get(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    if not any(base.values()):
        result = Family({}, {})
    else:
        try:
            protected = disclosure.protect_figures(
                base,
                figures,
                rule=rule(),
                known=known,
                lines=lines,
                bounds=bounds,
                disclosed=disclosed,
                fixed=fixed,
                family=family,
            )
            result = Family({k: protected.state(k) for k in figures}, {k: protected.values[k] for k in figures})
        except DisclosureRefused as error:
            result = Family({}, {}, refused=str(error.message))
    cache.set(key, result, CACHE_SECONDS)
    return result
