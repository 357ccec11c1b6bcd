"""Bulk inserts on PostgreSQL with their foreign keys checked set-based instead of one query per key per row.

Why: PostgreSQL checks every inserted row's foreign keys with one query per key per row (its RI triggers):
at 100,000 rows that was 9 s of a 21 s import on plain tables and 22 s of 36 s on the partitioned journal
(a key into a partitioned table finds its partition row by row). Here, in the import's transaction:

1. `check_and_lock` runs, for each foreign key of each table about to be written, one statement over the
   rows to be written (the caller's staged rows) that locks the referenced rows `FOR KEY SHARE` — what the
   RI check does, so a concurrent delete of one waits for the import's commit and then fails on the rows
   it would orphan — and returns the lines whose referenced row is missing (`MissingReferencesError`, so
   the caller reports them line by line and writes nothing);
2. `without_row_checks` runs the inserts with `session_replication_role = replica`, which skips the RI
   triggers (and every trigger not `ENABLE ALWAYS`), then sets the role back for the rest of the transaction.

The keys are read from PostgreSQL's catalog (`pg_constraint`), the very constraints the triggers enforce
(composite keys of partitioned tables included), not listed by hand: a key the caller does not account for
(its columns neither given, nor made by the same statement, nor left to a NULL default) is a programming
error raised before anything is written.

Replica role is used only when it is safe and allowed, else the inserts run as before (the RI triggers
check them; the result is the same, only slower):
- the role may set the parameter: a superuser, or after
  `GRANT SET ON PARAMETER session_replication_role TO <role>` (PostgreSQL 15; README, production);
- every trigger on the written tables and their partitions is either an RI trigger (what step 1 replaces)
  or `ENABLE ALWAYS` (so replica role does not silently skip a roll-up or a column-filling trigger).
Replica role also skips the triggers of tables the ALWAYS triggers write to; the ones written today (the
bilan roll-up tables, the columnar copy's change log `casework_columnarchange`) have none.

SQLite is not concerned: its imports insert through the ORM and SQLite checks the keys itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from psycopg.pq import TransactionStatus

# Only statements assembled from the callers' SQL and catalog names (quoted) run here, never input.
# ruff: noqa: S608

MAX_LINES = 1000  # missing-reference lines returned per key at most (the import keeps 1,000 problems)


@dataclass(frozen=True)
class Insert:
    """One table an import statement writes and where its rows come from.

    `source` is SQL selecting the rows to be written (before they are), with a `line` column; `columns` every
    column the INSERT sets; `values` for each of those that is a foreign-key column, its SQL over the source's
    rows (alias `s`); `made_here` the columns set from rows the import itself writes in this transaction (ids
    taken from its RETURNING: nobody else can delete them before it commits), which need no check."""

    table: str
    source: str
    columns: Sequence[str]
    values: Mapping[str, str] = field(default_factory=dict)
    made_here: frozenset[str] = frozenset()
    # Columns whose value is the same for every row (a parameter, e.g. the organisation): checked once.
    same_for_all: frozenset[str] = frozenset()


def _constant(insert: Insert, key: ForeignKey) -> bool:
    return all(column in insert.same_for_all for column in key.columns)


@dataclass(frozen=True)
class ForeignKey:
    name: str
    table: str
    columns: tuple[str, ...]
    refers_to: str
    referred_columns: tuple[str, ...]


@dataclass(frozen=True)
class Missing:
    """A row to be written whose referenced row does not exist: its line, the table and the key's columns."""

    line: int
    table: str
    columns: tuple[str, ...]


