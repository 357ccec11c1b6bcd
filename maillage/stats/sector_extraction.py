"""The sector extraction (federation staff): the cross-tab across centres, every figure through the disclosure
engine (`maillage.stats.disclosure`).

What a reader can set side by side is one *family*: the measure, the scope (sector, subsidy), the category
versions, the set of variables (dimensions and filters together) and the year. A family is counted once on the
fixed period grid (months as hidden base counts for additive measures) and protected once; every view of it —
a period of the grid, a filter value (a slice), a table with fewer dimensions (a margin) — reads its states
from that one protection, and each family agrees with the smaller families whose tables are its margins. The
compare view reads the earlier period from its own family; a difference is shown only when both counts are.

A distinct count (persons, case files; follow-ups by a request's variable) does not add up: a person followed
by phone and at the desk is one person in the total, a person followed in two quarters one in the year. Its
family is one per year over every period of the grid, and every published figure — each cell, each total
over fewer variables, each period — is counted by the database and is its own unknown to the engine's LP,
tied to its parts by `Bound`: each part ≤ total ≤ Σ parts (= Σ parts only where the parts add up to it),
a quarter ≤ its four-month period, a period ≤ the periods of the other kind overlapping it. The totals shown
are those distinct counts, never the sum of the cells (`DistinctFamily`).
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from django.core.cache import cache
from django.utils.translation import gettext as _

from maillage.stats import disclosure, exports
from maillage.stats.crosstab import (
    COMPARE_YEAR,
    DIMENSION_LABELS,
    MEASURES,
    TIME_DIMENSIONS,
    TOTAL,
    CrossTab,
    CrossTabError,
    Params,
    Scope,
    dimension,
    grouped,
    labels_of,
)
from maillage.stats.crosstab_output import Cell, Grid, description
from maillage.stats.disclosure import GRID, GridPeriod, Protected, Rule
from maillage.stats.disclosure.periods import period_dimension
from maillage.stats.tabulate.build import _filter_labels, _ordered, _versions_used

CACHE_SECONDS = 600


def _additive(params: Params, keys: tuple[str, ...]) -> bool:
    """Counts that add up over months and categories (each unit in one cell)."""
    base = MEASURES[params.measure].base
    uses_requests = any(dimension(key, base, params.versions).uses_requests for key in keys)
    return params.measure in {"requests", "participants"} or (params.measure == "followups" and not uses_requests)


@dataclass
class Family:
    """One family's protection, for one year (additive) or one period of the grid (other measures)."""

    keys: tuple[str, ...]
    period_dim: bool
    protected: Protected | DistinctFamily

    def key_of(self, period: GridPeriod, coords: dict[str, str]) -> tuple[str, ...]:
        head = (period.coordinate,) if self.period_dim else ()
        return head + tuple(coords.get(key, TOTAL) for key in self.keys)


