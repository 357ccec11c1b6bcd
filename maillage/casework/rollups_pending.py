"""Roll-up cells recounted after an import's commit, one centre at a time, the reads staying exact meanwhile.

Why: keeping the cells in step inside an import's transaction cost about half of it (~130 changed cells a
row, counted before and after, bench/casework/RESULTS.md). Instead the import writes its rows and marks its
centre "recount pending" in the same transaction; a task then deletes the centre's cells and counts them again
from its rows, and removes the mark, in one transaction. While the mark is there, `rollups.available` says no
for any scope including the centre, so the cross-tab engine reads its raw rows: exact at every moment.

Races, per centre, with an advisory lock: every writer of cells (`rollups.persons_changing`, an import marking
its centre; before any row lock) holds it shared until its commit; the recount holds it exclusive while it
reads the centre's rows and again from before it writes the cells to its commit, not while it counts. So a
writer's follow-up is either committed before the recount reads (counted by it), or written while it counts
(its cell changes kept aside, `keep_changes`, and added to the cells the recount writes), or after its commit
(a change of the recounted cells); never lost, never counted twice. An import marking the centre again while
it counts keeps the mark (its time changed). A recount that dies rolls back whole: the mark stays, the reads
stay raw, and the scheduled job `casework_rollups_pending` (every 10 minutes) recounts the centres left marked.
"""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_tasks import task

from maillage.casework.models import RollupPendingChange, RollupRecountPending, RollupState

logger = logging.getLogger(__name__)

# The first key of these advisory locks (the second is the centre): a stable hash of the name, apart from the
# project's other advisory locks.
LOCK_SPACE = zlib.crc32(b"maillage.casework.rollup_cells") - 2**31


def _keys(organisation_ids: Iterable[int]) -> list[int]:
    return sorted({int(pk) % 2**31 for pk in organisation_ids})


def lock_for_writing(organisation_ids: Iterable[int]) -> None:
    """Writers of these centres' cells or rows take the lock shared (in centre order), until their commit."""
    if connection.vendor != "postgresql":
        return
    keys = _keys(organisation_ids)
    if keys:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_advisory_xact_lock_shared(%s::integer, k)) FROM unnest(%s::integer[]) k",
                [LOCK_SPACE, keys],
            )


def mark(organisation_id: int) -> None:
    """The centre's cells no longer hold its rows (call in the writing transaction); its recount is queued for
    after the commit. Nothing where roll-ups are not kept."""
    from maillage.casework import rollups

    if rollups.built_state() is None:
        return
    lock_for_writing([organisation_id])
    # A new time even if marked already: a recount that read the rows before this import keeps the mark.
    RollupRecountPending.objects.update_or_create(
        organisation_id=organisation_id, defaults={"marked_at": timezone.now()}
    )
    transaction.on_commit(lambda: recount_centre.enqueue(organisation_id))


def any_pending(organisation_ids: Iterable[int] | None = None) -> bool:
    """Whether one of these centres (any centre, if None) waits for its recount."""
    marks = RollupRecountPending.objects.all()
    if organisation_ids is not None:
        marks = marks.filter(organisation_id__in=list(organisation_ids))
    return marks.exists()


def keep_changes(changes: dict[Any, int], organisation_ids: Iterable[int]) -> dict[Any, int]:
    """A writer's cell changes, those of marked centres kept aside for their recount (`recount` adds them to
    the cells it counts from rows read before them); returns the others, to be added to the cells. Called under
    the centres' lock (`lock_for_writing`)."""
    marked = set(
        RollupRecountPending.objects.filter(organisation_id__in=list(organisation_ids)).values_list(
            "organisation_id", flat=True
        )
    )
    if not marked:
        return changes
    RollupPendingChange.objects.bulk_create(
        RollupPendingChange(organisation_id=o, kind=k, gset=g, period=p, a=a, b=b, n=n)
        for (k, g, o, p, a, b), n in changes.items()
        if o in marked and n
    )
    return {cell: n for cell, n in changes.items() if cell[2] not in marked}


