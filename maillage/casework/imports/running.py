"""Running an import in the background (core.runs): it always ends, succeeded or failed with a reason.

Every row is checked first (progress is saved as it goes); only when no row is bad is anything
written, in one transaction (on PostgreSQL the file is streamed into a temporary table and checked and written
in SQL, `imports.staged`). Re-importing the same file updates, matching on the source system's
identifier; a new row that looks like a person already in the centre (the duplicate rule) is not
imported and is listed as a warning instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django_tasks import task

from maillage.casework.imports import bulk, staged
from maillage.casework.imports.checking import Planned, RowChecker, nothing_imported, repeated_identifier
from maillage.casework.imports.reading import iter_rows, read_rows
from maillage.casework.models import ImportKind, ImportProfile, ImportRun
from maillage.core.audit import log_action
from maillage.core.models import Organisation, User
from maillage.core.runs import BackgroundRun, heartbeat, mark_stale_runs, retry, run_guarded
from maillage.core.uploads import store_upload

PROGRESS_EVERY = 50
# A run with no sign of life for this long is shown as failed (its worker stopped).
STALE_AFTER = timedelta(minutes=5)


@dataclass
class Report:
    """What the work found, written on the run after it ended (a failure rolls the work's own writes back)."""

    total: int = 0
    processed: int = 0
    created: int = 0
    updated: int = 0
    errors: list[list[Any]] = field(default_factory=list)
    warnings: list[list[Any]] = field(default_factory=list)


def start_import(actor: User, organisation: Organisation, kind: str, upload: Any) -> ImportRun:
    """Store the file (storage API, not a column), record the run and queue its task, in one transaction."""
    with transaction.atomic():
        run = ImportRun.objects.create(
            organisation=organisation,
            actor=actor,
            kind=kind,
            filename=str(upload.name or "")[:200],
            stored_file=store_upload(upload, f"casework/imports/{organisation.pk}"),
        )
        log_action(actor, "casework.import.started", run, {"kind": kind}, organisation=organisation)
        run_import.enqueue(run.pk)
    run.refresh_from_db()
    return run


def start_again(actor: User, run: ImportRun) -> bool:
    """Queue a failed run again when its file is still kept; False when the file must be uploaded again."""
    if not run.stored_file or not default_storage.exists(run.stored_file):
        return False
    with transaction.atomic():
        if not retry(run):
            return False
        log_action(actor, "casework.import.restarted", run, organisation=run.organisation)
        run_import.enqueue(run.pk)
    run.refresh_from_db()
    return True


def give_up_stale_runs(runs: QuerySet[ImportRun]) -> int:
    """Runs whose worker stopped show as failed instead of spinning for ever."""
    return mark_stale_runs(runs, STALE_AFTER)


@task()
def run_import(run_id: int) -> None:
    run = ImportRun.objects.select_related("organisation", "actor").filter(pk=run_id).first()
    if run is None:
        return
    report = Report()
    run_guarded(run, lambda: _import(run, report))  # claims a queued run once: a repeated delivery does nothing
    if not run.is_finished:
        return
    with transaction.atomic():
        ImportRun.objects.filter(pk=run.pk).update(
            total_rows=report.total,
            processed_rows=report.processed,
            created=report.created,
            updated=report.updated,
            errors=report.errors,
            warnings=report.warnings,
            stored_file="",
        )
        succeeded = run.status == BackgroundRun.Status.SUCCEEDED
        log_action(
            run.actor,
            "casework.import.done" if succeeded else "casework.import.refused",
            run,
            {"created": report.created, "updated": report.updated, "warnings": len(report.warnings)}
            if succeeded
            else {"errors": len(report.errors)},
            organisation=run.organisation,
        )
    if run.stored_file:
        default_storage.delete(run.stored_file)


def _progress(run: ImportRun, report: Report) -> None:
    ImportRun.objects.filter(pk=run.pk).update(processed_rows=report.processed, total_rows=report.total)
    if not heartbeat(run):
        raise ValidationError(_("The import was given up while it ran; start it again."))


def _staged(kind: str) -> bool:
    """On PostgreSQL the file is streamed, checked and written in SQL (`imports.staged`); on SQLite row by row in
    Python, the writes in bulk (`imports.bulk`)."""
    return connection.vendor == "postgresql"


def _import(run: ImportRun, report: Report) -> None:
    profile = ImportProfile.objects.filter(organisation=run.organisation, kind=run.kind).first()
    columns = profile.columns if profile else {}
    if _staged(run.kind):
        with default_storage.open(run.stored_file, "rb") as handle:
            staged.import_file(run, report, iter_rows(run.filename, handle), lambda: _progress(run, report), columns)
        return
    with default_storage.open(run.stored_file, "rb") as handle:
        rows = read_rows(run.filename, handle)
    report.total = len(rows)
    _progress(run, report)
    checker = RowChecker(run.organisation, run.kind, columns, run.actor)
    planned: list[Planned] = []
    seen: dict[str, int] = {}
    for index, (line, row) in enumerate(rows, start=1):
        plan, problems = checker.check(line, row)
        source_id = checker.get(row, "source_id")
        if source_id and source_id in seen:
            problems.append(repeated_identifier(source_id, seen[source_id]))
            plan = None
        seen.setdefault(source_id, line)
        if problems:
            report.errors.append([line, "; ".join(problem.rstrip(".") for problem in problems) + "."])
        elif plan is not None:
            planned.append(plan)
        report.processed = index
        if index % PROGRESS_EVERY == 0:
            _progress(run, report)
    if report.errors or not rows:
        raise nothing_imported(report.errors, empty=not rows)
    try:
        with transaction.atomic():
            if run.kind == ImportKind.PERSONS:
                bulk.write_persons(run, planned, report)
            else:
                bulk.write_follow_ups(run, planned, report)
    except ValidationError:
        report.created = report.updated = 0  # a row refused: everything rolled back, nothing created nor updated
        raise
