"""The helpline reports as tables for CSV and XLSX (through stats.exports), each export opening with a header
block: the period, the periods compared with, the base of the shares and the version the categories are read in."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from maillage.stats.crosstab_output import version_text
from maillage.stats.exports import Header, Table
from maillage.stats.helpline_reading import ThemesReading
from maillage.stats.helpline_reports import BASE_CALLS, Bilan, Section, Synthesis
from maillage.stats.shares import Comparison, Period


def _section_table(section: Section, first_header: str) -> Table:
    return Table(
        section.title,
        [first_header, _("Count"), _("Share (%)")],
        [[row.label, row.count, row.share] for row in section.rows],
        note=section.base_label,
    )


def synthesis_tables(report: Synthesis) -> list[Table]:
    period = _span(report.period)
    tables = [
        Table(
            _("Totals"),
            [_("Period"), _("Calls"), _("Requests"), _("Requests per call")],
            [[period, report.totals.calls, report.totals.requests, report.totals.requests_per_call]],
        ),
        Table(
            report.themes.title,
            [_("Code"), _("Theme"), _("Count"), _("Share (%)")],
            [[row.key, row.label, row.count, row.share] for row in report.themes.rows],
            note=report.themes.base_label,
        ),
        Table(
            _("Requests by category (level 2)"),
            [_("Theme"), _("Code"), _("Category"), _("Count"), _("Share of the theme (%)")],
            [
                [theme.label, row.key, row.label, row.count, row.share]
                for theme in report.themes.rows
                for row in report.subthemes[theme.key].rows
            ],
        ),
    ]
    tables.extend(_section_table(section, section.title) for section in report.sections)
    for section in (report.hours, report.weekdays):
        if section is not None:
            tables.append(_section_table(section, section.title))
    return tables


def _span(period: Period) -> str:
    return f"{period.first.isoformat()} – {period.last.isoformat()}"


def version_line(reading: ThemesReading | None) -> tuple[str, str]:
    """('Categories read in', 'Request themes: version 2 (in force, published …)')."""
    if reading is None or reading.version is None:
        return _("Categories read in"), _("no version published")
    return _("Categories read in"), version_text(reading.version)


def synthesis_header(report: Synthesis) -> Header:
    return [(_("Period"), _span(report.period)), version_line(report.reading)]


def bilan_header(report: Bilan) -> Header:
    lines = [(_("Period"), _span(report.period))]
    if report.previous is not None:
        lines.append((_("Compared with the period before"), _span(report.previous)))
    if report.year_before is not None:
        lines.append((_("Compared with the same period a year before"), _span(report.year_before)))
    lines.append((_("Base of the shares"), _("Calls") if report.base == BASE_CALLS else _("Requests")))
    lines.append(version_line(report.reading))
    return lines


def bilan_tables(report: Bilan) -> list[Table]:
    base_note = (
        _("Base: calls (a call with several requests of a theme counts once; shares may add up to more than 100%).")
        if report.base == BASE_CALLS
        else _("Base: requests (each request of a call counts).")
    )
    headers = [_("Code"), _("Category"), _("Count (now)"), _("Share now (%)")]
    if report.previous is not None:
        headers += [_("Count (before)"), _("Share before (%)"), _("Difference (points)")]
    if report.year_before is not None:
        headers += [
            _("Count (a year before)"),
            _("Share a year before (%)"),
            _("Difference with a year before (points)"),
        ]

    def rows(comparisons: list[Comparison]) -> list[list[Any]]:
        lines = []
        for c in comparisons:
            line: list[Any] = [c.key, c.label, c.count_now, c.share_now]
            if report.previous is not None:
                line += [c.count_before, c.share_before, c.difference]
            if report.year_before is not None:
                line += [c.count_year_before, c.share_year_before, c.difference_year]
            lines.append(line)
        return lines

    totals = [[_span(report.period), report.totals_now.calls, report.totals_now.requests]]
    if report.previous is not None:
        totals.append([_span(report.previous), report.totals_before.calls, report.totals_before.requests])
    if report.year_before is not None and report.totals_year_before is not None:
        totals.append([_span(report.year_before), report.totals_year_before.calls, report.totals_year_before.requests])
    return [
        Table(_("Totals"), [_("Period"), _("Calls"), _("Requests")], totals),
        Table(_("Themes"), headers, rows(report.themes), note=base_note),
        Table(_("Categories (level 2)"), headers, rows(report.categories), note=base_note),
    ]
