"""Reading an uploaded CSV or XLSX into rows, through core.uploads' bounded readers.

A cell of 200,000 characters, a workbook with no sheet or with broken sheet XML is refused with
a ValidationError that the run shows as its failure reason; nothing is read beyond the limits.
"""

from __future__ import annotations

import datetime
import io
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from maillage.core.uploads import csv_rows, open_workbook_safely, sheet_rows

# No value of a person or a follow-up is longer; a longer cell is a broken file, refused with its line.
MAX_CELL_CHARS = 2000
MAX_ROWS = 100_000

Rows = list[tuple[int, dict[str, str]]]


def read_rows(filename: str, file: IO[bytes]) -> Rows:
    """(line number, {column: text}) for each data row; the header is line 1."""
    start = file.read(4)
    file.seek(0)
    if filename.lower().endswith((".xlsx", ".xlsm")) or start == b"PK\x03\x04":
        return _read_xlsx(file)
    return _read_csv(file.read())


def _too_many() -> ValidationError:
    return ValidationError(_("The file holds more than %(max)s rows; split it.") % {"max": MAX_ROWS})


def _read_csv(raw: bytes) -> Rows:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationError(
            _("The file is not UTF-8 text (byte %(position)s). Save it as 'CSV UTF-8'.") % {"position": error.start}
        ) from None
    sample = text[:2048]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    stream = io.StringIO(text, newline="")
    rows = csv_rows(stream, max_field_chars=MAX_CELL_CHARS, delimiter=delimiter)
    header = next(rows, None)
    if not header or not any(name.strip() for name in header):
        raise ValidationError(_("The file is empty."))
    names = [name.strip() for name in header]
    result: Rows = []
    line = 1
    for values in rows:
        line += 1
        if not any(value.strip() for value in values):
            continue
        result.append((line, {name: value.strip() for name, value in zip(names, values, strict=False) if name}))
        if len(result) > MAX_ROWS:
            raise _too_many()
    return result


def _cell_text(value: Any) -> str:
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value).strip()


def _read_xlsx(file: IO[bytes]) -> Rows:
    workbook = open_workbook_safely(file)
    try:
        rows = sheet_rows(workbook.worksheets[0])
        header = next(rows, None)
        if not header:
            raise ValidationError(_("The file is empty."))
        names = [_cell_text(cell) for cell in header]
        result: Rows = []
        for line, values in enumerate(rows, start=2):
            texts = [_cell_text(value) for value in values]
            if not any(texts):
                continue
            if any(len(text) > MAX_CELL_CHARS for text in texts):
                raise ValidationError(
                    _("Line %(line)d: a field is longer than %(max)d characters.")
                    % {"line": line, "max": MAX_CELL_CHARS}
                )
            result.append((line, {name: text for name, text in zip(names, texts, strict=False) if name}))
            if len(result) > MAX_ROWS:
                raise _too_many()
        return result
    finally:
        workbook.close()
