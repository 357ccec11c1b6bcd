"""The case-work cross-tab: one measure, one to three dimensions, filters, each category axis read in one version.

The engine lives in `maillage.stats.tabulate`, a module per step; this module is the name the rest of the
project imports, and holds the small-cell rules the sector pages apply.
"""

from __future__ import annotations

from maillage.stats.tabulate.build import (
    TOTAL,
    CrossTab,
    Table,
    build,
    labels_of,
    previous_period,
    shift,
    year_before,
)
from maillage.stats.tabulate.dimensions import (
    AXIS_PATHS,
    CHOICES,
    DATE_PATHS,
    FIELD_PATHS,
    DimensionSpec,
    case_for,
    category_codes_in,
    dimension,
    target_version,
    version_for,
)
from maillage.stats.tabulate.params import (
    CATEGORY_AXES,
    COMPARE_CHOICES,
    COMPARE_PREVIOUS,
    COMPARE_YEAR,
    DIMENSION_LABELS,
    FILTER_DIMENSIONS,
    FOLLOWUPS,
    MEASURES,
    PARTICIPANTS,
    PERCENT_CHOICES,
    REQUESTS,
    SECTOR_DIMENSIONS,
    SMALL_CELL,
    TIME_DIMENSIONS,
    CrossTabError,
    Measure,
    Params,
    Scope,
    axis_of,
)
from maillage.stats.tabulate.query import base_queryset, grouped
from maillage.stats.tabulate.rollup_read import from_rollup
from maillage.stats.versions import UNMAPPED

# The names the roll-up tests and benchmarks reach for.
_AXIS_PATHS = AXIS_PATHS
_dimension = dimension
_from_rollup = from_rollup
_labels = labels_of

__all__ = [
    "CATEGORY_AXES",
    "CHOICES",
    "COMPARE_CHOICES",
    "COMPARE_PREVIOUS",
    "COMPARE_YEAR",
    "DATE_PATHS",
    "DIMENSION_LABELS",
    "FIELD_PATHS",
    "FILTER_DIMENSIONS",
    "FOLLOWUPS",
    "MEASURES",
    "PARTICIPANTS",
    "PERCENT_CHOICES",
    "REQUESTS",
    "SECTOR_DIMENSIONS",
    "SMALL_CELL",
    "TIME_DIMENSIONS",
    "TOTAL",
    "UNMAPPED",
    "CrossTab",
    "CrossTabError",
    "DimensionSpec",
    "Measure",
    "Params",
    "Scope",
    "Table",
    "axis_of",
    "base_queryset",
    "build",
    "case_for",
    "category_codes_in",
    "dimension",
    "from_rollup",
    "grouped",
    "previous_period",
    "shift",
    "target_version",
    "version_for",
    "year_before",
]


# Small cells --------------------------------------------------------------------------------------------


def shown(value: int, suppress: bool) -> str:
    """A count as shown: below the threshold, '<5' so that no person can be singled out."""
    if suppress and 0 < value < SMALL_CELL:
        return f"<{SMALL_CELL}"
    return str(value)


def suppressed_table(table: Table) -> dict[tuple[str, str], str]:
    """Cells as shown to federation staff: small counts hidden, and a second cell hidden in a row or
    column where only one was, so the hidden one cannot be worked out from the total."""
    hidden = {cell for cell, value in table.cells.items() if 0 < value < SMALL_CELL}
    changed = True
    while changed:
        changed = False
        for line_cells in [
            *([(row, col) for col in table.col_keys] for row in table.row_keys),
            *([(row, col) for row in table.row_keys] for col in table.col_keys),
        ]:
            in_line = [cell for cell in line_cells if cell in hidden]
            if len(in_line) == 1 and len(line_cells) > 1:
                others = sorted(
                    (table.value(*cell), cell) for cell in line_cells if cell not in hidden and table.value(*cell) > 0
                )
                if others:
                    hidden.add(others[0][1])
                    changed = True
    return {
        (row, col): (f"<{SMALL_CELL}" if 0 < table.value(row, col) < SMALL_CELL else "x")
        if (row, col) in hidden
        else str(table.value(row, col))
        for row in table.row_keys
        for col in table.col_keys
    }
