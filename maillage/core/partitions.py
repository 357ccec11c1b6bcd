"""Tables partitioned by year on PostgreSQL: the helpline journal and the case-work follow-ups.

One mechanism for every module: a `PartitionedSet` names a module's tables (parents first) and their
partition column; the functions below list a set's yearly partitions, create the coming years, say which
tables have no partition for a date, detach (never drop) the years past retention and rebuild a plain table
as a partitioned one (or back) in a migration. What only one module needs (the helpline callback's copy of
its request's start, the case-work import identifier's uniqueness) stays in that module's migration code.

Why yearly and why no default partition: see docs/scaling.md. A row dated in a year without a partition
is refused by PostgreSQL as a whole statement; the imports ask `refusal()` first (once per year of a file,
through `RefusalsByYear`) and the forms' views turn
the refusal into the same clear, translated line next to the date.

SQLite keeps plain tables: nothing here runs there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

HISTORY_YEARS = 10

_BOUND = re.compile(r"FROM \((?:'([^']+)'|MINVALUE)\) TO \((?:'([^']+)'|MAXVALUE)\)")

Moment = datetime | date


class PartitionRefusedError(Exception):
    """A partition operation that would touch data the policy protects; the message says why."""


@dataclass(frozen=True)
class Referrer:
    """A plain table outside the set whose rows refer to a partitioned table: its year cannot leave while they do."""

    table: str
    column: str
    refers_to: str
    noun: str  # "callback(s)": how the refusal names its rows


@dataclass(frozen=True)
class PartitionedSet:
    name: str
    tables: tuple[str, ...]  # parents first: a child's partition of a year exists whenever its parent's does
    key: str
    timestamped: bool  # a timestamptz key (years start at local midnight) or a date key
    referrers: tuple[Referrer, ...] = ()
    # Unique indexes without the key (PostgreSQL refuses them on a partitioned table): kept by the module's
    # trigger while partitioned, plain indexes there; unique again when the table is plain.
    unique_by_trigger: frozenset[str] = field(default_factory=frozenset)

    def year_start(self, year: int) -> Moment:
        """New Year: a calendar year's figures read exactly one partition."""
        if self.timestamped:
            return datetime(year, 1, 1, tzinfo=_zone())
        return date(year, 1, 1)

    def year_of(self, moment: Moment) -> int:
        if isinstance(moment, datetime):
            return timezone.localtime(moment, _zone()).year if timezone.is_aware(moment) else moment.year
        return moment.year


HELPLINE = PartitionedSet(
    name="helpline journal",
    tables=("helpline_call", "helpline_request"),
    key="started_at",
    timestamped=True,
    referrers=(Referrer("helpline_callback", "request_id", "helpline_request", "callback(s)"),),
)
CASEWORK = PartitionedSet(
    name="case-work follow-ups",
    tables=("casework_followup", "casework_request"),
    key="date",
    timestamped=False,
    unique_by_trigger=frozenset({"casework_followup_source_unique"}),
)
SETS = (HELPLINE, CASEWORK)


@dataclass(frozen=True)
class Partition:
    name: str
    starts: Moment | None  # None: from the beginning of time (the "before" partition)
    ends: Moment

    def holds(self, moment: Moment) -> bool:
        return (self.starts is None or self.starts <= moment) and moment < self.ends


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _literal(moment: Moment) -> str:
    return "'" + moment.isoformat() + "'"


def _parse(text: str, timestamped: bool) -> Moment:
    return datetime.fromisoformat(text) if timestamped else date.fromisoformat(text)


def is_partitioned(cursor: Any, table: str) -> bool:
    cursor.execute("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s)", [table])
    return cursor.fetchone() is not None


def partitions(cursor: Any, table: str, timestamped: bool = True) -> list[Partition]:
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
        starts = _parse(match.group(1), timestamped) if match.group(1) else None
        found.append(Partition(name, starts, _parse(match.group(2), timestamped)))
    return sorted(found, key=lambda p: p.ends)


def _create_year(cursor: Any, spec: PartitionedSet, table: str, year: int) -> str:
    name = f"{table}_y{year}"
    cursor.execute(
        f'CREATE TABLE IF NOT EXISTS "{name}" PARTITION OF "{table}" '
        f"FOR VALUES FROM ({_literal(spec.year_start(year))}) TO ({_literal(spec.year_start(year + 1))})"
    )
    return name


def this_year(now: datetime | None = None) -> int:
    return timezone.localtime(now or timezone.now(), _zone()).year


