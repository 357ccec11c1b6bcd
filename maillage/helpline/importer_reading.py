"""Reading a journal file row by row, in constant memory: the header checked first, then one row at a time.

Why streaming: the whole file used to be decoded and held as a list of rows before a single check, so an
import's memory grew with the file (+95 MB at 100,000 rows). A CSV is read twice: once to check it is
UTF-8 and to find its separator (nothing kept), then parsed line by line through `core.uploads.csv_rows`
(its bounds on a field's length). So a file is refused for the same reasons, in the same order and with
the same messages as when it was decoded whole. An XLSX is read through `core.uploads` (zip checks, lazy
read-only sheets).
"""

from __future__ import annotations

import codecs
import contextlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any, cast

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from maillage.core.uploads import csv_rows, open_workbook_safely, sheet_rows

# A journal's longest text is a comment of a few hundred characters; a 200,000-character cell is a broken file.
MAX_FIELD_CHARS = 10_000
CHUNK = 1 << 16
# What str.splitlines() splits on: the old whole-file reader took the separator from text.splitlines()[0].
_LINE_BREAK = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


class FileProblemError(Exception):
    """The file as a whole cannot be read: wrong encoding, missing columns, not a spreadsheet, an over-long
    cell. `messages` are translated; `line` is where it was found (1 when it is the whole file)."""

    def __init__(self, message: str | list[str], line: int = 1) -> None:
        self.messages = [message] if isinstance(message, str) else list(message)
        self.line = line
        super().__init__(" ".join(self.messages))


def _from_validation(error: ValidationError) -> FileProblemError:
    params = getattr(error, "params", None) or {}
    return FileProblemError([str(message) for message in error.messages], int(params.get("line", 1)))


@dataclass
class JournalFile:
    """A journal being read: its columns, and its rows as (line, cells) with the cells stripped and padded
    to the header's width plus one empty cell (where a column the file lacks is read)."""

    columns: list[str]  # the header's names, lower-cased
    written: dict[str, str]  # our name → the file's spelling, for the error report
    rows: Iterator[tuple[int, list[str]]]
    estimated_rows: int = 0  # for the progress bar before the rows are counted
    index: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.index = {name: position for position, name in enumerate(self.columns)}

    def position(self, name: str) -> int:
        """Where a column is in a row; the empty padding cell for a column the file does not have."""
        return self.index.get(name, len(self.columns))

    def column(self, code: str) -> str:
        return self.written.get(code, code)


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def check_header(header: list[str], required: list[str], expected: list[str]) -> list[str]:
    names = [str(name).strip().lower() for name in header]
    missing = [name for name in required if name not in names]
    if missing:
        raise FileProblemError(
            _("Columns missing from the first line: %(columns)s. Expected columns: %(expected)s.")
            % {"columns": ", ".join(missing), "expected": ", ".join(expected)}
        )
    return names


def _written(header: list[str]) -> dict[str, str]:
    return {str(name).strip().lower(): str(name).strip() for name in header}


def open_journal(filename: str, file: IO[bytes], required: list[str], expected: list[str]) -> JournalFile:
    """The journal's header, checked, and an iterator of its rows; a problem of the whole file, found now or
    while the rows are read, is a FileProblemError."""
    if filename.lower().endswith(".xlsx"):
        return _xlsx_journal(file, required, expected)
    return _csv_journal(file, required, expected)


# CSV


