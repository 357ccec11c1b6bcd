"""The annual sector report: the network's figures, by sector and by subsidy, the year against the previous
one, a methods page, meeting comments; HTML (print stylesheet) and PDF, made in one task. Each contributing
centre gets a link to its own annex (its figures against the sector's)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from maillage.casework.models import AXES, FollowUp, Subsidy
from maillage.core.models import Organisation, Sector
from maillage.core.runs import run_guarded
from maillage.sector import disclosure_bridge, network_pattern, services
from maillage.sector.charts import pair_chart
from maillage.sector.comparison import MIN_CENTRES, Comparison, compare
from maillage.sector.counts import sector_centres
from maillage.sector.indicators import INDICATORS
from maillage.sector.links import email_annex_links
from maillage.sector.models import Comment, CompletionDeclaration, FigureSubmission, ReportRun
from maillage.sector.pdf import Section, document_pdf
from maillage.sector.periods import Period
from maillage.sector.report_figures import NETWORK, ReportFigures, protect_report, sector_part, subsidy_part
from maillage.stats.charts import Chart
from maillage.stats.crosstab import target_version

# Sectors and subsidies get the headline indicators; the network gets every one.
HEADLINE = ("persons", "case_files", "followups", "requests", "requests.theme1", "persons.age_band", "persons.sex")


@dataclass
class YearLine:
    label: str
    now: str
    now_share: float | None
    before: str
    before_share: float | None


@dataclass
class Block:
    """One indicator in one part of the report: this year's and last year's sector figures."""

    comparison: Comparison
    lines: list[YearLine]
    chart: Chart | None
    comments: list[str]


@dataclass
class Part:
    title: str
    blocks: list[Block]
    centres: int


def _blocks(
    now: ReportFigures,
    before: ReportFigures,
    period: Period,
    part: str,
    codes: Sequence[str],
    comments: dict[str, list[str]],
    *,
    charts: bool = True,
) -> list[Block]:
    def comparison_of(figures: ReportFigures, code: str, when: Period) -> Comparison:
        return compare(
            figures.counts[(code, part)],
            None,
            when,
            protected=figures.families[(code, part)],
            distinct=figures.distinct.get((code, part)),
        )

    blocks = []
    for code in codes:
        comparison = comparison_of(now, code, period)
        previous = {line.key: line for line in comparison_of(before, code, period.previous_year()).lines}
        lines = []
        for line in comparison.lines:
            old = previous.get(line.key)
            lines.append(
                YearLine(
                    line.label,
                    line.sector_text,
                    line.sector_share,
                    old.sector_text if old else "0",
                    old.sector_share if old else None,
                )
            )
        chart = None
        if charts and not comparison.indicator.is_total and lines:
            chart = pair_chart(
                str(comparison.label),
                [line.label for line in lines],
                [line.now_share for line in lines],
                [line.before_share for line in lines],
                [line.before if line.before_share is None else "" for line in lines],
                str(period.year),
                str(period.year - 1),
            )
        blocks.append(Block(comparison, lines, chart, comments.get(code, [])))
    return blocks


def report_parts(year: int) -> tuple[list[int], dict[str, list[int]], list[tuple[int, str]]]:
    """The report's centres, its sectors (with their centres) and its subsidies."""
    all_centres = sector_centres()
    sectors = {
        sector: ids
        for sector, _label in Sector.choices
        if sector != Sector.FEDERATION and (ids := sector_centres(sector))
    }
    subsidies = list(Subsidy.objects.order_by("name").values_list("pk", "name"))
    return all_centres, sectors, subsidies


def report_figures(year: int) -> ReportFigures:
    """Every figure of the year's report, protected as linked sets (network, sectors, subsidies); the
    network's figures take the year's stored pattern (`network_pattern`), the one every centre's page reads."""
    all_centres, sectors, subsidies = report_parts(year)
    return protect_report(Period(year), all_centres, sectors, [pk for pk, _name in subsidies], set(HEADLINE))


def report_context(year: int, *, charts: bool = True) -> dict[str, Any]:
    period = Period(year)
    comments: dict[str, list[str]] = {}
    for comment in Comment.objects.filter(year=year).order_by("created_at"):
        comments.setdefault(comment.indicator, []).append(comment.text)
    all_centres, sectors, subsidies = report_parts(year)
    now = report_figures(year)
    before = report_figures(year - 1)
    parts = [
        Part(
            _("The whole network"),
            _blocks(now, before, period, NETWORK, list(INDICATORS), comments, charts=charts),
            len(all_centres),
        )
    ]
    labels = dict(Sector.choices)
    for sector, ids in sectors.items():
        parts.append(
            Part(
                _("Sector: %(sector)s") % {"sector": labels[sector]},
                _blocks(now, before, period, sector_part(sector), HEADLINE, {}, charts=charts),
                len(ids),
            )
        )
    for subsidy_id, name in subsidies:
        parts.append(
            Part(
                _("Subsidy: %(subsidy)s") % {"subsidy": name},
                _blocks(now, before, period, subsidy_part(subsidy_id), HEADLINE, {}, charts=charts),
                len(all_centres),
            )
        )
    return {"year": year, "parts": parts, "methods": methods(year, all_centres)}


