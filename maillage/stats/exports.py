"""CSV and XLSX exports of any report, described as a list of tables.

A report hands over `Table`s (title, headers, rows, an optional note such as the base of
its shares); the same tables make a CSV (one block per table) or a workbook (one sheet
per table). Case-work reports reuse this as it is.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"


@dataclass
class Table:
    title: str
    headers: Sequence[Any]
    rows: Sequence[Sequence[Any]] = field(default_factory=list)
    note: str = ""


def _plain(value: Any) -> Any:
    """Numbers stay numbers; dates ISO; lazy strings and the rest as text."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def tables_to_csv(tables: Iterable[Table]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for index, table in enumerate(tables):
        if index:
            writer.writerow([])
        writer.writerow([str(table.title)])
        if table.note:
            writer.writerow([str(table.note)])
        writer.writerow([_plain(header) for header in table.headers])
        for row in table.rows:
            writer.writerow([_plain(value) for value in row])
    return out.getvalue()


def _sheet_title(title: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", title).strip()[:28] or "Sheet"
    name, number = base, 2
    while name.lower() in used:
        name = f"{base[:25]} {number}"
        number += 1
    used.add(name.lower())
    return name


def tables_to_xlsx(tables: Iterable[Table]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    for table in tables:
        sheet = workbook.create_sheet(_sheet_title(str(table.title), used))
        sheet.append([str(table.title)])
        sheet["A1"].font = Font(bold=True)
        if table.note:
            sheet.append([str(table.note)])
        sheet.append([_plain(header) for header in table.headers])
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([_excel(value) for value in row])
    if not workbook.worksheets:
        workbook.create_sheet("Empty")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _excel(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    plain = _plain(value)
    # A text cell starting with = + - @ would be read as a formula by a spreadsheet.
    if isinstance(plain, str) and plain[:1] in ("=", "+", "-", "@"):
        return "'" + plain
    return plain


def _disposition(filename: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    return f'attachment; filename="{safe}"'


def csv_response(filename: str, tables: Iterable[Table]) -> HttpResponse:
    response = HttpResponse("\ufeff" + tables_to_csv(tables), content_type=CSV_TYPE)
    response["Content-Disposition"] = _disposition(filename + ".csv")
    return response


def xlsx_response(filename: str, tables: Iterable[Table]) -> HttpResponse:
    response = HttpResponse(tables_to_xlsx(tables), content_type=XLSX_TYPE)
    response["Content-Disposition"] = _disposition(filename + ".xlsx")
    return response


def export_response(export_format: str, filename: str, tables: Iterable[Table]) -> HttpResponse:
    if export_format == "xlsx":
        return xlsx_response(filename, tables)
    return csv_response(filename, tables)


class _Echo:
    def write(self, value: str) -> str:
        return value


def streaming_csv_response(
    filename: str, headers: Sequence[Any], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse:
    """Many rows, written as they are read (research exports)."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff" + writer.writerow([_plain(header) for header in headers])
        for row in rows:
            yield writer.writerow([_plain(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type=CSV_TYPE)
    response["Content-Disposition"] = _disposition(filename + ".csv")
    return response


def rows_to_xlsx_response(filename: str, headers: Sequence[Any], rows: Iterable[Sequence[Any]]) -> HttpResponse:
    """Many rows into one sheet, written in openpyxl's streaming mode."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Data")
    sheet.append([_plain(header) for header in headers])
    for row in rows:
        sheet.append([_excel(value) for value in row])
    out = io.BytesIO()
    workbook.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = _disposition(filename + ".xlsx")
    return response
