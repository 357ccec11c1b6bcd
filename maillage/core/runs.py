"""Background work that always ends: succeeded, or failed with a reason a person can read.

An import whose task raised stayed "running" for ever and its progress page spun. An app's run
model (an import, an export...) inherits the abstract `BackgroundRun` and its task calls
`run_guarded(run, work)`:

- the run is claimed (queued → running) by one conditional UPDATE, so a task delivered twice
  does its work once;
- an exception marks it failed: a `ValidationError` gives its own (translated) messages,
  anything else a generic translated sentence, with the traceback in the log;
- the status is written by UPDATEs of its own, after the work's transaction has rolled back,
  so the failure is recorded whatever the work left behind. Called inside an atomic block
  (the immediate task backend in a request, tests), the work runs in a savepoint for that reason;
  called by the worker (autocommit), the work owns its transactions and its heartbeats commit.

The work calls `heartbeat(run)` now and then (it answers False once the run was given up);
`mark_stale_runs(queryset, timeout)`, run by a scheduled job or before showing a progress page,
fails runs whose worker stopped. `retry(run)` puts a failed run back in the queue.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)
T = TypeVar("T")

UNEXPECTED = _("The import stopped on an unexpected error; nothing was saved. Try again or contact support.")
WORKER_STOPPED = _("The worker stopped before the end; nothing more will happen. Start it again.")


class BackgroundRun(models.Model):
    """Abstract: the status of one piece of background work. Apps add their own fields (who, what, progress)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    failure_reason = models.TextField(_("reason of the failure"), blank=True)

    class Meta:
        abstract = True

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)


# Still queued after this long: no worker takes the run; its progress page stops asking and says so.
QUEUE_PATIENCE = timedelta(minutes=10)


class CountedRun(BackgroundRun):
    """Abstract: a run over rows (an import, an export) whose page shows how many are done."""

    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True

    @property
    def percent(self) -> int:
        return min(100, int(100 * self.processed_rows / self.total_rows)) if self.total_rows else 100

    @property
    def waiting_too_long(self) -> bool:
        """Still queued after QUEUE_PATIENCE: no worker takes it; the progress page stops asking and says so."""
        return self.status == self.Status.QUEUED and self.created_at < timezone.now() - QUEUE_PATIENCE


def _write(run: BackgroundRun, only_if_status: str | None = None, **fields: Any) -> bool:
    """One UPDATE of the run's row (its own transaction or savepoint); mirrors the values on `run`."""
    rows = type(run)._default_manager.filter(pk=run.pk)
    if only_if_status is not None:
        rows = rows.filter(status=only_if_status)
    with transaction.atomic(using=rows.db):
        changed = rows.update(**fields)
    if changed:
        for name, value in fields.items():
            setattr(run, name, value)
    return bool(changed)


def _fail(run: BackgroundRun, reason: str) -> None:
    _write(run, status=BackgroundRun.Status.FAILED, finished_at=timezone.now(), failure_reason=reason)


def failure_reason_for(error: BaseException) -> str:
    """What the person reads: a ValidationError's own messages, else the generic sentence."""
    if isinstance(error, ValidationError):
        return " ".join(str(message) for message in error.messages)
    return str(UNEXPECTED)


def run_guarded(run: BackgroundRun, work: Callable[[], T]) -> T | None:
    """Claim a queued run, do the work, record how it ended; returns the work's result, None if failed or taken."""
    now = timezone.now()
    claimed = _write(
        run,
        only_if_status=BackgroundRun.Status.QUEUED,
        status=BackgroundRun.Status.RUNNING,
        started_at=now,
        heartbeat_at=now,
        finished_at=None,
        failure_reason="",
    )
    if not claimed:
        logger.info("%s %s was not queued any more; its work is not done twice", type(run).__name__, run.pk)
        return None
    using = type(run)._default_manager.db
    try:
        if transaction.get_connection(using).in_atomic_block:
            with transaction.atomic(using=using):  # a savepoint, so the failure below can still be written
                result = work()
        else:
            result = work()
    except Exception as error:
        if not isinstance(error, ValidationError):
            logger.exception("%s %s failed", type(run).__name__, run.pk)
        _fail(run, failure_reason_for(error))
        return None
    _write(run, status=BackgroundRun.Status.SUCCEEDED, finished_at=timezone.now())
    return result


def heartbeat(run: BackgroundRun) -> bool:
    """Say the run is alive; False when it is no longer running (given up as stale), so the work should stop."""
    return _write(run, only_if_status=BackgroundRun.Status.RUNNING, heartbeat_at=timezone.now())


def mark_stale_runs(queryset: models.QuerySet[Any], timeout: timedelta) -> int:
    """Fail the runs still "running" with no sign of life for `timeout`; returns how many."""
    now = timezone.now()
    cutoff = now - timeout
    silent = (
        models.Q(heartbeat_at__lt=cutoff)
        | models.Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
        | models.Q(heartbeat_at__isnull=True, started_at__isnull=True)
    )
    with transaction.atomic(using=queryset.db):
        return (
            queryset.filter(status=BackgroundRun.Status.RUNNING)
            .filter(silent)
            .update(status=BackgroundRun.Status.FAILED, finished_at=now, failure_reason=str(WORKER_STOPPED))
        )


def retry(run: BackgroundRun) -> bool:
    """Put a failed run back in the queue (the caller enqueues its task again); False if it had not failed."""
    return _write(
        run,
        only_if_status=BackgroundRun.Status.FAILED,
        status=BackgroundRun.Status.QUEUED,
        started_at=None,
        heartbeat_at=None,
        finished_at=None,
        failure_reason="",
    )
