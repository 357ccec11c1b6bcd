"""A GIN index for the full-text search on PostgreSQL (SQLite searches with LIKE and needs none).

The expression matches what SearchVector("search_text", config="simple") compiles to,
so the planner uses the index.
"""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS directory_service_fts ON directory_service "
    "USING gin (to_tsvector('simple'::regconfig, COALESCE(search_text, '')))"
)
DROP = "DROP INDEX IF EXISTS directory_service_fts"


def create_index(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_index(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_directory_models")]

    operations = [migrations.RunPython(create_index, drop_index)]
