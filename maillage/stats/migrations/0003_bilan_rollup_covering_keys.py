"""The roll-up's keys carry its counts on PostgreSQL (INCLUDE), so a period is summed from the index alone:
the call base's 31k rows of a four-month period at 1M calls, 37 → 20 ms (bitmap heap scan → index-only)."""

from django.db import migrations

COVERED = (
    ("stats_bilan_requests", "organisation_id, day, category_id", "requests, first_requests"),
    ("stats_bilan_calls", "organisation_id, day, categories", "calls"),
)


def _keys(schema_editor, covered: bool) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for table, key, counts in COVERED:
            include = f" INCLUDE ({counts})" if covered else ""
            cursor.execute(
                f'ALTER TABLE {table} DROP CONSTRAINT "{table}_pkey", '
                f'ADD CONSTRAINT "{table}_pkey" PRIMARY KEY ({key}){include}'
            )


class Migration(migrations.Migration):
    dependencies = [("stats", "0002_bilan_rollup")]

    operations = [
        migrations.RunPython(lambda apps, editor: _keys(editor, True), lambda apps, editor: _keys(editor, False))
    ]
