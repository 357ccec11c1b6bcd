"""The bilan's daily roll-up of the helpline journal: its tables, the triggers that keep it in step, and its
first count (see maillage.stats.helpline_rollup)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from maillage.stats import helpline_rollup

    with schema_editor.connection.cursor() as cursor:
        helpline_rollup.install(cursor, schema_editor.connection.vendor)
    helpline_rollup.rebuild()


def backwards(apps, schema_editor):
    from maillage.stats import helpline_rollup

    with schema_editor.connection.cursor() as cursor:
        helpline_rollup.uninstall(cursor, schema_editor.connection.vendor)


class Migration(migrations.Migration):
    dependencies = [
        ("stats", "0001_export_runs"),
        ("helpline", "0010_journal_partitioned_by_year"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