class MissingReferencesError(Exception):
    def __init__(self, missing: list[Missing]) -> None:
        super().__init__(f"{len(missing)} row(s) refer to rows that do not exist")
        self.missing = missing


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def foreign_keys(cursor: Any, table: str) -> list[ForeignKey]:
    """The foreign keys of `table` as PostgreSQL enforces them (a partitioned table's once, not per partition)."""
    cursor.execute(
        """
        SELECT c.conname, c.confrelid::regclass::text, c.confmatchtype,
            array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
                  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i),
            array(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
                  JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i)
        FROM pg_constraint c
        WHERE c.conrelid = %s::regclass AND c.contype = 'f' AND c.conparentid = 0
        ORDER BY c.conname
        """,
        [table],
    )
    found = []
    for name, refers_to, match, columns, referred in cursor.fetchall():
        if match == "f" and len(columns) > 1:  # MATCH FULL: a half-NULL key is an error the check does not make
            raise ValueError(f"{table}.{name}: MATCH FULL keys are not checked in bulk")
        found.append(ForeignKey(name, table, tuple(columns), refers_to.strip('"'), tuple(referred)))
    return found


def _defaults(cursor: Any, table: str, columns: Iterable[str]) -> set[str]:
    cursor.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attname = ANY(%s) AND atthasdef",
        [table, list(columns)],
    )
    return {row[0] for row in cursor.fetchall()}


def keys_to_check(cursor: Any, insert: Insert) -> list[ForeignKey]:
    """The foreign keys of `insert.table` the statement's rows must be checked against; raises ValueError for a
    key the insert does not account for (a key added to the table and not to the import)."""
    checked = []
    for key in foreign_keys(cursor, insert.table):
        written = [column for column in key.columns if column in insert.columns]
        if any(column in insert.made_here for column in key.columns):
            continue
        if not written:  # left to their default: NULL satisfies a key, any other default would not be checked
            with_default = _defaults(cursor, insert.table, key.columns)
            if with_default:
                raise ValueError(f"{insert.table}.{key.name}: {sorted(with_default)} default unchecked")
            continue
        unvalued = [column for column in key.columns if column not in insert.values]
        if unvalued:
            raise ValueError(f"{insert.table}.{key.name}: no value given for {unvalued} to check")
        checked.append(key)
    return checked


def _check_statement(insert: Insert, key: ForeignKey) -> str:
    """One statement: the distinct keys of the rows to be written, the referenced rows locked FOR KEY SHARE
    (all of them: counted), and the first lines whose key has no referenced row (MATCH SIMPLE: a key with a
    NULL column is not checked, as PostgreSQL does)."""
    values = [insert.values[column] for column in key.columns]
    keys = ", ".join(f"{value} AS k{index}" for index, value in enumerate(values))
    names = ", ".join(f"k{index}" for index in range(len(values)))
    not_null = " AND ".join(f"({value}) IS NOT NULL" for value in values)
    referred = ", ".join(f"r.{_quote(column)}" for column in key.referred_columns)
    rows = "" if _constant(insert, key) else f"FROM ({insert.source}) s"  # a constant needs no scan of the rows
    return f"""WITH wanted AS MATERIALIZED (
    SELECT DISTINCT {keys} {rows} WHERE {not_null}
), found AS MATERIALIZED (
    SELECT {referred} FROM {_quote(key.refers_to)} r WHERE ({referred}) IN (SELECT {names} FROM wanted)
    FOR KEY SHARE OF r
), missing AS MATERIALIZED (
    SELECT {names} FROM wanted EXCEPT ALL SELECT * FROM found
)
SELECT (SELECT count(*) FROM found), array(
    SELECT s.line FROM ({insert.source}) s
    WHERE {not_null} AND ({", ".join(values)}) IN (SELECT {names} FROM missing)
    ORDER BY s.line LIMIT {MAX_LINES}
)"""


