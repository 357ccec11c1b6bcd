"""Enqueue the rota reminders (daily, from the scheduler): the worker sends them through the outbox."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from maillage.helpline.tasks import rota_reminders


class Command(BaseCommand):
    help = "Enqueue the helpline rota reminders (the day before a slot; a gap two days ahead)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = rota_reminders.enqueue()
        self.stdout.write(f"enqueued {result.id}")
