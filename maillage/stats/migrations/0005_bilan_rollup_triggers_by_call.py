"""The roll-up's trigger functions read only the journal rows of the calls a statement touched, in the days it
touched (looked up call by call through the call's index, the day's bounds pruning the partitions), instead of
scanning the whole journal for them: one logged call, or a 10k-row import, no longer costs a pass over the
journal. Same counts; the triggers themselves (and their ENABLE ALWAYS) are left as they are. Backwards leaves
the new functions: they count exactly as the old ones did."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from maillage.stats import helpline_rollup

    with schema_editor.connection.cursor() as cursor:
        helpline_rollup.replace_functions(cursor)


class Migration(migrations.Migration):
    dependencies = [("stats", "0004_bilan_rollup_triggers_always")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