@dataclass
class Families:
    """The families of one request, computed once (and kept in the cache for repeated views)."""

    params: Params
    scope: Scope
    rule: Rule
    memo: dict[tuple[Any, ...], Family] = field(default_factory=dict)

    def _name(self, keys: tuple[str, ...], when: str) -> str:
        scope = f"{','.join(map(str, sorted(self.scope.organisation_ids)))}|{self.scope.subsidy_id or ''}"
        versions = ",".join(f"{a}{n}" for a, n in sorted(self.params.versions.items()))
        return f"sector:{self.params.measure}:{'+'.join(keys)}:{when}:{versions}:{scope}"

    def family(self, keys: tuple[str, ...], period: GridPeriod) -> Family:
        keys = tuple(sorted(keys))
        additive = _additive(self.params, keys)
        if not additive:
            return self._distinct_family(keys, period)
        when = str(period.year)
        memo_key = (keys, when)
        if memo_key in self.memo:
            return self.memo[memo_key]
        name = self._name(keys, when)
        cache_key = f"disclosure:{hash((name, tuple(sorted(self.rule.as_dict().items()))))}"
        cells = self._cells(keys, period, additive)
        fixed = self._fixed(keys, period)
        dims: list[str | disclosure.Dimension] = [period_dimension()]
        for position, key in enumerate(keys):
            values = sorted({cell[position + 1] for cell in cells})
            dims.append(disclosure.Dimension(key, values=tuple(values)))
        fingerprint = (name, tuple(sorted(cells.items())), tuple(sorted(fixed.items())))
        cached = cache.get(cache_key)
        if cached is not None and cached[0] == fingerprint:
            protected = cached[1]
        else:
            protected = disclosure.protect(cells, dims=dims, rule=self.rule, family=name, fixed=fixed)
            cache.set(cache_key, (fingerprint, protected), CACHE_SECONDS)
        found = Family(keys, True, protected)
        self.memo[memo_key] = found
        return found

    def _fixed(self, keys: tuple[str, ...], period: GridPeriod) -> dict[tuple[str, ...], str]:
        """The states decided by the smaller families whose tables are this family's margins."""
        fixed: dict[tuple[str, ...], str] = {}
        for size in range(len(keys)):
            for sub in itertools.combinations(keys, size):
                smaller = self.family(sub, period)
                for cell in smaller.protected.cells():
                    coords = dict(zip(sub, cell[1:], strict=False))
                    fixed[cell[:1] + tuple(coords.get(k, TOTAL) for k in keys)] = smaller.protected.kind(cell)
        return fixed

    def _distinct_family(self, keys: tuple[str, ...], period: GridPeriod) -> Family:
        """A distinct count (persons, case files, follow-ups by a request's variable): one family per year
        over every period of the grid, each cell and each total counted by the database, the totals tied to
        their parts by inequalities (a year's persons ≤ its quarters' sum, ≥ each quarter's)."""
        when = f"{period.year}-distinct"
        memo_key = (keys, when)
        if memo_key in self.memo:
            return self.memo[memo_key]
        name = self._name(keys, when)
        cache_key = f"disclosure:{hash((name, tuple(sorted(self.rule.as_dict().items()))))}"
        fixed = self._fixed(keys, period)
        counts: dict[tuple[str, ...], int] = {}
        for grid_key in GRID:
            here = GridPeriod(period.year, grid_key)
            for coords, count in self._margins(keys, here).items():
                counts[(here.coordinate, *coords)] = count
        fingerprint = (name, tuple(sorted(counts.items())), tuple(sorted(fixed.items())))
        cached = cache.get(cache_key)
        if cached is not None and cached[0] == fingerprint:
            protected = cached[1]
        else:
            protected = _protect_distinct(counts, len(keys) + 1, rule=self.rule, family=name, fixed=fixed)
            cache.set(cache_key, (fingerprint, protected), CACHE_SECONDS)
        found = Family(keys, True, protected)
        self.memo[memo_key] = found
        return found

    def _margins(self, keys: tuple[str, ...], period: GridPeriod) -> dict[tuple[str, ...], int]:
        """A distinct count's every published cell, each counted by the database: the cells, and each total over
        one or more of the variables counted over the others (a person with two themes is one person in the
        total) — never the sum of the cells. Keyed like a family's cells (TOTAL where a variable is summed)."""
        out = dict(self._cells(keys, period, False)) if keys else {}
        for size in range(len(keys)):
            for sub in itertools.combinations(keys, size):
                if sub:
                    counted = self._cells(sub, period, False)
                else:
                    params = replace(self.params, filters={}, percent="", compare="", dimensions=[])
                    rows = grouped(params, self.scope, period.first, period.last, margin=True)[1]
                    counted = {(): sum(int(row["value"] or 0) for row in rows)}
                for coords, count in counted.items():
                    at = dict(zip(sub, coords, strict=True))
                    out[tuple(at.get(key, TOTAL) for key in keys)] = count
        return out

    def _cells(self, keys: tuple[str, ...], period: GridPeriod, additive: bool) -> dict[tuple[str, ...], int]:
        params = replace(self.params, filters={}, percent="", compare="")
        count: Callable[[Any, Any], list[dict[str, Any]]]
        if not keys:
            params = replace(params, dimensions=["sex"])  # any dimension: summed away just below
            count = lambda first, last: grouped(params, self.scope, first, last)[1]  # noqa: E731
            width = 0
        else:
            params = replace(params, dimensions=list(keys))
            count = lambda first, last: grouped(params, self.scope, first, last)[1]  # noqa: E731
            width = len(keys)
        cells: dict[tuple[str, ...], int] = {}
        if additive:
            for month in range(1, 13):
                first = datetime.date(period.year, month, 1)
                last = datetime.date(period.year + (month == 12), month % 12 + 1, 1) - datetime.timedelta(days=1)
                for row in count(first, last):
                    key = (f"{month:02d}", *(row[f"d{i}"] for i in range(width)))
                    cells[key] = cells.get(key, 0) + int(row["value"] or 0)
        else:
            for row in count(period.first, period.last):
                key = tuple(row[f"d{i}"] for i in range(width))
                cells[key] = cells.get(key, 0) + int(row["value"] or 0)
        return cells


