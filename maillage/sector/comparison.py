"""A centre's figures against the sector's: its count and share, the sector's share, the median and
interquartile range across centres, and where the centre stands. No other centre is named or can be
singled out: the sector's counts go through the disclosure engine, told what the centre knows (its own
figures); quartiles need at least MIN_CENTRES contributing centres.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maillage.sector import disclosure_bridge
from maillage.sector.counts import TOTAL, Counts, counts_for, data_stamp
from maillage.sector.indicators import GROUP_LABELS, INDICATORS, Indicator
from maillage.sector.periods import Period

MIN_CENTRES = 5
SHOWN = "shown"
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

    @property
    def sector_text(self) -> str:
        return str(self.sector) if self.sector_state == SHOWN else self.sector_state

    @property
    def sector_share_text(self) -> str:
        return "" if self.sector_share is None else f"{self.sector_share:.1f}"


@dataclass
class Comparison:
    indicator: Indicator
    lines: list[Line]
    own_total: int
    sector_total_text: str
    centres: int  # centres contributing to the indicator
    quartiles_reason: str = ""
    declared_centres: int = 0
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


def _position(value: float | None, q1: float, median: float, q3: float) -> str:
    if value is None:
        return ""
    if value > q3:
        return str(ABOVE_Q3)
    if value < q1:
        return str(BELOW_Q1)
    return str(UPPER_MIDDLE if value >= median else LOWER_MIDDLE)


def family_of(indicator_code: str, period: Period) -> str:
    """Tables that can be set against each other share one protection pattern: every period of the grid in
    a year (a year minus three quarters is the fourth), both levels of an axis (level-1 lines are sums of
    level-2 ones), every scope (the network, a sector, a subsidy)."""
    base = indicator_code[:-1] if indicator_code[-1:] in {"1", "2"} else indicator_code
    return f"sector:{base}:{period.year}"


def compare(counts: Counts, centre_id: int | None, period: Period, *, family: str = "") -> Comparison:
    """The comparison of one indicator; `centre_id` None gives the sector's figures alone (the report)."""
    indicator = INDICATORS[counts.indicator]
    own_cells = counts.by_centre.get(centre_id, {}) if centre_id is not None else {}
    categories = [TOTAL] if indicator.is_total else counts.categories()
    sector_cells = {key: sum(cells.get(key, 0) for cells in counts.by_centre.values()) for key in categories}
    contributing = {pk: cells for pk, cells in counts.by_centre.items() if sum(cells.values()) > 0}
    states = disclosure_bridge.protect_line(
        sector_cells,
        variable=indicator.variable or "total",
        known=own_cells if centre_id is not None else None,
        family=family or family_of(indicator.code, period),
        contributors={key: sum(1 for cells in contributing.values() if cells.get(key)) for key in categories},
    )
    own_total = sum(own_cells.get(key, 0) for key in categories)
    sector_total = sum(sector_cells.values())
    enough = len(contributing) >= MIN_CENTRES
    reason = (
        ""
        if enough
        else _("Median and quartiles are shown only when at least %(min)d centres contribute (%(n)d here).")
        % {"min": MIN_CENTRES, "n": len(contributing)}
    )
    lines = []
    for key in categories:
        state = states.get(key, SHOWN)
        shown = state == SHOWN
        if indicator.is_total:
            own_value: float | None = float(own_cells.get(key, 0))
            sector_share = None
            values = [float(sum(cells.values())) for cells in contributing.values()]
        else:
            own_value = _share(own_cells.get(key, 0), own_total)
            # A share of the sector derived from a hidden count is hidden (`sector_share` below).
            sector_share = _share(sector_cells[key], sector_total)
            values = [float(_share(cells.get(key, 0), sum(cells.values())) or 0.0) for cells in contributing.values()]
        line = Line(
            key=key,
            label=str(indicator.label) if indicator.is_total else counts.labels.get(key, key) or "—",
            own=own_cells.get(key, 0),
            own_share=_share(own_cells.get(key, 0), own_total) if not indicator.is_total else None,
            sector_state=state,
            sector=sector_cells[key] if shown else None,
            sector_share=sector_share if shown else None,
        )
        if enough:
            line.q1, line.median, line.q3 = _quartiles(values)
            if centre_id is not None:
                line.position = _position(own_value, line.q1, line.median, line.q3)
        lines.append(line)
    total_state = states.get("__total__", SHOWN)
    return Comparison(
        indicator=indicator,
        lines=lines,
        own_total=own_total,
        sector_total_text=str(sector_total) if total_state == SHOWN else total_state,
        centres=len(contributing),
        quartiles_reason=reason,
        declared_centres=len(counts.declared & set(contributing)),
    )


def comparisons(
    centre_id: int | None,
    period: Period,
    centre_ids: list[int],
    *,
    subsidy_id: int | None = None,
    codes: Sequence[str] | None = None,
) -> list[Comparison]:
    """Every indicator (or those of `codes`), in the page's order."""
    stamp = data_stamp(period)
    return [
        compare(counts_for(code, period, centre_ids, subsidy_id=subsidy_id, stamp=stamp), centre_id, period)
        for code in (codes or INDICATORS)
    ]
