"""The bilan's daily roll-up of the helpline journal, kept in step by the database itself.

Two tables, no person data:

- `stats_bilan_requests` (organisation, day, category) → requests, first requests (position 0: one per call);
- `stats_bilan_calls` (organisation, day, the call's set of category ids) → calls.

A call lies in one day, so both add over the days of a period; a set of categories maps to its keys for any
reading in Python after the sum (a call counts once under a key however many of its requests read as it).
Days are the helpline's local days (settings.TIME_ZONE), as the bilan's periods are.

Triggers on the request table keep them in step in the same transaction as the write, whatever writes:
the services, the imports (ORM, COPY, staged), the admin, cascades, the demo data, tests' fixtures. On
PostgreSQL one statement-level trigger per event works a whole statement at once from its transition
tables (an import of 100,000 rows is one set-wise update, not 100,000); SQLite has only row triggers.
A TRUNCATE marks the roll-up incomplete. The bilan reads it only when `is_complete()` (the state row says
so, for the current time zone, and the triggers are in place); `rebuild()` recounts all or a range of days.
"""

# The SQL here is built from this module's constants and settings.TIME_ZONE only, never from input.
# ruff: noqa: S608
from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, router, transaction
from django.utils import timezone

from maillage.stats.versions import UNMAPPED

REQUESTS_TABLE = "stats_bilan_requests"
CALLS_TABLE = "stats_bilan_calls"
STATE_TABLE = "stats_bilan_state"
SOURCE = "helpline_request"
TRIGGERS = ("stats_bilan_insert", "stats_bilan_update", "stats_bilan_delete")
_PG_TRUNCATE = "stats_bilan_truncate"


def _zone() -> str:
    return str(settings.TIME_ZONE)


def _day(vendor: str, column: str) -> str:
    """The local day of a timestamp column, as SQL (SQLite: Django's own function, the one its filters use)."""
    if vendor == "postgresql":
        return f"(({column}) AT TIME ZONE '{_zone()}')::date"
    return f"django_datetime_cast_date({column}, '{_zone()}', 'UTC')"


# ---- tables -------------------------------------------------------------------------------------------------


def _tables(vendor: str) -> list[str]:
    day_type, stamp = ("date", "timestamptz") if vendor == "postgresql" else ("date", "datetime")
    return [
        (
            f"CREATE TABLE {REQUESTS_TABLE} (organisation_id bigint NOT NULL, day {day_type} NOT NULL, "
            "category_id bigint NOT NULL, requests integer NOT NULL, first_requests integer NOT NULL, "
            "PRIMARY KEY (organisation_id, day, category_id))"
        ),
        (
            f"CREATE TABLE {CALLS_TABLE} (organisation_id bigint NOT NULL, day {day_type} NOT NULL, "
            "categories varchar(2000) NOT NULL, calls integer NOT NULL, "
            "PRIMARY KEY (organisation_id, day, categories))"
        ),
        (
            f"CREATE TABLE {STATE_TABLE} (id integer PRIMARY KEY, complete boolean NOT NULL, "
            f"zone varchar(64) NOT NULL, rebuilt_at {stamp} NULL)"
        ),
        f"INSERT INTO {STATE_TABLE} (id, complete, zone, rebuilt_at) VALUES (1, false, '', NULL)",
    ]


# ---- PostgreSQL: statement triggers over transition tables ----------------------------------------------------

_PG_EMPTY = (
    "(SELECT NULL::bigint AS id, NULL::bigint AS call_id, NULL::bigint AS organisation_id, "
    "NULL::timestamptz AS started_at, NULL::bigint AS category_id, NULL::smallint AS position WHERE false)"
)


