"""A scheme version as CSV: one row per category (code, parent code, labels)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

COLUMNS = ["code", "parent_code", "label_fr", "label_nl", "label_en", "description", "active"]
REQUIRED_COLUMNS = ["code", "parent_code", "label_fr", "label_nl"]
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


@dataclass
class ParsedCategories:
    rows: list[CategoryRow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)


def decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM); anything else is refused rather than guessed."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(_("The file is not UTF-8 text (byte %(position)s). Save it as 'CSV UTF-8'.") % {"position": error.start}) from None


def parse_categories(text: str) -> ParsedCategories:
    """Check every row; report each bad one by its line number (the header is line 1)."""
    result = ParsedCategories()
    sample = text[:2048]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    missing = [column for column in REQUIRED_COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        result.errors.append((1, _("Missing column(s): %(columns)s.") % {"columns": ", ".join(missing)}))
        return result
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        values = {key: (row.get(key) or "").strip() for key in COLUMNS}
        problems = []
        if not values["code"]:
            problems.append(_("the code is empty"))
        elif values["code"] in seen:
            problems.append(_("code %(code)s already appears on line %(line)s") % {"code": values["code"], "line": seen[values["code"]]})
        if not values["label_fr"] or not values["label_nl"]:
            problems.append(_("the French and Dutch labels are required"))
        active = values["active"].lower()
        if active not in _TRUE | _FALSE:
            problems.append(_("'active' must be yes or no, not %(value)s") % {"value": values["active"]})
        if problems:
            result.errors.append((line, "; ".join(problems) + "."))
        if values["code"] and values["code"] not in seen:
            seen[values["code"]] = line
        result.rows.append(
            CategoryRow(line, values["code"], values["parent_code"], values["label_fr"], values["label_nl"],
                        values["label_en"], values["description"], active in _TRUE)
        )
    by_code = {row.code: row for row in result.rows}
    for row in result.rows:
        if not row.parent_code:
            continue
        parent = by_code.get(row.parent_code)
        if parent is None:
            result.errors.append((row.line, _("Parent code %(parent)s does not exist in this file.") % {"parent": row.parent_code}))
        elif parent.parent_code:
            result.errors.append((row.line, _("Parent %(parent)s is itself at level 2; only two levels are allowed.") % {"parent": row.parent_code}))
    if not result.rows and not result.errors:
        result.errors.append((1, _("The file holds no category.")))
    result.errors.sort()
    return result


def write_categories(rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
