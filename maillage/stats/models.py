"""Exports prepared in the background: the anonymised call rows of a long period, as a file kept for a day."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from maillage.core.models import Organisation
from maillage.core.runs import CountedRun


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"


class ExportRun(CountedRun):
    """One export written by the task worker into a file only its author may download, until `expires_at`."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    export_format = models.CharField(max_length=4, choices=ExportFormat.choices)
    separator = models.CharField(max_length=10, default="belgian")
    period_first = models.DateField()
    period_last = models.DateField()
    # The category version the themes are read in (its number); null: the published one at the time of the run.
    version = models.PositiveIntegerField(null=True, blank=True)
    filename = models.CharField(max_length=200)
    # The written file's name in the storage, cleared when it expires.
    stored_file = models.CharField(max_length=200, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"

    @property
    def downloadable(self) -> bool:
        return (
            self.status == self.Status.SUCCEEDED
            and bool(self.stored_file)
            and self.expires_at is not None
            and self.expires_at > timezone.now()
        )
