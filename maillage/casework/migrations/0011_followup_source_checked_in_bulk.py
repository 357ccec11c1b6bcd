"""The follow-ups' identifier check (a trigger, the table being partitioned by year) lets an import that checked
its identifiers in bulk say so, instead of taking one advisory lock per row: 100,000 rows took 100,000 locks in
one transaction, past PostgreSQL's lock table (max_locks_per_transaction 64: "out of shared memory" from ~15,000
rows). The import sets `maillage.source_ids_checked` to its centre, for its transaction only, after it took the
centre's writers' lock (services.lock_persons_of) and found in SQL which of its identifiers are already there
(updated, not inserted) and that none appears twice in the file. Every other writer is checked as before."""

from __future__ import annotations

from typing import Any

from django.db import migrations

SOURCE_UNIQUE = """
CREATE OR REPLACE FUNCTION casework_followup_source_unique() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.source_id <> '' AND coalesce(current_setting('maillage.source_ids_checked', true), '')
            IS DISTINCT FROM NEW.organisation_id::text THEN
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
"""

PREVIOUS = """
CREATE OR REPLACE FUNCTION casework_followup_source_unique() RETURNS trigger LANGUAGE plpgsql AS $$
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
"""


def forwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(SOURCE_UNIQUE)


def backwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(PREVIOUS)


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0010_rollup_recount_pending"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
