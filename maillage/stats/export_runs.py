"""The anonymised call rows of a long period, written by the task worker instead of inside a request.

A year of calls as XLSX takes minutes, longer than a web worker may hold a request. The export is asked for
by a form (one-time submission key: a double click queues one run), written by `run_export` into a file of
the storage with its progress saved as it goes (core.runs: it always ends, succeeded or failed with a
reason), and downloaded from a link that answers only its author, while they still read the line's reports,
for `KEEP_FOR`; then the file is deleted. The rows are the same as the direct download's
(`helpline_research`), read from the replica when there is one.
"""

from __future__ import annotations

import logging
import secrets
import tempfile
from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connections, router, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from maillage.core import spreadsheet
from maillage.core.audit import log_action
from maillage.core.models import Organisation, User
from maillage.core.replica import reports_from_replica
from maillage.core.runs import BackgroundRun, heartbeat, mark_stale_runs, run_guarded
from maillage.core.spreadsheet import Separator
from maillage.helpline.models import Request
from maillage.stats.helpline_reading import ThemesReading, themes_read_in
from maillage.stats.helpline_reports import requests_in
from maillage.stats.helpline_research import RESEARCH_HEADERS, research_copy_query, research_rows
from maillage.stats.models import ExportFormat, ExportRun
from maillage.stats.shares import Period

logger = logging.getLogger(__name__)

KEEP_FOR = timedelta(hours=24)
# A run with no sign of life for this long is shown as failed (its worker stopped).
STALE_AFTER = timedelta(minutes=5)
PROGRESS_EVERY = 5000


def start_export(
    actor: User,
    line: Organisation,
    period: Period,
    reading: ThemesReading,
    export_format: str,
    separator: Separator,
    filename: str,
) -> ExportRun:
    """Record the run and queue its task, in one transaction."""
    delete_expired_files()
    with transaction.atomic():
        run = ExportRun.objects.create(
            organisation=line,
            actor=actor,
            export_format=export_format,
            separator=separator,
            period_first=period.first,
            period_last=period.last,
            version=reading.version.number if reading.version else None,
            filename=f"{filename}.{export_format}",
        )
        log_action(
            actor,
            "stats.research_export.queued",
            run,
            {"start": period.first.isoformat(), "end": period.last.isoformat(), "format": export_format},
            organisation=line,
        )
        run_export.enqueue(run.pk)
    run.refresh_from_db()
    return run


def runs_of(actor: User, line_ids: Iterable[int]) -> QuerySet[ExportRun]:
    """The author's own runs, of lines whose reports they still read (nobody else's, ever)."""
    runs = ExportRun.objects.filter(actor=actor, organisation_id__in=list(line_ids))
    mark_stale_runs(runs, STALE_AFTER)
    return runs


def delete_expired_files() -> int:
    """Delete the files past `KEEP_FOR` (the runs stay, as the history of who exported what); returns how many."""
    expired = ExportRun.objects.exclude(stored_file="").filter(expires_at__lte=timezone.now())
    count = 0
    for run in expired:
        default_storage.delete(run.stored_file)
        ExportRun.objects.filter(pk=run.pk).update(stored_file="")
        count += 1
    return count


@task()
def run_export(run_id: int) -> None:
    run = ExportRun.objects.select_related("organisation", "actor").filter(pk=run_id).first()
    if run is None:
        return
    run_guarded(run, lambda: _export_guarded(run))  # claims a queued run once: a repeated delivery does nothing
    if run.status == BackgroundRun.Status.SUCCEEDED:
        run.refresh_from_db()
        log_action(
            run.actor, "stats.research_export.written", run, {"rows": run.total_rows}, organisation=run.organisation
        )


def _export_guarded(run: ExportRun) -> None:
    try:
        _export(run)
    except ValidationError:
        raise
    except Exception as error:
        logger.exception("export run %s failed", run.pk)
        raise ValidationError(
            _("The export stopped on an unexpected error; no file was kept. Ask for it again.")
        ) from error


def _export(run: ExportRun) -> None:
    period = Period(run.period_first, run.period_last)
    try:
        reading = themes_read_in(run.version)
    except ValidationError as error:  # the version was withdrawn since the run was asked for
        raise ValidationError(error.messages) from None
    ids = [run.organisation_id]
    with reports_from_replica(), tempfile.TemporaryFile() as file:
        using = router.db_for_read(Request)
        total = requests_in(ids, period).using(using).count()
        _progress(run, 0, total)
        if run.export_format == ExportFormat.XLSX:
            rows = _counted(run, research_rows(ids, period, reading, using), total)
            spreadsheet.write_xlsx(file, [("Data", RESEARCH_HEADERS, rows)])
        else:
            _write_csv(run, file, ids, period, reading, using, total)
        file.seek(0)
        name = default_storage.save(
            f"stats/exports/{run.organisation_id}/{secrets.token_hex(16)}.{run.export_format}", File(file)
        )
    ExportRun.objects.filter(pk=run.pk).update(
        stored_file=name, processed_rows=total, expires_at=timezone.now() + KEEP_FOR
    )


def _write_csv(
    run: ExportRun, file: IO[bytes], ids: list[int], period: Period, reading: ThemesReading, using: str, total: int
) -> None:
    separator: Separator = "comma" if run.separator == "comma" else "belgian"
    if connections[using].vendor == "postgresql":
        query, params = research_copy_query(ids, period, reading)
        written = -1  # the header line
        for chunk in spreadsheet.copy_csv_chunks(using, RESEARCH_HEADERS, query, params, separator=separator):
            file.write(chunk)
            before, written = written, written + chunk.count(b"\n")
            if written // PROGRESS_EVERY != before // PROGRESS_EVERY:
                _progress(run, written, total)
        return
    rows = _counted(run, research_rows(ids, period, reading, using), total)
    for line in spreadsheet.csv_lines(RESEARCH_HEADERS, rows, separator=separator):
        file.write(line.encode())


def _counted(run: ExportRun, rows: Iterable[list[Any]], total: int) -> Iterator[list[Any]]:
    for done, row in enumerate(rows, start=1):
        if done % PROGRESS_EVERY == 0:
            _progress(run, done, total)
        yield row


def _progress(run: ExportRun, processed: int, total: int) -> None:
    ExportRun.objects.filter(pk=run.pk).update(processed_rows=min(processed, total), total_rows=total)
    if not heartbeat(run):
        raise ValidationError(_("The export was given up while it ran; ask for it again."))
