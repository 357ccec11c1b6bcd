"""The template through which centres using another tool declare their year's aggregated figures.

One line per figure: centre (short name), year, indicator, category (empty or "total" for the total),
value. Every line is checked and every problem reported with its line number; nothing is saved
unless the whole file is right.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from maillage.casework.models import AgeBand, Household, IncomeSource, Mode, Sex
from maillage.core.models import Commune, Organisation
from maillage.core.uploads import check_upload_size, csv_rows, open_workbook_safely, sheet_rows
from maillage.sector.counts import TOTAL
from maillage.sector.indicators import ACTION_LABELS, INDICATORS, REFERRAL_LABELS
from maillage.stats.crosstab import target_version
from maillage.taxonomy.models import Category

HEADER = ["centre", "year", "indicator", "category", "value"]
TOTAL_WORD = "total"
MAX_LINES = 5000
MAX_ERRORS = 50


@dataclass(frozen=True)
class CleanFigure:
    indicator: str
    category: str
    value: int


def template_rows(organisation: Organisation, year: int) -> list[list[Any]]:
    """The template: one line per total and per category of the simple variables, to fill in."""
    rows: list[list[Any]] = []
    for code, indicator in INDICATORS.items():
        if indicator.is_total:
            rows.append([organisation.short_name, year, code, "", ""])
            continue
        rows.append([organisation.short_name, year, code, TOTAL_WORD, ""])
        for category in sorted(_allowed(code) or []):
            rows.append([organisation.short_name, year, code, category, ""])
    return rows


def _allowed(indicator_code: str) -> set[str] | None:
    """The categories an indicator accepts (its variable's values, or the category codes in force)."""
    variable = INDICATORS[indicator_code].variable
    simple = {
        "age_band": AgeBand.values,
        "sex": Sex.values,
        "household": Household.values,
        "income_source": IncomeSource.values,
        "mode": Mode.values,
        "actions": list(ACTION_LABELS),
        "referral": list(REFERRAL_LABELS),
    }
    if variable in simple:
        return set(simple[variable])
    if variable == "commune":
        return set(Commune.objects.values_list("nis_code", flat=True))
    if variable and variable[:-1] in {"theme", "institution", "stage"}:
        version = target_version(variable[:-1], None)
        if version is None:
            return set()
        codes = Category.objects.filter(version=version).values_list("code", "level")
        level = int(variable[-1])
        return {code for code, category_level in codes if category_level == level}
    return None


def read_rows(upload: Any) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells as text) of an uploaded CSV or XLSX, after the size check."""
    check_upload_size(upload, "default")
    name = str(getattr(upload, "name", "") or "").lower()
    upload.seek(0)
    if name.endswith(".xlsx"):
        workbook = open_workbook_safely(upload)
        for number, row in enumerate(sheet_rows(workbook.worksheets[0]), start=1):
            yield number, ["" if value is None else str(value).strip() for value in row]
        return
    raw = upload.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationError(_("The file is not UTF-8 text."), code="encoding") from error
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    for number, fields in enumerate(csv_rows(io.StringIO(text), delimiter=delimiter), start=1):
        yield number, [cell.strip() for cell in fields]


def validate(rows: Iterable[tuple[int, list[str]]], organisation: Organisation, year: int) -> list[CleanFigure]:
    """Every line checked; a ValidationError listing the bad lines, or the clean figures (all or nothing)."""
    errors: list[str] = []
    figures: dict[tuple[str, str], CleanFigure] = {}
    totals: dict[str, tuple[int, int]] = {}  # indicator → (line, declared total)
    allowed: dict[str, set[str] | None] = {}
    communes = dict(Commune.objects.values_list("nis_code", "pk"))
    header_seen = False
    for number, cells in rows:
        if not any(cells):
            continue
        if not header_seen:
            header_seen = True
            if [cell.lower() for cell in cells[: len(HEADER)]] != HEADER:
                errors.append(
                    _("Line %(line)d: the columns must be %(columns)s.")
                    % {"line": number, "columns": ", ".join(HEADER)}
                )
                break
            continue
        if len(errors) >= MAX_ERRORS or number > MAX_LINES + 1:
            errors.append(_("Too many lines or errors: the file was not read further."))
            break
        centre, raw_year, indicator, category, raw_value = [*cells, "", "", "", "", ""][:5]
        if centre != organisation.short_name:
            errors.append(
                _("Line %(line)d: figures of another centre (%(centre)s); submit only %(own)s's figures.")
                % {"line": number, "centre": centre or "—", "own": organisation.short_name}
            )
            continue
        if raw_year != str(year):
            errors.append(
                _("Line %(line)d: the year is %(found)s, this submission is for %(year)d.")
                % {"line": number, "found": raw_year or "—", "year": year}
            )
            continue
        if indicator not in INDICATORS:
            errors.append(
                _("Line %(line)d: unknown indicator %(indicator)s.") % {"line": number, "indicator": indicator}
            )
            continue
        try:
            value = int(raw_value.replace(" ", "").removesuffix(".0"))
        except ValueError:
            errors.append(
                _("Line %(line)d: the value %(value)s is not a whole number.")
                % {"line": number, "value": raw_value or "—"}
            )
            continue
        if value < 0:
            errors.append(
                _("Line %(line)d: a figure cannot be below zero (%(value)d).") % {"line": number, "value": value}
            )
            continue
        is_total_indicator = INDICATORS[indicator].is_total
        if is_total_indicator or category.lower() == TOTAL_WORD:
            if indicator in totals or (is_total_indicator and (indicator, TOTAL) in figures):
                errors.append(
                    _("Line %(line)d: the total of %(indicator)s is given twice.")
                    % {"line": number, "indicator": indicator}
                )
                continue
            if is_total_indicator:
                figures[(indicator, TOTAL)] = CleanFigure(indicator, TOTAL, value)
            else:
                totals[indicator] = (number, value)
            continue
        if indicator not in allowed:
            allowed[indicator] = _allowed(indicator)
        known = allowed[indicator]
        if known is not None and category not in known:
            errors.append(
                _("Line %(line)d: %(category)s is not a category of %(indicator)s.")
                % {"line": number, "category": category or "—", "indicator": indicator}
            )
            continue
        key = str(communes[category]) if INDICATORS[indicator].variable == "commune" else category
        if (indicator, key) in figures:
            errors.append(_("Line %(line)d: this figure is given twice.") % {"line": number})
            continue
        figures[(indicator, key)] = CleanFigure(indicator, key, value)
    for indicator, (number, total) in totals.items():
        added = sum(f.value for (code, _key), f in figures.items() if code == indicator)
        if added != total:
            errors.append(
                _("Line %(line)d: the total of %(indicator)s (%(total)d) is not the sum of its categories (%(sum)d).")
                % {"line": number, "indicator": indicator, "total": total, "sum": added}
            )
    if not header_seen:
        errors.append(_("The file is empty."))
    if errors:
        raise ValidationError(errors)
    return list(figures.values())
