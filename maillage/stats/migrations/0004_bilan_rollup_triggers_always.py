"""The roll-up's triggers fire in replica role too (ENABLE ALWAYS): the journal import inserts in that role,
its foreign keys checked set-based instead of by PostgreSQL's per-row triggers (maillage/core/bulk_keys.py),
and the roll-up must still count what it writes. New installs get them so from `helpline_rollup`."""

from django.db import migrations

TRIGGERS = ("stats_bilan_insert", "stats_bilan_update", "stats_bilan_delete", "stats_bilan_truncate")


def _enable(schema_editor, how: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name in TRIGGERS:
            cursor.execute(
                "SELECT 1 FROM pg_trigger WHERE tgrelid = 'helpline_request'::regclass AND tgname = %s", [name]
            )
            if cursor.fetchone() is not None:
                cursor.execute(f"ALTER TABLE helpline_request ENABLE {how} TRIGGER {name}")


class Migration(migrations.Migration):
    dependencies = [("stats", "0003_bilan_rollup_covering_keys")]

    operations = [
        migrations.RunPython(lambda apps, editor: _enable(editor, "ALWAYS"), lambda apps, editor: _enable(editor, ""))
    ]