class _Index:
    def __init__(self, keys: list[tuple[str, ...]]) -> None:
        self.index = {key: i for i, key in enumerate(keys)}


@dataclass
class DistinctFamily:
    """A distinct count's family protected figure by figure (`disclosure.protect_figures`): every total is its
    own count, tied to its parts by `Bound` (each part ≤ total ≤ Σ parts; = Σ parts where the units take one
    value of that variable), read like a `Protected`."""

    figures: disclosure.ProtectedFigures
    keys: list[tuple[str, ...]]

    def __post_init__(self) -> None:
        self.table = _Index(self.keys)

    def cells(self) -> list[tuple[str, ...]]:
        return list(self.keys)

    def kind(self, cell: tuple[str, ...]) -> str:
        return self.figures.kind(cell)

    def hidden(self, cell: tuple[str, ...]) -> bool:
        return self.figures.hidden(cell)

    def state(self, cell: tuple[str, ...]) -> str:
        return self.figures.state(cell)

    def value(self, cell: tuple[str, ...]) -> int | None:
        return self.figures.value(cell)

    def text(self, cell: tuple[str, ...]) -> str:
        return self.figures.text(cell)

    @property
    def hidden_cells(self) -> list[tuple[str, ...]]:
        return [key for key in self.keys if self.figures.hidden(key)]


def _protect_distinct(
    counts: dict[tuple[str, ...], int],
    width: int,
    *,
    rule: Rule,
    family: str,
    fixed: dict[tuple[str, ...], str],
) -> DistinctFamily:
    """Protect a distinct count's cells and totals over the period grid (`counts`: every published cell,
    counted by the database, keyed (period coordinate, *variables) with TOTAL where a variable is summed and
    for the year): each published figure is its own unknown to the reader's LP, and each total is bound to its
    parts — along every variable summed in it, and the year to its quarters and to its four-month periods — by
    a sub-additive relation (each part ≤ total ≤ Σ parts), an equality only where the parts add up to it. A
    period inside another is at most it; a period is at most the sum of the periods of a kind overlapping it."""
    values = [sorted({key[d] for key in counts if key[d] != TOTAL}) for d in range(1, width)]
    periods = [TOTAL, *(key for key in GRID if key != "year")]
    keys = [tuple(key) for key in itertools.product(periods, *([*v, TOTAL] for v in values))]
    base = {key: counts.get(key, 0) for key in keys}
    bounds = []

    def months(coordinate: str) -> set[int]:
        first, last = GRID["year" if coordinate == TOTAL else coordinate]
        return set(range(first, last + 1))

    for key in keys:
        for position, coord in enumerate(key[1:], start=1):
            if coord != TOTAL or not values[position - 1]:
                continue
            parts = tuple((*key[:position], v, *key[position + 1 :]) for v in values[position - 1])
            adds_up = base[key] == sum(base[p] for p in parts)
            bounds.append(disclosure.Bound(key, parts, covers=True, adds_up=adds_up))
        inside = months(key[0])
        for kind in ("q", "t"):
            overlapping = [p for p in periods if p.startswith(kind) and months(p) & inside]
            parts = tuple((p, *key[1:]) for p in overlapping)
            if key[0] == TOTAL:  # the year: its quarters (or four-month periods) are inside it and cover it
                adds_up = base[key] == sum(base[p] for p in parts)
                bounds.append(disclosure.Bound(key, parts, covers=True, categories=False, adds_up=adds_up))
            elif len(overlapping) > 1 or overlapping[0] != key[0]:  # covered by the periods overlapping it
                bounds.append(disclosure.Bound(key, parts, covers=True, contained=False, categories=False))
        for other in periods[1:]:  # a period inside another (a quarter inside a four-month period)
            if other != key[0] and months(other) < inside and key[0] != TOTAL:
                bounds.append(disclosure.Bound(key, ((other, *key[1:]),), covers=False, categories=False))
    protected = disclosure.protect_figures(
        base, {key: [key] for key in keys}, rule=rule, bounds=bounds, fixed=fixed, family=family
    )
    return DistinctFamily(protected, keys)