def create_ahead(cursor: Any, spec: PartitionedSet, years_ahead: int, now: datetime | None = None) -> list[str]:
    """Create every missing yearly partition up to the current year + years_ahead; idempotent."""
    last_year = this_year(now) + years_ahead
    created = []
    for table in spec.tables:
        existing = partitions(cursor, table, spec.timestamped)
        first_year = spec.year_of(existing[-1].ends) if existing else last_year
        for year in range(first_year, last_year + 1):
            if not any(p.starts == spec.year_start(year) for p in existing):
                created.append(_create_year(cursor, spec, table, year))
    return created


def uncovered(cursor: Any, spec: PartitionedSet, moment: Moment) -> list[str]:
    """The set's tables that have no partition for this moment: rows of that time would be refused."""
    return [
        table for table in spec.tables if not any(p.holds(moment) for p in partitions(cursor, table, spec.timestamped))
    ]


def refusal_message(spec: PartitionedSet, moment: Moment) -> str:
    """The translated line saying a row of this moment's year cannot be saved (its year has no partition)."""
    return _(
        "Nothing dated in %(year)s can be saved: that year is not open in the database (archived, or not "
        "prepared yet). Ask an administrator to run `maillage partitions`."
    ) % {"year": spec.year_of(moment)}


def refusal(spec: PartitionedSet, moment: Moment) -> str | None:
    """Asked before writing many rows (an import, once per year): refusal_message, or None when covered.

    A form does not ask (three catalogue queries on every save): its view turns PostgreSQL's refusal of the
    write (`is_missing_partition`) into the same line next to the date, the write rolled back whole.
    """
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        if not is_partitioned(cursor, spec.tables[0]) or not uncovered(cursor, spec, moment):
            return None
    return refusal_message(spec, moment)


class RefusalsByYear:
    """An import's `refusal()` for its rows: asked of the catalogue once per year of the file, then remembered.

    A file of a million rows spans a handful of years; the answer cannot change while the file is checked
    (years are created and detached by `maillage partitions`, not by an import).
    """

    def __init__(self, spec: PartitionedSet) -> None:
        self.spec = spec
        self._by_year: dict[int, str | None] = {}

    def __call__(self, moment: Moment) -> str | None:
        year = self.spec.year_of(moment)
        if year not in self._by_year:
            self._by_year[year] = refusal(self.spec, moment)
        return self._by_year[year]


def is_missing_partition(error: BaseException) -> bool:
    """PostgreSQL's refusal of a row whose partition key falls in no partition: a check violation that names
    no constraint (a CHECK constraint's names it). Read from the error's fields, not its text, which the
    server may write in French or Dutch (lc_messages)."""
    cause = error.__cause__
    if getattr(cause, "sqlstate", None) != "23514":
        return False
    diagnostics = getattr(cause, "diag", None)
    return diagnostics is not None and not diagnostics.constraint_name


def detach_before(cursor: Any, spec: PartitionedSet, cutoff: Moment) -> list[str]:
    """Detach (never drop) the partitions whose whole period ends at or before the cutoff; idempotent.

    Refused, with nothing detached, while a row of a plain table (a helpline callback) still refers to a
    row of such a period: the operator settles those first.
    """
    old = {table: [p for p in partitions(cursor, table, spec.timestamped) if p.ends <= cutoff] for table in spec.tables}
    for referrer in spec.referrers:
        for partition in old[referrer.refers_to]:
            cursor.execute(
                f'SELECT count(*) FROM "{referrer.table}" b JOIN "{partition.name}" r ON r.id = b."{referrer.column}"'  # noqa: S608 - catalogue names
            )
            (count,) = cursor.fetchone()
            if count:
                raise PartitionRefusedError(
                    f"{partition.name}: {count} {referrer.noun} still refer to its rows; nothing was detached."
                )
    detached = []
    # Children first: a parent's partition cannot leave while rows of the child table reference it.
    for table in reversed(spec.tables):
        for partition in old[table]:
            cursor.execute(f'ALTER TABLE "{table}" DETACH PARTITION "{partition.name}"')
            detached.append(partition.name)
            # A detached year keeps a copy of its key to the parent table, whose year leaves next.
            cursor.execute(
                "SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(%s) AND contype = 'f' "
                "AND confrelid::regclass::text = ANY(%s)",
                [partition.name, list(spec.tables)],
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f'ALTER TABLE "{partition.name}" DROP CONSTRAINT "{name}"')
    return detached