def _pg_function(event: str, old: str, new: str) -> str:
    # jit = off: the per-call lookup's generic plan is costed for 1,000 transition rows, over jit_above_cost,
    # and compiling it (~40 ms) would cost more than the statement itself, a single logged call included.
    day = _day("postgresql", "started_at")
    start = f"(t.day::timestamp AT TIME ZONE '{_zone()}')"
    end = f"((t.day + 1)::timestamp AT TIME ZONE '{_zone()}')"
    return f"""CREATE OR REPLACE FUNCTION {TRIGGERS[("insert", "update", "delete").index(event)]}() RETURNS trigger
LANGUAGE plpgsql SET jit = off AS $body$
BEGIN
    INSERT INTO {REQUESTS_TABLE} AS t (organisation_id, day, category_id, requests, first_requests)
    SELECT organisation_id, day, category_id, sum(k), sum(k * (position = 0)::int)
    FROM (
        SELECT organisation_id, {day} AS day, category_id, position, 1 AS k FROM {new} n
        UNION ALL SELECT organisation_id, {day}, category_id, position, -1 FROM {old} o
    ) d
    GROUP BY 1, 2, 3 HAVING sum(k) <> 0 OR sum(k * (position = 0)::int) <> 0
    ORDER BY 1, 2, 3
    ON CONFLICT (organisation_id, day, category_id) DO UPDATE
        SET requests = t.requests + EXCLUDED.requests, first_requests = t.first_requests + EXCLUDED.first_requests;

    -- Each touched call's set of categories now and before the statement (now minus its new rows plus its
    -- old ones): one call leaves its old set and joins its new one. A set is per (call, organisation, day): the
    -- journal's rows read are those of the touched calls in the touched days, looked up call by call (the
    -- call's index, the day's bounds pruning the partitions; OFFSET 0 keeps the lookup a nested loop, never a
    -- scan of the journal); a group no row of the statement is in reads the same before and after and cancels.
    WITH touched AS (
        SELECT call_id, {day} AS day FROM {new} n UNION SELECT call_id, {day} FROM {old} o
    ),
    now_rows AS (
        SELECT r.* FROM touched t CROSS JOIN LATERAL (
            SELECT r.id, r.call_id, r.organisation_id, r.started_at, r.category_id FROM {SOURCE} r
            WHERE r.call_id = t.call_id AND r.started_at >= {start} AND r.started_at < {end} OFFSET 0
        ) r
    ),
    was_rows AS (
        SELECT * FROM now_rows WHERE id NOT IN (SELECT id FROM {new} n)
        UNION ALL SELECT id, call_id, organisation_id, started_at, category_id FROM {old} o
    ),
    sets AS (
        SELECT organisation_id, {day} AS day,
            string_agg(DISTINCT category_id::text, ',' ORDER BY category_id::text) AS categories, 1 AS k
        FROM now_rows GROUP BY call_id, organisation_id, {day}
        UNION ALL
        SELECT organisation_id, {day}, string_agg(DISTINCT category_id::text, ',' ORDER BY category_id::text), -1
        FROM was_rows GROUP BY call_id, organisation_id, {day}
    )
    INSERT INTO {CALLS_TABLE} AS t (organisation_id, day, categories, calls)
    SELECT organisation_id, day, categories, sum(k) FROM sets
    GROUP BY 1, 2, 3 HAVING sum(k) <> 0
    ORDER BY 1, 2, 3
    ON CONFLICT (organisation_id, day, categories) DO UPDATE SET calls = t.calls + EXCLUDED.calls;
    RETURN NULL;
END
$body$"""


def _pg_functions() -> list[str]:
    return [
        _pg_function("insert", _PG_EMPTY, "new_rows"),
        _pg_function("update", "old_rows", "new_rows"),
        _pg_function("delete", "old_rows", _PG_EMPTY),
    ]


def replace_functions(cursor: Any) -> bool:
    """PostgreSQL: put this module's trigger functions in place of the installed ones (CREATE OR REPLACE: the
    triggers, and their ENABLE ALWAYS, stay as they are). False, nothing done, when the triggers are not there."""
    cursor.execute(
        "SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname = ANY(%s)", [SOURCE, list(TRIGGERS)]
    )
    if cursor.fetchone()[0] == 0:
        return False
    for statement in _pg_functions():
        cursor.execute(statement)
    return True


