"""Every write of the sector app: one function, one transaction, its audit entry."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.core.audit import log_action
from maillage.core.models import Organisation, User
from maillage.sector.declared import CleanFigure
from maillage.sector.models import (
    AnnexLink,
    Comment,
    CompletionDeclaration,
    DataYear,
    DeclaredFigure,
    FigureSubmission,
    NetworkPattern,
    ReportRun,
)


def open_year(actor: User, year: int) -> DataYear:
    """Open a data year (again): centres may then declare it complete and submit figures."""
    with transaction.atomic():
        data_year, created = DataYear.objects.select_for_update().get_or_create(year=year)
        if not created and data_year.is_open:
            return data_year
        data_year.status = DataYear.Status.OPEN
        data_year.closed_at = None
        data_year.save(update_fields=["status", "closed_at"])
        log_action(actor, "sector.year.opened", data_year, {"year": year})
        _warm_up_after_commit(year)
    return data_year


def _warm_up_after_commit(year: int) -> None:
    """The year's pages computed ahead once the change is committed (`page_figures.warm_up`)."""
    from maillage.sector.page_figures import warm_up_after_commit  # it reads the patterns this module stores

    warm_up_after_commit([year])


def close_year(actor: User, data_year: DataYear) -> DataYear:
    with transaction.atomic():
        data_year = DataYear.objects.select_for_update().get(pk=data_year.pk)
        if data_year.is_open:
            data_year.status = DataYear.Status.CLOSED
            data_year.closed_at = timezone.now()
            data_year.save(update_fields=["status", "closed_at"])
            log_action(actor, "sector.year.closed", data_year, {"year": data_year.year})
    return data_year


def declare_complete(actor: User, organisation: Organisation, data_year: DataYear) -> CompletionDeclaration:
    """The centre says its year is complete (once; a second click keeps the first declaration)."""
    with transaction.atomic():
        data_year = DataYear.objects.select_for_update().get(pk=data_year.pk)
        if not data_year.is_open:
            raise ValidationError(_("The year %(year)d is closed.") % {"year": data_year.year}, code="closed")
        declaration, created = CompletionDeclaration.objects.get_or_create(
            data_year=data_year, organisation=organisation, defaults={"declared_by": actor}
        )
        if created:
            log_action(
                actor, "sector.completeness.declared", declaration, {"year": data_year.year}, organisation=organisation
            )
    return declaration


def submit_figures(
    actor: User, organisation: Organisation, data_year: DataYear, filename: str, figures: Sequence[CleanFigure]
) -> FigureSubmission:
    """Replace the centre's declared figures for the year with these (already validated: all or nothing)."""
    with transaction.atomic():
        data_year = DataYear.objects.select_for_update().get(pk=data_year.pk)
        if not data_year.is_open:
            raise ValidationError(_("The year %(year)d is closed.") % {"year": data_year.year}, code="closed")
        DeclaredFigure.objects.filter(organisation=organisation, year=data_year.year).delete()
        submission = FigureSubmission.objects.create(
            data_year=data_year,
            organisation=organisation,
            submitted_by=actor,
            filename=filename[:200],
            lines=len(figures),
        )
        DeclaredFigure.objects.bulk_create(
            DeclaredFigure(
                submission=submission,
                organisation=organisation,
                year=data_year.year,
                indicator=figure.indicator,
                category=figure.category,
                value=figure.value,
            )
            for figure in figures
        )
        log_action(
            actor,
            "sector.figures.uploaded",
            submission,
            {"year": data_year.year, "lines": len(figures)},
            organisation=organisation,
        )
        _warm_up_after_commit(data_year.year)  # the network's patterns read the declared figures
    return submission


def add_comment(actor: User, year: int, indicator: str, text: str) -> Comment:
    with transaction.atomic():
        comment = Comment.objects.create(year=year, indicator=indicator, text=text, author=actor)
        log_action(actor, "sector.comment.added", comment, {"year": year, "indicator": indicator})
    return comment


def start_report(actor: User, year: int) -> ReportRun:
    """Record the run and queue its task (run at once by the immediate backend)."""
    from maillage.sector.report import generate_report

    with transaction.atomic():
        run = ReportRun.objects.create(year=year, actor=actor)
        log_action(actor, "sector.sector_report.started", run, {"year": year})
        generate_report.enqueue(run.pk)  # the immediate backend runs it here, the database one after commit
    return run


def create_annex_links(report: ReportRun, organisation_ids: Sequence[int]) -> list[AnnexLink]:
    """One link per centre for this report (kept when it exists)."""
    links = []
    for organisation_id in organisation_ids:
        link, _created = AnnexLink.objects.get_or_create(
            report=report, organisation_id=organisation_id, defaults={"nonce": secrets.token_urlsafe(24)}
        )
        links.append(link)
    return links


def revoke_annex(actor: User, link: AnnexLink) -> None:
    with transaction.atomic():
        if AnnexLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()):
            log_action(actor, "sector.annex.revoked", link, {"year": link.report.year}, organisation=link.organisation)


def store_network_pattern(year: int, family: str, input_hash: str, states: list[list[object]], refused: str) -> None:
    """The network's pattern of a family for a year (network_pattern.py), chosen from data, not by a person: no
    audit entry. Two requests choosing it at the same moment from the same inputs store the same states."""
    values = {"input_hash": input_hash, "states": states, "refused": refused, "computed_at": timezone.now()}
    if NetworkPattern.objects.filter(year=year, family=family).update(**values):
        return
    try:
        with transaction.atomic():
            NetworkPattern.objects.create(year=year, family=family, **values)
    except IntegrityError:
        NetworkPattern.objects.filter(year=year, family=family).update(**values)
