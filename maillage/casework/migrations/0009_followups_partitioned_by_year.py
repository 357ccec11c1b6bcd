"""Follow-ups and their requests partitioned by year of their date on PostgreSQL (maillage/core/partitions.py).

Nothing changes for Django (the models, their `id` keys and fields are the same), so there is no state
operation; SQLite keeps plain tables. The rows move in the migration's transaction.

The keys become (id, date); a request already keeps its follow-up's date (migration 0003), so it references
(follow_up_id, date) with ON UPDATE CASCADE: a follow-up whose date is corrected moves partition and takes
its requests along. An import identifier must stay unique in a centre across every year, which a partitioned
unique index cannot say (it must hold the date): a trigger keeps it, under a lock on that identifier.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

from maillage.core import partitions

FOLLOWUP, REQUEST = partitions.CASEWORK.tables
ORIGINAL_KEY = "casework_request_follow_up_id_9fbf398d_fk_casework_followup_id"

SOURCE_UNIQUE = """
CREATE FUNCTION casework_followup_source_unique() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.source_id <> '' THEN
        PERFORM pg_advisory_xact_lock(hashtextextended('casework_followup_source ' || NEW.organisation_id || ' ' || NEW.source_id, 0));
        IF EXISTS (SELECT 1 FROM "casework_followup" WHERE organisation_id = NEW.organisation_id
                   AND source_id = NEW.source_id AND id <> NEW.id) THEN
            RAISE unique_violation USING
                MESSAGE = 'duplicate key value violates unique constraint "casework_followup_source_unique"',
                CONSTRAINT = 'casework_followup_source_unique';
        END IF;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER casework_followup_source_unique BEFORE INSERT OR UPDATE OF organisation_id, source_id
    ON "casework_followup" FOR EACH ROW EXECUTE FUNCTION casework_followup_source_unique();
"""


def partition(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        partitions.drop_references_to(cursor, FOLLOWUP)
        partitions.drop_references_to(cursor, REQUEST)
        # The request's date is a copy of its follow-up's: repair any stray copy so the composite key holds.
        cursor.execute(
            f'UPDATE "{REQUEST}" r SET date = f.date FROM "{FOLLOWUP}" f '  # noqa: S608
            "WHERE f.id = r.follow_up_id AND r.date IS DISTINCT FROM f.date"
        )
        years = partitions.years_to_cover(cursor, partitions.CASEWORK, 1)
        partitions.rebuild(cursor, partitions.CASEWORK, FOLLOWUP, partitioned=True, years=years)
        partitions.rebuild(cursor, partitions.CASEWORK, REQUEST, partitioned=True, years=years)
        cursor.execute(
            f'ALTER TABLE "{REQUEST}" ADD CONSTRAINT "casework_request_follow_up_fk" FOREIGN KEY (follow_up_id, date) '
            f'REFERENCES "{FOLLOWUP}" (id, date) ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED'
        )
        cursor.execute(SOURCE_UNIQUE)


def unpartition(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f'DROP TRIGGER casework_followup_source_unique ON "{FOLLOWUP}"')
        cursor.execute("DROP FUNCTION casework_followup_source_unique()")
        cursor.execute(f'ALTER TABLE "{REQUEST}" DROP CONSTRAINT "casework_request_follow_up_fk"')
        partitions.rebuild(cursor, partitions.CASEWORK, FOLLOWUP, partitioned=False, years=range(0))
        partitions.rebuild(cursor, partitions.CASEWORK, REQUEST, partitioned=False, years=range(0))
        cursor.execute(
            f'ALTER TABLE "{REQUEST}" ADD CONSTRAINT "{ORIGINAL_KEY}" '
            f'FOREIGN KEY (follow_up_id) REFERENCES "{FOLLOWUP}" (id) DEFERRABLE INITIALLY DEFERRED'
        )


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0008_import_runs_always_end"),
    ]

    operations = [migrations.RunPython(partition, unpartition)]