def _pg_triggers() -> list[str]:
    statements = _pg_functions()
    for name, event, referencing in (
        (TRIGGERS[0], "INSERT", "NEW TABLE AS new_rows"),
        (TRIGGERS[1], "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        (TRIGGERS[2], "DELETE", "OLD TABLE AS old_rows"),
    ):
        statements.append(
            f"CREATE TRIGGER {name} AFTER {event} ON {SOURCE} REFERENCING {referencing} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )
    statements += [
        f"""CREATE OR REPLACE FUNCTION {_PG_TRUNCATE}() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    UPDATE {STATE_TABLE} SET complete = false;
    RETURN NULL;
END
$body$""",
        f"CREATE TRIGGER {_PG_TRUNCATE} AFTER TRUNCATE ON {SOURCE} FOR EACH STATEMENT EXECUTE FUNCTION {_PG_TRUNCATE}()",
    ]
    # ALWAYS: they also fire for the imports' inserts made in replica role (maillage/core/bulk_keys.py).
    statements += [f"ALTER TABLE {SOURCE} ENABLE ALWAYS TRIGGER {name}" for name in (*TRIGGERS, _PG_TRUNCATE)]
    return statements


# ---- SQLite: row triggers -------------------------------------------------------------------------------------


def _sqlite_set(call: str, organisation: str, day: str, without_id: str = "NULL", plus_category: str = "NULL") -> str:
    """The call's categories in (organisation, day), one row left out and one category added, as sorted text."""
    rows = (
        f"SELECT CAST(category_id AS TEXT) AS c FROM {SOURCE} WHERE call_id = {call} "
        f"AND organisation_id = {organisation} AND {_day('sqlite', 'started_at')} = {day} "
        f"AND ({without_id} IS NULL OR id <> {without_id})"
    )
    if plus_category != "NULL":
        rows += f" UNION ALL SELECT CAST({plus_category} AS TEXT)"
    return f"(SELECT group_concat(c, ',') FROM (SELECT DISTINCT c FROM ({rows}) ORDER BY c))"


def _sqlite_bump_set(organisation: str, day: str, categories: str, delta: int) -> str:
    return (
        f"INSERT INTO {CALLS_TABLE} (organisation_id, day, categories, calls) "
        f"SELECT {organisation}, {day}, s, {delta} FROM (SELECT {categories} AS s) WHERE s IS NOT NULL "
        "ON CONFLICT (organisation_id, day, categories) DO UPDATE SET calls = calls + excluded.calls;"
    )


def _sqlite_bump_request(row: str, delta: int) -> str:
    return (
        f"INSERT INTO {REQUESTS_TABLE} (organisation_id, day, category_id, requests, first_requests) VALUES "
        f"({row}.organisation_id, {_day('sqlite', f'{row}.started_at')}, {row}.category_id, {delta}, "
        f"{delta} * ({row}.position = 0)) ON CONFLICT (organisation_id, day, category_id) DO UPDATE SET "
        "requests = requests + excluded.requests, first_requests = first_requests + excluded.first_requests;"
    )


def _sqlite_triggers() -> list[str]:
    def group(row: str) -> tuple[str, str, str]:
        return f"{row}.call_id", f"{row}.organisation_id", _day("sqlite", f"{row}.started_at")

    new, old = group("NEW"), group("OLD")
    # An update is the old row leaving then the new one arriving: before (S0) = now − NEW + OLD,
    # between (S1) = now − NEW, after (S2) = now; the old group goes S0 → S1, the new group S1 → S2.
    insert = [
        _sqlite_bump_request("NEW", 1),
        _sqlite_bump_set(new[1], new[2], _sqlite_set(*new, without_id="NEW.id"), -1),
        _sqlite_bump_set(new[1], new[2], _sqlite_set(*new), 1),
    ]
    delete = [
        _sqlite_bump_request("OLD", -1),
        _sqlite_bump_set(old[1], old[2], _sqlite_set(*old, plus_category="OLD.category_id"), -1),
        _sqlite_bump_set(old[1], old[2], _sqlite_set(*old), 1),
    ]
    update = [
        _sqlite_bump_request("OLD", -1),
        _sqlite_bump_request("NEW", 1),
        _sqlite_bump_set(old[1], old[2], _sqlite_set(*old, without_id="NEW.id", plus_category="OLD.category_id"), -1),
        _sqlite_bump_set(old[1], old[2], _sqlite_set(*old, without_id="NEW.id"), 1),
        _sqlite_bump_set(new[1], new[2], _sqlite_set(*new, without_id="NEW.id"), -1),
        _sqlite_bump_set(new[1], new[2], _sqlite_set(*new), 1),
    ]
    changed = " OR ".join(
        f"OLD.{name} IS NOT NEW.{name}"
        for name in ("id", "call_id", "organisation_id", "started_at", "category_id", "position")
    )
    return [
        f"CREATE TRIGGER {TRIGGERS[0]} AFTER INSERT ON {SOURCE} BEGIN {' '.join(insert)} END",
        f"CREATE TRIGGER {TRIGGERS[1]} AFTER UPDATE ON {SOURCE} WHEN {changed} BEGIN {' '.join(update)} END",
        f"CREATE TRIGGER {TRIGGERS[2]} AFTER DELETE ON {SOURCE} BEGIN {' '.join(delete)} END",
    ]


# ---- installing, rebuilding ---------------------------------------------------------------------------------


def install(cursor: Any, vendor: str) -> None:
    """Create the tables and the triggers (the roll-up starts incomplete: `rebuild` fills it)."""
    for statement in _tables(vendor) + (_pg_triggers() if vendor == "postgresql" else _sqlite_triggers()):
        cursor.execute(statement)


def uninstall(cursor: Any, vendor: str) -> None:
    if vendor == "postgresql":
        for name in (*TRIGGERS, _PG_TRUNCATE):
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {SOURCE}")
            cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")
    else:
        for name in TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
    for table in (REQUESTS_TABLE, CALLS_TABLE, STATE_TABLE):
        cursor.execute(f"DROP TABLE IF EXISTS {table}")


def _has_triggers(cursor: Any, vendor: str) -> bool:
    if vendor == "postgresql":
        cursor.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname = ANY(%s) AND tgenabled <> 'D'",
            [SOURCE, list(TRIGGERS)],
        )
    else:
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s AND name IN (%s, %s, %s)",
            [SOURCE, *TRIGGERS],
        )
    return bool(cursor.fetchone()[0] == len(TRIGGERS))