def _scan_text(file: IO[bytes]) -> tuple[str, int]:
    """Check the whole file is UTF-8 (byte position of the first fault as a whole-file decode gives it) and
    not blank; returns its first line (up to the first line break) and its number of newlines."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    data = file.read(CHUNK)
    if data.startswith(codecs.BOM_UTF8):  # utf-8-sig: positions count from after the mark
        data = data[len(codecs.BOM_UTF8) :]
    offset, blank, newlines = 0, True, 0
    head: list[str] = []
    first_line: str | None = None
    while True:
        final = not data
        pending = len(decoder.getstate()[0])  # bytes of a character cut by the previous chunk
        try:
            text = decoder.decode(data, final=final)
        except UnicodeDecodeError as error:
            raise FileProblemError(
                _("The file is not readable UTF-8 text (byte %(position)s). Save it again as “CSV UTF-8” and retry.")
                % {"position": offset - pending + error.start + 1}
            ) from None
        offset += len(data)
        newlines += data.count(b"\n")
        if blank and text.strip():
            blank = False
        if first_line is None:
            head.append(text)
            if _LINE_BREAK.search(text) or final:
                first_line = "".join(head).splitlines()[0] if any(head) else ""
                head = []
        if final:
            break
        data = file.read(CHUNK)
    if blank:
        raise FileProblemError(_("The file is empty."))
    return first_line or "", newlines


def _csv_journal(file: IO[bytes], required: list[str], expected: list[str]) -> JournalFile:
    first_line, newlines = _scan_text(file)
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    file.seek(0)
    # Lines end at "\n" only (as io.StringIO split the decoded text): the csv module sees the same lines.
    text = io.TextIOWrapper(cast(Any, file), encoding="utf-8-sig", newline="\n")
    lines = csv_rows(text, max_field_chars=MAX_FIELD_CHARS, delimiter=delimiter)
    try:
        raw_header = next(lines)
    except ValidationError as error:
        text.detach()
        raise _from_validation(error) from None
    except StopIteration:
        text.detach()
        raise FileProblemError(_("The file is empty.")) from None
    try:
        header = check_header(raw_header, required, expected)
    except FileProblemError:
        text.detach()
        raise
    return JournalFile(header, _written(raw_header), _csv_rows(text, lines, len(header)), max(newlines - 1, 0))


def _csv_rows(text: io.TextIOWrapper, lines: Iterator[list[str]], width: int) -> Iterator[tuple[int, list[str]]]:
    pad = [""] * (width + 1)
    line = 1
    try:
        while True:
            try:
                values = next(lines)
            except StopIteration:
                return
            except ValidationError as error:
                raise _from_validation(error) from None
            line += 1 + "".join(values).count("\n")  # a quoted cell may hold line breaks
            if not any(value.strip() for value in values):
                continue
            cells = list(map(str.strip, values[:width]))
            cells += pad[len(cells) :]
            yield line, cells
    finally:
        with contextlib.suppress(ValueError):  # already closed by its owner when the reading stopped early
            text.detach()  # the caller closes the file it opened


# XLSX


def _xlsx_journal(file: IO[bytes], required: list[str], expected: list[str]) -> JournalFile:
    try:
        workbook = open_workbook_safely(file)
    except ValidationError as error:
        if error.code == "not_zip":  # said in a spreadsheet's words, not an archive's
            raise FileProblemError(_("This file is not an Excel workbook (.xlsx) we can read.")) from error
        raise _from_validation(error) from error
    lines = sheet_rows(workbook.worksheets[0])
    try:
        raw_header = [cell_text(value) for value in next(lines)]
    except StopIteration:
        raise FileProblemError(_("The file is empty.")) from None
    except ValidationError as error:
        raise _from_validation(error) from None
    header = check_header(raw_header, required, expected)
    return JournalFile(header, _written(raw_header), _xlsx_rows(lines, len(header)))


def _xlsx_rows(lines: Iterator[tuple[Any, ...]], width: int) -> Iterator[tuple[int, list[str]]]:
    pad = [""] * (width + 1)
    number = 1
    while True:
        try:
            values = next(lines)
        except StopIteration:
            return
        except ValidationError as error:
            raise _from_validation(error) from None
        number += 1
        cells = [cell_text(value) for value in values]
        if any(cells):
            cells = cells[:width]
            cells += pad[len(cells) :]
            yield number, cells
