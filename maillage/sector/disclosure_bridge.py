"""The one place the sector app calls the disclosure engine (`maillage.stats.disclosure`).

Every sector figure a centre or the report shows passes here; this module hides nothing by itself. An
indicator's family of tables is protected once per reader (what they know: their centre's own figures),
and the states of every cell of the family kept for the cache's time, so the other periods of the grid read
the same pattern. The network's figures of a year take their states from the one stored pattern every
reader shares (`network_pattern`), passed as `fixed`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from maillage.sector.memo import cache
from maillage.stats import disclosure
from maillage.stats.disclosure import TOTAL, Bound, Dimension, DisclosureRefused

SHOWN = disclosure.SHOWN
SMALL = disclosure.SMALL
SECONDARY = disclosure.SECONDARY
CACHE_SECONDS = 600
__all__ = [
    "SECONDARY",
    "SHOWN",
    "SMALL",
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
    fixed: Mapping[Key, str] | None = None,
) -> Family:
    """Protect the family given by its base counts, for a reader who contributed `known` themselves;
    `fixed`: states decided elsewhere (the network's stored pattern, `network_pattern`)."""
    key = (
        "maillage-sector-family:"
        + hashlib.sha256(
            repr(
                (
                    family,
                    sorted(cells.items()),
                    sorted((known or {}).items()),
                    sorted((ceilings or {}).items()),
                    sorted((fixed or {}).items()),
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

        def attempt(states: Mapping[Key, str] | None) -> Family:
            try:
                protected = disclosure.protect(
                    dict(cells),
                    dims=list(dims),
                    rule=rule(),
                    known=known or None,
                    family=family,
                    ceilings=ceilings,
                    fixed=states or None,
                )
            except DisclosureRefused as error:
                return Family({}, {}, refused=str(error.message))
            return Family({cell: protected.state(cell) for cell in protected.cells()}, dict(protected.published()))

        result = _with_fixed(attempt, fixed)
    cache.set(key, result, CACHE_SECONDS)
    return result


def _with_fixed(attempt: Callable[[Mapping[Any, str] | None], Family], fixed: Mapping[Any, str] | None) -> Family:
    """Protect with the `fixed` states. The engine hides the fixed hidden cells first and chooses their
    partners greedily; when that leads nowhere, it is asked again with only the shown ones fixed (never
    chosen) and its choice taken if it hides exactly the fixed hidden ones, with the same labels. Otherwise
    the family is refused: a pattern other than the fixed one is never shown."""
    result = attempt(fixed)
    if not fixed or not result.refused:
        return result
    again = attempt({key: kind for key, kind in fixed.items() if kind == SHOWN})
    if again.refused or not _agrees(again, fixed):
        return result
    return again


def _agrees(family: Family, fixed: Mapping[Any, str]) -> bool:
    labels = {SHOWN: SHOWN, SMALL: rule().small_label, SECONDARY: disclosure.SECONDARY_LABEL}
    return all(family.states.get(key, SHOWN) == labels[kind] for key, kind in fixed.items() if key in family.states)


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
                    sorted((fixed or {}).items(), key=repr),
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

        def attempt(states: Mapping[Any, str] | None) -> Family:
            try:
                protected = disclosure.protect_figures(
                    base,
                    figures,
                    rule=rule(),
                    known=known,
                    lines=lines,
                    bounds=bounds,
                    disclosed=disclosed,
                    fixed=states,
                    family=family,
                )
            except DisclosureRefused as error:
                return Family({}, {}, refused=str(error.message))
            return Family({k: protected.state(k) for k in figures}, {k: protected.values[k] for k in figures})

        result = _with_fixed(attempt, fixed)
    cache.set(key, result, CACHE_SECONDS)
    return result
