"""Import of a past call journal (CSV or XLSX): one row per request, calls grouped by identifier.

Every bad row is reported with its line number, its column as the file names it, and the reason.
By default nothing is imported when one row is wrong; the person may choose to import only the
calls whose rows are all good. The upload is measured before it is read and kept in the storage;
the import is a core.runs background run, so it always ends: done, refused with its rows, or
failed with a reason, and a run whose worker died is shown failed after `STALE_AFTER`.

On PostgreSQL the file is streamed into a temporary table and grouped, checked and written in SQL
(`importer_staging`, constant memory); elsewhere `validate` and `write` below do it in Python with the
whole file in memory. Both read through `importer_reading` and apply the rules of `importer_checking`,
so their reports are the same word for word (tests/helpline/test_import_staged.py).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task

from maillage.core.audit import log_action
from maillage.core.models import Organisation, User
from maillage.core.runs import WORKER_STOPPED, heartbeat, mark_stale_runs, retry, run_guarded
from maillage.core.uploads import check_upload_size, store_upload
from maillage.helpline import importer_copy, importer_reading
from maillage.helpline.importer_checking import (
    LONGEST_ID,
    Lookups,
    already_imported,
    already_imported_message,
    clean_journal_call,
    empty_id_message,
    journal_call_values,
    long_id_message,
    read_started,
    unreadable_start_message,
)
from maillage.helpline.importer_reading import FileProblemError, JournalFile
from maillage.helpline.importer_staging import ReferencesGoneError, Staging
from maillage.helpline.models import (
    Action,
    Call,
    Callback,
    HeardVia,
    JournalImport,
    LineLanguage,
    Request,
)

# name, required, what it holds — shown on the import page.
COLUMNS: list[tuple[str, bool, Any]] = [
    ("call_id", True, gettext_lazy("Identifier of the call in your journal; the rows of one call share it.")),
    ("started_at", True, gettext_lazy("Date and time the call started, e.g. 2021-01-29 14:05.")),
    ("duration_minutes", True, gettext_lazy("Whole minutes.")),
    ("language", True, gettext_lazy("fr, nl, en or other.")),
    ("caller_sex", False, gettext_lazy("woman, man, other or unknown (empty = unknown).")),
    ("postal_code", False, gettext_lazy("Four digits; empty = unknown.")),
    ("caller_type", False, gettext_lazy("concerned, relative, professional or other (empty = concerned).")),
    ("heard_via", False, gettext_lazy("media, social_media, poster, service, relative, internet or other.")),
    ("urgency", False, gettext_lazy("low, medium or high (empty = low).")),
    ("category", True, gettext_lazy("Code or label (French, Dutch or English) of a current request theme.")),
    ("action", True, gettext_lazy("information, referral, warm_transfer, callback, nothing or other.")),
    ("note", False, gettext_lazy("Short note on the request.")),
    ("comment", False, gettext_lazy("Free comment on the call (first row of the call).")),
]
REQUIRED = [name for name, required, _help in COLUMNS if required]
PROGRESS_EVERY = 500
# At most this many problems are kept with the import and shown (each is counted).
MAX_REPORTED = 1000
# No sign of life for this long: the worker died, the import is shown failed and can be started again.
STALE_AFTER = timedelta(minutes=10)
STORAGE_FOLDER = "helpline/journals"


class Cells(Mapping[str, str]):
    """One row's cells by column name, as a tuple beside the file's one column index: a dictionary per row
    cost ~1 kB, most of an import's memory."""

    __slots__ = ("_cells", "_index")

    def __init__(self, index: dict[str, int], cells: tuple[str, ...]) -> None:
        self._index, self._cells = index, cells

    def __getitem__(self, name: str) -> str:
        position = self._index[name]
        return self._cells[position] if position < len(self._cells) else ""

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)


class _Shared:
    """The one copy of each short text of a file (codes, dates, postal codes repeat on every row)."""

    def __init__(self) -> None:
        self.seen: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        return self.seen.setdefault(text, text) if len(text) <= 32 else text


@dataclass(slots=True)
class Row:
    line: int
    values: Mapping[str, str]


@dataclass
class Journal:
    """The rows of a file and its column names as the file writes them (by our code for each)."""

    rows: list[Row]
    written: dict[str, str] = field(default_factory=dict)

    def column(self, code: str) -> str:
        return self.written.get(code, code)


def open_journal(filename: str, file: IO[bytes]) -> JournalFile:
    """The journal's header, checked, and its rows one by one (see importer_reading)."""
    return importer_reading.open_journal(filename, file, REQUIRED, [name for name, _r, _h in COLUMNS])


