"""Scheduled work of the directory through django-tasks (enqueue from a scheduler, or `maillage directory_reverify`)."""

from __future__ import annotations

from django_tasks import task

from maillage.directory import reverification


@task()
def send_reverification_requests() -> int:
    return reverification.send_requests()
