"""Schedules bounded by HSDS dtstart, until or count (kept since 0012) now bound their recurrence: the weekly
slots written before ignored those bounds, so the services holding such schedules (their own or their
locations') are left to rrule until their next save or `directory_reindex` writes exact slots again."""

from django.db import migrations
from django.db.models import Q


def leave_bounded_to_rrule(apps, schema_editor):  # type: ignore[no-untyped-def]
    Schedule = apps.get_model("directory", "Schedule")
    Service = apps.get_model("directory", "Service")
    ServiceAtLocation = apps.get_model("directory", "ServiceAtLocation")
    OpeningSlot = apps.get_model("directory", "OpeningSlot")
    bounded = Schedule.objects.filter(Q(count__isnull=False) | Q(until__isnull=False) | Q(dtstart__isnull=False))
    own = bounded.filter(service__isnull=False).values("service_id")
    at_locations = ServiceAtLocation.objects.filter(
        location_id__in=bounded.filter(service__isnull=True, location__isnull=False).values("location_id")
    ).values("service_id")
    services = Service.objects.filter(Q(pk__in=own) | Q(pk__in=at_locations))
    OpeningSlot.objects.filter(service__in=services).delete()
    services.update(hours_in_slots=False)


class Migration(migrations.Migration):
    dependencies = [("directory", "0012_hsds_lossless_exchange")]

    operations = [migrations.RunPython(leave_bounded_to_rrule, migrations.RunPython.noop)]
