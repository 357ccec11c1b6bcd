"""CSV and XLSX exports of any report, described as a list of tables, through core.spreadsheet.

A report hands over `Table`s (title, headers, rows, an optional note such as the base of
its shares); the same tables make a CSV (one block per table) or a workbook (one sheet
per table). Case-work reports reuse this as it is. A report's `header` (what it is about: period,
filters, the category version it reads in, the percentages chosen) opens the CSV and every sheet.
Every cell, headers and titles included, goes through the one writer of `maillage.core.spreadsheet`, which neutralises formulas
(a worker named `=HYPERLINK(...)` is text, never a live cell) and marks the answer no-store.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpResponseBase

from maillage.core import spreadsheet
from maillage.core.spreadsheet import Separator


@dataclass
class Table:
    title: str
    headers: Sequence[Any]
    rows: Sequence[Sequence[Any]] = field(default_factory=list)
    note: str = ""


# (label, value) lines describing a whole report.
Header = Sequence[tuple[Any, Any]]


def _csv_blocks(tables: Iterable[Table], header: Header = ()) -> Iterator[Sequence[Any]]:
    """The header block, then one block per table (title, note, headers, rows), a blank line between blocks."""
    for label, value in header:
        yield [label, value]
    for index, table in enumerate(tables):
        if index or header:
            yield []
        yield [table.title]
        if table.note:
            yield [table.note]
        yield table.headers
        yield from table.rows


def _sheets(tables: Iterable[Table], header: Header = ()) -> Iterator[spreadsheet.Sheet]:
    """One sheet per table: the title as its bold first row, then the header block, the note, the headers
    and the rows."""
    described: list[Sequence[Any]] = [[label, value] for label, value in header]
    if described:
        described.append([])
    for table in tables:
        above: list[Sequence[Any]] = [*described, *([[table.note]] if table.note else [])]
        yield str(table.title), [table.title], [*above, table.headers, *table.rows]


def csv_response(
    filename: str, tables: Iterable[Table], *, separator: Separator = "belgian", header: Header = ()
) -> HttpResponseBase:
    return spreadsheet.csv_response(filename + ".csv", [], _csv_blocks(tables, header), separator=separator)


def xlsx_response(filename: str, tables: Iterable[Table], *, header: Header = ()) -> HttpResponseBase:
    return spreadsheet.xlsx_response(filename + ".xlsx", _sheets(tables, header))


def export_response(
    export_format: str,
    filename: str,
    tables: Iterable[Table],
    *,
    separator: Separator = "belgian",
    header: Header = (),
) -> HttpResponseBase:
    if export_format == "xlsx":
        return xlsx_response(filename, tables, header=header)
    return csv_response(filename, tables, separator=separator, header=header)


def streaming_csv_response(
    filename: str, headers: Sequence[Any], rows: Iterable[Sequence[Any]], *, separator: Separator = "belgian"
) -> HttpResponseBase:
    """Many rows, written as they are read (research exports)."""
    return spreadsheet.csv_response(filename + ".csv", headers, rows, separator=separator)


def rows_to_xlsx_response(filename: str, headers: Sequence[Any], rows: Iterable[Sequence[Any]]) -> HttpResponseBase:
    """Many rows into one sheet, written in openpyxl's streaming (write-only) mode."""
    return spreadsheet.xlsx_response(filename + ".xlsx", [("Data", headers, rows)])