def group_by_every_selected_column() -> None:
    """Make Django group aggregates over a partitioned table by every selected column on PostgreSQL.

    Django groups by the primary key alone, relying on PostgreSQL deducing the other columns from it;
    PostgreSQL only does so from a whole primary key, which is now (id, <key>) while Django knows `id`.
    Django already groups by every column for models it does not manage (views): the same here.
    """
    from django.db.backends.postgresql.features import DatabaseFeatures

    original = DatabaseFeatures.allows_group_by_selected_pks_on_model
    if getattr(original, "maillage_partitions", False):
        return
    tables = frozenset(table for spec in SETS for table in spec.tables)

    def allows_group_by_selected_pks_on_model(self: Any, model: Any) -> bool:
        return model._meta.db_table not in tables and original(self, model)

    allows_group_by_selected_pks_on_model.maillage_partitions = True  # type: ignore[attr-defined]
    DatabaseFeatures.allows_group_by_selected_pks_on_model = allows_group_by_selected_pks_on_model  # type: ignore[method-assign]


# ---------------------------------------------------------------------------------------------
# Migrations: plain tables ↔ partitioned tables, with the rows.


def _indexes(cursor: Any, spec: PartitionedSet, table: str, *, partitioned: bool) -> list[str]:
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = %s AND indexname <> %s",
        [table, f"{table}_pkey"],
    )
    found = []
    for name, definition in cursor.fetchall():
        definition = definition.replace(" ON ONLY ", " ON ")
        if name in spec.unique_by_trigger:
            plain = definition.replace("CREATE UNIQUE INDEX ", "CREATE INDEX ")
            definition = plain if partitioned else plain.replace("CREATE INDEX ", "CREATE UNIQUE INDEX ")
        found.append(definition)
    return found


def _foreign_keys(cursor: Any, table: str) -> list[tuple[str, str]]:
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = to_regclass(%s) AND contype = 'f' AND conparentid = 0",
        [table],
    )
    return list(cursor.fetchall())


def rebuild(cursor: Any, spec: PartitionedSet, table: str, *, partitioned: bool, years: range) -> None:
    """Copy a table's rows into a new table of the other kind, with the same name, indexes and keys.

    Keys between the set's tables are the caller's to drop before and add after (they change shape).
    """
    indexes = _indexes(cursor, spec, table, partitioned=partitioned)
    keys = [
        (name, d) for name, d in _foreign_keys(cursor, table) if not any(f"REFERENCES {t}(" in d for t in spec.tables)
    ]
    cursor.execute(f'ALTER TABLE "{table}" RENAME TO "{table}_old"')
    partition_by = f" PARTITION BY RANGE ({spec.key})" if partitioned else ""
    cursor.execute(
        f'CREATE TABLE "{table}" (LIKE "{table}_old" INCLUDING DEFAULTS INCLUDING IDENTITY '
        f"INCLUDING CONSTRAINTS INCLUDING STORAGE){partition_by}"
    )
    if partitioned:
        cursor.execute(
            f'CREATE TABLE "{table}_before_{years.start}" PARTITION OF "{table}" '
            f"FOR VALUES FROM (MINVALUE) TO ({_literal(spec.year_start(years.start))})"
        )
        for year in years:
            _create_year(cursor, spec, table, year)
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
    pkey = f"id, {spec.key}" if partitioned else "id"
    cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{table}_pkey" PRIMARY KEY ({pkey})')
    for index in indexes:
        cursor.execute(index)
    for name, definition in keys:
        cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')


def drop_references_to(cursor: Any, table: str) -> None:
    cursor.execute(
        "SELECT conrelid::regclass::text, conname FROM pg_constraint "
        "WHERE confrelid = to_regclass(%s) AND contype = 'f' AND conparentid = 0",
        [table],
    )
    for referencing, name in cursor.fetchall():
        cursor.execute(f'ALTER TABLE {referencing} DROP CONSTRAINT "{name}"')


def years_to_cover(cursor: Any, spec: PartitionedSet, years_ahead: int) -> range:
    """The years given their own partition: the rows' years, the last HISTORY_YEARS and those ahead.

    Data imported from an older tool come with their history: its recent years get their own partitions
    even on an empty database, so a new centre's first import does not pile them into the "before" one.
    """
    cursor.execute(f'SELECT min("{spec.key}"), max("{spec.key}") FROM "{spec.tables[0]}"')  # noqa: S608
    earliest, latest = cursor.fetchone()
    now_year = this_year()
    first = min(now_year - HISTORY_YEARS, spec.year_of(earliest) if earliest else now_year)
    last = max(now_year + years_ahead, spec.year_of(latest) if latest else now_year)
    return range(first, last + 1)
