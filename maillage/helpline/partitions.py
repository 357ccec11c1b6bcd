"""The helpline journal (calls and their requests) partitioned by year on PostgreSQL.

The mechanism is maillage/core/partitions.py (shared with case work); this module keeps what only the
helpline has. Why yearly: a national line logs about 300,000 calls a year, so a year is a partition of a
few hundred thousand calls and a million requests, and the bilan of a month, a quarter or a year reads one
or two of them.

The partition key must be in every unique key of a partitioned table, so the primary keys are
(id, started_at); Django keeps seeing `id` alone (ids still come from one sequence). A request keeps its
call's start (it already did, for the reports), so it references (call_id, started_at); a callback keeps
a copy of its request's start in a column only the database knows, filled by a trigger, so the ORM and the
raw inserts of the log-call path stay as they were (ENABLE ALWAYS: it fills the column in the imports'
replica role too, maillage/core/bulk_keys.py). Start changes cascade (a corrected call moves its
requests and their callbacks' copies along). Retention refuses while a callback refers to an old request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from maillage.core import partitions as shared
from maillage.core.partitions import (
    HISTORY_YEARS,
    Partition,
    PartitionRefusedError,
    group_by_every_selected_column,
)

__all__ = [
    "CALL",
    "HISTORY_YEARS",
    "PARTITIONED",
    "Partition",
    "PartitionRefusedError",
    "group_by_every_selected_column",
]

JOURNAL = shared.HELPLINE
CALL, REQUEST = JOURNAL.tables
CALLBACK = "helpline_callback"
PARTITIONED = JOURNAL.tables


def year_start(year: int) -> datetime:
    """New Year's midnight, local time."""
    moment = JOURNAL.year_start(year)
    assert isinstance(moment, datetime)
    return moment


def is_partitioned(cursor: Any, table: str = CALL) -> bool:
    return shared.is_partitioned(cursor, table)


def partitions(cursor: Any, table: str) -> list[Partition]:
    return shared.partitions(cursor, table, JOURNAL.timestamped)


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
ALTER TABLE "helpline_callback" ENABLE ALWAYS TRIGGER helpline_callback_request_start;
"""


def partition_journal(cursor: Any, years_ahead: int = 1) -> None:
    """Turn the plain call and request tables into partitioned ones, rows included (one transaction)."""
    shared.drop_references_to(cursor, CALL)
    shared.drop_references_to(cursor, REQUEST)
    # The request's start is a copy of its call's: repair any stray copy so the composite key holds.
    cursor.execute(
        f'UPDATE "{REQUEST}" r SET started_at = c.started_at FROM "{CALL}" c '  # noqa: S608
        "WHERE c.id = r.call_id AND r.started_at IS DISTINCT FROM c.started_at"
    )
    years = shared.years_to_cover(cursor, JOURNAL, years_ahead)
    shared.rebuild(cursor, JOURNAL, CALL, partitioned=True, years=years)
    shared.rebuild(cursor, JOURNAL, REQUEST, partitioned=True, years=years)
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
    shared.rebuild(cursor, JOURNAL, CALL, partitioned=False, years=range(0))
    shared.rebuild(cursor, JOURNAL, REQUEST, partitioned=False, years=range(0))
    cursor.execute(
        f'ALTER TABLE "{REQUEST}" ADD CONSTRAINT "helpline_request_call_id_e19d81bc_fk_helpline_call_id" '
        f'FOREIGN KEY (call_id) REFERENCES "{CALL}" (id) DEFERRABLE INITIALLY DEFERRED'
    )
    cursor.execute(
        f'ALTER TABLE "{CALLBACK}" ADD CONSTRAINT "helpline_callback_request_id_50852082_fk_helpline_request_id" '
        f'FOREIGN KEY (request_id) REFERENCES "{REQUEST}" (id) DEFERRABLE INITIALLY DEFERRED'
    )
