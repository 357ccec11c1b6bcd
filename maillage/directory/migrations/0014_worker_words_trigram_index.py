"""The people search's name or function word (`icontains`, i.e. UPPER(column) LIKE '%WORD%' on PostgreSQL)
scanned all workers (~30 ms at 20,000): trigram indexes on the same expressions let it read only the
matching rows. pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
SQLite: nothing to do (its LIKE scans, and its tables are small)."""

from django.db import migrations

COLUMNS = ("full_name", "function_fr", "function_nl")


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        # The expression Django writes for icontains, so the planner matches it.
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS directory_worker_{column}_trgm ON directory_worker "
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS directory_worker_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [("directory", "0013_bounded_schedules_left_to_rrule")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
