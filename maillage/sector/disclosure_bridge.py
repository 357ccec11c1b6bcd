"""The one place the sector app calls the disclosure engine (`maillage.stats.disclosure`).

Every sector figure a centre or the report shows passes here; this module hides nothing by itself.
"""

from __future__ import annotations

from collections.abc import Mapping

from maillage.stats import disclosure

SHOWN = "shown"
TOTAL_KEY = "__total__"


def rule() -> disclosure.Rule:
    return disclosure.Rule()


def describe_rule() -> str:
    return str(rule().describe())


def protect_line(
    cells: Mapping[str, int],
    *,
    variable: str,
    known: Mapping[str, int] | None,
    family: str,
    contributors: Mapping[str, int] | None = None,
) -> dict[str, str]:
    """Each category's state (SHOWN, "<5", "x") in a one-way sector table of `cells`; `known` is what the
    reader knows already (their centre's own figures), so "the sector minus my centre" is protected too."""
    table = {(key,): int(n) for key, n in cells.items()}
    protected = disclosure.protect(
        table,
        dims=(variable,),
        rule=rule(),
        known={(key,): int(n) for key, n in known.items() if key in cells} if known is not None else None,
        family=family,
    )
    return {key: _state(protected, (key,)) for key in cells}


def _state(protected: object, cell: tuple[str, ...]) -> str:
    state = protected.state(cell)  # type: ignore[attr-defined]
    return SHOWN if state in (SHOWN, None, "") else str(state)
