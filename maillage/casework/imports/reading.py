"""Reading an uploaded CSV or XLSX into rows, through core.uploads' bounded readers.

A cell of 200,000 characters, a workbook with no sheet or with broken sheet XML is refused with
a ValidationError that the run shows as its failure reason; nothing is read beyond the limits.
"""

from __future__ import annotations

import codecs
import datetime
from collections.abc import Iterator
from typing import IO, Any, cast

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from maillage.core.uploads import csv_rows, open_workbook_safely, sheet_rows

# No value of a person or a follow-up is longer; a longer cell is a broken file, refused with its line.
MAX_CELL_CHARS = 2000
MAX_ROWS = 100_000

Rows = list[tuple[int, dict[str, str]]]


def read_rows(filename: str, file: IO[bytes]) -> Rows:
    """(line number, {column: text}) for each data row; the header is line 1."""
    return list(iter_rows(filename, file))


def iter_rows(filename: str, file: IO[bytes]) -> Iterator[tuple[int, dict[str, str]]]:
    """The rows one by one, the file read as they are asked (nothing of it kept: an import's memory does not grow
    with the file); a broken file is refused when its broken part is reached, with the same reason."""
    start = file.read(4)
    file.seek(0)
    if filename.lower().endswith((".xlsx", ".xlsm")) or start == b"PK\x03\x04":
        return _read_xlsx(file)
    return _read_csv(file)


def _too_many() -> ValidationError:
    return ValidationError(_("The file holds more than %(max)s rows; split it.") % {"max": MAX_ROWS})


class _Decoded:
    """The file as UTF-8 text, decoded block by block; an undecodable byte is refused with its position."""

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.offset = 0  # bytes read so far
        self.pending = ""

    def _more(self) -> bool:
        block = self.file.read(1 << 16)
        buffered = len(self.decoder.getstate()[0])
        try:
            self.pending += self.decoder.decode(block, final=not block)
        except UnicodeDecodeError as error:
            raise ValidationError(
                _("The file is not UTF-8 text (byte %(position)s). Save it as 'CSV UTF-8'.")
                % {"position": self.offset - buffered + error.start}
            ) from None
        self.offset += len(block)
        return bool(block)

    def __iter__(self) -> _Decoded:
        return self

    def readline(self) -> str:
        while "\n" not in self.pending and self._more():
            pass
        end = self.pending.find("\n") + 1 or len(self.pending)
        line, self.pending = self.pending[:end], self.pending[end:]
        return line

    def __next__(self) -> str:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def sample(self, size: int) -> str:
        while len(self.pending) < size and self._more():
            pass
        return self.pending[:size]


def _read_csv(file: IO[bytes]) -> Iterator[tuple[int, dict[str, str]]]:
    text = _Decoded(file)
    sample = text.sample(2048)
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    rows = csv_rows(cast(IO[str], text), max_field_chars=MAX_CELL_CHARS, delimiter=delimiter)
    header = next(rows, None)
    if not header or not any(name.strip() for name in header):
        raise ValidationError(_("The file is empty."))
    names = [name.strip() for name in header]
    count = 0
    line = 1
    for values in rows:
        line += 1
        if not any(value.strip() for value in values):
            continue
        count += 1
        if count > MAX_ROWS:
            raise _too_many()
        yield line, {name: value.strip() for name, value in zip(names, values, strict=False) if name}


def _cell_text(value: Any) -> str:
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value).strip()


def _read_xlsx(file: IO[bytes]) -> Iterator[tuple[int, dict[str, str]]]:
    workbook = open_workbook_safely(file)
    try:
        rows = sheet_rows(workbook.worksheets[0])
        header = next(rows, None)
        if not header:
            raise ValidationError(_("The file is empty."))
        names = [_cell_text(cell) for cell in header]
        count = 0
        for line, values in enumerate(rows, start=2):
            texts = [_cell_text(value) for value in values]
            if not any(texts):
                continue
            if any(len(text) > MAX_CELL_CHARS for text in texts):
                raise ValidationError(
                    _("Line %(line)d: a field is longer than %(max)d characters.")
                    % {"line": line, "max": MAX_CELL_CHARS}
                )
            count += 1
            if count > MAX_ROWS:
                raise _too_many()
            yield line, {name: text for name, text in zip(names, texts, strict=False) if name}
    finally:
        workbook.close()