def read_journal(filename: str, file: IO[bytes]) -> Journal:
    """All the rows of a CSV (UTF-8, comma or semicolon) or XLSX file, with their line numbers, for the
    Python path (which groups the whole file in memory); a file-wide problem is a FileProblemError."""
    journal = open_journal(filename, file)
    shared = _Shared()
    rows = [
        Row(line, Cells(journal.index, tuple(shared(cell) for cell in cells[: len(journal.columns)])))
        for line, cells in journal.rows
    ]
    return Journal(rows, journal.written)


def _cell_of(values: Mapping[str, str], name: str) -> str:
    return values.get(name, "")


def validate(
    organisation: Organisation, rows: list[Row], progress: Any = None
) -> tuple[list[tuple[str, list[Row], Any]], list[dict[str, Any]]]:
    """Group rows into calls and check each; returns the good calls and the errors by line. Categories,
    postal codes and the calls imported before are looked up once for the file (`importer_checking`).

    The Python path, used where the database is not PostgreSQL (SQLite in development and tests): it holds
    the whole file. PostgreSQL imports through `importer_staging`, in constant memory, with the same report."""
    groups: dict[str, list[Row]] = {}
    errors: list[dict[str, Any]] = []
    for row in rows:
        call_id = row.values.get("call_id", "").strip()
        if not call_id or len(call_id) > LONGEST_ID:
            message = empty_id_message() if not call_id else long_id_message()
            errors.append({"line": row.line, "column": "call_id", "message": message})
            continue
        groups.setdefault(call_id, []).append(row)
    already = already_imported(
        lambda batch: Call.objects.filter(organisation=organisation, external_ref__in=batch).values_list(
            "external_ref", flat=True
        ),
        groups,
    )
    lookups = Lookups.for_file()
    good: list[tuple[str, list[Row], Any]] = []
    done = 0
    for call_id, group in groups.items():
        done += len(group)
        if progress is not None and done // PROGRESS_EVERY != (done - len(group)) // PROGRESS_EVERY:
            progress(done)
        if call_id in already:
            errors.extend(
                {"line": row.line, "column": "call_id", "message": already_imported_message(call_id)} for row in group
            )
            continue
        first = group[0].values
        started = read_started(first.get("started_at", ""))
        if started is None:
            errors.append({"line": group[0].line, "column": "started_at", "message": unreadable_start_message()})
            continue
        data = journal_call_values(partial(_cell_of, first))
        requests = (
            {
                "category": row.values.get("category", ""),
                "action": row.values.get("action", "").lower(),
                "note": row.values.get("note", ""),
            }
            for row in group
        )
        clean, problems = clean_journal_call(lookups, started, data, requests)
        for key, messages in problems.items():
            if key.startswith("requests-"):
                _prefix, index, name = key.split("-", 2)
                line, column = group[int(index)].line, name
            else:
                line, column = group[0].line, key
            errors.extend({"line": line, "column": column, "message": message} for message in messages)
        if clean is not None:
            good.append((call_id, group, clean))
    errors.sort(key=lambda error: (error["line"], error["column"]))
    return good, errors


WRITE_BATCH = 1000


def write(organisation: Organisation, good: list[tuple[str, list[Row], Any]]) -> tuple[int, int]:
    """Insert the good calls in bulk, a batch of calls at a time (their model objects are not all held at
    once); the caller holds the transaction, so a failure anywhere leaves nothing written."""
    calls = requests = 0
    # PostgreSQL takes the rows by COPY (importer_copy); elsewhere the ORM's bulk_create writes them.
    write_batch = importer_copy.write_batch if connection.vendor == "postgresql" else _write_batch
    for start in range(0, len(good), WRITE_BATCH):
        made_calls, made_requests = write_batch(organisation, good[start : start + WRITE_BATCH])
        calls, requests = calls + made_calls, requests + made_requests
    return calls, requests


