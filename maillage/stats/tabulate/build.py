"""The tables of a cross-tab, and their comparison with the period before or the same period a year before.

With a time dimension (month, quarter, year) each time bucket is compared with the bucket one period
earlier, or with the same bucket a year before: the figures compared are re-keyed onto the bucket they
are compared with, so no column ever appears for a period outside the one asked.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from dateutil.relativedelta import relativedelta
from django.utils.translation import gettext as _

from maillage.core.models import Organisation, User
from maillage.stats.tabulate.dimensions import DimensionSpec, dimension, version_for
from maillage.stats.tabulate.params import (
    COMPARE_YEAR,
    DIMENSION_LABELS,
    MEASURES,
    TIME_DIMENSIONS,
    Params,
    Scope,
    axis_of,
)
from maillage.stats.tabulate.query import adds_up, grouped
from maillage.stats.versions import UNMAPPED
from maillage.taxonomy.models import SchemeVersion

TOTAL = "__total__"
# How many months one bucket of a time dimension spans.
_BUCKET_MONTHS = {"month": 1, "quarter": 3, "year": 12}


@dataclass
class Table:
    """One two-way table (dimension 3, if any, gives one table per value)."""

    title: str
    row_keys: list[str]
    col_keys: list[str]
    cells: dict[tuple[str, str], int]
    previous: dict[tuple[str, str], int] | None = None
    # A distinct count's totals, counted on their own (a person followed in two months is one person in the
    # year); None for measures whose cells add up.
    margins: Margins | None = None

    def value(self, row: str, col: str) -> int:
        return self.cells.get((row, col), 0)

    def row_total(self, row: str) -> int:
        if self.margins is not None:
            return self.margins.rows.get(row, 0)
        return sum(self.value(row, col) for col in self.col_keys)

    def col_total(self, col: str) -> int:
        if self.margins is not None:
            return self.margins.columns.get(col, 0)
        return sum(self.value(row, col) for row in self.row_keys)

    @property
    def total(self) -> int:
        if self.margins is not None:
            return self.margins.total
        return sum(self.cells.values())


@dataclass
class Margins:
    rows: dict[str, int]
    columns: dict[str, int]
    total: int


def _distinct_margins(params: Params, scope: Scope, count: int) -> dict[str, Margins]:
    """Per page (dimension 3's value, or TOTAL): the row, column and grand totals of a distinct count, each
    counted by the database over fewer dimensions."""
    page = [params.dimensions[2]] if count > 2 else []

    def counted(keep: list[str]) -> dict[tuple[str, str], int]:
        margin_params = replace(params, dimensions=[*keep, *page])
        _specs, rows = grouped(margin_params, scope, params.date_from, params.date_to, margin=True)
        out: dict[tuple[str, str], int] = {}
        for r in rows:
            key = r.get("d0", TOTAL) if keep else TOTAL
            at = r.get(f"d{len(keep)}", TOTAL) if page else TOTAL
            out[(key, at)] = out.get((key, at), 0) + int(r["value"] or 0)
        return out

    by_row = counted([params.dimensions[0]])
    by_column = counted([params.dimensions[1]]) if count > 1 else {}
    grand = counted([])
    pages = {at for _key, at in (*by_row, *grand)}
    return {
        at: Margins(
            rows={key: value for (key, where), value in by_row.items() if where == at},
            columns={key: value for (key, where), value in by_column.items() if where == at}
            if count > 1
            else {TOTAL: grand.get((TOTAL, at), 0)},
            total=grand.get((TOTAL, at), 0),
        )
        for at in pages
    }


@dataclass
class CrossTab:
    params: Params
    measure_label: str
    dimension_labels: list[str]
    row_labels: dict[str, str]
    col_labels: dict[str, str]
    tables: list[Table]
    previous_range: tuple[datetime.date, datetime.date] | None = None
    # Category axes the table reads (dimensions and filters), each in one version.
    versions: dict[str, SchemeVersion] = field(default_factory=dict)
    # With a time dimension: the dimension whose buckets are each compared with an earlier bucket.
    compared_bucket: str = ""
    # Chosen filters as (dimension key, dimension label, [(value, value label)]).
    filter_labels: list[tuple[str, str, list[tuple[str, str]]]] = field(default_factory=list)

    def percent(self, table: Table, row: str, col: str) -> float | None:
        value = table.value(row, col)
        denominator = {
            "row": table.row_total(row),
            "column": table.col_total(col),
            "total": table.total,
        }.get(self.params.percent)
        if not denominator:
            return None
        return round(100 * value / denominator, 1)


def _ordered(keys: Iterable[str], order: Sequence[str]) -> list[str]:
    keys = set(keys)
    position = {key: index for index, key in enumerate(order)}
    return sorted(keys, key=lambda k: (position.get(k, len(position)), k))


def labels_of(spec: DimensionSpec, keys: Iterable[str]) -> dict[str, str]:
    labels = dict(spec.labels)
    keys = list(keys)
    if spec.key == "worker":
        labels.update({str(u.pk): str(u) for u in User.objects.filter(pk__in=[k for k in keys if k.isdigit()])})
    if spec.key == "centre":
        labels.update(
            {str(o.pk): o.short_name for o in Organisation.objects.filter(pk__in=[k for k in keys if k.isdigit()])}
        )
    if spec.key == "month":
        labels.update({k: k[:7] for k in keys})
    if spec.key == "quarter":
        labels.update({k: f"{k[:4]} Q{(int(k[5:7]) - 1) // 3 + 1}" for k in keys if len(k) >= 7})
    result = {}
    for key in keys:
        label = labels.get(key, key) or str(_("Not coded"))
        result[key] = f"{key} — {label}" if axis_of(spec.key) and key != UNMAPPED else label
    return result


def shift(day: datetime.date, months: int) -> datetime.date:
    """`day` moved by whole months; the last day of a month stays the last day of a month."""
    if (day + datetime.timedelta(days=1)).day == 1:
        return day + datetime.timedelta(days=1) + relativedelta(months=months) - datetime.timedelta(days=1)
    return day + relativedelta(months=months)


def previous_period(date_from: datetime.date, date_to: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The period of the same length just before; whole months shift by months (a half-year by a half-year)."""
    after_end = date_to + datetime.timedelta(days=1)
    if date_from.day == 1 and after_end.day == 1:
        months = relativedelta(after_end, date_from)
        length = relativedelta(months=months.years * 12 + months.months)
        return date_from - length, date_from - datetime.timedelta(days=1)
    days = (date_to - date_from).days + 1
    return date_from - datetime.timedelta(days=days), date_from - datetime.timedelta(days=1)


def year_before(date_from: datetime.date, date_to: datetime.date) -> tuple[datetime.date, datetime.date]:
    return shift(date_from, -12), shift(date_to, -12)


def _later_bucket(value: str, time_key: str, months: int) -> str:
    """A time bucket's key moved `months` later (how a compared bucket lands on the one it is compared with)."""
    if not value:
        return value
    if time_key == "year":
        return str(int(value) + months // 12)
    return (datetime.date.fromisoformat(value) + relativedelta(months=months)).isoformat()


def _compared_rows(
    params: Params, scope: Scope, date_from: datetime.date, date_to: datetime.date
) -> tuple[tuple[datetime.date, datetime.date], list[dict[str, Any]], str]:
    """The figures compared with, keyed like the figures of the period asked; their period; the time dimension."""
    times = [(index, key) for index, key in enumerate(params.dimensions) if key in TIME_DIMENSIONS]
    if not times:
        period = (
            year_before(date_from, date_to) if params.compare == COMPARE_YEAR else previous_period(date_from, date_to)
        )
        _specs, rows = grouped(params, scope, *period)
        return period, rows, ""
    index, time_key = times[0]
    months = 12 if params.compare == COMPARE_YEAR else _BUCKET_MONTHS[time_key]
    period = (shift(date_from, -months), shift(date_to, -months))
    _specs, rows = grouped(params, scope, *period)
    for row in rows:
        row[f"d{index}"] = _later_bucket(row[f"d{index}"], time_key, months)
    return period, rows, time_key


def _versions_used(params: Params, specs: list[DimensionSpec]) -> dict[str, SchemeVersion]:
    versions = {axis_of(spec.key): spec.version for spec in specs if spec.version is not None}
    for key, values in params.filters.items():
        axis = axis_of(key)
        if values and axis and axis not in versions:
            versions[axis] = version_for(axis, params.versions.get(axis))
    return {axis: version for axis, version in versions.items() if axis}


def _filter_labels(params: Params) -> list[tuple[str, str, list[tuple[str, str]]]]:
    base = MEASURES[params.measure].base
    result = []
    for key, values in params.filters.items():
        if not values:
            continue
        spec = dimension(key, base, params.versions)
        labels = labels_of(spec, [str(v) for v in values])
        result.append((key, str(DIMENSION_LABELS[key]), [(str(v), labels[str(v)]) for v in values]))
    return result


def build(params: Params, scope: Scope) -> CrossTab:
    specs, rows = grouped(params, scope, params.date_from, params.date_to)
    previous_rows: list[dict[str, Any]] | None = None
    previous_range = None
    compared_bucket = ""
    if params.compare and params.date_from and params.date_to:
        previous_range, previous_rows, compared_bucket = _compared_rows(params, scope, params.date_from, params.date_to)
    row_spec = specs[0]
    col_spec = specs[1] if len(specs) > 1 else None
    page_spec = specs[2] if len(specs) > 2 else None

    def key(row: dict[str, Any], index: int) -> str:
        return row[f"d{index}"] if index < len(specs) else TOTAL

    all_rows = rows + (previous_rows or [])
    row_keys = _ordered((key(r, 0) for r in all_rows), row_spec.order)
    col_keys = _ordered((key(r, 1) for r in all_rows), col_spec.order) if col_spec else [TOTAL]
    page_keys = _ordered((key(r, 2) for r in all_rows), page_spec.order) if page_spec else [TOTAL]
    row_labels = labels_of(row_spec, row_keys)
    col_labels = labels_of(col_spec, col_keys) if col_spec else {TOTAL: str(MEASURES[params.measure].label)}
    page_labels = labels_of(page_spec, page_keys) if page_spec else {TOTAL: ""}
    margins = None if adds_up(params) else _distinct_margins(params, scope, len(specs))
    tables = []
    for page in page_keys:
        cells: dict[tuple[str, str], int] = {}
        for r in rows:
            if key(r, 2) == page:
                cells[(key(r, 0), key(r, 1))] = cells.get((key(r, 0), key(r, 1)), 0) + int(r["value"] or 0)
        previous: dict[tuple[str, str], int] | None = None
        if previous_rows is not None:
            previous = {}
            for r in previous_rows:
                if key(r, 2) == page:
                    previous[(key(r, 0), key(r, 1))] = previous.get((key(r, 0), key(r, 1)), 0) + int(r["value"] or 0)
        title = f"{DIMENSION_LABELS[page_spec.key]}: {page_labels[page]}" if page_spec else ""
        page_margins = None if margins is None else margins.get(page, Margins({}, {}, 0))
        tables.append(Table(title, row_keys, col_keys, cells, previous, page_margins))
    return CrossTab(
        params=params,
        measure_label=str(MEASURES[params.measure].label),
        dimension_labels=[str(DIMENSION_LABELS[s.key]) for s in specs],
        row_labels=row_labels,
        col_labels=col_labels,
        tables=tables,
        previous_range=previous_range,
        versions=_versions_used(params, specs),
        compared_bucket=compared_bucket,
        filter_labels=_filter_labels(params),
    )