def methods(year: int, centre_ids: list[int]) -> dict[str, Any]:
    """Which centres, how complete, the category versions, the disclosure rules."""
    followups = dict(
        FollowUp.objects.filter(organisation_id__in=centre_ids, date__year=year)
        .values_list("organisation_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    declared_complete = set(
        CompletionDeclaration.objects.filter(data_year__year=year).values_list("organisation_id", flat=True)
    )
    submitted = set(FigureSubmission.objects.filter(data_year__year=year).values_list("organisation_id", flat=True))
    centres = [
        {
            "name": organisation.name,
            "sector": organisation.get_sector_display(),
            "followups": followups.get(organisation.pk, 0),
            "complete": organisation.pk in declared_complete,
            "declared": organisation.pk in submitted,
        }
        for organisation in Organisation.objects.filter(pk__in=centre_ids).order_by("name_fr")
    ]
    versions = []
    for axis in AXES:
        version = target_version(axis, None)
        versions.append((axis, f"{version.scheme.label} v{version.number}" if version else "—"))
    return {
        "centres": centres,
        "versions": versions,
        "rule": disclosure_bridge.describe_rule(),
        "min_centres": MIN_CENTRES,
        "contributing": sum(1 for c in centres if c["followups"] or c["declared"]),
    }


def about_lines(year: int, methods_data: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (_("Year"), str(year)),
        (_("Centres"), str(methods_data["contributing"])),
        (_("Category versions"), ", ".join(f"{axis}: {text}" for axis, text in methods_data["versions"])),
        (_("Disclosure rule"), methods_data["rule"]),
    ]


def report_pdf(context: dict[str, Any]) -> bytes:
    year = context["year"]
    sections: list[Section] = []
    for part in context["parts"]:
        first = True
        for block in part.blocks:
            rows = [
                [line.label, line.now, _share(line.now_share), line.before, _share(line.before_share)]
                for line in block.lines
            ]
            sections.append(
                Section(
                    f"{part.title} — {block.comparison.label}",
                    [_("Category"), str(year), "%", str(year - 1), "%"],
                    rows,
                    [(line.label, line.now_share, line.before_share) for line in block.lines]
                    if not block.comparison.indicator.is_total
                    else [],
                    notes=block.comments,
                    new_page=first,
                )
            )
            first = False
    methods_data = context["methods"]
    sections.append(
        Section(
            _("Methods"),
            [_("Centre"), _("Sector"), _("Follow-ups"), _("Year declared complete"), _("Figures declared")],
            [
                [
                    c["name"],
                    c["sector"],
                    str(c["followups"]),
                    _("yes") if c["complete"] else _("no"),
                    _("yes") if c["declared"] else _("no"),
                ]
                for c in methods_data["centres"]
            ],
            notes=[methods_data["rule"]],
            new_page=True,
        )
    )
    title = _("Sector report %(year)d") % {"year": year}
    return document_pdf(
        title, about_lines(year, methods_data), sections, footer=title, legend=(str(year), str(year - 1))
    )


def _share(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def build_documents(run: ReportRun) -> None:
    started = time.monotonic()
    language = getattr(run.actor, "language", None) or "fr"
    # The network's patterns: an open year's chosen again now (a closed year's read as stored).
    network_pattern.refresh_year(run.year)
    with translation.override(language):
        context = report_context(run.year)
        html = render_to_string("sector/report_document.html", {**context, "run": run})
        pdf = report_pdf(context)
    ReportRun.objects.filter(pk=run.pk).update(html=html, pdf=pdf, seconds=round(time.monotonic() - started, 2))
    contributing = [
        pk
        for pk in sector_centres()
        if FollowUp.objects.filter(organisation_id=pk, date__year=run.year).exists()
        or FigureSubmission.objects.filter(organisation_id=pk, data_year__year=run.year).exists()
    ]
    links = services.create_annex_links(run, contributing)
    email_annex_links(links)


@task()
def generate_report(run_id: int) -> None:
    run = ReportRun.objects.select_related("actor").filter(pk=run_id).first()
    if run is None:
        return
    run_guarded(run, lambda: build_documents(run))
