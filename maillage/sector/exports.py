"""The comparison as CSV, XLSX and PDF: the period, the centre, the category versions and the disclosure rule
are written in the file, above the figures."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import HttpResponse, HttpResponseBase
from django.utils.text import slugify
from django.utils.translation import gettext as _

from maillage.core.spreadsheet import Separator, content_disposition, csv_response, xlsx_response
from maillage.sector.comparison import Comparison
from maillage.sector.pdf import Section, document_pdf


def columns() -> list[str]:
    return [
        _("Indicator"),
        _("Category"),
        _("Centre: count"),
        _("Centre: share (%)"),
        _("Sector: count"),
        _("Sector: share (%)"),
        _("1st quartile"),
        _("Median"),
        _("3rd quartile"),
        _("Where the centre stands"),
    ]


def _number(value: float | None) -> Any:
    return "" if value is None else value


def rows(items: Sequence[Comparison]) -> list[list[Any]]:
    result = []
    for comparison in items:
        for line in comparison.lines:
            result.append(
                [
                    comparison.label,
                    "" if comparison.indicator.is_total else line.label,
                    line.own,
                    _number(line.own_share),
                    line.sector if line.sector is not None else line.sector_state,
                    _number(line.sector_share),
                    _number(line.q1),
                    _number(line.median),
                    _number(line.q3),
                    line.position or comparison.quartiles_reason,
                ]
            )
    return result


def export(
    kind: str,
    title: str,
    about: Sequence[tuple[str, str]],
    items: Sequence[Comparison],
    *,
    separator: Separator,
    filename: str,
) -> HttpResponseBase:
    if kind == "csv":
        lines: list[list[Any]] = [[label, value] for label, value in about]
        return csv_response(f"{filename}.csv", [title], [*lines, [], columns(), *rows(items)], separator=separator)
    if kind == "xlsx":
        return xlsx_response(
            f"{filename}.xlsx",
            [(_("Figures"), columns(), rows(items)), (_("About these figures"), [title, ""], [list(a) for a in about])],
        )
    return pdf_response(title, about, items, filename=filename)


def sections(items: Sequence[Comparison], *, with_centre: bool = True) -> list[Section]:
    header = columns()[1:] if with_centre else [columns()[1], columns()[4], columns()[5], *columns()[6:9]]
    result = []
    for comparison in items:
        table = []
        for row in rows([comparison]):
            row = row[1:] if with_centre else [row[1], row[4], row[5], *row[6:9]]
            table.append([str(cell) for cell in row])
        bars = (
            [
                (
                    line.label,
                    line.own_share if with_centre else line.sector_share,
                    line.sector_share if with_centre else line.median,
                )
                for line in comparison.lines
            ]
            if not comparison.indicator.is_total
            else []
        )
        notes = [comparison.quartiles_reason] if comparison.quartiles_reason else []
        result.append(Section(comparison.label, header, table, bars, notes))
    return result


def pdf_response(
    title: str, about: Sequence[tuple[str, str]], items: Sequence[Comparison], *, filename: str
) -> HttpResponse:
    data = document_pdf(title, about, sections(items), footer=title, legend=(_("The centre"), _("The sector")))
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition(f"{slugify(filename) or 'sector'}.pdf")
    response["Cache-Control"] = "no-store"
    return response