def _write_batch(organisation: Organisation, good: list[tuple[str, list[Row], Any]]) -> tuple[int, int]:
    now = timezone.now()
    calls = [
        Call(
            organisation=organisation,
            started_at=clean.started_at,
            duration_minutes=clean.duration_minutes,
            language=clean.language,
            caller_sex=clean.caller_sex,
            caller_area=clean.caller_area,
            postal_code=clean.postal_code,
            commune=clean.commune,
            caller_type=clean.caller_type,
            heard_via=clean.heard_via,
            urgency=clean.urgency,
            comment=clean.comment,
            external_ref=call_id,
            created_at=now,
            updated_at=now,
        )
        for call_id, _group, clean in good
    ]
    Call.objects.bulk_create(calls, batch_size=WRITE_BATCH)
    requests = [
        Request(
            organisation=organisation,
            call=call,
            position=position,
            category=item.category,
            theme=item.category.top,
            note=item.note,
            action=item.action,
            started_at=call.started_at,
        )
        for call, (_id, _group, clean) in zip(calls, good, strict=True)
        for position, item in enumerate(clean.requests)
    ]
    Request.objects.bulk_create(requests, batch_size=WRITE_BATCH)
    Callback.objects.bulk_create(
        [
            Callback(organisation=organisation, request=request, due_at=request.started_at, done_at=now)
            for request in requests
            if request.action == Action.CALLBACK
        ],
        batch_size=WRITE_BATCH,
    )
    return len(calls), len(requests)


# The first key of the imports' advisory locks (the second is the organisation): a stable hash of the name, so
# no other advisory lock of the project (keyed otherwise) is taken by mistake.
IMPORT_LOCK_SPACE = zlib.crc32(b"maillage.helpline.journal_import") - 2**31