def check_and_lock(cursor: Any, inserts: Sequence[Insert], parameters: Mapping[str, Any] | None = None) -> int:
    """Check every foreign key of the rows `inserts` will write and lock the rows they refer to FOR KEY SHARE
    until the transaction ends; returns how many referenced rows were locked. Raises MissingReferencesError
    with the lines of rows whose referenced row is missing (the caller writes nothing). Call it in the
    transaction that writes, before writing."""
    missing: list[Missing] = []
    locked = 0
    done: set[tuple[Any, ...]] = set()
    for insert in inserts:
        for key in keys_to_check(cursor, insert):
            if _constant(insert, key):  # the organisation of every table an import writes: checked once
                same = (key.refers_to, key.referred_columns, tuple(insert.values[column] for column in key.columns))
                if same in done:
                    continue
                done.add(same)
            cursor.execute(_check_statement(insert, key), parameters or {})
            count, lines = cursor.fetchone()
            locked += int(count)
            missing.extend(Missing(line, insert.table, key.columns) for line in lines)
    if missing:
        raise MissingReferencesError(sorted(missing, key=lambda found: (found.line, found.columns)))
    return locked


# The triggers replica role may skip: the RI checks `check_and_lock` replaces (and the referenced side's
# actions, which inserts do not fire). Any other must be ENABLE ALWAYS.
_UNSAFE_TRIGGERS = """
SELECT t.tgrelid::regclass::text, t.tgname, t.tgenabled
FROM pg_trigger t
JOIN pg_proc p ON p.oid = t.tgfoid
WHERE t.tgrelid IN (SELECT %s::regclass UNION SELECT relid FROM pg_partition_tree(%s::regclass))
    AND t.tgenabled <> 'A' AND t.tgenabled <> 'D'
    AND NOT (t.tgisinternal AND p.proname LIKE 'RI\\_FKey\\_%%')
"""


def triggers_not_always(cursor: Any, tables: Iterable[str]) -> list[tuple[str, str, str]]:
    """The triggers on `tables` (and their partitions) that replica role would skip and that are not RI
    checks: (table, trigger, tgenabled). Empty when replica role is safe for inserts into them."""
    found: list[tuple[str, str, str]] = []
    for table in tables:
        cursor.execute(_UNSAFE_TRIGGERS, [table, table])  # the table, its partitions if any
        found.extend(tuple(row) for row in cursor.fetchall())
    return sorted(found)


def may_skip_row_checks(cursor: Any, tables: Iterable[str]) -> bool:
    """Whether inserts into `tables` may run in replica role: the role is allowed to set it and no trigger
    but the RI checks would be skipped."""
    cursor.execute("SELECT has_parameter_privilege('session_replication_role', 'SET')")
    if not cursor.fetchone()[0]:
        return False
    return not triggers_not_always(cursor, tables)


def _usable(cursor: Any) -> bool:
    """Whether the transaction can still run statements (not failed)."""
    return bool(cursor.db.connection.info.transaction_status == TransactionStatus.INTRANS)


@contextmanager
def without_row_checks(cursor: Any, tables: Iterable[str]) -> Iterator[bool]:
    """Run the block's inserts without the per-row RI checks when `may_skip_row_checks` (yields whether it
    does); the role is set back to `origin` for the rest of the transaction on leaving (a failed transaction
    is rolled back, which undoes it). The caller has run `check_and_lock` for these rows in this transaction."""
    skip = may_skip_row_checks(cursor, tables)
    if not skip:
        yield False
        return
    cursor.execute("SET LOCAL session_replication_role = replica")
    try:
        yield True
    finally:
        if _usable(cursor):
            cursor.execute("SET LOCAL session_replication_role = origin")


@contextmanager
def checked_inserts(
    cursor: Any, inserts: Sequence[Insert], parameters: Mapping[str, Any] | None = None
) -> Iterator[bool]:
    """`check_and_lock` the rows of `inserts`, then run the block (their INSERT statements) `without_row_checks`;
    yields whether the per-row checks are skipped. Raises MissingReferencesError before the block runs."""
    if cursor.db.get_autocommit():  # the locks and the role would end with the statement that takes them
        raise RuntimeError("checked_inserts runs inside the transaction that writes (transaction.atomic)")
    check_and_lock(cursor, inserts, parameters)
    with without_row_checks(cursor, [insert.table for insert in inserts]) as skipped:
        yield skipped
