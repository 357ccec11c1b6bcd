"""The journal import on PostgreSQL: the file streamed into a temporary table, calls grouped and checked
against the database in SQL, then written by INSERT … SELECT in one transaction.

Why: checking and writing call by call in Python ran at ~1,250 rows/s with memory growing with the file.
Here Python only reads each row once, applies the row rules of `importer_checking` (each distinct category
text, postal code and action resolved once per file; a call's fields checked again only when they differ
from the previous row's) and sends the row by COPY, chunk by chunk: nothing of the file is kept in Python.
The database then does what needs the whole file or the stored calls: grouping the rows into calls by
identifier (the first row carries the call), the calls already imported, the positions of the requests,
the report of every bad line in order, and the writes. The writes' foreign keys are checked and their rows
locked set-based first, then inserted without PostgreSQL's per-row key checks (`core.bulk_keys`): a row
whose category, commune or organisation was deleted after the reading is its line's error, nothing written.

The messages are made by the same Python code as the other path's (`importer.validate`, used on SQLite),
so the report is the same word for word: tests/helpline/test_import_staged.py runs files through both.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from operator import itemgetter
from types import TracebackType
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from maillage.core import bulk_keys
from maillage.core.models import Organisation
from maillage.helpline.importer_checking import (
    LONGEST_ID,
    MAX_REMEMBERED,
    Lookups,
    already_imported_message,
    check_call,
    check_request,
    empty_id_message,
    gone_message,
    journal_call_values,
    long_id_message,
    read_started,
    unreadable_start_message,
)
from maillage.helpline.importer_reading import JournalFile
from maillage.helpline.models import Action, Call, Callback, Request

CHUNK_ROWS = 1000  # rows sent per COPY; progress can be told (and the heartbeat given) between two
# Progress is told after the first chunk, then at most this often: each telling is two committed UPDATEs.
PROGRESS_SECONDS = 0.5
ROWS = "helpline_import_rows"
CALLS = "helpline_import_calls"
# The journal's columns a row is read through, in this order.
READ = [
    "call_id",
    "started_at",
    "duration_minutes",
    "language",
    "caller_sex",
    "postal_code",
    "caller_type",
    "heard_via",
    "urgency",
    "category",
    "action",
    "note",
    "comment",
]
# One row of the file once checked. The call's part is that of any row; only the first row's counts.
ROW_TABLE = f"""CREATE TEMPORARY TABLE {ROWS} (
    line integer NOT NULL,
    call_id text NOT NULL,
    comment text,
    note text,
    unreadable boolean,
    started_at timestamptz,
    duration_minutes integer,
    language text,
    caller_sex text,
    caller_area text,
    postal_code text,
    commune_id bigint,
    caller_type text,
    heard_via text,
    urgency text,
    call_columns text[],
    call_messages text[],
    category_id bigint,
    theme_id bigint,
    action text,
    request_columns text[],
    request_messages text[]
)"""
ROW_COLUMNS = [line.split()[0] for line in ROW_TABLE.splitlines()[1:-1]]
# Each call: its first row (the call's fields and problems), whether another of its rows is wrong, whether
# the organisation imported it before.
CALL_TABLE = f"""CREATE TEMPORARY TABLE {CALLS} AS
SELECT f.*, g.requests_bad, EXISTS (
    SELECT 1 FROM {Call._meta.db_table} s WHERE s.organisation_id = %(organisation)s AND s.external_ref = g.call_id
) AS already
FROM (
    SELECT call_id, min(line) AS first_line, bool_or(request_columns IS NOT NULL) AS requests_bad
    FROM {ROWS} WHERE call_id <> '' AND length(call_id) <= {LONGEST_ID} GROUP BY call_id
) g
JOIN {ROWS} f ON f.line = g.first_line"""  # noqa: S608
# Every problem as (line, column, order within the column, kind, message, call identifier), as the Python
# path reports them: an empty identifier; a call imported before (each of its rows); a start that cannot be
# read (the first row, nothing else of the call); else the call's problems on its first row and each row's own.
PROBLEMS = f"""
SELECT line, 'call_id' AS col, 0::bigint AS seq, 1 AS kind, NULL::text AS message, NULL::text AS call_id
FROM {ROWS} WHERE call_id = ''
UNION ALL
SELECT line, 'call_id', 0, 5, NULL, NULL FROM {ROWS} WHERE length(call_id) > {LONGEST_ID}
UNION ALL
SELECT r.line, 'call_id', 0, 2, NULL, r.call_id
FROM {ROWS} r JOIN {CALLS} k ON k.call_id = r.call_id WHERE k.already
UNION ALL
SELECT k.line, 'started_at', 0, 3, NULL, NULL FROM {CALLS} k WHERE NOT k.already AND k.unreadable
UNION ALL
SELECT k.line, p.col, p.seq, 4, p.message, NULL
FROM {CALLS} k CROSS JOIN LATERAL unnest(k.call_columns, k.call_messages) WITH ORDINALITY AS p(col, message, seq)
WHERE NOT k.already AND NOT k.unreadable AND k.call_columns IS NOT NULL
UNION ALL
SELECT r.line, p.col, p.seq, 4, p.message, NULL
FROM {ROWS} r JOIN {CALLS} k ON k.call_id = r.call_id
    CROSS JOIN LATERAL unnest(r.request_columns, r.request_messages) WITH ORDINALITY AS p(col, message, seq)