# The page -----------------------------------------------------------------------------------------------


@dataclass
class Extraction:
    result: CrossTab
    grids: list[Grid]
    rule: Rule
    chart_pairs: list[tuple[str, int]]


def check(params: Params) -> None:
    """What the sector extraction refuses (a translated CrossTabError shown above the form)."""
    if any(key in TIME_DIMENSIONS for key in params.dimensions):
        raise CrossTabError(
            _(
                "Shared figures are given for a year, a four-month period or a quarter: choose the period, not a time dimension."
            )
        )
    if any(len(values) > 1 for values in params.filters.values()):
        raise CrossTabError(_("Across centres, filter on one value per variable."))
    if len(set(params.dimensions) | {k for k, v in params.filters.items() if v}) > 3:
        raise CrossTabError(_("Across centres, use at most three variables, dimensions and filters together."))


def _text(protected: Protected | DistinctFamily, key: tuple[str, ...]) -> str:
    return protected.text(key) if key in protected.table.index else "0"


def _value(protected: Protected | DistinctFamily, key: tuple[str, ...]) -> int | None:
    return protected.value(key) if key in protected.table.index else 0


def _share(protected: Protected | DistinctFamily, key: tuple[str, ...], of: tuple[str, ...]) -> float | None:
    numerator, denominator = _value(protected, key), _value(protected, of)
    if numerator is None or not denominator:
        return None
    return round(100.0 * numerator / denominator, 1)


