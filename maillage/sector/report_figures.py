"""The annual report's figures protected together: the network, each sector and each subsidy are tables of
the same counts published side by side, so one suppression pattern covers them all.

Why jointly: the network is the sum of its sectors, and a subsidy's part is a part of the network (the
rest is the network minus the subsidised parts); a level-1 code is the sum of its level-2 codes. Protected
one by one, a reader subtracting one published table from another (network − subsidised part, network −
the other sectors, level 1 − its other level-2 codes) got hidden cells back. Here every figure of an
indicator (both levels of an axis) in every part is a sum of the same base counts — category × sector ×
subsidy (or none) — and the disclosure engine chooses one pattern for the lot
(`maillage.stats.disclosure.protect_figures`).

Distinct counts: persons and case files belong to one centre, so sectors add up; but a person followed under
two subsidies is in both parts, so a subsidy's part is its own count, known to be at most the network's
(`Bound`, not a sum). A multi-valued variable (age band, actions) has a distinct total, never the sum of its
cells (`comparison.MULTI_VALUED`).

Totals: each part's total of persons, case files, follow-ups and requests is protected first as its own
set; a breakdown's total takes that state and is taken as known to the reader when the breakdown is
protected, so the breakdowns cannot be set against each other through a hidden total.

The network's figures: every state comes from the year's stored pattern (`network_pattern`), the one every
centre's "my centre and the sector" page reads too, taken as fixed; the sectors and subsidies are protected
around it.

Declared figures (centres using another tool) are in the network and sector parts; their encoded follow-ups,
if any, are left out of the subsidy parts (their declared figures stand for them). A level-1 figure is the
sum of the level-2 figures (for declared figures too).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from maillage.core.models import Organisation
from maillage.sector.comparison import MULTI_VALUED, DistinctTotal
from maillage.sector.counts import TOTAL as TOTAL_LINE
from maillage.sector.counts import Counts, counts_for, data_stamp
from maillage.sector.disclosure_bridge import SHOWN, TOTAL, Bound, DisclosureRefused, Family, protect_figure_family
from maillage.sector.indicators import INDICATORS
from maillage.sector.monthly import AXES, level1_of
from maillage.sector.network_pattern import Pattern, network_pattern
from maillage.sector.periods import Period

NETWORK = "network"
NONE = "-"  # follow-ups under no subsidy
TOTAL_CODES = ("persons", "case_files", "followups", "requests")


def sector_part(sector: str) -> str:
    return f"sector:{sector}"


def subsidy_part(subsidy_id: int) -> str:
    return f"subsidy:{subsidy_id}"


@dataclass
class ReportFigures:
    """For each (indicator, part): the counts per centre, the protected family, the distinct units."""

    counts: dict[tuple[str, str], Counts] = field(default_factory=dict)
    families: dict[tuple[str, str], Family] = field(default_factory=dict)
    distinct: dict[tuple[str, str], DistinctTotal] = field(default_factory=dict)


def _total_code(code: str) -> str:
    return INDICATORS[code].measure


def _is_additive(code: str) -> bool:
    return INDICATORS[code].measure in {"requests", "followups"}


def _level1(code: str) -> str | None:
    """The level-1 code of a level-2 axis indicator ("requests.theme2" → "requests.theme1")."""
    variable = INDICATORS[code].variable or ""
    return code[:-1] + "1" if variable[:-1] in AXES and variable.endswith("2") else None


def _restrict(by_centre: dict[int, dict[str, int]], centres: set[int]) -> dict[int, dict[str, int]]:
    return {pk: cells for pk, cells in by_centre.items() if pk in centres}


def protect_report(
    period: Period,
    centre_ids: list[int],
    sectors: dict[str, list[int]],
    subsidies: list[int],
    headline: set[str],
    patterns: dict[str, Pattern] | None = None,
) -> ReportFigures:
    """Every indicator of the network, and the `headline` ones of each sector and subsidy, protected as
    linked sets (see the module's docstring). `patterns`: the network's pattern of each indicator (read
    from `network_pattern` when not given)."""
    patterns = dict(patterns or {})
    year_stamp = data_stamp(Period(period.year))

    def pattern_of(code: str) -> Pattern:
        if code not in patterns:
            patterns[code] = network_pattern(code, period.year, stamp=year_stamp, centres=centre_ids)
        return patterns[code]

    stamp = data_stamp(period)
    sector_of = dict(Organisation.objects.filter(pk__in=centre_ids).values_list("pk", "sector"))
    out = ReportFigures()
    network: dict[str, Counts] = {
        code: counts_for(code, period, centre_ids, stamp=stamp, with_declared=True) for code in INDICATORS
    }
    declared = set().union(*(counts.declared for counts in network.values()))
    by_subsidy: dict[tuple[str, int], dict[int, dict[str, int]]] = {}
    for code in INDICATORS:
        wanted = code in headline or (_level1(code) or "") in headline
        for subsidy_id in subsidies if wanted else []:
            found = counts_for(code, period, centre_ids, subsidy_id=subsidy_id, stamp=stamp).by_centre
            by_subsidy[(code, subsidy_id)] = {pk: cells for pk, cells in found.items() if pk not in declared}

    def parts_of(code: str) -> list[str]:
        if code not in headline:
            return [NETWORK]
        return [NETWORK, *(sector_part(s) for s in sectors), *(subsidy_part(j) for j in subsidies)]

    def centres_of(part: str) -> set[int]:
        if part.startswith("sector:"):
            return set(sectors[part.split(":", 1)[1]])
        return set(centre_ids)

    def part_counts(code: str, part: str, base: str, mapping: dict[str, str] | None) -> dict[int, dict[str, int]]:
        if part.startswith("subsidy:"):
            source = by_subsidy.get((base, int(part.split(":", 1)[1])), {})
        else:
            source = _restrict(network[base].by_centre, centres_of(part))
        if mapping is None:
            return source
        mapped: dict[int, dict[str, int]] = {}
        for pk, cells in source.items():
            target = mapped.setdefault(pk, {})
            for value, n in cells.items():
                target[mapping.get(value, value)] = target.get(mapping.get(value, value), 0) + n
        return mapped

    # 1. Each part's totals.
    total_states: dict[tuple[str, str], tuple[str, int]] = {}
    for code in TOTAL_CODES:
        builder = _Builder(code, _is_additive(code), sector_of, subsidies)
        builder.add_base(network[code].by_centre, {j: by_subsidy.get((code, j), {}) for j in subsidies})
        for part in parts_of(code):
            builder.figure(code, part, TOTAL_LINE, {TOTAL_LINE})
        builder.fixed[(code, NETWORK, TOTAL_LINE)] = pattern_of(code).total
        family = builder.protect(f"report:{code}:{period.year}")
        for part in parts_of(code):
            cell = (code, part, TOTAL_LINE)
            total_states[(code, part)] = (family.state(cell), builder.values.get(cell, 0))
            out.families[(code, part)] = Family(
                {(TOTAL_LINE,): family.state(cell)}, {(TOTAL_LINE,): builder.values.get(cell, 0)}, family.refused
            )
            out.counts[(code, part)] = Counts(code, part_counts(code, part, code, None), {}, [], network[code].declared)
    # 2. Each breakdown, both levels of an axis together.
    for code, indicator in INDICATORS.items():
        if indicator.is_total or ((indicator.variable or "")[:-1] in AXES and indicator.variable.endswith("1")):  # type: ignore[union-attr]
            continue
        upper = _level1(code)
        codes = [code] + ([upper] if upper else [])
        mapping: dict[str, str] | None = None
        labels1: dict[str, str] = {}
        order1: list[str] = []
        values = {v for cells in network[code].by_centre.values() for v in cells}
        for found in by_subsidy.values():
            values |= {v for cells in found.values() for v in cells}
        if upper:
            mapping, top_labels, order1 = level1_of((indicator.variable or "")[:-1], values)
            labels1 = {**network[upper].labels, **top_labels}
        members: dict[str, dict[str, set[str]]] = {code: {v: {v} for v in values}}
        if upper and mapping is not None:
            groups: dict[str, set[str]] = {}
            for value in values:
                groups.setdefault(mapping.get(value, value), set()).add(value)
            members[upper] = groups
        multi = MULTI_VALUED.get(code)
        total_code = _total_code(code)

        spec = _Breakdown(
            code, codes, members, values, multi, total_states, f"report:{code}:{period.year}", pattern_of(code)
        )
        inputs = (network[code].by_centre, {j: by_subsidy.get((code, j), {}) for j in subsidies}, sector_of, subsidies)

        builder, family, fixed = _breakdown(spec, parts_of, *inputs)
        withheld: set[tuple[str, str]] = set()
        if family.refused and any(part != NETWORK for each in codes for part in parts_of(each)):
            # A part that cannot be protected (e.g. a sector whose requests are all of one theme, with its
            # total printed) is withheld whole — no line at all — and the network protected on its own.
            withheld = {(each, part) for each in codes for part in parts_of(each) if part != NETWORK}
            builder, family, fixed = _breakdown(spec, lambda _code: [NETWORK], *inputs)
        for each in codes:
            for part in parts_of(each):
                if (each, part) in withheld:
                    out.families[(each, part)] = Family({}, {}, refused=str(DisclosureRefused().message))
                    out.counts[(each, part)] = Counts(each, {}, {}, [])
                    continue
                states: dict[tuple[str, ...], str] = {
                    (key,): fixed.get((each, part, key), family.state((each, part, key)))
                    for key in [*members[each], TOTAL]
                }
                values_of: dict[tuple[str, ...], int | None] = {
                    (key,): builder.value_of((each, part, key)) for key in [*members[each], TOTAL]
                }
                out.families[(each, part)] = Family(states, values_of, family.refused)
                source = network[each] if each == code else network[upper or code]
                out.counts[(each, part)] = Counts(
                    each,
                    part_counts(each, part, code, mapping if each != code else None),
                    labels1 if each != code else source.labels,
                    order1 if each != code else source.order,
                    network[code].declared,
                )
                if multi is not None:
                    units_by_centre = out.counts[(total_code, part)].by_centre
                    out.distinct[(each, part)] = DistinctTotal(
                        {pk: cells.get(TOTAL_LINE, 0) for pk, cells in units_by_centre.items()},
                        total_states[(total_code, part)][0],
                        multi[1],
                    )
    return out


@dataclass
class _Breakdown:
    """One breakdown's set: its indicator (and its level 1), categories, multi-valued or not."""

    code: str
    codes: list[str]
    members: dict[str, dict[str, set[str]]]
    values: set[str]
    multi: tuple[str, bool] | None
    total_states: dict[tuple[str, str], tuple[str, int]]
    name: str
    pattern: Pattern


def _breakdown(
    spec: _Breakdown,
    parts: Callable[[str], list[str]],
    network: dict[int, dict[str, int]],
    by_subsidy: dict[int, dict[int, dict[str, int]]],
    sector_of: dict[int, str],
    subsidies: list[int],
) -> tuple[_Builder, Family, dict[Any, str]]:
    """Protect one breakdown in the `parts` given; the totals' states (`fixed`) come from their own set."""
    builder = _Builder(spec.code, _is_additive(spec.code), sector_of, subsidies, multi=spec.multi is not None)
    builder.add_base(network, by_subsidy)
    fixed: dict[Any, str] = {}
    for each in spec.codes:
        for part in parts(each):
            keys = list(spec.members[each])
            for key in keys:
                builder.figure(each, part, key, spec.members[each][key])
            units_state, units = spec.total_states[(_total_code(spec.code), part)]
            if spec.multi is not None:
                builder.distinct_total(each, part, units, keys, covers=spec.multi[1])
            else:
                builder.figure(each, part, TOTAL, set(spec.values))
                builder.lines.append(((each, part, TOTAL), [(each, part, key) for key in keys]))
            total_key = (each, part, TOTAL)
            if spec.multi is not None or builder.value_of(total_key) == units:
                builder.disclosed.append(total_key)
                fixed[total_key] = units_state
            if part == NETWORK:  # the network's figures: the year's one pattern
                level1 = each != spec.code
                for key in keys:
                    builder.fixed[(each, part, key)] = (
                        spec.pattern.level1(key) if level1 else spec.pattern.category(key)
                    )
                builder.fixed[total_key] = spec.pattern.total
    return builder, builder.protect(f"{spec.name}:{len(parts(spec.code))}"), fixed


class _Builder:
    """Base counts (category × sector × subsidy or none; for distinct counts category × sector, and each
    subsidy's part its own count) and the figures of one set, each the sum of base counts it covers."""

    def __init__(
        self, code: str, additive: bool, sector_of: dict[int, str], subsidies: list[int], *, multi: bool = False
    ) -> None:
        self.code = code
        self.additive = additive
        self.multi = multi
        self.sector_of = sector_of
        self.subsidies = subsidies
        self.base: dict[Any, int] = {}
        self.figures: dict[Any, list[Any]] = {}
        self.values: dict[Any, int] = {}
        self.lines: list[tuple[Any, list[Any]]] = []
        self.bounds: list[Bound] = []
        self.disclosed: list[Any] = []
        self.zeros: list[Any] = []
        self.fixed: dict[Any, str] = {}  # states decided by the network's pattern
        self._by_value: dict[str, list[Any]] = {}

    def _add(self, cell: Any, n: int) -> None:
        if n:
            self.base[cell] = self.base.get(cell, 0) + n

    def add_base(self, network: dict[int, dict[str, int]], by_subsidy: dict[int, dict[int, dict[str, int]]]) -> None:
        for pk, cells in network.items():
            sector = self.sector_of.get(pk, "")
            for value, n in cells.items():
                if not self.additive:
                    self._add((value, sector, NETWORK), n)
                    continue
                rest = n
                for subsidy_id in self.subsidies:
                    part = by_subsidy[subsidy_id].get(pk, {}).get(value, 0)
                    self._add((value, sector, subsidy_id), part)
                    rest -= part
                self._add((value, sector, NONE), max(0, rest))
        if not self.additive:  # a subsidy's part of distinct units is its own count
            for subsidy_id in self.subsidies:
                for cells in by_subsidy[subsidy_id].values():
                    for value, n in cells.items():
                        self._add(("subsidy", subsidy_id, value), n)

    def _cells(self, part: str, members: set[str]) -> list[Any]:
        if part.startswith("subsidy:"):
            subsidy_id = int(part.split(":", 1)[1])
            if not self.additive:
                return [c for c in self.base if c[0] == "subsidy" and c[1] == subsidy_id and c[2] in members]
            return [c for c in self.base if c[0] != "subsidy" and c[2] == subsidy_id and c[0] in members]
        sector = part.split(":", 1)[1] if part.startswith("sector:") else None
        return [
            c
            for c in self.base
            if c[0] != "subsidy" and c[0] in members and (sector is None or c[1] == sector) and c[2] != "subsidy"
        ]

    def figure(self, code: str, part: str, key: str, members: set[str]) -> None:
        cells = self._cells(part, members)
        figure = (code, part, key)
        # A category with nothing counted in a part has no line there: the reader reads it as 0, so it is
        # shown (never chosen to hide another figure).
        self.figures[figure] = cells or [("zero", code, part, key)]
        if not cells:
            self.zeros.append(figure)
        self.values[figure] = sum(self.base.get(c, 0) for c in cells)
        if part.startswith("subsidy:") and not self.additive and key != TOTAL:
            network = (code, NETWORK, key)
            self.bounds.append(Bound(network, (figure,), covers=False))

    def distinct_total(self, code: str, part: str, units: int, keys: list[str], *, covers: bool) -> None:
        """A multi-valued breakdown's total: the part's distinct units, its own count, tied to the cells."""
        cell = ("units", part, "")
        self.base[cell] = units
        figure = (code, part, TOTAL)
        self.figures[figure] = [cell]
        self.values[figure] = units
        self.bounds.append(Bound(figure, tuple((code, part, key) for key in keys), covers=covers))

    def value_of(self, figure: Any) -> int:
        return self.values.get(figure, 0)

    def protect(self, name: str) -> Family:
        # Bounds may name figures of parts not published for this indicator: keep those that exist.
        self.bounds = [
            Bound(b.total, tuple(p for p in b.parts if p in self.figures), b.covers)
            for b in self.bounds
            if b.total in self.figures
        ]
        return protect_figure_family(
            self.base,
            self.figures,
            family=name,
            lines=self.lines,
            bounds=self.bounds,
            disclosed=self.disclosed,
            fixed={
                **{key: kind for key, kind in self.fixed.items() if key in self.figures},
                **dict.fromkeys(self.zeros, SHOWN),
            },
        )
