"""Scheduled work of the helpline through django-tasks (enqueued daily by `maillage helpline_rota_reminders`)."""

from __future__ import annotations

from django_tasks import task

from maillage.helpline.services import rota


@task()
def rota_reminders() -> list[int]:
    """The day-before reminders and the gap alerts two days ahead; run twice, each is sent once."""
    reminded, gaps = rota.send_reminders()
    return [reminded, gaps]
