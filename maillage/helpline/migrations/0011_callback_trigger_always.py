"""The callback's copy of its request's start is filled by a trigger on the partitioned journal; it now fires in
replica role too (ENABLE ALWAYS), the role the journal import inserts in once it has checked the foreign keys
set-based (maillage/core/bulk_keys.py). New partitionings get it so from `partitions.partition_journal`."""

from __future__ import annotations

from typing import Any

from django.db import migrations

TRIGGER = "helpline_callback_request_start"


def _enable(schema_editor: Any, how: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_trigger WHERE tgrelid = 'helpline_callback'::regclass AND tgname = %s", [TRIGGER]
        )
        if cursor.fetchone() is not None:  # only while the journal is partitioned
            cursor.execute(f'ALTER TABLE "helpline_callback" ENABLE {how} TRIGGER {TRIGGER}')


class Migration(migrations.Migration):
    dependencies = [("helpline", "0010_journal_partitioned_by_year")]

    operations = [
        migrations.RunPython(lambda apps, editor: _enable(editor, "ALWAYS"), lambda apps, editor: _enable(editor, ""))
    ]
