"""The one place the sector app calls the disclosure engine (`maillage.stats.disclosure`).

Every sector figure a centre or the report shows passes here; this module hides nothing by itself. An
indicator's family of tables is protected once per reader (what they know: their centre's own figures),
and the states of every cell of the family kept for the cache's time, so the other periods of the grid read
the same pattern.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

from django.core.cache import cache

from maillage.stats import disclosure
from maillage.stats.disclosure import TOTAL, Dimension, DisclosureRefused

SHOWN = disclosure.SHOWN
CACHE_SECONDS = 600
__all__ = ["SHOWN", "TOTAL", "Dimension", "DisclosureRefused", "Family", "describe_rule", "protect_family", "rule"]

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


def protect_family(
    cells: Mapping[Key, int],
    *,
    dims: Sequence[Dimension],
    known: Mapping[Key, int] | None,
    family: str,
    cache_parts: tuple[object, ...] = (),
) -> Family:
    """Protect the family given by its base counts, for a reader who contributed `known` themselves."""
    key = (
        "maillage-sector-family:"
        + hashlib.sha256(
            repr((family, sorted(cells.items()), sorted((known or {}).items()), cache_parts)).encode()
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
                dict(cells), dims=list(dims), rule=rule(), known=known or None, family=family
            )
            result = Family({cell: protected.state(cell) for cell in protected.cells()}, dict(protected.published()))
        except DisclosureRefused as error:
            result = Family({}, {}, refused=str(error.message))
    cache.set(key, result, CACHE_SECONDS)
    return result
