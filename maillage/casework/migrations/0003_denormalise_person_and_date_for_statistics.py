"""Copy the person onto follow-ups and the date onto requests, so statistics need no joins."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_values(apps, schema_editor):  # type: ignore[no-untyped-def]
    FollowUp = apps.get_model("casework", "FollowUp")
    Request = apps.get_model("casework", "Request")
    CaseFile = apps.get_model("casework", "CaseFile")
    FollowUp.objects.update(person_id=Subquery(CaseFile.objects.filter(pk=OuterRef("case_file_id")).values("person_id")[:1]))
    Request.objects.update(date=Subquery(FollowUp.objects.filter(pk=OuterRef("follow_up_id")).values("date")[:1]))


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0002_followup_referred_service"),
    ]

    operations = [
        migrations.AddField(
            model_name="followup",
            name="person",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="casework.person",
                verbose_name="person",
            ),
        ),
        migrations.AddField(
            model_name="request",
            name="date",
            field=models.DateField(null=True, verbose_name="date"),
        ),
        migrations.RunPython(copy_values, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="followup",
            name="person",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="casework.person", verbose_name="person"
            ),
        ),
        migrations.AlterField(
            model_name="request",
            name="date",
            field=models.DateField(verbose_name="date"),
        ),
        migrations.AddIndex(
            model_name="request",
            index=models.Index(fields=["organisation", "date"], name="request_org_date"),
        ),
    ]
