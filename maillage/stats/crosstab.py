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
# The rules live in `maillage.stats.disclosure`; these two names stay for the callers of before.


def shown(value: int, suppress: bool) -> str:
    """A count as shown: below the threshold, "<k" so that no person can be singled out."""
    from maillage.stats.disclosure import Rule

    rule = Rule()
    return rule.small_label if suppress and rule.is_small(value) else str(value)


def suppressed_table(table: Table) -> dict[tuple[str, str], str]:
    """Cells of a two-way table as shown across centres: protected with its margins by the disclosure engine
    (primary and secondary suppression, checked by linear programming)."""
    from maillage.stats.disclosure import protect

    cells: dict[tuple[str, ...], int] = {(r, c): table.value(r, c) for r in table.row_keys for c in table.col_keys}
    protected = protect(cells, dims=["row", "column"])
    return {(key[0], key[1]): protected.text(key) for key in cells}
