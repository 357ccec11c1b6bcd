"""One protection pattern for the network's figures of a year, shared by the annual report and every centre's
"my centre and the sector" page.

The same network figures (the whole network's counts for a year, by indicator) are printed in the report,
which every centre receives, and on each centre's page. Protected separately for each reader, the patterns
differed: a figure hidden on a centre's page (its "others' part" small, for that centre) was printed in the
report, and a cell hidden in one and shown in the other came back by subtraction. Here each indicator
family's network figures are protected once, with every centre as reader in turn (its own contribution
known), until no reader's protection hides anything more: the pattern holds for all of them. It is stored
(`NetworkPattern`), so a closed year reads the same pattern tomorrow, with the hash of the counts and the
rule it was chosen from; a pattern whose inputs changed is chosen again before it is read (never stale), and
the report's generation chooses an open year's patterns again. The report and every page take these states
as `fixed` (hidden stay hidden, shown are never chosen as partners); what each protects on top (a sector, a
subsidy, the periods of the year, the reader's own centre) is still its own.

Figure keys: ("2", value) a category (an axis's level-2 code), ("1", code) an axis's level-1 code, (TOTAL,)
the total — the indicator's own figure for a total indicator, else the breakdown's total, which is the total
indicator's figure (its state is taken from that indicator's pattern) or, for a multi-valued indicator, the
distinct units.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from maillage.sector import services
from maillage.sector.counts import TOTAL as TOTAL_LINE
from maillage.sector.counts import counts_for, data_stamp, sector_centres, with_declared
from maillage.sector.indicators import INDICATORS, Indicator
from maillage.sector.memo import cache
from maillage.sector.models import DataYear, NetworkPattern
from maillage.sector.monthly import AXES, base_code, level1_of
from maillage.sector.periods import Period
from maillage.stats import disclosure
from maillage.stats.disclosure import TOTAL, Bound, DisclosureRefused

CACHE_SECONDS = 600
SHOWN = disclosure.SHOWN
SECONDARY = disclosure.SECONDARY
# Changes when the way a pattern is chosen changes: every stored pattern is then chosen again.
METHOD = 1
# Indicators whose unit may fall in several categories → their total indicator and whether every unit falls
# in some category (as `comparison.MULTI_VALUED`, which imports this module).
MULTI_VALUED: dict[str, tuple[str, bool]] = {
    "persons.age_band": ("persons", True),
    "followups.actions": ("followups", False),
}
Key = tuple[str, ...]


@dataclass
class Pattern:
    """The kind (SHOWN, SMALL, SECONDARY) of each network figure of a family; `refused`: no pattern holds
    for every reader, and every network figure of the family is hidden."""

    family: str
    year: int
    states: dict[Key, str] = field(default_factory=dict)
    refused: str = ""

    @property
    def digest(self) -> str:
        """Names these states (part of the cache keys of the families read with them)."""
        return hashlib.sha256(repr((sorted(self.states.items()), self.refused)).encode()).hexdigest()[:16]

    def kind(self, key: Key) -> str:
        if self.refused:
            return SECONDARY
        return self.states.get(key, SHOWN)

    def category(self, value: str) -> str:
        return self.kind(("2", value))

    def level1(self, code: str) -> str:
        return self.kind(("1", code))

    @property
    def total(self) -> str:
        return self.kind((TOTAL,))


def family_of(code: str) -> str:
    """The family an indicator's network figures belong to (an axis's two levels are one family)."""
    return base_code(INDICATORS[code])


def _axis(indicator: Indicator) -> str | None:
    variable = indicator.variable or ""
    return variable[:-1] if variable[:-1] in AXES else None


@dataclass
class _Inputs:
    indicator: Indicator
    by_centre: dict[int, dict[str, int]]
    top: dict[str, str]  # level-2 code → level-1 code (axes)
    units: dict[int, int]  # distinct units per centre (multi-valued indicators)
    total_kind: str  # the total indicator's pattern state of the breakdown's total ("" for a total indicator)
    units_total: int

    def digest(self, family: str, year: int) -> str:
        text = repr(
            (
                METHOD,
                family,
                year,
                sorted((pk, sorted(cells.items())) for pk, cells in self.by_centre.items()),
                sorted(self.top.items()),
                sorted(self.units.items()),
                self.total_kind,
                self.units_total,
                sorted(disclosure.Rule().as_dict().items()),
            )
        )
        return hashlib.sha256(text.encode()).hexdigest()


def _inputs(family: str, year: int, stamp: tuple[Any, ...], centres: list[int]) -> _Inputs:
    period = Period(year)
    indicator = INDICATORS[family]
    # The encoded counts the pages read too, with the declared figures the report adds.
    counts = with_declared(counts_for(family, period, centres, stamp=stamp), year, centres).by_centre
    by_centre = {pk: {v: n for v, n in cells.items() if n} for pk, cells in counts.items()}
    by_centre = {pk: cells for pk, cells in by_centre.items() if cells}
    top: dict[str, str] = {}
    axis = _axis(indicator)
    if axis:
        top, _labels, _order = level1_of(axis, {v for cells in by_centre.values() for v in cells})
    units: dict[int, int] = {}
    total_kind = ""
    units_total = 0
    if not indicator.is_total:
        measure = MULTI_VALUED.get(family, (indicator.measure, True))[0]
        found = with_declared(counts_for(measure, period, centres, stamp=stamp), year, centres).by_centre
        units = {pk: cells.get(TOTAL_LINE, 0) for pk, cells in found.items() if cells.get(TOTAL_LINE, 0)}
        units_total = sum(units.values())
        total_kind = network_pattern(measure, year, stamp=stamp, centres=centres).total
        if family not in MULTI_VALUED:
            units = {}  # only the total's value matters: the cells add up to it
    return _Inputs(indicator, by_centre, top, units, total_kind, units_total)


def _choose(family: str, year: int, inputs: _Inputs) -> tuple[dict[Key, str], str]:
    """The states that hold for every reader: protected for the public, then for each centre in turn (its
    own figures known), each time with the states decided so far fixed, until a round hides nothing more."""
    # In one order whatever order the database gave the counts in: the engine's choices follow it.
    by_centre = {pk: dict(sorted(inputs.by_centre[pk].items())) for pk in sorted(inputs.by_centre)}
    base: dict[Any, int] = {}
    for pk, cells in by_centre.items():
        for value, n in cells.items():
            base[(value, pk)] = n
    if not base:
        return {}, ""
    values = sorted({value for cells in inputs.by_centre.values() for value in cells})
    figures: dict[Any, list[Any]] = {}
    lines: list[tuple[Any, list[Any]]] = []
    bounds: list[Bound] = []
    disclosed: list[Any] = []
    fixed_total: dict[Any, str] = {}
    cells_of = {value: [(value, pk) for pk, cells in by_centre.items() if value in cells] for value in values}
    if inputs.indicator.is_total:
        figures[(TOTAL,)] = list(base)
    else:
        for value in values:
            figures[("2", value)] = cells_of[value]
        groups: dict[str, list[str]] = {}
        for value in values if inputs.top else []:
            groups.setdefault(inputs.top.get(value, value), []).append(value)
        for code, members in groups.items():
            figures[("1", code)] = [cell for value in members for cell in cells_of[value]]
            if len(members) > 1:
                lines.append((("1", code), [("2", value) for value in members]))
        if family in MULTI_VALUED:
            for pk, n in sorted(inputs.units.items()):
                base[("units", pk)] = n
            figures[(TOTAL,)] = [("units", pk) for pk in sorted(inputs.units)] or [("units", "none")]
            bounds.append(Bound((TOTAL,), tuple(("2", value) for value in values), MULTI_VALUED[family][1]))
            disclosed.append((TOTAL,))
            fixed_total[(TOTAL,)] = inputs.total_kind
        else:
            figures[(TOTAL,)] = list(base)
            lines.append(((TOTAL,), [("2", value) for value in values]))
            if any(len(members) > 1 for members in groups.values()):
                lines.append(((TOTAL,), [("1", code) for code in groups]))
            if sum(base.values()) == inputs.units_total:  # the total indicator's figure, printed beside it
                disclosed.append((TOTAL,))
                fixed_total[(TOTAL,)] = inputs.total_kind
    readers: list[int | None] = [None, *sorted(inputs.by_centre)]
    states: dict[Key, str] = {}
    changed = True
    while changed:
        changed = False
        for reader in readers:
            known: dict[Any, int] | None = None
            if reader is not None:
                known = {(value, reader): n for value, n in by_centre[reader].items()}
                if reader in inputs.units and family in MULTI_VALUED:
                    known[("units", reader)] = inputs.units[reader]
            fixed = {**{key: kind for key, kind in states.items() if kind != SHOWN}, **fixed_total}
            try:
                protected = disclosure.protect_figures(
                    base,
                    figures,
                    rule=disclosure.Rule(),
                    known=known,
                    lines=lines,
                    bounds=bounds,
                    disclosed=disclosed,
                    fixed=fixed,
                    family=f"network:{family}:{year}",
                )
            except DisclosureRefused as error:
                return {}, str(error.message)
            for key in figures:
                kind = protected.kind(key)
                before = states.get(key, SHOWN)
                if kind != SHOWN and kind != before and (before == SHOWN or kind == SECONDARY):
                    states[key] = kind
                    changed = True
    return {key: states.get(key, SHOWN) for key in figures}, ""


def network_pattern(
    code: str,
    year: int,
    *,
    refresh: bool = False,
    stamp: tuple[Any, ...] | None = None,
    centres: list[int] | None = None,
) -> Pattern:
    """The stored pattern of the family of `code` for `year`, chosen again first when its inputs changed
    (or when `refresh`). `stamp`, `centres`: the year's `data_stamp` and the member centres, when the
    caller already read them. The stored pattern is kept in the cache under the hash of its inputs."""
    family = family_of(code)
    stamp = data_stamp(Period(year)) if stamp is None else stamp
    centres = sector_centres() if centres is None else centres
    # The counts are read under the same data stamp for the cache's time: so is their pattern.
    quick = (
        f"maillage-sector-pattern-of:{family}:{year}:"
        + hashlib.sha256(repr((stamp, sorted(centres))).encode()).hexdigest()
    )
    if not refresh:
        found = cache.get(quick)
        if found is not None:
            return found  # type: ignore[no-any-return]
    inputs = _inputs(family, year, stamp, centres)
    digest = inputs.digest(family, year)
    key = f"maillage-sector-pattern:{family}:{year}:{digest}"
    if not refresh:
        cached = cache.get(key)
        if cached is not None:
            cache.set(quick, cached, CACHE_SECONDS)
            return cached  # type: ignore[no-any-return]
    stored = NetworkPattern.objects.filter(year=year, family=family).first()
    if stored is not None and stored.input_hash == digest and not refresh:
        pattern = Pattern(family, year, {tuple(k): kind for k, kind in stored.states}, stored.refused)
        cache.set_many({key: pattern, quick: pattern}, CACHE_SECONDS)
        return pattern
    states, refused = _choose(family, year, inputs)
    services.store_network_pattern(
        year, family, digest, [[list(k), kind] for k, kind in sorted(states.items())], refused
    )
    pattern = Pattern(family, year, states, refused)
    cache.set_many({key: pattern, quick: pattern}, CACHE_SECONDS)
    return pattern


def refresh_year(year: int) -> dict[str, Pattern]:
    """Every family's pattern for the report's generation: an open year's chosen again, a closed year's
    read as stored (chosen again only if its counts changed)."""
    closed = DataYear.objects.filter(year=year, status=DataYear.Status.CLOSED).exists()
    stamp, centres = data_stamp(Period(year)), sector_centres()
    out: dict[str, Pattern] = {}
    for code in INDICATORS:
        family = family_of(code)
        if family not in out:
            out[family] = network_pattern(family, year, refresh=not closed, stamp=stamp, centres=centres)
    return out


def fixed_of(pattern: Pattern, keys: Mapping[Key, Any]) -> dict[Any, str]:
    """The pattern's states under the keys of a consumer's family (`keys`: pattern key → its figure)."""
    return {figure: pattern.kind(key) for key, figure in keys.items()}
