"""A centre's figures against the sector's: its count and share, the sector's share, the median and
interquartile range across centres, and where the centre stands. No other centre is named or can be
singled out: the sector's counts go through the disclosure engine, told what the centre knows (its own
figures); quartiles need at least MIN_CENTRES contributing centres.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maillage.sector import disclosure_bridge, memo
from maillage.sector.counts import CACHE_SECONDS, Counts, counts_for, data_stamp
from maillage.sector.counts import TOTAL as TOTAL_LINE
from maillage.sector.disclosure_bridge import (
    SECONDARY,
    SHOWN,
    SMALL,
    TOTAL,
    Bound,
    Dimension,
    Family,
    protect_family,
    protect_figure_family,
)
from maillage.sector.indicators import GROUP_LABELS, INDICATORS, Indicator
from maillage.sector.memo import cache
from maillage.sector.monthly import AXES, LEVEL1, MONTHS, Monthly, base_code, is_additive, level1_of, monthly, months_of
from maillage.sector.network_pattern import MULTI_VALUED, Pattern, fixed_of, network_pattern
from maillage.sector.periods import GRID, Period

MIN_CENTRES = 5
T = TypeVar("T")
# Indicators whose unit may fall in several categories → the indicator counting those units (their total),
# and whether every unit falls in some category: a person's age band changes within a year (every
# follow-up has one, "unknown" included); a follow-up records several actions, or none. (`MULTI_VALUED`,
# from `network_pattern`.)
ABOVE_Q3 = gettext_lazy("above the 3rd quartile")
BELOW_Q1 = gettext_lazy("below the 1st quartile")
UPPER_MIDDLE = gettext_lazy("between the median and the 3rd quartile")
LOWER_MIDDLE = gettext_lazy("between the 1st quartile and the median")


@dataclass
class Line:
    key: str
    label: str
    own: int
    own_share: float | None
    sector_state: str  # SHOWN, or what stands in the hidden cell ("<5", "x")
    sector: int | None
    sector_share: float | None
    q1: float | None = None
    median: float | None = None
    q3: float | None = None
    position: str = ""
    # Not counted in the period, shown because the family hid its cell: after the counted lines, whose order
    # (`Counts.order`) may depend on the language (`localised` orders them again).
    appended: bool = False

    @property
    def sector_text(self) -> str:
        return str(self.sector) if self.sector_state == SHOWN else self.sector_state

    @property
    def sector_share_text(self) -> str:
        return "" if self.sector_share is None else f"{self.sector_share:.1f}"


@dataclass
class DistinctTotal:
    """The distinct units of a multi-valued indicator: per centre, their state in the sector (decided by the
    total indicator's own family), and for a family linking the periods each period's sector count."""

    by_centre: dict[int, int]
    state: str
    covers: bool
    per_period: dict[str, int] = field(default_factory=dict)


@dataclass
class Comparison:
    indicator: Indicator
    lines: list[Line]
    own_total: int
    sector_total_text: str
    centres: int  # centres contributing to the indicator
    quartiles_reason: str = ""
    declared_centres: int = 0
    refused: str = ""  # the disclosure engine could not protect the figures: the sector's are withheld
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return str(self.indicator.label)

    @property
    def group_label(self) -> str:
        return str(GROUP_LABELS[self.indicator.group])

    @property
    def unit(self) -> str:
        """Totals compare counts, the others shares of the centre's own total."""
        return "" if self.indicator.is_total else "%"


def _share(value: int, total: int) -> float | None:
    return round(100 * value / total, 1) if total else None


def _quartiles(values: list[float]) -> tuple[float, float, float]:
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return round(q1, 1), round(median, 1), round(q3, 1)


def position_of(value: float | None, q1: float, median: float, q3: float) -> str:
    if value is None:
        return ""
    if value > q3:
        return str(ABOVE_Q3)
    if value < q1:
        return str(BELOW_Q1)
    return str(UPPER_MIDDLE if value >= median else LOWER_MIDDLE)


def quartiles_reason(centres: int) -> str:
    return _("Median and quartiles are shown only when at least %(min)d centres contribute (%(n)d here).") % {
        "min": MIN_CENTRES,
        "n": centres,
    }


def _period_dimension() -> Dimension:
    """Months are never published alone; the grid's periods are groups of months, the year their total."""
    groups = {key: months_of(Period(2000, key)) for key in GRID if key != "year"}
    return Dimension("period", values=MONTHS, show_values=False, total=True, groups=groups)


def _family(
    indicator: Indicator,
    period: Period,
    categories: list[str],
    centre_id: int | None,
    linked: Monthly | None,
    counts: Counts,
    scope: str,
    distinct: DistinctTotal | None = None,
    pattern: Pattern | None = None,
) -> tuple[Family, Callable[[str], tuple[str, ...]]]:
    """The indicator's family protected for this reader, and how a line of the page reads its cell.

    A multi-valued indicator (`distinct`) publishes no sum of its cells: its total is the distinct units,
    protected in the total indicator's family (its state comes from there), and the audit takes the reader
    to know it (each cell is at most the total; when every unit is in a cell, the total at most their sum).

    `pattern`: the network's stored pattern of the year (`network_pattern`): the year's network figures take
    its states (the report prints the same), the periods and the reader's own part are protected on top."""
    own_centre = centre_id if centre_id is not None else None
    if linked is not None:
        # Additive figures: one family per indicator (both levels of an axis) and year, linking every period.
        name = f"sector:{base_code(indicator)}:{period.year}:{scope}"
        digest = "" if pattern is None else pattern.digest
        quick = f"maillage-sector-family-of:{name}:{own_centre}:{linked.key}:{digest}"
        family_found = cache.get(quick) if linked.key else None
        base_cells: dict[tuple[str, ...], int] = {}
        known: dict[tuple[str, ...], int] = {}
        if family_found is None:
            base_cells = _linked_memo(linked, ("base", indicator.is_total), lambda: _base_cells(linked, indicator))
            for (month, value), n in linked.by_centre.get(own_centre, {}).items() if own_centre is not None else ():
                key = (month,) if indicator.is_total else (month, value)
                known[key] = known.get(key, 0) + n
        coordinate = TOTAL if period.is_year else period.key
        fixed = _linked_fixed(indicator, linked, pattern, distinct is None)
        dims = [_period_dimension()]
        level1: dict[str, str] = {}  # a level-1 line's cell in the family
        values: list[str] = []
        if not indicator.is_total:
            values = _linked_values(linked)
            members: dict[str, list[str]] = {}
            variable = indicator.variable or ""
            if variable[:-1] in AXES:
                top, _labels, _order = level1_of(variable[:-1], set(values))
                for value in values:
                    members.setdefault(top.get(value, value), []).append(value)
            # A level-1 code with one level-2 value is that value's cell (a group of one would be the same
            # figure published twice).
            groups = {LEVEL1 + code: values for code, values in members.items() if len(values) > 1}
            if pattern is not None:  # the year's network figures: the stored pattern's states
                fixed |= {(TOTAL, LEVEL1 + code): pattern.level1(code) for code in members if len(members[code]) > 1}
            level1 = {code: (LEVEL1 + code if len(values) > 1 else values[0]) for code, values in members.items()}
            # A multi-valued variable's cells do not add up to a published figure: no total over them.
            dims.append(Dimension(base_code(indicator), values=tuple(values), groups=groups, total=distinct is None))
        at_level1 = bool(indicator.variable and indicator.variable[:-1] in AXES and indicator.variable.endswith("1"))
        if family_found is None:
            ceilings: dict[tuple[str, ...], int] | None = None
            if distinct is not None:  # a cell is at most the period's units (the reader may know them)
                ceilings = {(p, value): n for p, n in distinct.per_period.items() for value in values}
            family_found = protect_family(
                base_cells,
                dims=dims,
                known=known if own_centre is not None else None,
                family=name,
                ceilings=ceilings,
                cache_parts=(distinct.state,) if distinct is not None else (),
                fixed=fixed,
            )
            if linked.key:
                cache.set(quick, family_found, CACHE_SECONDS)
        family = family_found if distinct is None else family_found.with_states({(TOTAL,): distinct.state})

        def cell(key: str) -> tuple[str, ...]:
            if indicator.is_total:
                return (coordinate,)
            if key == "__total__":
                return (coordinate, TOTAL) if distinct is None else (TOTAL,)
            return (coordinate, level1.get(key, key) if at_level1 else key)

        return family, cell
    # Distinct counts (and the report's years): the period's one table.
    sector_cells: dict[Any, int] = {
        (key,): sum(cells.get(key, 0) for cells in counts.by_centre.values()) for key in categories
    }
    own: dict[Any, int] | None = None
    if own_centre is not None:
        own = {(key,): counts.by_centre.get(own_centre, {}).get(key, 0) for key in categories}
    name = f"sector:{indicator.code}:{period.year}:{period.key}:{scope}"
    year_fixed: dict[Any, str] = {}
    if pattern is not None and period.is_year:  # the year's network figures: the stored pattern's states
        year_fixed = fixed_of(pattern, {_pattern_key(indicator, key): (key,) for key in categories})
        if distinct is None and not indicator.is_total:
            year_fixed[(TOTAL,)] = pattern.total
    if distinct is not None:
        total = sum(distinct.by_centre.values())
        figures: dict[Any, list[Any]] = {(key,): [(key,)] for key in categories} | {(TOTAL,): [(TOTAL,)]}
        if own is not None:
            own[(TOTAL,)] = distinct.by_centre.get(own_centre or 0, 0)
        family = protect_figure_family(
            {**sector_cells, (TOTAL,): total},
            figures,
            bounds=[Bound((TOTAL,), tuple((key,) for key in categories), distinct.covers)],
            disclosed=[(TOTAL,)],
            known=own,
            family=name,
            fixed={**year_fixed, (TOTAL,): _kind(distinct.state)} if year_fixed else None,
        ).with_states({(TOTAL,): distinct.state})
        return family, _line_cell
    family = protect_family(
        sector_cells,
        dims=[Dimension(indicator.variable or "total", values=tuple(categories), total=not indicator.is_total)],
        known=own,
        family=name,
        fixed=year_fixed or None,
    )
    return family, _line_cell


def _kind(state: str) -> str:
    """A Family's state (what stands in the cell) as the engine's kind."""
    if state == SHOWN:
        return SHOWN
    return SMALL if state == disclosure_bridge.rule().small_label else SECONDARY


def _pattern_key(indicator: Indicator, key: str) -> tuple[str, ...]:
    """A line's figure in the network's pattern (`network_pattern`)."""
    if indicator.is_total or key == TOTAL:
        return (TOTAL,)
    variable = indicator.variable or ""
    return ("1", key) if variable[:-1] in AXES and variable.endswith("1") else ("2", key)


def _linked_fixed(
    indicator: Indicator, linked: Monthly, pattern: Pattern | None, with_total: bool
) -> dict[tuple[str, ...], str]:
    """The year's cells of a family linking the periods, with the network pattern's states (an axis's
    level-1 groups are added where the family's groups are made)."""
    if pattern is None:
        return {}
    if indicator.is_total:
        return {(TOTAL,): pattern.total}
    fixed: dict[tuple[str, ...], str] = {(TOTAL, value): pattern.category(value) for value in _linked_values(linked)}
    if with_total:
        fixed[(TOTAL, TOTAL)] = pattern.total
    return fixed


def _year_categories(indicator: Indicator, linked: Monthly) -> list[str]:
    """The categories of the indicator counted in any month of the year (level-1 codes for a level-1 line)."""
    values = set(_linked_values(linked, counted=True))
    variable = indicator.variable or ""
    if variable[:-1] in AXES and variable.endswith("1"):
        top, _labels, _order = level1_of(variable[:-1], values)
        values = {top.get(value, value) for value in values}
    return sorted(values)


def _linked_memo(linked: Monthly, part: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """What is derived from a year's monthly counts, once per computation (`memo.shared`): every centre's
    page and every period reads the same counts (`linked.key` names them)."""
    return memo.local(("sector-linked", linked.key, *part), compute) if linked.key else compute()


def _linked_values(linked: Monthly, *, counted: bool = False) -> list[str]:
    """The values counted in the year's months (with a count above zero when `counted`), sorted."""

    def compute() -> list[str]:
        return sorted(
            {value for cells in linked.by_centre.values() for (_m, value), n in cells.items() if n or not counted}
        )

    return _linked_memo(linked, ("values", counted), compute)


def _base_cells(linked: Monthly, indicator: Indicator) -> dict[tuple[str, ...], int]:
    """The family's base counts: the network's, per month (and value)."""
    base: dict[tuple[str, ...], int] = {}
    for cells in linked.by_centre.values():
        for (month, value), n in cells.items():
            key = (month,) if indicator.is_total else (month, value)
            base[key] = base.get(key, 0) + n
    return base


def _line_cell(key: str) -> tuple[str, ...]:
    return (TOTAL,) if key == "__total__" else (key,)


def compare(
    counts: Counts,
    centre_id: int | None,
    period: Period,
    *,
    linked: Monthly | None = None,
    scope: str = "network",
    protected: Family | None = None,
    distinct: DistinctTotal | None = None,
    pattern: Pattern | None = None,
) -> Comparison:
    """The comparison of one indicator; `centre_id` None gives the sector's figures alone (the report).
    `linked`: the indicator's months of the year (additive figures on the pages: every period one family).
    `protected`: the states already decided for these figures (the report's linked parts), keyed (category,)
    and (TOTAL,). `distinct`: the distinct units when a unit may fall in several categories (persons by age
    band, follow-ups by action): totals and shares are of those, never the sum of the cells."""
    indicator = INDICATORS[counts.indicator]
    own_cells = counts.by_centre.get(centre_id, {}) if centre_id is not None else {}
    categories = [TOTAL_LINE] if indicator.is_total else counts.categories()
    counted = len(categories)
    sector_cells = {key: sum(cells.get(key, 0) for cells in counts.by_centre.values()) for key in categories}
    contributing = {pk: cells for pk, cells in counts.by_centre.items() if sum(cells.values()) > 0}
    cell_of: Callable[[str], tuple[str, ...]] = _line_cell
    if protected is not None:
        family = protected
        # A category hidden in this table though it counts nothing here gets its line (absent reads as 0).
        categories = categories + [
            key[0]
            for key, state in protected.states.items()
            if state != SHOWN and key[0] != TOTAL and key[0] not in categories and not indicator.is_total
        ]
    else:
        family, cell_of = _family(indicator, period, categories, centre_id, linked, counts, scope, distinct, pattern)
        if linked is not None and not indicator.is_total:
            # A category of the year with nothing in this period has no line, which a reader takes for a 0:
            # when the family hid that cell (as another's partner) its line is shown, hidden.
            categories = categories + [
                key
                for key in _year_categories(indicator, linked)
                if key not in categories and family.state(cell_of(key)) != SHOWN
            ]
            sector_cells = {key: sector_cells.get(key, 0) for key in categories}

    def total_of(centre: int, cells: dict[str, int]) -> int:
        return distinct.by_centre.get(centre, 0) if distinct is not None else sum(cells.values())

    totals = {pk: total_of(pk, cells) for pk, cells in contributing.items()}  # once, not once per line

    own_total = total_of(centre_id, own_cells) if centre_id is not None else 0
    sector_total = sum(total_of(pk, cells) for pk, cells in counts.by_centre.items())
    if protected is not None:  # the figures the states were decided for
        sector_cells = {key: int(protected.values.get(cell_of(key)) or 0) for key in categories}
        if not indicator.is_total:
            sector_total = int(protected.values.get((TOTAL,)) or 0)
    enough = len(contributing) >= MIN_CENTRES
    reason = "" if enough else quartiles_reason(len(contributing))
    total_state = SHOWN if indicator.is_total else family.state(cell_of("__total__"))
    lines = []
    for index, key in enumerate(categories):
        state = family.state(cell_of(key))
        shown = state == SHOWN
        if indicator.is_total:
            own_value: float | None = float(own_cells.get(key, 0))
            sector_share = None
            values = [float(sum(cells.values())) for cells in contributing.values()]
        else:
            own_value = _share(own_cells.get(key, 0), own_total)
            # A share computed from a hidden count (the cell's or the total's) is hidden.
            sector_share = _share(sector_cells[key], sector_total) if total_state == SHOWN else None
            values = [float(_share(cells.get(key, 0), totals[pk]) or 0.0) for pk, cells in contributing.items()]
        line = Line(
            key=key,
            label=str(indicator.label) if indicator.is_total else counts.labels.get(key, key) or "—",
            own=own_cells.get(key, 0),
            own_share=_share(own_cells.get(key, 0), own_total) if not indicator.is_total else None,
            sector_state=state,
            sector=sector_cells[key] if shown else None,
            sector_share=sector_share if shown else None,
            appended=index >= counted,
        )
        if enough:
            line.q1, line.median, line.q3 = _quartiles(values)
            if centre_id is not None:
                line.position = position_of(own_value, line.q1, line.median, line.q3)
        lines.append(line)
    return Comparison(
        indicator=indicator,
        lines=lines,
        own_total=own_total,
        sector_total_text=str(sector_total) if total_state == SHOWN else total_state,
        centres=len(contributing),
        quartiles_reason=reason,
        declared_centres=len(counts.declared & set(contributing)),
        refused=family.refused,
    )


def comparisons(
    centre_id: int | None,
    period: Period,
    centre_ids: list[int],
    *,
    subsidy_id: int | None = None,
    codes: Sequence[str] | None = None,
    report: bool = False,
    scope: str = "network",
) -> list[Comparison]:
    """Every indicator (or those of `codes`), in the page's order.

    Pages and annexes (`report=False`) count the encoded follow-ups, every period of a year one family; the
    federation's report (`report=True`, years only, read by its staff) adds the figures centres declared."""
    stamp = data_stamp(period)
    year_stamp = stamp  # a period's stamp is its year's (every period of a year one disclosure family)
    done: dict[str, Comparison] = {}
    # The pages' network: every member centre (`sector_centres()`), as the report's.
    network = not report and subsidy_id is None and scope == "network"

    def one(code: str) -> Comparison:
        if code in done:
            return done[code]
        indicator = INDICATORS[code]
        counts = counts_for(code, period, centre_ids, subsidy_id=subsidy_id, stamp=stamp, with_declared=report)
        linked = None
        if not report and is_additive(indicator):
            linked = monthly(base_code(indicator), period.year, centre_ids, subsidy_id, year_stamp)
        distinct = None
        if code in MULTI_VALUED:
            total_code, covers = MULTI_VALUED[code]
            total = one(total_code)
            units = counts_for(total_code, period, centre_ids, subsidy_id=subsidy_id, stamp=stamp, with_declared=report)
            per_period: dict[str, int] = {}
            if linked is not None:
                months = monthly(total_code, period.year, centre_ids, subsidy_id, year_stamp)
                for key in GRID:
                    within = set(months_of(Period(period.year, key)))
                    per_period[TOTAL if key == "year" else key] = sum(
                        n for cells in months.by_centre.values() for (month, _v), n in cells.items() if month in within
                    )
            distinct = DistinctTotal(
                {pk: cells.get(TOTAL_LINE, 0) for pk, cells in units.by_centre.items()},
                total.lines[0].sector_state if total.lines else SHOWN,
                covers,
                per_period,
            )
        # The network's figures of the year read the one pattern the report prints too.
        pattern = network_pattern(code, period.year, stamp=year_stamp, centres=centre_ids) if network else None
        done[code] = compare(counts, centre_id, period, linked=linked, scope=scope, distinct=distinct, pattern=pattern)
        return done[code]

    with memo.shared():  # the year's counts and patterns read once for every indicator
        return [one(code) for code in codes or INDICATORS]
