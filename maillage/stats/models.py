"""Exports prepared in the background: the anonymised call rows of a long period, as a file kept for a day."""

from __future__ import annotations

import datetime
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from maillage.core.models import Organisation
from maillage.core.runs import BackgroundRun

# Still queued after this long: no worker takes it; the progress page stops asking and says so.
QUEUE_PATIENCE = datetime.timedelta(minutes=10)


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"


class ExportRun(BackgroundRun):
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
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"

    @property
    def percent(self) -> int:
        return min(100, int(100 * self.processed_rows / self.total_rows)) if self.total_rows else 100

    @property
    def waiting_too_long(self) -> bool:
        return self.status == self.Status.QUEUED and self.created_at < timezone.now() - QUEUE_PATIENCE

    @property
    def downloadable(self) -> bool:
        return (
            self.status == self.Status.SUCCEEDED
            and bool(self.stored_file)
            and self.expires_at is not None
            and self.expires_at > timezone.now()
        )