def _local_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    zone = timezone.get_default_timezone()
    start = timezone.make_aware(datetime.combine(first, time.min), zone)
    return start, timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min), zone)


def rebuild(first: date | None = None, last: date | None = None) -> tuple[int, int]:
    """Recount the roll-up from the journal: all of it, or the local days first..last. The journal is locked
    against writes meanwhile (the triggers would otherwise count a row twice or not at all). A full rebuild
    puts the triggers back (missing, disabled or of another time zone) and marks the roll-up complete.
    Returns the rows written (requests, calls)."""
    vendor = connection.vendor
    whole = first is None and last is None
    with transaction.atomic(), connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {SOURCE} IN SHARE MODE")
        if whole:  # put the triggers back (enabled, in the current time zone)
            if vendor == "postgresql":
                statements = _pg_triggers()
                for name in (*TRIGGERS, _PG_TRUNCATE):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {SOURCE}")
            else:
                statements = _sqlite_triggers()
                for name in TRIGGERS:
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            for statement in statements:
                cursor.execute(statement)
        where, params = "", []
        if not whole:
            start, end = _local_bounds(first or date(1900, 1, 1), last or date(9999, 12, 30))
            where, params = "WHERE started_at >= %s AND started_at < %s", [start, end]
            day_params = [(first or date(1900, 1, 1)).isoformat(), (last or date(9999, 12, 30)).isoformat()]
            for table in (REQUESTS_TABLE, CALLS_TABLE):
                cursor.execute(f"DELETE FROM {table} WHERE day >= %s AND day <= %s", day_params)
        else:
            for table in (REQUESTS_TABLE, CALLS_TABLE):
                cursor.execute(f"DELETE FROM {table}")
        day = _day(vendor, "started_at")
        cursor.execute(
            f"INSERT INTO {REQUESTS_TABLE} (organisation_id, day, category_id, requests, first_requests) "
            f"SELECT organisation_id, {day}, category_id, count(*), sum(CASE WHEN position = 0 THEN 1 ELSE 0 END) "
            f"FROM {SOURCE} {where} GROUP BY 1, 2, 3",
            params,
        )
        requests = cursor.rowcount
        if vendor == "postgresql":
            per_call = (
                f"SELECT organisation_id, {day} AS day, string_agg(DISTINCT category_id::text, ',' "
                f"ORDER BY category_id::text) AS categories FROM {SOURCE} {where} GROUP BY call_id, 1, 2"
            )
        else:
            per_call = (
                "SELECT organisation_id, day, group_concat(c, ',') AS categories FROM (SELECT DISTINCT call_id, "
                f"organisation_id, {day} AS day, CAST(category_id AS TEXT) AS c FROM {SOURCE} {where} "
                "ORDER BY call_id, organisation_id, day, c) GROUP BY call_id, organisation_id, day"
            )
        cursor.execute(
            f"INSERT INTO {CALLS_TABLE} (organisation_id, day, categories, calls) "
            f"SELECT organisation_id, day, categories, count(*) FROM ({per_call}) per_call GROUP BY 1, 2, 3",
            params,
        )
        calls = cursor.rowcount
        if whole:
            cursor.execute(
                f"UPDATE {STATE_TABLE} SET complete = %s, zone = %s, rebuilt_at = %s",
                [True, _zone(), timezone.now()],
            )
    return requests, calls


