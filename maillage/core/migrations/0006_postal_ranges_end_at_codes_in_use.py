"""Province ranges end at the highest postal code bpost assigns in them (9999 is not a Belgian code)."""

from django.db import migrations

# (first, old last, new last): the highest code in use in each range.
TIGHTER = [
    (1300, 1499, 1495),  # Villers-la-Ville
    (1500, 1999, 1982),  # Zemst (Elewijt)
    (3000, 3499, 3473),  # Kortenaken (Waanrode)
    (2000, 2999, 2990),  # Wuustwezel
    (3500, 3999, 3990),  # Peer
    (4000, 4999, 4990),  # Lierneux
    (5000, 5999, 5680),  # Doische
    (6000, 6599, 6596),  # Momignies (Seloignes)
    (6600, 6999, 6997),  # Erezée
    (7000, 7999, 7973),  # Beloeil (Stambruges)
    (8000, 8999, 8980),  # Zonnebeke
    (9000, 9999, 9992),  # Maldegem (Middelburg)
]


def tighten(apps, schema_editor):
    PostalRange = apps.get_model("core", "PostalRange")
    for first, old_last, new_last in TIGHTER:
        PostalRange.objects.filter(first=first, last=old_last).update(last=new_last)


def widen(apps, schema_editor):
    PostalRange = apps.get_model("core", "PostalRange")
    for first, old_last, new_last in TIGHTER:
        PostalRange.objects.filter(first=first, last=new_last).update(last=old_last)


class Migration(migrations.Migration):
    dependencies = [("core", "0005_membership_emergency_access")]
    operations = [migrations.RunPython(tighten, widen)]
