"""The search filters the search keys in memory now (searchmemory.py): the GIN index of 0005 only cost writes."""

from django.db import migrations


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS directory_service_keys")


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS directory_service_keys ON directory_service "
            "USING gin (string_to_array(search_keys, ' '))"
        )


class Migration(migrations.Migration):
    dependencies = [("directory", "0007_search_changes")]

    operations = [migrations.RunPython(drop_index, create_index)]
