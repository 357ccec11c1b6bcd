"""The follow-ups' identifier check (a trigger on the partitioned table) now fires in replica role too (ENABLE
ALWAYS), the role the case-work imports insert in once they have checked their foreign keys set-based
(maillage/core/bulk_keys.py). It is the only trigger on the tables those imports write that is not one of
PostgreSQL's RI triggers. ALTER TABLE recurses to the yearly partitions, and the partitions made later
(`maillage partitions`, CREATE TABLE … PARTITION OF) are given the parent's triggers as they are."""

from __future__ import annotations

from typing import Any

from django.db import migrations

TRIGGER = "casework_followup_source_unique"


def _enable(schema_editor: Any, how: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_trigger WHERE tgrelid = 'casework_followup'::regclass AND tgname = %s", [TRIGGER]
        )
        if cursor.fetchone() is not None:  # only while the follow-ups are partitioned
            cursor.execute(f'ALTER TABLE "casework_followup" ENABLE {how} TRIGGER {TRIGGER}')


class Migration(migrations.Migration):
    dependencies = [("casework", "0012_rollup_pending_changes")]

    operations = [
        migrations.RunPython(lambda apps, editor: _enable(editor, "ALWAYS"), lambda apps, editor: _enable(editor, ""))
    ]