def extract(params: Params, scope: Scope, period: GridPeriod, rule: Rule | None = None) -> Extraction:
    """The protected tables of a sector request; raises DisclosureRefused or CrossTabError."""
    rule = rule or Rule()
    check(params)
    params = replace(params, date_from=period.first, date_to=period.last)
    filters = {key: values[0] for key, values in params.filters.items() if values}
    dims = list(params.dimensions)
    keys = tuple(sorted(set(dims) | set(filters)))
    families = Families(params, scope, rule)
    current = families.family(keys, period)
    earlier: GridPeriod | None = None
    before: Family | None = None
    if params.compare:
        earlier = period.year_before() if params.compare == COMPARE_YEAR else period.before()
        before = families.family(keys, earlier)
    base = MEASURES[params.measure].base
    specs = [dimension(key, base, params.versions) for key in dims]
    protected = current.protected
    seen: dict[str, set[str]] = {key: set() for key in dims}
    for family in [current, before] if before else [current]:
        offset = 1 if family.period_dim else 0
        for published in family.protected.cells():
            for position, name in enumerate(family.keys):
                if name in seen and published[offset + position] != TOTAL:
                    seen[name].add(published[offset + position])
    ordered = [_ordered(seen[spec.key], spec.order) for spec in specs]
    row_keys = ordered[0]
    col_keys = ordered[1] if len(specs) > 1 else [TOTAL]
    page_keys = ordered[2] if len(specs) > 2 else [TOTAL]
    row_labels = labels_of(specs[0], row_keys)
    col_labels = labels_of(specs[1], col_keys) if len(specs) > 1 else {TOTAL: str(MEASURES[params.measure].label)}
    page_labels = labels_of(specs[2], page_keys) if len(specs) > 2 else {TOTAL: ""}

    def at(family: Family, period_: GridPeriod, coords: dict[str, str]) -> tuple[str, ...]:
        return family.key_of(period_, {**filters, **{k: v for k, v in coords.items() if v != TOTAL}})

    percent_of = {"row": [1], "column": [0], "total": [0, 1]}.get(params.percent, [])
    grids = []
    chart_pairs: list[tuple[str, int]] = []
    for page in page_keys:
        page_coords = {dims[2]: page} if len(dims) > 2 else {}
        rows = []
        for row in row_keys:
            cells: list[Cell] = []
            for col in col_keys:
                coords = {dims[0]: row, **({dims[1]: col} if len(dims) > 1 else {}), **page_coords}
                here = at(current, period, coords)
                cell = Cell(_text(protected, here))
                if percent_of:
                    whole = {**coords, **{dims[i]: TOTAL for i in percent_of if i < len(dims)}}
                    cell.percent = _share(protected, here, at(current, period, whole))
                if before is not None and earlier is not None:
                    earlier_key = at(before, earlier, coords)
                    cell.previous = _text(before.protected, earlier_key)
                    now, then = _value(protected, here), _value(before.protected, earlier_key)
                    cell.delta = now - then if now is not None and then is not None else None
                cells.append(cell)
            row_total_key = at(current, period, {dims[0]: row, **page_coords})
            rows.append((row_labels[row], cells, _text(protected, row_total_key)))
            if page == page_keys[0]:
                value = _value(protected, row_total_key)
                if value:
                    chart_pairs.append((row_labels[row], value))
        totals = [
            _text(protected, at(current, period, {**({dims[1]: col} if len(dims) > 1 else {}), **page_coords}))
            for col in col_keys
        ]
        grids.append(
            Grid(
                title=f"{DIMENSION_LABELS[dims[2]]}: {page_labels[page]}" if len(dims) > 2 else "",
                columns=[col_labels[c] for c in col_keys],
                rows=rows,
                totals=totals,
                total=_text(protected, at(current, period, page_coords)),
            )
        )
    result = CrossTab(
        params=params,
        measure_label=str(MEASURES[params.measure].label),
        dimension_labels=[str(DIMENSION_LABELS[key]) for key in dims],
        row_labels=row_labels,
        col_labels=col_labels,
        tables=[],
        previous_range=(earlier.first, earlier.last) if earlier else None,
        versions=_versions_used(params, specs),
        filter_labels=_filter_labels(params),
    )
    return Extraction(result=result, grids=grids, rule=rule, chart_pairs=chart_pairs)


def header(extraction: Extraction) -> list[tuple[str, str]]:
    return [*description(extraction.result), (_("Disclosure rule"), extraction.rule.describe())]


def export_tables(extraction: Extraction) -> list[exports.Table]:
    """The grids as export tables: counts, the chosen percentages, the compared figures and the difference,
    a hidden cell as its state ("<5", "x"), never a zero."""
    result = extraction.result
    corner = " × ".join(result.dimension_labels[:2])
    with_percent = bool(result.params.percent)
    compared = result.previous_range is not None
    tables = []
    for grid in extraction.grids:
        headers: list[Any] = [corner]
        for column in grid.columns:
            headers.append(column)
            if with_percent:
                headers.append(f"{column} (%)")
            if compared:
                headers += [f"{column} ({_('compared')})", f"{column} ({_('difference')})"]
        headers.append(_("Total"))
        rows: list[list[Any]] = []
        for label, cells, row_total in grid.rows:
            line: list[Any] = [label]
            for cell in cells:
                line.append(_number(cell.text))
                if with_percent:
                    line.append(cell.percent if cell.percent is not None else _hidden_share(cell.text))
                if compared:
                    line += [_number(cell.previous or ""), cell.delta if cell.delta is not None else "x"]
            rows.append([*line, _number(row_total)])
        footer: list[Any] = [_("Total")]
        for total in grid.totals:
            footer.append(_number(total))
            footer.extend([""] * ((1 if with_percent else 0) + (2 if compared else 0)))
        rows.append([*footer, _number(grid.total)])
        title = f"{result.measure_label}{' — ' + grid.title if grid.title else ''}"
        tables.append(exports.Table(title=title, headers=headers, rows=rows, note=extraction.rule.describe()))
    return tables


def _hidden_share(text: str) -> str:
    return "x" if not text.isdigit() else ""


def _number(text: str) -> Any:
    return int(text) if text.isdigit() else text