def recount(organisation_id: int) -> bool:
    """Count the centre's cells again from its rows and remove its mark; False if it was not marked (done
    already: a repeated task does nothing).

    The centre's writers wait only while its rows are read and while the cells are written: the lock is taken
    exclusive for the reading as a session lock, let go for the counting (the long part: writers meanwhile keep
    their changes aside), and taken again, until the commit, to write the cells and add the changes kept."""
    from maillage.casework import rollups

    if connection.vendor != "postgresql":
        RollupRecountPending.objects.filter(organisation_id=organisation_id).delete()
        return False
    started = time.monotonic()
    key = [LOCK_SPACE, organisation_id % 2**31]
    held = False

    def release(cursor: Any) -> None:
        nonlocal held
        cursor.execute("SELECT pg_advisory_unlock(%s::integer, %s::integer)", key)
        held = False

    try:
        with transaction.atomic(), connection.cursor() as cursor:
            # Exclusive before any row is read: every writer before committed, none writes until they are read.
            cursor.execute("SELECT pg_advisory_lock(%s::integer, %s::integer)", key)
            held = True
            marked = RollupRecountPending.objects.filter(organisation_id=organisation_id).first()
            if marked is None:
                return False
            # Kept aside by writers before now: in the rows read below.
            RollupPendingChange.objects.filter(organisation_id=organisation_id).delete()
            state = rollups.built_state()
            if state is not None:  # else nothing is read nor kept: the full rebuild will count everything

                def settle() -> None:
                    # Exclusive again until the commit: the changes kept meanwhile are all in, none comes.
                    cursor.execute("SELECT pg_advisory_xact_lock(%s::integer, %s::integer)", key)

                count_cells(cursor, organisation_id, state, rows_read=lambda: release(cursor), before_writing=settle)
                cursor.execute(
                    f"INSERT INTO casework_statcell ({_CELL}, n) SELECT {_CELL}, sum(n)"  # noqa: S608
                    f" FROM {RollupPendingChange._meta.db_table} WHERE organisation_id = %s GROUP BY {_CELL}"
                    f" HAVING sum(n) <> 0 ORDER BY {_CELL}"
                    f" ON CONFLICT ({_CELL}) DO UPDATE SET n = casework_statcell.n + EXCLUDED.n",
                    [organisation_id],
                )
                RollupPendingChange.objects.filter(organisation_id=organisation_id).delete()
            if held:
                release(cursor)
            # Unless an import marked the centre again meanwhile (its rows may not be in those counted).
            RollupRecountPending.objects.filter(organisation_id=organisation_id, marked_at=marked.marked_at).delete()
    finally:
        if held:  # an error before the rows were read: the transaction is rolled back, the session lock not
            with connection.cursor() as cursor:
                release(cursor)
    logger.info("roll-ups of centre %s recounted in %.1f s", organisation_id, time.monotonic() - started)
    return True


_CELL = "kind, gset, organisation_id, period, a, b"


def count_cells(
    cursor: Any,
    organisation_id: int,
    state: RollupState,
    rows_read: Callable[[], None] = lambda: None,
    before_writing: Callable[[], None] = lambda: None,
) -> None:
    """Count the centre's cells of the kinds built again from its rows (the rebuild's SELECTs over the centre's
    rows only, in DuckDB or PostgreSQL as MAILLAGE_ROLLUP_ENGINE says), then replace its cells with them;
    `rows_read` is called once its rows are read, `before_writing` before its cells are deleted."""
    from maillage.casework import rollups, rollups_rebuild

    cursor.execute("SET LOCAL work_mem = '64MB'; SET LOCAL jit = off")
    code_sql = rollups.code_sql_for(state.axis_versions)
    kinds = [rollups.KINDS[code] for code in sorted(state.kinds) if code in rollups.KINDS]
    chosen = [kind for kind in kinds if state.axis_versions or not kind.by_code]
    code_dimensions = {f"{axis}{level}" for axis in state.axis_versions for level in (1, 2)}

    def delete_cells() -> None:
        before_writing()
        cursor.execute(
            "DELETE FROM casework_statcell WHERE organisation_id = %s AND kind = ANY(%s)",
            [organisation_id, [kind.code for kind in chosen]],
        )

    cursor.execute("SELECT EXISTS (SELECT 1 FROM casework_followup WHERE organisation_id = %s)", [organisation_id])
    if not chosen or not cursor.fetchone()[0]:  # every kind counts follow-ups: no row, no cell
        rows_read()
        delete_cells()
        return
    if settings.MAILLAGE_ROLLUP_ENGINE == "duckdb":  # as the full recount (`rollups_rebuild.rebuild`)
        rollups_rebuild._count_in_duckdb(
            cursor, chosen, code_sql, code_dimensions, False, organisation_id, rows_read, delete_cells
        )
        return
    narrow = rollups_rebuild.narrow_sources(cursor, chosen, code_sql, f"f.organisation_id = {int(organisation_id)}")
    rows_read()
    cursor.execute(
        "CREATE TEMPORARY TABLE rollup_recount_cells (kind smallint, gset smallint, period date, a text, b text,"
        " n integer) ON COMMIT DROP"
    )
    for kind, cells, select in rollups_rebuild.cell_counts(cursor, chosen, narrow, code_dimensions):
        cursor.execute(
            "INSERT INTO rollup_recount_cells (kind, gset, period, a, b, n)"  # noqa: S608
            f" SELECT {kind.code}, {cells.gset}, p, a, b, n FROM ({select}) c"
        )
    for table in narrow.values():
        cursor.execute(f"DROP TABLE {table}")
    delete_cells()
    cursor.execute(
        "INSERT INTO casework_statcell (kind, gset, organisation_id, period, a, b, n)"
        " SELECT kind, gset, %s, period, a, b, n FROM rollup_recount_cells",
        [organisation_id],
    )
    cursor.execute("DROP TABLE rollup_recount_cells")


def recount_pending() -> int:
    """Recount every centre left marked (a task that died, a queue lost); how many were recounted."""
    done = 0
    for organisation_id in RollupRecountPending.objects.order_by("marked_at").values_list("organisation_id", flat=True):
        done += recount(organisation_id)
    return done


@task()
def recount_centre(organisation_id: int) -> None:
    recount(organisation_id)
    from maillage.casework import columnar

    # A big import leaves many persons to read beside the columnar copy (past MAX_CHANGED, the rows themselves):
    # a new copy now rather than at the next scheduled one.
    changed = columnar.changed_persons()
    if changed is not None and changed > columnar.MAX_CHANGED // 2:
        columnar.build()