WHERE NOT k.already AND NOT k.unreadable AND r.request_columns IS NOT NULL
"""  # noqa: S608
CALL_FIELDS = [
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
]
# The calls written: those without a problem, not imported before, whose every row is good.
GOOD = "NOT {0}.already AND NOT {0}.unreadable AND {0}.call_columns IS NULL AND NOT {0}.requests_bad"
CALL_COLUMNS = ["organisation_id", *CALL_FIELDS, "external_ref", "created_at", "updated_at"]
REQUEST_COLUMNS = [
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
# One statement writes it all: the calls without problems in the order of their first row, their requests in
# the order of their call then line (the ids follow it), and the done callback of a callback request.
WRITE = f"""WITH calls AS (
    INSERT INTO {Call._meta.db_table} ({", ".join(CALL_COLUMNS)})
    SELECT %(organisation)s, {", ".join(CALL_FIELDS)}, call_id, %(now)s, %(now)s FROM {CALLS} k
    WHERE {GOOD.format("k")}
    ORDER BY line
    RETURNING id, external_ref, started_at
), requests AS (
    INSERT INTO {Request._meta.db_table} ({", ".join(REQUEST_COLUMNS)})
    SELECT %(organisation)s, c.id, row_number() OVER (PARTITION BY c.id ORDER BY r.line) - 1,
        r.category_id, r.theme_id, r.note, r.action, '', c.started_at
    FROM {ROWS} r JOIN calls c ON c.external_ref = r.call_id
    ORDER BY c.id, r.line
    RETURNING id, action, started_at
), callbacks AS (
    INSERT INTO {Callback._meta.db_table} ({", ".join(CALLBACK_COLUMNS)})
    SELECT %(organisation)s, id, started_at, %(now)s, '', '' FROM requests WHERE action = %(callback)s
    RETURNING 1
)
SELECT (SELECT count(*) FROM calls), (SELECT count(*) FROM requests)"""  # noqa: S608
# The rows WRITE writes, for the check of their foreign keys before it (core.bulk_keys): each with its line.
_GOOD_ROWS = f"{ROWS} r JOIN {CALLS} k ON k.call_id = r.call_id WHERE {GOOD.format('k')}"
INSERTS = [
    bulk_keys.Insert(
        Call._meta.db_table,
        source=f"SELECT k.line, k.commune_id FROM {CALLS} k WHERE {GOOD.format('k')}",  # noqa: S608
        columns=CALL_COLUMNS,
        values={"organisation_id": "%(organisation)s", "commune_id": "s.commune_id"},
        same_for_all=frozenset({"organisation_id"}),
    ),
    bulk_keys.Insert(
        Request._meta.db_table,
        source=f"SELECT r.line, r.category_id, r.theme_id FROM {_GOOD_ROWS}",  # noqa: S608
        columns=REQUEST_COLUMNS,
        values={"organisation_id": "%(organisation)s", "category_id": "s.category_id", "theme_id": "s.theme_id"},
        made_here=frozenset({"call_id"}),
        same_for_all=frozenset({"organisation_id"}),
    ),
    bulk_keys.Insert(
        Callback._meta.db_table,
        source=f"SELECT r.line FROM {_GOOD_ROWS} AND r.action = %(callback)s",  # noqa: S608
        columns=CALLBACK_COLUMNS,
        values={"organisation_id": "%(organisation)s"},
        made_here=frozenset({"request_id"}),
        same_for_all=frozenset({"organisation_id"}),
    ),
]
# The file's column a key's missing row is reported under.
_KEY_COLUMNS = {"category_id": "category", "theme_id": "category", "commune_id": "postal_code"}

# The grouping and the writes sort and hash the file's rows: 4 MB (the default) spilled 100,000 rows to disk.
# The plans of the temporary tables (never analysed) cost enough to be JIT-compiled: 2.3 s to save nothing.
SETTINGS = ["SET LOCAL work_mem = '32MB'", "SET LOCAL jit = off"]

_UNREADABLE = (True, *([None] * 12))


def _settle(cursor: Any) -> None:
    for setting in SETTINGS:
        cursor.execute(setting)


class Staging:
    """The temporary tables of one import on the current connection (dropped on leaving, whatever happens).

    `load` streams the rows in, `problems`/`bad_lines` report, `write` inserts the good calls (the caller
    holds the transaction)."""

    def __init__(self, organisation: Organisation, lookups: Lookups | None = None) -> None:
        self.organisation = organisation
        self.lookups = lookups or Lookups.for_file()
        self._requests: dict[tuple[str, str], tuple[Any, ...]] = {}
        # Whether any row may have a problem: when none has one, the report is not asked of the database.
        self._flagged = False

    def __enter__(self) -> Staging:
        self._drop()
        with connection.cursor() as cursor:
            cursor.execute(ROW_TABLE)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        try:
            self._drop()
        except DatabaseError:
            if kind is None:
                raise
            # The transaction failed with `error`: its rollback drops tables made in it; one made before stays
            # until the connection closes, and is dropped by the next import's __enter__.

    def _drop(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {CALLS}, {ROWS}")

    # Reading

    def load(self, journal: JournalFile, progress: Callable[[int], None] | None = None) -> int:
        """Check and send every row of `journal`, then group them into calls; returns how many rows it had."""
        count = self.send(journal, progress)
        self.group()
        return count

    def send(self, journal: JournalFile, progress: Callable[[int], None] | None = None) -> int:
        """Check and send every row of `journal`; returns how many rows it had. `group` comes next."""
        cells_of = itemgetter(*(journal.position(name) for name in READ))
        requests = self._requests
        last_key: tuple[str, ...] | None = None
        call_part: tuple[Any, ...] = ()
        chunk: list[tuple[Any, ...]] = []
        count = 0
        told_at: float | None = None
        for line, cells in journal.rows:
            call_id, started, duration, language, sex, postal, kind, heard, urgency, category, action, note, comment = (
                cells_of(cells)
            )
            count += 1
            if not call_id or len(call_id) > LONGEST_ID:  # reported as such, never grouped into a call
                chunk.append((line, call_id))
                self._flagged = True
            else:
                key = (started, duration, language, sex, postal, kind, heard, urgency)
                if key != last_key:  # the rows of a call repeat its fields: checked once
                    last_key, call_part = key, self._call_part(key)
                    self._flagged = self._flagged or call_part[0] or call_part[-1] is not None
                request_part = requests.get((category, action))
                if request_part is None:
                    request_part = self._request_part(category, action)
                    self._flagged = self._flagged or request_part[-1] is not None
                chunk.append((line, call_id, comment, note[:300], *call_part, *request_part))
            if len(chunk) >= CHUNK_ROWS:
                self._send(chunk)
                chunk = []
                if progress is not None and (told_at is None or time.monotonic() - told_at >= PROGRESS_SECONDS):
                    progress(count)
                    told_at = time.monotonic()
        self._send(chunk)
        return count

    def group(self) -> None:
        """Group the rows sent into calls and mark those the organisation imported before. The import calls it
        under the organisation's import lock, in the transaction that writes (`importer.lock_imports_of`):
        read earlier, two imports of one file could both find nothing imported and both write."""
        with transaction.atomic(), connection.cursor() as cursor:
            _settle(cursor)
            cursor.execute(CALL_TABLE, {"organisation": self.organisation.pk})
            # Counted, so that the key checks join rows to calls by hash: unanalysed, PostgreSQL guessed a
            # handful of rows and joined them by nested loop (14 s a key at 10,000 rows). The counts are what
            # matters: the smallest sample takes 8 ms where the default one took 0.8 s at 100,000 rows.
            cursor.execute("SET LOCAL default_statistics_target = 1")
            cursor.execute(f"ANALYZE {ROWS}, {CALLS}")
            cursor.execute("SET LOCAL default_statistics_target TO DEFAULT")
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {CALLS} WHERE already)")  # noqa: S608
            self._flagged = self._flagged or bool(cursor.fetchone()[0])

    def _call_part(self, key: tuple[str, ...]) -> tuple[Any, ...]:
        started = read_started(key[0])
        if started is None:
            return _UNREADABLE
        values = journal_call_values({**dict(zip(READ[1:9], key, strict=True)), "comment": ""}.__getitem__)
        fields, errors = check_call(self.lookups, started, values)
        if fields is None:
            columns = [name for name, messages in errors.items() for _message in messages]
            messages = [message for found in errors.values() for message in found]
            return (False, *([None] * 10), columns, messages)
        commune = fields.commune.pk if fields.commune is not None else None
        return (False, *fields[:6], commune, *fields[7:], None, None)

    def _request_part(self, category_text: str, action_text: str) -> tuple[Any, ...]:
        category, action, errors = check_request(self.lookups, category_text, action_text.lower())
        if errors:
            columns = [name for name, messages in errors.items() for _message in messages]
            messages = [message for found in errors.values() for message in found]
            part: tuple[Any, ...] = (None, None, action or None, columns, messages)
        else:
            assert category is not None
            part = (category.pk, category.top.pk, action, None, None)
        if len(self._requests) < MAX_REMEMBERED:
            self._requests[category_text, action_text] = part
        return part

    def _send(self, chunk: list[tuple[Any, ...]]) -> None:
        if not chunk:
            return
        with connection.cursor() as wrapper:
            cursor = wrapper.cursor  # psycopg's own: Django's wrapper has no copy()
            with cursor.copy(f"COPY {ROWS} ({', '.join(ROW_COLUMNS)}) FROM STDIN") as copy:
                for row in chunk:
                    if len(row) == 2:  # no call identifier: only its line matters
                        copy.write_row((*row, *([None] * (len(ROW_COLUMNS) - 2))))
                    else:
                        copy.write_row(row)

    # Reporting

    def problems(self, limit: int | None = None) -> list[dict[str, Any]]:
        """The problems by line then column (our column names), as `importer.validate` lists them."""
        query = f"SELECT line, col, kind, message, call_id FROM ({PROBLEMS}) problems"  # noqa: S608
        query += ' ORDER BY line, col COLLATE "C", seq'  # our names in code-point order, as Python sorts them
        if limit is not None:
            query += f" LIMIT {int(limit)}"
        found: list[dict[str, Any]] = []
        if not self._flagged:
            return found
        with transaction.atomic(), connection.cursor() as cursor:
            _settle(cursor)
            cursor.execute(query)
            for line, column, kind, message, call_id in cursor.fetchall():
                if kind == 1:
                    message = empty_id_message()
                elif kind == 2:
                    message = already_imported_message(call_id)
                elif kind == 3:
                    message = unreadable_start_message()
                elif kind == 5:
                    message = long_id_message()
                found.append({"line": line, "column": column, "message": message})
        return found

    def bad_lines(self) -> int:
        """How many lines have a problem (those left out when the good calls are imported)."""
        if not self._flagged:
            return 0
        with transaction.atomic(), connection.cursor() as cursor:
            _settle(cursor)
            cursor.execute(f"SELECT count(DISTINCT line) FROM ({PROBLEMS}) problems")  # noqa: S608
            return int(cursor.fetchone()[0])

    # Writing

    def write(self) -> tuple[int, int]:
        """Insert the calls without problems, their requests and callbacks; returns (calls, requests)."""
        parameters: dict[str, Any] = {
            "organisation": self.organisation.pk,
            "now": timezone.now(),
            "callback": Action.CALLBACK.value,
        }
        with connection.cursor() as cursor:
            _settle(cursor)  # for the caller's transaction only
            try:
                with bulk_keys.checked_inserts(cursor, INSERTS, parameters):
                    cursor.execute(WRITE, parameters)
                    calls, requests = cursor.fetchone()
            except bulk_keys.MissingReferencesError as error:
                raise ReferencesGoneError(_gone(error.missing)) from error
        return int(calls), int(requests)


class ReferencesGoneError(Exception):
    """Rows whose category, commune or organisation was deleted after the file was read: nothing is written,
    the lines are reported (`errors`, as `problems` lists them)."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(errors)} line(s) refer to rows deleted meanwhile")
        self.errors = errors


def _gone(missing: list[bulk_keys.Missing]) -> list[dict[str, Any]]:
    found: dict[tuple[int, str], None] = {}
    for row in missing:
        found.setdefault((row.line, _KEY_COLUMNS.get(row.columns[0], "")), None)
    message = gone_message()
    return [{"line": line, "column": column, "message": message} for line, column in sorted(found)]
