"""Bounded uploads: every file people send is measured before it is read, and parsed with limits.

A 389 KB zip that inflated to 400 MB took the server to 11 GB; a deeply nested JSON raised
`RecursionError`; a 200,000-character CSV cell and a broken workbook left imports "running"
for ever. Each reader here refuses such a file with a translated `ValidationError` that an
import reports as it reports a bad row, before any memory or time is spent on it:

- `check_upload_size` compares the declared size with `MAILLAGE_UPLOAD_LIMITS[kind]`;
- `open_zip_safely` checks member count, declared inflated size and ratio from the central
  directory, then counts the bytes actually inflated, so a lying header cannot pass;
- `load_json_bounded` measures nesting with one linear scan before `json.loads`;
- `csv_rows` reports an over-long field as an error naming its line;
- `open_workbook_safely` / `sheet_rows` turn any openpyxl, zip or XML failure into a message.

`store_upload` keeps a file in Django's storage (not in a database column) and returns its name.
"""

from __future__ import annotations

import csv
import json
import logging
import re
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import PurePath
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)
MB = 1024 * 1024
_CHUNK = 64 * 1024


def upload_limit(kind: str) -> int:
    """The largest upload of this kind, in bytes (`MAILLAGE_UPLOAD_LIMITS`, env `MAILLAGE_UPLOAD_MAX_MB_<KIND>`)."""
    limits = settings.MAILLAGE_UPLOAD_LIMITS
    return int(limits.get(kind, limits["default"]))


def _megabytes(size: int) -> str:
    return f"{size / MB:g}"


def check_upload_size(uploaded_file: Any, kind: str = "default") -> None:
    """Refuse a file larger than its kind allows, from its declared size, before a byte is read."""
    limit = upload_limit(kind)
    if uploaded_file.size is None or uploaded_file.size > limit:
        raise ValidationError(
            _("The file is too large: the limit is %(limit)s MB.") % {"limit": _megabytes(limit)}, code="too_large"
        )


class UploadSizeValidator:
    """Form-field validator: `forms.FileField(validators=[UploadSizeValidator("journal")])`."""

    def __init__(self, kind: str = "default") -> None:
        self.kind = kind

    def __call__(self, uploaded_file: Any) -> None:
        check_upload_size(uploaded_file, self.kind)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UploadSizeValidator) and other.kind == self.kind

    def __hash__(self) -> int:
        return hash(self.kind)


# Zip archives


class BoundedZip:
    """A zip archive whose members are read with a running count of inflated bytes."""

    def __init__(self, archive: zipfile.ZipFile, max_total_bytes: int) -> None:
        self.archive = archive
        self.max_total_bytes = max_total_bytes
        self.inflated = 0

    def namelist(self) -> list[str]:
        return self.archive.namelist()

    def read(self, name: str) -> bytes:
        """The member's bytes; refused as soon as more comes out than the headers declared."""
        info = self.archive.getinfo(name)
        parts: list[bytes] = []
        size = 0
        try:
            with self.archive.open(info) as member:
                while chunk := member.read(_CHUNK):
                    size += len(chunk)
                    self.inflated += len(chunk)
                    if size > info.file_size or self.inflated > self.max_total_bytes:
                        raise ValidationError(_too_big(self.max_total_bytes), code="zip_bomb")
                    parts.append(chunk)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
            raise ValidationError(_("The archive is damaged: %(name)s cannot be read.") % {"name": name}) from error
        return b"".join(parts)

    def close(self) -> None:
        self.archive.close()


def _too_big(max_total_bytes: int) -> str:
    return _("The archive unpacks to more than %(limit)s MB.") % {"limit": _megabytes(max_total_bytes)}


def check_zip(archive: zipfile.ZipFile, *, max_members: int, max_total_bytes: int, max_ratio: int) -> None:
    """Refuse from the central directory alone: too many members, too large once inflated, too compressed."""
    members = archive.infolist()
    if len(members) > max_members:
        raise ValidationError(
            _("The archive holds more than %(max)d files.") % {"max": max_members}, code="zip_too_many_members"
        )
    if sum(member.file_size for member in members) > max_total_bytes:
        raise ValidationError(_too_big(max_total_bytes), code="zip_bomb")
    for member in members:
        if member.file_size > max(member.compress_size, 1) * max_ratio:
            raise ValidationError(
                _("The archive is compressed suspiciously tightly (%(name)s); it was not opened.")
                % {"name": member.filename[:100]},
                code="zip_bomb",
            )


