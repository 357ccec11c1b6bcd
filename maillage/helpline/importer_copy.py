"""Writing a checked journal with PostgreSQL's COPY: no model object per row, ids taken from the sequences
first so requests and callbacks can name their call and request.

Why: once the checking was done in bulk, building and compiling a model instance per call, request and
callback was most of an import's time. Runs inside the import's transaction: a failure leaves nothing.
The columns are those `importer._write_batch` fills through the ORM (the reference path, used elsewhere).
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.utils import timezone

from maillage.core.models import Organisation
from maillage.helpline.models import Action, Call, Callback, Request

CALL_COLUMNS = [
    "id",
    "organisation_id",
    "started_at",
    "duration_minutes",
    "language",
    "caller_sex",
    "caller_area",
    "postal_code",
    "commune_id",
    "caller_type",
    "heard_via",
    "urgency",
    "comment",
    "external_ref",
    "created_at",
    "updated_at",
]
REQUEST_COLUMNS = [
    "id",
    "organisation_id",
    "call_id",
    "position",
    "category_id",
    "theme_id",
    "note",
    "action",
    "unmet_reason",
    "started_at",
]
CALLBACK_COLUMNS = ["organisation_id", "request_id", "due_at", "done_at", "outcome", "outcome_note"]


def _ids(cursor: Any, table: str, count: int) -> list[int]:
    if not count:
        return []
    cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count])
    return [row[0] for row in cursor.fetchall()]


def _copy(cursor: Any, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def write_batch(organisation: Organisation, good: list[tuple[str, Any, Any]]) -> tuple[int, int]:
    """The calls of `good` (id, rows, clean call), their requests and the done callbacks of callback requests."""
    now = timezone.now()
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor  # psycopg's own: Django's wrapper has no copy()
        call_ids = _ids(cursor, Call._meta.db_table, len(good))
        calls = []
        requests = []
        for call_pk, (call_id, _rows, clean) in zip(call_ids, good, strict=True):
            calls.append(
                (
                    call_pk,
                    organisation.pk,
                    clean.started_at,
                    clean.duration_minutes,
                    clean.language,
                    clean.caller_sex,
                    clean.caller_area,
                    clean.postal_code,
                    clean.commune.pk if clean.commune is not None else None,
                    clean.caller_type,
                    clean.heard_via,
                    clean.urgency,
                    clean.comment,
                    call_id,
                    now,
                    now,
                )
            )
            for position, item in enumerate(clean.requests):
                requests.append((call_pk, position, item, clean.started_at))
        request_ids = _ids(cursor, Request._meta.db_table, len(requests))
        request_rows = []
        callbacks = []
        for request_pk, (call_pk, position, item, started_at) in zip(request_ids, requests, strict=True):
            request_rows.append(
                (
                    request_pk,
                    organisation.pk,
                    call_pk,
                    position,
                    item.category.pk,
                    item.category.top.pk,
                    item.note,
                    item.action,
                    "",
                    started_at,
                )
            )
            if item.action == Action.CALLBACK:
                callbacks.append((organisation.pk, request_pk, started_at, now, "", ""))
        _copy(cursor, Call._meta.db_table, CALL_COLUMNS, calls)
        _copy(cursor, Request._meta.db_table, REQUEST_COLUMNS, request_rows)
        _copy(cursor, Callback._meta.db_table, CALLBACK_COLUMNS, callbacks)
    return len(calls), len(request_rows)
