from django.db import migrations, models


def kinds_built_so_far(apps, schema_editor):  # type: ignore[no-untyped-def]
    # The cells built before this migration are those of kinds 1–7 (requests ... case files by code).
    apps.get_model("casework", "RollupState").objects.update(kinds=[1, 2, 3, 4, 5, 6, 7])


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0006_rollup_code_versions"),
    ]

    operations = [
        migrations.AddField(
            model_name="rollupstate",
            name="kinds",
            field=models.JSONField(default=list),
        ),
        migrations.RunPython(kinds_built_so_far, migrations.RunPython.noop),
    ]
