import hashlib

from django.db import migrations


def hash_tokens(apps, schema_editor):
    """Links already sent keep working: their token is hashed the way services.invitation_token_hash does."""
    Invitation = apps.get_model("core", "Invitation")
    for invitation in Invitation.objects.only("pk", "token_hash").iterator():
        invitation.token_hash = hashlib.sha256(invitation.token_hash.encode()).hexdigest()
        invitation.save(update_fields=["token_hash"])


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_submission_keys_and_email_outbox"),
    ]

    operations = [
        migrations.RenameField(model_name="invitation", old_name="token", new_name="token_hash"),
        migrations.RunPython(hash_tokens, migrations.RunPython.noop),
    ]
