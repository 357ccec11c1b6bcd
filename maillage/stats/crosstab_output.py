"""A cross-tab as HTML grids, CSV/XLSX (through stats.exports) and an SVG chart (through stats.charts)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpResponseBase
from django.utils.translation import gettext as _

from maillage.core.spreadsheet import Separator
from maillage.stats import charts, exports
from maillage.stats.crosstab import SMALL_CELL, CrossTab, Table, shown, suppressed_table


@dataclass
class Cell:
    text: str
    percent: float | None = None
    previous: str | None = None
    delta: int | None = None


@dataclass
class Grid:
    title: str
    columns: list[str]
    rows: list[tuple[str, list[Cell], str]]
    totals: list[str]
    total: str


def _cells(table: Table, suppress: bool) -> dict[tuple[str, str], str]:
    if suppress:
        return suppressed_table(table)
    return {(r, c): str(table.value(r, c)) for r in table.row_keys for c in table.col_keys}


def grids(result: CrossTab, *, suppress: bool) -> list[Grid]:
    out = []
    for table in result.tables:
        texts = _cells(table, suppress)
        rows = []
        for row in table.row_keys:
            cells = []
            for col in table.col_keys:
                cell = Cell(texts[(row, col)])
                if result.params.percent and not suppress:
                    cell.percent = result.percent(table, row, col)
                if table.previous is not None:
                    before = table.previous.get((row, col), 0)
                    cell.previous = shown(before, suppress)
                    if not suppress:
                        cell.delta = table.value(row, col) - before
                cells.append(cell)
            rows.append((result.row_labels[row], cells, shown(table.row_total(row), suppress)))
        out.append(
            Grid(
                title=table.title,
                columns=[result.col_labels[c] for c in table.col_keys],
                rows=rows,
                totals=[shown(table.col_total(c), suppress) for c in table.col_keys],
                total=shown(table.total, suppress),
            )
        )
    return out


def _export_tables(result: CrossTab, suppress: bool) -> list[exports.Table]:
    tables = []
    corner = " × ".join(result.dimension_labels[:2])
    for table, grid in zip(result.tables, grids(result, suppress=suppress), strict=True):
        headers: list[Any] = [corner, *grid.columns, _("Total")]
        rows: list[list[Any]] = []
        for label, cells, row_total in grid.rows:
            rows.append([label, *[_number(c.text) for c in cells], _number(row_total)])
        rows.append([_("Total"), *[_number(t) for t in grid.totals], _number(grid.total)])
        title = f"{result.measure_label}{' — ' + table.title if table.title else ''}"
        note = _("Counts below 5 are shown as <5.") if suppress else ""
        tables.append(exports.Table(title=title, headers=headers, rows=rows, note=note))
    return tables


def _number(text: str) -> Any:
    return int(text) if text.isdigit() else text


def export(
    export_format: str, result: CrossTab, *, suppress: bool, separator: Separator = "belgian"
) -> HttpResponseBase:
    filename = "crosstab-" + "-".join(result.params.dimensions)
    return exports.export_response(export_format, filename, _export_tables(result, suppress), separator=separator)


def chart(result: CrossTab, *, suppress: bool) -> charts.Chart | None:
    """Bars of the row totals of the first table (the figures are in the table beside it)."""
    table = result.tables[0]
    if not table.row_keys:
        return None
    pairs = [(result.row_labels[r], table.row_total(r)) for r in table.row_keys]
    if suppress:  # small counts are left out of the chart as they are hidden in the table
        pairs = [(label, value) for label, value in pairs if value >= SMALL_CELL]
    if not pairs:
        return None
    title = f"{result.measure_label} — {result.dimension_labels[0]}"
    return charts.horizontal_bars(title, [p[0] for p in pairs][:30], [p[1] for p in pairs][:30])
