"""A cross-tab as HTML grids, CSV/XLSX (through stats.exports) and an SVG chart (through stats.charts).

Every output says what it shows: the period, the comparison, the filters, the version each category
axis is read in and the percentages chosen (`description`), above the page's tables and atop exports.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponseBase
from django.utils.translation import gettext as _

from maillage.core.spreadsheet import Separator
from maillage.stats import charts, exports
from maillage.stats.crosstab import (
    COMPARE_YEAR,
    PERCENT_CHOICES,
    SMALL_CELL,
    CrossTab,
    Table,
    shown,
    suppressed_table,
)
from maillage.taxonomy.models import SchemeVersion, VersionStatus


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


def _day(day: datetime.date) -> str:
    return day.isoformat()


def period_text(start: datetime.date | None, end: datetime.date | None) -> str:
    if start and end:
        return f"{_day(start)} – {_day(end)}"
    if start:
        return _("from %(start)s") % {"start": _day(start)}
    if end:
        return _("until %(end)s") % {"end": _day(end)}
    return _("all dates")


def version_text(version: SchemeVersion) -> str:
    """'Request themes: version 2 (in force, published 2026-03-01)'."""
    details = []
    if version.status == VersionStatus.PUBLISHED:
        details.append(_("in force"))
    if version.published_at:
        details.append(_("published %(day)s") % {"day": _day(version.published_at.date())})
    text = _("%(scheme)s: version %(number)s") % {"scheme": version.scheme.label, "number": version.number}
    return f"{text} ({', '.join(details)})" if details else text


def comparison_text(result: CrossTab) -> str:
    if result.previous_range is None:
        return ""
    start, end = result.previous_range
    if result.compared_bucket:
        year = result.params.compare == COMPARE_YEAR
        text = {
            ("month", False): _("each month with the month before it"),
            ("month", True): _("each month with the same month a year before"),
            ("quarter", False): _("each quarter with the quarter before it"),
            ("quarter", True): _("each quarter with the same quarter a year before"),
        }.get((result.compared_bucket, year), _("each year with the year before it"))
        return f"{text} ({period_text(start, end)})"
    if result.params.compare == COMPARE_YEAR:
        return _("the same period a year before, %(period)s") % {"period": period_text(start, end)}
    return _("the period before, %(period)s") % {"period": period_text(start, end)}


def filters_text(result: CrossTab) -> str:
    if not result.filter_labels:
        return _("none")
    return "; ".join(
        f"{dimension}: {', '.join(label for _value, label in values)}"
        for _key, dimension, values in result.filter_labels
    )


def description(result: CrossTab) -> list[tuple[str, str]]:
    """What the table shows, as (label, text) lines: on the page and at the top of every export."""
    lines = [
        (_("Measure"), result.measure_label),
        (_("Dimensions"), " × ".join(result.dimension_labels)),
        (_("Period"), period_text(result.params.date_from, result.params.date_to)),
    ]
    if result.previous_range is not None:
        lines.append((_("Compared with"), comparison_text(result)))
    lines.append((_("Filters"), filters_text(result)))
    for axis in ("theme", "institution", "stage"):
        if axis in result.versions:
            lines.append((_("Categories read in"), version_text(result.versions[axis])))
    lines.append((_("Shown"), str(dict(PERCENT_CHOICES)[result.params.percent or ""])))
    return lines


def _export_tables(result: CrossTab, suppress: bool) -> list[exports.Table]:
    tables = []
    corner = " × ".join(result.dimension_labels[:2])
    with_percent = bool(result.params.percent) and not suppress
    compared, difference = _("compared"), _("difference")
    for table, grid in zip(result.tables, grids(result, suppress=suppress), strict=True):
        headers: list[Any] = [corner]
        for column in grid.columns:
            headers.append(column)
            if with_percent:
                headers.append(f"{column} (%)")
            if table.previous is not None:
                headers.append(f"{column} ({compared})")
                if not suppress:
                    headers.append(f"{column} ({difference})")
        headers.append(_("Total"))
        rows: list[list[Any]] = []
        for label, cells, row_total in grid.rows:
            line: list[Any] = [label]
            for cell in cells:
                line.append(_number(cell.text))
                if with_percent:
                    line.append(cell.percent if cell.percent is not None else "")
                if table.previous is not None:
                    line.append(_number(cell.previous or ""))
                    if not suppress:
                        line.append(cell.delta)
            rows.append([*line, _number(row_total)])
        footer: list[Any] = [_("Total")]
        for total in grid.totals:
            footer.append(_number(total))
            footer.extend([""] * ((1 if with_percent else 0) + (0 if table.previous is None else 1 if suppress else 2)))
        rows.append([*footer, _number(grid.total)])
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
    return exports.export_response(
        export_format,
        filename,
        _export_tables(result, suppress),
        separator=separator,
        header=description(result),
    )


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
