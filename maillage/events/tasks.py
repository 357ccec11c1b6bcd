"""Scheduled work through django-tasks: enqueue these from a scheduler (cron: `maillage events_expire`, etc.)."""

from __future__ import annotations

from django_tasks import task

from maillage.events import services


@task()
def expire_registrations() -> int:
    return services.expire_registrations()


@task()
def send_reminders() -> int:
    return services.send_reminders()


@task()
def sync_calendars() -> dict[str, int]:
    """Store, update or remove the pending invitations in the organisers' CalDAV calendar."""
    return services.sync_calendars()


@task()
def send_due_messages() -> int:
    """The scheduled messages whose time has come (each once)."""
    return services.send_due_messages()