def lock_imports_of(organisation: Organisation) -> None:
    """The organisation's journal imports take turns from the check of the calls imported before to the end of
    the writes: without it, two imports of one file at the same moment (a double click, two workers) both
    found nothing imported and wrote every call twice. Call inside the transaction that checks and writes.

    PostgreSQL: a transaction-level advisory lock, released at commit or rollback. SQLite: the transaction is
    already the only writer from its start (BEGIN IMMEDIATE, the settings' transaction_mode)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s::integer, %s::integer)", [IMPORT_LOCK_SPACE, organisation.pk % 2**31]
            )


@dataclass(frozen=True)
class _Outcome:
    """How the work of one import ended when it did not raise: written, or refused with a reason."""

    refused: bool = False
    reason: str = ""


def _refuse(job: JournalImport, errors: list[dict[str, Any]], reason: str) -> _Outcome:
    job.errors = errors[:MAX_REPORTED]
    job.processed_rows = job.total_rows
    job.save(update_fields=["errors", "processed_rows", "total_rows"])
    return _Outcome(refused=True, reason=reason)


def _file_refused(job: JournalImport, problem: FileProblemError) -> _Outcome:
    job.total_rows = 0  # as when the whole file was read first: a broken file counts no rows
    errors: list[dict[str, Any]] = [{"line": problem.line, "column": "", "message": m} for m in problem.messages]
    return _refuse(job, errors, " ".join(problem.messages))


def _no_rows(job: JournalImport) -> _Outcome:
    message = _("The file has no rows.")
    return _refuse(job, [{"line": 1, "column": "", "message": message}], message)


def _conclude(
    job: JournalImport,
    errors: list[dict[str, Any]],
    bad_lines: int,
    column: Callable[[str], str],
    write_calls: Callable[[], tuple[int, int]],
) -> _Outcome:
    """Refuse the file when a row is wrong (unless the person chose to leave bad rows out), else write the
    good calls in one transaction. `errors` are the first problems (our column names), `bad_lines` counts all."""
    for error in errors:
        error["column"] = column(error["column"]) if error["column"] else ""
    if errors and not job.skip_bad_rows:
        return _refuse(job, errors, _("Some rows are wrong (listed below)."))
    try:
        with transaction.atomic():
            calls, requests = write_calls()
            job.calls_created, job.requests_created = calls, requests
            job.errors = errors[:MAX_REPORTED]
            job.processed_rows = job.total_rows
            job.save(update_fields=["calls_created", "requests_created", "errors", "processed_rows"])
            log_action(
                job.uploaded_by,
                "helpline.journal.imported",
                job,
                {"calls": calls, "requests": requests, "rows_left_out": bad_lines},
                organisation=job.organisation,
            )
    except ReferencesGoneError as gone:  # a category, commune or the organisation deleted since the file was read
        for error in gone.errors:
            error["column"] = column(error["column"]) if error["column"] else ""
        return _refuse(job, gone.errors, _("Some rows are wrong (listed below)."))
    return _Outcome()


def _import(job: JournalImport) -> _Outcome:
    """Read, check and (if allowed) write the journal; the caller (core.runs) records how it ended.
    PostgreSQL streams the file through temporary tables; elsewhere the Python path holds it whole."""

    def progress(done: int) -> None:
        JournalImport.objects.filter(pk=job.pk).update(processed_rows=done)
        if not heartbeat(job):  # given up as stale meanwhile: stop here, nothing written
            raise ValidationError(str(WORKER_STOPPED))

    if connection.vendor == "postgresql":
        return _import_staged(job, progress)
    try:
        with job.file.open("rb") as file:
            journal = read_journal(job.filename, file)
    except FileProblemError as problem:
        return _file_refused(job, problem)
    rows = journal.rows
    job.total_rows = len(rows)
    job.save(update_fields=["total_rows"])
    if not rows:
        return _no_rows(job)
    # The check of the calls imported before and the writes in one transaction, after the organisation's lock
    # (on SQLite, a write transaction: BEGIN IMMEDIATE, settings' transaction_mode): a second import of the file
    # waits, then finds the first's calls and reports them.
    with transaction.atomic():
        lock_imports_of(job.organisation)
        good, errors = validate(job.organisation, rows, progress)
        bad_lines = len({error["line"] for error in errors})
        return _conclude(job, errors[:MAX_REPORTED], bad_lines, journal.column, lambda: write(job.organisation, good))


def _import_staged(job: JournalImport, progress: Callable[[int], None]) -> _Outcome:
    with job.file.open("rb") as file, Staging(job.organisation) as staging:
        try:
            journal = open_journal(job.filename, file)
            job.total_rows = journal.estimated_rows  # the progress bar's until the rows are counted
            job.save(update_fields=["total_rows"])
            job.total_rows = staging.send(journal, progress)
        except FileProblemError as problem:
            return _file_refused(job, problem)
        job.save(update_fields=["total_rows"])
        if not job.total_rows:
            return _no_rows(job)
        # Rows are read and checked in parallel with other imports; from the check of the calls imported
        # before to the writes, the organisation's imports take turns (see lock_imports_of).
        with transaction.atomic():
            lock_imports_of(job.organisation)
            staging.group()
            errors = staging.problems(MAX_REPORTED)
            bad_lines = staging.bad_lines() if errors else 0
            return _conclude(job, errors, bad_lines, journal.column, staging.write)


def run(run_id: int) -> JournalImport:
    """Run one queued import to its end. Running it twice does the work once (core.runs claims it)."""
    job = JournalImport.objects.select_related("organisation", "uploaded_by").get(pk=run_id)
    # The report and any failure are written in the words of the person who uploaded the file.
    with translation.override(job.uploaded_by.language or settings.LANGUAGE_CODE):
        outcome = run_guarded(job, lambda: _import(job))
    if outcome is not None and outcome.refused:
        JournalImport.objects.filter(pk=job.pk, status=JournalImport.Status.SUCCEEDED).update(
            status=JournalImport.Status.FAILED, failure_reason=outcome.reason
        )
    job.refresh_from_db()
    return job


@task()
def import_journal_task(run_id: int) -> None:
    run(run_id)


def start_import(user: User, organisation: Organisation, upload: Any, skip_bad_rows: bool) -> JournalImport:
    """Measure the upload, keep it in the storage and queue its import."""
    check_upload_size(upload, "journal")
    stored = store_upload(upload, STORAGE_FOLDER)
    with transaction.atomic():
        job = JournalImport.objects.create(
            organisation=organisation,
            uploaded_by=user,
            filename=str(upload.name or "")[:200],
            file=stored,
            skip_bad_rows=skip_bad_rows,
        )
        log_action(user, "helpline.journal.uploaded", job, {"filename": job.filename, "size": upload.size})
        import_journal_task.enqueue(job.pk)
    job.refresh_from_db()
    return job


def give_up_stale_imports(imports: Any) -> int:
    """Fail the imports of `imports` whose worker died (running, silent) or never came (queued), after STALE_AFTER."""
    given_up = mark_stale_runs(imports, STALE_AFTER)
    with transaction.atomic():
        given_up += imports.filter(
            status=JournalImport.Status.QUEUED, created_at__lt=timezone.now() - STALE_AFTER
        ).update(status=JournalImport.Status.FAILED, finished_at=timezone.now(), failure_reason=str(WORKER_STOPPED))
    return given_up


def restart_import(actor: User, job: JournalImport) -> bool:
    """Queue a failed import again (the same stored file); False when it had not failed."""
    with transaction.atomic():
        if not retry(job):
            return False
        job.errors, job.processed_rows, job.total_rows = [], 0, 0
        job.created_at = timezone.now()  # the queued-too-long clock starts again
        job.save(update_fields=["errors", "processed_rows", "total_rows", "created_at"])
        log_action(actor, "helpline.journal.restarted", job)
        import_journal_task.enqueue(job.pk)
    return True


__all__ = ["COLUMNS", "Action", "HeardVia", "LineLanguage", "import_journal_task", "run", "start_import"]
