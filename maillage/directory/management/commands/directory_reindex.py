"""Rebuild every service's search keys and weekly opening slots (after a bulk load outside services.py)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from maillage.directory.search.keys import reindex_all


class Command(BaseCommand):
    help = "Rebuild the directory's search keys and weekly opening slots from needs, areas, languages and schedules."

    def handle(self, *args: Any, **options: Any) -> None:
        count = reindex_all()
        self.stdout.write(f"{count} services reindexed.")
