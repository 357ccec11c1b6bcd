"""The calls and requests partitioned by year on PostgreSQL (see maillage/helpline/partitions.py).

Nothing changes for Django (the models, their `id` keys and fields are the same), so there is no state
operation; SQLite keeps plain tables. The rows move in the migration's transaction.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

from maillage.helpline import partitions


def partition(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            partitions.partition_journal(cursor)


def unpartition(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            partitions.unpartition_journal(cursor)


class Migration(migrations.Migration):
    dependencies = [
        ("helpline", "0009_request_unmet_index"),
    ]

    operations = [migrations.RunPython(partition, unpartition)]
