"""Keeping the roll-ups in step with a write that changes many persons at once (an import), set-based.

The same exactness as `rollups.persons_changing` — everything the persons' rows contributed is subtracted,
the write happens, their new contributions are added, in one transaction — counted as `rollups_rebuild.rebuild` counts
(the same SQL, over the persons' rows only), and nothing travels through Python: the persons go by COPY into a
temporary table, both counts are INSERT … SELECT into another, and the difference is one INSERT … ON CONFLICT. Counting 833 persons' cells in Python and upserting 171,451 changed cells 500 per
statement took ~30 s of a 10,000-row import (bench/casework/RESULTS.md).

As `persons_changing`: only the cells whose count changes are written, and a cell that falls to zero is kept
at zero (the reader sums cells; `rebuild` simply does not create them).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction

from maillage.casework import rollups, rollups_rebuild

PERSONS_TABLE = "rollup_bulk_persons"
CHANGES_TABLE = "rollup_bulk_changes"
_CELL = "kind, gset, organisation_id, period, a, b"


def _count_into_changes(
    cursor: Any, sign: int, code_sql: dict[str, str], chosen: list[rollups.Kind], code_dimensions: set[str]
) -> None:
    """Add the persons' contributions to every cell of these kinds, times `sign`, as rows of the changes table:
    the rebuild's counting (`rollups_rebuild.narrow_sources`, `rollups_rebuild.cell_counts`) over the persons' rows only
    (2.3 times faster than `rollups.contributions_sql`'s unpivot for a 6,000-row file; the same cells)."""
    where = f"f.person_id IN (SELECT id FROM {PERSONS_TABLE})"  # noqa: S608 - a constant
    # Every kind counts follow-ups (and their requests): persons without one contribute nothing, and the ~600
    # statements below cost ~1 s even over no row (the "before" of a file of new persons).
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM casework_followup f WHERE {where})")  # noqa: S608
    if not cursor.fetchone()[0]:
        return
    narrow = rollups_rebuild.narrow_sources(cursor, chosen, code_sql, where)
    for kind, cells, select in rollups_rebuild.cell_counts(cursor, chosen, narrow, code_dimensions):
        cursor.execute(
            f"INSERT INTO {CHANGES_TABLE} ({_CELL}, n)"  # noqa: S608
            f" SELECT {kind.code}, {cells.gset}, org, p, a, b, {sign} * n FROM ({select}) c"
        )
    for table in narrow.values():
        cursor.execute(f"DROP TABLE {table}")


def _apply_changes(cursor: object) -> None:
    """Add the changes that are not zero to the cells, creating the missing ones; drop the temporary tables."""
    # Sorted like `rollups._add`: two writers meet the cells in the same order (no deadlock).
    cursor.execute(  # type: ignore[attr-defined]
        f"INSERT INTO casework_statcell ({_CELL}, n)"  # noqa: S608
        f" SELECT {_CELL}, sum(n) FROM {CHANGES_TABLE} GROUP BY {_CELL} HAVING sum(n) <> 0 ORDER BY {_CELL}"
        f" ON CONFLICT ({_CELL}) DO UPDATE SET n = casework_statcell.n + EXCLUDED.n"
    )
    cursor.execute(f"DROP TABLE {PERSONS_TABLE}, {CHANGES_TABLE}")  # type: ignore[attr-defined]


@contextmanager
def persons_changing_in_bulk(person_ids: Iterable[int]) -> Iterator[None]:
    """`rollups.persons_changing` for a write touching many persons: the same cells, counted in the database.

    Opens (or joins) a transaction; a no-op where roll-ups are not kept (SQLite, or not built)."""
    ids = sorted({int(pk) for pk in person_ids if pk is not None})
    with transaction.atomic():
        state = rollups.built_state() if ids else None
        if state is None:
            yield
            return
        code_sql = rollups.code_sql_for(state.axis_versions)
        # The kinds built (a kind being built for the first time is counted whole by its rebuild), by-code ones
        # only for the axes read; as `rebuild` chooses them.
        kinds = [rollups.KINDS[code] for code in sorted(state.kinds) if code in rollups.KINDS]
        chosen = [kind for kind in kinds if state.axis_versions or not kind.by_code]
        code_dimensions = {f"{axis}{level}" for axis in state.axis_versions for level in (1, 2)}
        with connection.cursor() as wrapper:
            cursor = wrapper.cursor  # psycopg's own: Django's wrapper has no copy()
            # The changed cells of a 10,000-row file are ~170,000: grouped and sorted in memory, not on disk.
            cursor.execute("SET LOCAL work_mem = '64MB'")
            # Dropped at the end: two imports may run in one transaction (and a failure rolls the tables back).
            cursor.execute(f"CREATE TEMPORARY TABLE {PERSONS_TABLE} (id integer PRIMARY KEY)")
            with cursor.copy(f"COPY {PERSONS_TABLE} (id) FROM STDIN") as copy:
                for pk in ids:
                    copy.write_row((pk,))
            cursor.execute(f"ANALYZE {PERSONS_TABLE}")
            # One writer per person at a time, in id order as `persons_changing` locks them.
            cursor.execute(
                f"SELECT count(*) FROM (SELECT p.id FROM casework_person p WHERE p.id IN (SELECT id FROM {PERSONS_TABLE})"  # noqa: S608
                " ORDER BY p.id FOR UPDATE) locked"
            )
            cursor.execute(
                f"CREATE TEMPORARY TABLE {CHANGES_TABLE} (kind smallint, gset smallint, organisation_id integer,"
                " period date, a text, b text, n integer)"
            )
            _count_into_changes(cursor, -1, code_sql, chosen, code_dimensions)
        yield
        with connection.cursor() as wrapper:
            cursor = wrapper.cursor
            _count_into_changes(cursor, 1, code_sql, chosen, code_dimensions)
            _apply_changes(cursor)
