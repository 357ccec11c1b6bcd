"""A scheme version as CSV: one row per category (code, parent code, labels).

`parse_categories` checks the whole file and reports every bad row by its line number
(the header is line 1), so the person fixing it sees all problems at once. Rows are read
through `core.uploads.csv_rows` (an over-long value is a row error, never a crash) and
written through `core.spreadsheet` (a label such as `=HYPERLINK(...)` leaves as text; the
leading quote that protects it is taken off again on import, so a file goes round unchanged).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from maillage.core.parsing import has_control_characters
from maillage.core.spreadsheet import FORMULA_STARTS, Separator, csv_lines
from maillage.core.uploads import csv_rows

COLUMNS = ["code", "parent_code", "label_fr", "label_nl", "label_en", "description", "active"]
# Optional: the codes of the previous version that go to this row's category (several: a merge; one old
# code on several rows: a split), separated by "|" or spaces. With it, a file carries a version's mapping.
MAPPING_COLUMN = "previous_codes"
_CODE_SEPARATORS = re.compile(r"[|\s,;]+")
REQUIRED_COLUMNS = ["code", "parent_code", "label_fr", "label_nl"]
# Limits of the Category model's fields, checked here so an import never fails half-way.
CODE_MAX_LENGTH = 30
LABEL_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 2000  # also the longest value a file may hold
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_TRUE = {"", "1", "true", "yes", "oui", "ja", "y"}
_FALSE = {"0", "false", "no", "non", "nee", "n"}


@dataclass
class CategoryRow:
    line: int
    code: str
    parent_code: str
    label_fr: str
    label_nl: str
    label_en: str
    description: str
    active: bool
    previous_codes: tuple[str, ...] | None = None  # None: the file has no mapping column


@dataclass
class ParsedCategories:
    rows: list[CategoryRow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    has_mapping: bool = False


def decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM); anything else is refused rather than guessed."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ValueError(
            _("Line %(line)s: the file is not UTF-8 text. Save it as 'CSV UTF-8' and upload it again.") % {"line": line}
        ) from None


def _delimiter(text: str) -> str:
    """Comma, or semicolon as spreadsheets save CSV in Belgium: whichever the header line uses."""
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def parse_categories(text: str) -> ParsedCategories:
    """Check every row; report each bad one by its line number (the header is line 1)."""
    result = ParsedCategories()
    if not text.strip():
        result.errors.append((1, _("the file is empty.")))
        return result
    reader = csv_rows(io.StringIO(text), max_field_chars=DESCRIPTION_MAX_LENGTH, delimiter=_delimiter(text))
    try:
        header = [name.strip().lower() for name in next(reader, [])]
        missing = [column for column in REQUIRED_COLUMNS if column not in header]
        if missing:
            result.errors.append((1, _("missing column(s): %(columns)s.") % {"columns": ", ".join(missing)}))
            return result
        raw_rows = list(_numbered(reader))
    except ValidationError as error:
        result.errors.append(_unreadable(error))
        return result
    result.has_mapping = MAPPING_COLUMN in header

    problems: dict[int, list[str]] = {}
    first_line: dict[str, int] = {}
    for line, values in raw_rows:
        row_problems = problems.setdefault(line, [])
        if len(values) > len(header):
            row_problems.append(
                _("this row has %(found)s values but the header has %(expected)s columns (a comma inside a label?)")
                % {"found": len(values), "expected": len(header)}
            )
        cells = dict(zip(header, (_unquoted(value.strip()) for value in values), strict=False))
        get = {column: cells.get(column, "") for column in COLUMNS}
        code = get["code"]
        if not code:
            row_problems.append(_("the code is empty"))
        elif code in first_line:
            row_problems.append(
                _("code %(code)s already appears on line %(line)s") % {"code": code, "line": first_line[code]}
            )
        elif len(code) > CODE_MAX_LENGTH:
            row_problems.append(
                _("the code %(code)s is longer than %(max)s characters") % {"code": code, "max": CODE_MAX_LENGTH}
            )
        elif not CODE_PATTERN.match(code):
            row_problems.append(
                _("the code %(code)s may only hold letters, digits, dots, dashes and underscores") % {"code": code}
            )
        if code and code not in first_line:
            first_line[code] = line
        if not get["label_fr"] or not get["label_nl"]:
            row_problems.append(_("the French and Dutch labels are required"))
        too_long = [column for column in ("label_fr", "label_nl", "label_en") if len(get[column]) > LABEL_MAX_LENGTH]
        if too_long:
            row_problems.append(
                _("label(s) longer than %(max)s characters: %(columns)s")
                % {"columns": ", ".join(too_long), "max": LABEL_MAX_LENGTH}
            )
        if any(has_control_characters(get[column], allow_newlines=True) for column in COLUMNS):
            row_problems.append(_("a value holds control characters, which are not allowed"))
        active = get["active"].lower()
        if active not in _TRUE | _FALSE:
            row_problems.append(_("'active' must be yes or no, not %(value)s") % {"value": get["active"]})
        previous: tuple[str, ...] | None = None
        if result.has_mapping:
            previous = tuple(
                dict.fromkeys(code for code in _CODE_SEPARATORS.split(cells.get(MAPPING_COLUMN, "")) if code)
            )
            bad = [code for code in previous if len(code) > CODE_MAX_LENGTH or not CODE_PATTERN.match(code)]
            if bad:
                row_problems.append(
                    _("previous code(s) that cannot be codes: %(codes)s") % {"codes": ", ".join(bad)[:200]}
                )
        result.rows.append(
            CategoryRow(
                line=line,
                code=code,
                parent_code=get["parent_code"],
                label_fr=get["label_fr"],
                label_nl=get["label_nl"],
                label_en=get["label_en"],
                description=get["description"],
                active=active in _TRUE,
                previous_codes=previous,
            )
        )

    by_code = {row.code: row for row in result.rows if first_line.get(row.code) == row.line}
    for row in result.rows:
        if not row.parent_code:
            continue
        parent = by_code.get(row.parent_code)
        if row.parent_code == row.code:
            problems[row.line].append(_("a category cannot be its own parent"))
        elif parent is None:
            problems[row.line].append(
                _("parent code %(parent)s does not exist in this file") % {"parent": row.parent_code}
            )
        elif parent.parent_code:
            problems[row.line].append(
                _("parent %(parent)s is itself a sub-category; only two levels are allowed")
                % {"parent": row.parent_code}
            )

    for line, row_problems in sorted(problems.items()):
        if row_problems:
            result.errors.append((line, pgettext("between two problems of a CSV row", "; ").join(row_problems) + "."))
    if not result.rows:
        result.errors.append((1, _("the file holds no category.")))
    return result


def _numbered(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """(line where the row starts, values) for every row that is not blank."""
    line = 1
    for values in reader:
        # A quoted value may span lines: the row starts where it began, not where it ended.
        start = line + 1
        line = start + sum(value.count("\n") for value in values)
        if any(value.strip() for value in values):
            yield start, values


def _unreadable(error: ValidationError) -> tuple[int, str]:
    line = int((error.params or {}).get("line", 1))
    if error.code == "field_too_long":
        return line, _("a value is longer than %(max)s characters.") % {"max": DESCRIPTION_MAX_LENGTH}
    return line, _("the file is not valid CSV.")


def _unquoted(value: str) -> str:
    """Take off the quote our export puts before a value a spreadsheet would read as a formula."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_STARTS) else value


def category_lines(
    rows: Iterable[dict[str, str]], *, separator: Separator = "comma", with_mapping: bool = False
) -> Iterator[str]:
    """The CSV text line by line, formulas neutralised (core.spreadsheet); `with_mapping`: the
    `previous_codes` column too."""
    columns = [*COLUMNS, MAPPING_COLUMN] if with_mapping else COLUMNS
    return csv_lines(columns, ([row.get(column, "") for column in columns] for row in rows), separator=separator)


def write_categories(
    rows: Iterable[dict[str, str]], *, separator: Separator = "comma", with_mapping: bool = False
) -> str:
    return "".join(category_lines(rows, separator=separator, with_mapping=with_mapping))
