"""The task queue's work: send an edition (resumable), and pick up what is due (cron every minute)."""

from __future__ import annotations

from django_tasks import task

from maillage.newsletters import sending


@task()
def send_edition(edition_id: int) -> dict[str, int | str]:
    return sending.run(edition_id)


@task()
def send_due_editions() -> list[int]:
    """Scheduled editions whose time has come, and sendings interrupted (crash, SMTP down): carried on."""
    due = sending.due_editions()
    for edition_id in due:
        send_edition.enqueue(edition_id)
    return due