def _reading() -> Any:
    """The connection reports read from (the replica during a report request when there is one: the roll-up
    and its triggers are copied there with the journal)."""
    from maillage.helpline.models import Request

    return connections[router.db_for_read(Request) or DEFAULT_DB_ALIAS]


def is_complete() -> bool:
    """True when the roll-up counts every request: rebuilt whole in this time zone, triggers in place."""
    with _reading().cursor() as cursor:
        cursor.execute(f"SELECT complete, zone FROM {STATE_TABLE} WHERE id = 1")
        row = cursor.fetchone()
        if not row or not row[0] or row[1] != _zone() or timezone.get_current_timezone_name() != _zone():
            return False
        return _has_triggers(cursor, cursor.db.vendor)


def first_day(ids: list[int]) -> date | None:
    """The local day of these organisations' earliest request in the journal (None: none). Years detached
    from the partitioned journal leave it without the triggers hearing of it: the roll-up's days before this
    one are then counts of rows no longer there, which the bilan must not read (a detach takes whole years
    from the oldest, so every day from this one on is still whole)."""
    if not ids:
        return None
    with _reading().cursor() as cursor:
        cursor.execute(f"SELECT min(started_at) FROM {SOURCE} WHERE organisation_id IN ({_in(ids)})", ids)
        earliest = cursor.fetchone()[0]
    if earliest is None:
        return None
    if isinstance(earliest, str):  # SQLite without the converters of a model field
        earliest = datetime.fromisoformat(earliest)
    if timezone.is_naive(earliest):
        earliest = earliest.replace(tzinfo=UTC)
    return timezone.localtime(earliest, timezone.get_default_timezone()).date()


def _in(ids: list[int]) -> str:
    return ", ".join(["%s"] * len(ids))


def request_rows(ids: list[int], first: date, last: date) -> list[tuple[int, int, int]]:
    """(category id, requests, first requests) over the days first..last of these organisations."""
    if not ids:
        return []
    with _reading().cursor() as cursor:
        cursor.execute(
            f"SELECT category_id, sum(requests), sum(first_requests) FROM {REQUESTS_TABLE} "
            f"WHERE organisation_id IN ({_in(ids)}) AND day >= %s AND day <= %s GROUP BY category_id "
            "HAVING sum(requests) <> 0 OR sum(first_requests) <> 0",
            [*ids, first, last],
        )
        return [(int(c), int(n), int(f)) for c, n, f in cursor.fetchall()]


def call_sets(ids: list[int], first: date, last: date) -> list[tuple[tuple[int, ...], int]]:
    """(the category ids of a call, calls) over the days first..last of these organisations."""
    if not ids:
        return []
    with _reading().cursor() as cursor:
        cursor.execute(
            f"SELECT categories, sum(calls) FROM {CALLS_TABLE} "
            f"WHERE organisation_id IN ({_in(ids)}) AND day >= %s AND day <= %s GROUP BY categories "
            "HAVING sum(calls) <> 0",
            [*ids, first, last],
        )
        return [(tuple(int(c) for c in text.split(",")), int(n)) for text, n in cursor.fetchall()]


def keyed_calls(sets: Iterable[tuple[tuple[int, ...], int]], codes: dict[int, str]) -> dict[str, int]:
    """Calls per key (`codes`: category id → key, UNMAPPED when absent): a call counts once under each key one
    of its categories reads as."""
    counts: dict[str, int] = {}
    for categories, n in sets:
        if len(categories) == 1:
            key = codes.get(categories[0], UNMAPPED)
            counts[key] = counts.get(key, 0) + n
            continue
        for key in {codes.get(category_id, UNMAPPED) for category_id in categories}:
            counts[key] = counts.get(key, 0) + n
    return counts
