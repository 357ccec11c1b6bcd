"""The data year and its cycle, figures declared by centres using another tool, meeting comments, reports."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maillage.core.models import Organisation
from maillage.core.runs import BackgroundRun


class DataYear(models.Model):
    """A year of data the federation collects: open while centres complete it, closed once the report is made."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-year"]
        verbose_name = _("data year")
        verbose_name_plural = _("data years")

    def __str__(self) -> str:
        return str(self.year)

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class CompletionDeclaration(models.Model):
    """A centre says its year is complete."""

    data_year = models.ForeignKey(DataYear, on_delete=models.CASCADE, related_name="declarations")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    declared_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["data_year", "organisation"], name="sector_declaration_unique")
        ]
        verbose_name = _("declaration of a complete year")
        verbose_name_plural = _("declarations of a complete year")

    def __str__(self) -> str:
        return f"{self.organisation} · {self.data_year}"


class FigureSubmission(models.Model):
    """One accepted template of a centre's aggregated figures for a year (the latest replaces the previous)."""

    data_year = models.ForeignKey(DataYear, on_delete=models.PROTECT, related_name="submissions")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=200)
    lines = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-created_at"]
        verbose_name = _("declared figures")
        verbose_name_plural = _("declared figures")

    def __str__(self) -> str:
        return f"{self.organisation} · {self.data_year} · {self.filename}"


class DeclaredFigure(models.Model):
    """One figure of a submission: an indicator's count for a category ('' for the indicator's total)."""

    submission = models.ForeignKey(FigureSubmission, on_delete=models.CASCADE, related_name="figures")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    indicator = models.CharField(max_length=40)
    category = models.CharField(max_length=40, blank=True)
    value = models.PositiveIntegerField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organisation", "year", "indicator", "category"], name="sector_declared_figure_unique"
            )
        ]
        indexes: ClassVar = [models.Index(fields=["year", "indicator"], name="sector_declared_year")]

    def __str__(self) -> str:
        return f"{self.indicator} {self.category}: {self.value}"


class Comment(models.Model):
    """What the interpretation meeting said of an indicator for a year; printed in the report."""

    year = models.PositiveSmallIntegerField(_("year"))
    indicator = models.CharField(_("indicator"), max_length=40)
    text = models.TextField(_("comment"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["year", "indicator", "created_at"]
        verbose_name = _("meeting comment")
        verbose_name_plural = _("meeting comments")

    def __str__(self) -> str:
        return f"{self.year} {self.indicator}"


class ReportRun(BackgroundRun):
    """One generation of the annual sector report: its HTML and PDF, kept as generated."""

    year = models.PositiveSmallIntegerField(_("year"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    html = models.TextField(blank=True)
    pdf = models.BinaryField(blank=True, default=b"")
    seconds = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-created_at"]
        verbose_name = _("sector report")
        verbose_name_plural = _("sector reports")

    def __str__(self) -> str:
        return f"{self.year} ({self.status})"


class AnnexLink(models.Model):
    """A centre's link to its annex of a report: signed and random, opened only by its members, revocable."""

    report = models.ForeignKey(ReportRun, on_delete=models.CASCADE, related_name="annexes")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [models.UniqueConstraint(fields=["report", "organisation"], name="sector_annex_unique")]

    def __str__(self) -> str:
        return f"{self.report} · {self.organisation}"


class NetworkPattern(models.Model):
    """The protection pattern of one indicator family's network figures for a year (`network_pattern`): the
    state of each figure, chosen once so that it holds for every centre as reader, and read by the annual
    report and every centre's page alike. `input_hash` names the counts (and the rule) it was chosen from: a
    pattern whose inputs changed is chosen again before it is read, never shown stale."""

    year = models.PositiveSmallIntegerField()
    family = models.CharField(max_length=40)
    input_hash = models.CharField(max_length=64)
    states = models.JSONField(default=list)  # [[figure key as a list, kind], ...]
    refused = models.TextField(blank=True)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [models.UniqueConstraint(fields=["year", "family"], name="sector_pattern_unique")]

    def __str__(self) -> str:
        return f"{self.family} {self.year}"


class KeptFigures(models.Model):
    """The figures of one centre's "my centre and the sector" page for one period of the grid, as last
    computed (`page_figures`): every indicator, protected together for this centre as reader. `stamp` names
    what they were computed from (the counts' stamps, the network, the rule, the roll-ups and category
    versions): while it is unchanged they are the page's figures, whatever their age. Numbers and states
    only — the labels are put in the reader's language when shown, so every language reads the same row."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    period = models.CharField(max_length=8)
    stamp = models.CharField(max_length=64)
    figures = models.JSONField(default=list)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "year", "period"], name="sector_kept_figures_unique")
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.year} {self.period}"