def open_zip_safely(
    file: IO[bytes] | str, *, max_members: int = 1000, max_total_bytes: int = 200 * MB, max_ratio: int = 200
) -> BoundedZip:
    """Open an uploaded zip after checking its directory; read members through the returned `BoundedZip`."""
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        raise ValidationError(_("The file is not a zip archive, or it is damaged."), code="not_zip") from error
    try:
        check_zip(archive, max_members=max_members, max_total_bytes=max_total_bytes, max_ratio=max_ratio)
    except ValidationError:
        archive.close()
        raise
    return BoundedZip(archive, max_total_bytes)


# JSON

# A string (escapes included) or a bracket: strings are skipped whole, so brackets inside them do not count.
_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects, in one linear scan (no recursion)."""
    depth = deepest = 0
    for match in _JSON_TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif token in "]}":
            depth -= 1
    return deepest


def load_json_bounded(data: bytes | str, *, max_depth: int = 64, max_bytes: int = 50 * MB) -> Any:
    """Parse JSON no longer than `max_bytes` and no deeper than `max_depth`; a ValidationError otherwise."""
    if len(data) > max_bytes:
        raise ValidationError(
            _("The file is too large: the limit is %(limit)s MB.") % {"limit": _megabytes(max_bytes)}, code="too_large"
        )
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ValidationError(_("The file is not UTF-8 text."), code="encoding") from error
    if json_depth(data) > max_depth:
        raise ValidationError(
            _("The JSON is nested more than %(max)d levels deep.") % {"max": max_depth}, code="json_too_deep"
        )
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as error:
        raise ValidationError(_("The file is not valid JSON: %(error)s") % {"error": str(error)[:200]}) from error


# CSV


def csv_rows(text_stream: IO[str], *, max_field_chars: int = 100_000, **reader_options: Any) -> Iterator[list[str]]:
    """Rows of a CSV; a field longer than `max_field_chars` (or malformed CSV) is a ValidationError naming its line.

    The csv module's own ceiling (`csv.field_size_limit()`, 131,072 by default) is process-wide,
    so it is left alone; smaller limits are checked here, row by row.
    """
    reader = csv.reader(text_stream, **reader_options)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise _row_error(reader.line_num, max_field_chars, error) from error
        if any(len(field) > max_field_chars for field in row):
            raise _row_error(reader.line_num, max_field_chars, None)
        yield row


def _row_error(line: int, max_field_chars: int, error: csv.Error | None) -> ValidationError:
    if error is None or "field larger than field limit" in str(error):
        message = _("Line %(line)d: a field is longer than %(max)d characters.") % {
            "line": line,
            "max": max_field_chars,
        }
        return ValidationError(message, code="field_too_long", params={"line": line})
    message = _("Line %(line)d cannot be read as CSV.") % {"line": line}
    return ValidationError(message, code="bad_csv", params={"line": line})


# XLSX


def _not_a_workbook(error: BaseException) -> ValidationError:
    logger.info("An uploaded workbook could not be read", exc_info=error)
    return ValidationError(_("The file is not a readable Excel workbook (.xlsx), or it is damaged."), code="bad_xlsx")


def open_workbook_safely(file: IO[bytes], *, max_total_bytes: int = 200 * MB, max_ratio: int = 200) -> Any:
    """An openpyxl read-only workbook with at least one sheet, after the zip checks; ValidationError otherwise.

    Read-only sheets parse lazily: iterate them through `sheet_rows` so a broken sheet is reported too.
    """
    from openpyxl import load_workbook

    open_zip_safely(file, max_total_bytes=max_total_bytes, max_ratio=max_ratio).close()
    file.seek(0)
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds (KeyError, ParseError, TypeError...) on bad files
        raise _not_a_workbook(error) from error
    if not workbook.worksheets:
        raise ValidationError(_("The workbook has no sheet."), code="xlsx_no_sheet")
    return workbook


def sheet_rows(sheet: Any) -> Iterator[tuple[Any, ...]]:
    """The values of a read-only sheet row by row; broken sheet XML becomes a ValidationError."""
    rows = sheet.iter_rows(values_only=True)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except Exception as error:  # the sheet's XML is parsed here, lazily
            raise _not_a_workbook(error) from error
        yield row


# Storage


def store_upload(uploaded_file: Any, folder: str) -> str:
    """Save an upload in the default storage under `folder/` with a random name; returns the stored name."""
    suffix = PurePath(str(uploaded_file.name or "")).suffix.lower()
    if not re.fullmatch(r"\.[a-z0-9]{1,8}", suffix):
        suffix = ""
    name = f"{folder.strip('/')}/{uuid.uuid4().hex}{suffix}"
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    return default_storage.save(name, uploaded_file if isinstance(uploaded_file, File) else File(uploaded_file))
