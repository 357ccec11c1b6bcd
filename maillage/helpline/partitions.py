"""The helpline journal (calls and their requests) partitioned by year on PostgreSQL.

Why yearly: a national line logs about 300,000 calls a year (1M calls is a few years), so a year is a
partition of a few hundred thousand calls and a million requests, and the bilan of a month, a quarter or a
year reads one or two of them. Monthly partitions would hold 25,000 calls each: hundreds of tiny tables
over ten years, costing planning time on every query for nothing.

Why no default partition: a catch-all partition would silently take rows of a year nobody prepared, and
creating that year's partition later would have to move them under a lock. Instead the years before the
first one are one bounded "before" partition (old journals still import), the scheduled job creates the
coming years ahead, and a row for a year without a partition is refused by PostgreSQL as a whole
statement (nothing saved) — `maillage helpline_partitions --check` names the missing year.

The partition key must be in every unique key of a partitioned table, so the primary keys are
(id, started_at); Django keeps seeing `id` alone (ids still come from one sequence). A request keeps its
call's start (it already did, for the reports), so it references (call_id, started_at); a callback keeps
a copy of its request's start in a column only the database knows, filled by a trigger, so the ORM and the
raw inserts of the log-call path stay as they were. Start changes cascade (a corrected call moves its
requests and their callbacks' copies along).

Retention detaches (never drops) whole years: the rows stay in a plain table an operator can archive.
SQLite keeps plain tables: nothing here runs there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

CALL = "helpline_call"
REQUEST = "helpline_request"
CALLBACK = "helpline_callback"
# Parents first: a request's partition of a year exists whenever its call's does.
PARTITIONED = (CALL, REQUEST)

HISTORY_YEARS = 10

_BOUND = re.compile(r"FROM \((?:'([^']+)'|MINVALUE)\) TO \((?:'([^']+)'|MAXVALUE)\)")


class PartitionRefusedError(Exception):
    """A partition operation that would touch data the policy protects; the message says why."""


@dataclass(frozen=True)
class Partition:
    name: str
    starts: datetime | None  # None: from the beginning of time (the "before" partition)
    ends: datetime


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def year_start(year: int) -> datetime:
    """New Year's midnight, local time: a calendar year's bilan reads exactly one partition."""
    return datetime(year, 1, 1, tzinfo=_zone())


def _literal(moment: datetime) -> str:
    return "'" + moment.isoformat() + "'"


def is_partitioned(cursor: Any, table: str = CALL) -> bool:
    cursor.execute("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s)", [table])
    return cursor.fetchone() is not None


def partitions(cursor: Any, table: str) -> list[Partition]:
    """The attached partitions of a table, oldest first."""
    cursor.execute(
        "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
        "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(%s)",
        [table],
    )
    found = []
    for name, bound in cursor.fetchall():
        match = _BOUND.search(bound)
        if match is None:
            continue
        starts = datetime.fromisoformat(match.group(1)) if match.group(1) else None
        found.append(Partition(name, starts, datetime.fromisoformat(match.group(2))))
    return sorted(found, key=lambda p: p.ends)


def _create_year(cursor: Any, table: str, year: int) -> str:
    name = f"{table}_y{year}"
    cursor.execute(
        f'CREATE TABLE IF NOT EXISTS "{name}" PARTITION OF "{table}" '
        f"FOR VALUES FROM ({_literal(year_start(year))}) TO ({_literal(year_start(year + 1))})"
    )
    return name


def create_ahead(cursor: Any, years_ahead: int, now: datetime | None = None) -> list[str]:
    """Create every missing yearly partition up to the current year + years_ahead; idempotent."""
    last_year = timezone.localtime(now or timezone.now(), _zone()).year + years_ahead
    created = []
    for table in PARTITIONED:
        existing = partitions(cursor, table)
        first_year = timezone.localtime(existing[-1].ends, _zone()).year if existing else last_year
        for year in range(first_year, last_year + 1):
            if not any(p.starts == year_start(year) for p in existing):
                created.append(_create_year(cursor, table, year))
    return created


def uncovered(cursor: Any, moment: datetime) -> list[str]:
    """The partitioned tables that have no partition for this moment: rows of that time would be refused."""
    return [
        table
        for table in PARTITIONED
        if not any((p.starts is None or p.starts <= moment) and moment < p.ends for p in partitions(cursor, table))
    ]


def detach_before(cursor: Any, cutoff: datetime) -> list[str]:
    """Detach (never drop) the partitions whose whole period ends at or before the cutoff; idempotent.

    Refused, with nothing detached, while a callback (a plain table, kept whole) still refers to a request
    of such a period: the operator settles those callbacks first.
    """
    old = {table: [p for p in partitions(cursor, table) if p.ends <= cutoff] for table in PARTITIONED}
    for partition in old[REQUEST]:
        cursor.execute(
            f'SELECT count(*) FROM "{CALLBACK}" b JOIN "{partition.name}" r ON r.id = b.request_id'  # noqa: S608 - catalogue names
        )
        (count,) = cursor.fetchone()
        if count:
            raise PartitionRefusedError(
                f"{partition.name}: {count} callback(s) still refer to its requests; nothing was detached."
            )
    detached = []
    # Requests first: a call partition cannot leave while requests of the table still reference it.
    for table in (REQUEST, CALL):
        for partition in old[table]:
            cursor.execute(f'ALTER TABLE "{table}" DETACH PARTITION "{partition.name}"')
            detached.append(partition.name)
            # A detached year of requests keeps a copy of the key to the calls, whose year leaves next.
            cursor.execute(
                "SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(%s) AND contype = 'f' "
                "AND confrelid = to_regclass(%s)",
                [partition.name, CALL],
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f'ALTER TABLE "{partition.name}" DROP CONSTRAINT "{name}"')
    return detached


def group_by_every_selected_column() -> None:
    """Make Django group aggregates over calls or requests by every selected column on PostgreSQL.

    Django groups by the primary key alone, relying on PostgreSQL deducing the other columns from it;
    PostgreSQL only does so from a whole primary key, which is now (id, started_at) while Django knows
    `id`. Django already groups by every column for models it does not manage (views): the same here.
    """
    from django.db.backends.postgresql.features import DatabaseFeatures

    original = DatabaseFeatures.allows_group_by_selected_pks_on_model
    if getattr(original, "helpline_partitions", False):
        return

    def allows_group_by_selected_pks_on_model(self: Any, model: Any) -> bool:
        return model._meta.db_table not in PARTITIONED and original(self, model)

    allows_group_by_selected_pks_on_model.helpline_partitions = True  # type: ignore[attr-defined]
    DatabaseFeatures.allows_group_by_selected_pks_on_model = allows_group_by_selected_pks_on_model  # type: ignore[method-assign]


# ---------------------------------------------------------------------------------------------
# The migration: plain tables ↔ partitioned tables, with the rows.


def _indexes(cursor: Any, table: str) -> list[str]:
    cursor.execute(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = %s AND indexname <> %s",
        [table, f"{table}_pkey"],
    )
    return [row[0].replace(" ON ONLY ", " ON ") for row in cursor.fetchall()]


def _foreign_keys(cursor: Any, table: str) -> list[tuple[str, str]]:
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = to_regclass(%s) AND contype = 'f' AND conparentid = 0",
        [table],
    )
    return list(cursor.fetchall())


def _rebuild(cursor: Any, table: str, *, partitioned: bool, years: range) -> None:
    """Copy a table's rows into a new table of the other kind, with the same name, indexes and keys."""
    indexes = _indexes(cursor, table)
    keys = [(name, d) for name, d in _foreign_keys(cursor, table) if f"REFERENCES {CALL}(" not in d]
    cursor.execute(f'ALTER TABLE "{table}" RENAME TO "{table}_old"')
    partition_by = " PARTITION BY RANGE (started_at)" if partitioned else ""
    cursor.execute(
        f'CREATE TABLE "{table}" (LIKE "{table}_old" INCLUDING DEFAULTS INCLUDING IDENTITY '
        f"INCLUDING CONSTRAINTS INCLUDING STORAGE){partition_by}"
    )
    if partitioned:
        cursor.execute(
            f'CREATE TABLE "{table}_before_{years.start}" PARTITION OF "{table}" '
            f"FOR VALUES FROM (MINVALUE) TO ({_literal(year_start(years.start))})"
        )
        for year in years:
            _create_year(cursor, table, year)
    cursor.execute(f'INSERT INTO "{table}" SELECT * FROM "{table}_old"')  # noqa: S608 - our own names
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence(%s, 'id'), coalesce((SELECT max(id) FROM \"{table}\"), 1))",  # noqa: S608
        [table],
    )
    cursor.execute(f'DROP TABLE "{table}_old"')
    # The new identity sequence got a suffixed name while the old one existed: give it back the usual one.
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    (sequence,) = cursor.fetchone()
    if sequence != f"public.{table}_id_seq":
        cursor.execute(f'ALTER SEQUENCE {sequence} RENAME TO "{table}_id_seq"')
    pkey = "id, started_at" if partitioned else "id"
    cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{table}_pkey" PRIMARY KEY ({pkey})')
    for index in indexes:
        cursor.execute(index)
    for name, definition in keys:
        cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')


_CALLBACK_COPY = """
CREATE FUNCTION helpline_callback_request_start() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT started_at INTO NEW.request_started_at FROM "helpline_request" WHERE id = NEW.request_id;
    IF NOT FOUND THEN
        RAISE foreign_key_violation USING MESSAGE = format('helpline request %s does not exist', NEW.request_id);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER helpline_callback_request_start BEFORE INSERT OR UPDATE OF request_id ON "helpline_callback"
    FOR EACH ROW EXECUTE FUNCTION helpline_callback_request_start();
"""


def _drop_references_to(cursor: Any, table: str) -> None:
    cursor.execute(
        "SELECT conrelid::regclass::text, conname FROM pg_constraint "
        "WHERE confrelid = to_regclass(%s) AND contype = 'f' AND conparentid = 0",
        [table],
    )
    for referencing, name in cursor.fetchall():
        cursor.execute(f'ALTER TABLE {referencing} DROP CONSTRAINT "{name}"')


def _years_to_cover(cursor: Any, years_ahead: int) -> range:
    cursor.execute(f'SELECT min(started_at), max(started_at) FROM "{CALL}"')  # noqa: S608
    earliest, latest = cursor.fetchone()
    now_year = timezone.localtime(timezone.now(), _zone()).year
    # Journals imported from an older tool come with their history: give its recent years their own
    # partitions too, even on an empty database, so a new line's first import does not pile them all
    # into the "before" partition.
    first = min(now_year - HISTORY_YEARS, timezone.localtime(earliest, _zone()).year if earliest else now_year)
    last = max(now_year + years_ahead, timezone.localtime(latest, _zone()).year if latest else now_year)
    return range(first, last + 1)


def partition_journal(cursor: Any, years_ahead: int = 1) -> None:
    """Turn the plain call and request tables into partitioned ones, rows included (one transaction)."""
    _drop_references_to(cursor, CALL)
    _drop_references_to(cursor, REQUEST)
    # The request's start is a copy of its call's: repair any stray copy so the composite key holds.
    cursor.execute(
        f'UPDATE "{REQUEST}" r SET started_at = c.started_at FROM "{CALL}" c '  # noqa: S608
        "WHERE c.id = r.call_id AND r.started_at IS DISTINCT FROM c.started_at"
    )
    years = _years_to_cover(cursor, years_ahead)
    _rebuild(cursor, CALL, partitioned=True, years=years)
    _rebuild(cursor, REQUEST, partitioned=True, years=years)
    cursor.execute(
        f'ALTER TABLE "{REQUEST}" ADD CONSTRAINT "helpline_request_call_fk" FOREIGN KEY (call_id, started_at) '
        f'REFERENCES "{CALL}" (id, started_at) ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED'
    )
    cursor.execute(f'ALTER TABLE "{CALLBACK}" ADD COLUMN request_started_at timestamptz')
    cursor.execute(
        f'UPDATE "{CALLBACK}" b SET request_started_at = r.started_at FROM "{REQUEST}" r WHERE r.id = b.request_id'  # noqa: S608
    )
    cursor.execute(f'ALTER TABLE "{CALLBACK}" ALTER COLUMN request_started_at SET NOT NULL')
    cursor.execute(_CALLBACK_COPY)
    cursor.execute(
        f'ALTER TABLE "{CALLBACK}" ADD CONSTRAINT "helpline_callback_request_fk" '
        f'FOREIGN KEY (request_id, request_started_at) REFERENCES "{REQUEST}" (id, started_at) '
        "ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED"
    )


def unpartition_journal(cursor: Any) -> None:
    """The way back: plain tables with single-column keys, rows included (detached years stay apart)."""
    cursor.execute(f'ALTER TABLE "{CALLBACK}" DROP CONSTRAINT "helpline_callback_request_fk"')
    cursor.execute(f'DROP TRIGGER helpline_callback_request_start ON "{CALLBACK}"')
    cursor.execute("DROP FUNCTION helpline_callback_request_start()")
    cursor.execute(f'ALTER TABLE "{CALLBACK}" DROP COLUMN request_started_at')
    cursor.execute(f'ALTER TABLE "{REQUEST}" DROP CONSTRAINT "helpline_request_call_fk"')
    _rebuild(cursor, CALL, partitioned=False, years=range(0))
    _rebuild(cursor, REQUEST, partitioned=False, years=range(0))
    cursor.execute(
        f'ALTER TABLE "{REQUEST}" ADD CONSTRAINT "helpline_request_call_id_e19d81bc_fk_helpline_call_id" '
        f'FOREIGN KEY (call_id) REFERENCES "{CALL}" (id) DEFERRABLE INITIALLY DEFERRED'
    )
    cursor.execute(
        f'ALTER TABLE "{CALLBACK}" ADD CONSTRAINT "helpline_callback_request_id_50852082_fk_helpline_request_id" '
        f'FOREIGN KEY (request_id) REFERENCES "{REQUEST}" (id) DEFERRABLE INITIALLY DEFERRED'
    )
