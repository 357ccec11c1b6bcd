"""The search generation: one value that changes whenever something the search reads changes.

Each process holds an in-memory search index (searchmemory.py) built at one generation and
compares it with the current one before every search.
"""

from __future__ import annotations

import uuid

from django.db import connection

from maillage.directory.models import SearchGeneration


def bump_generation() -> None:
    """Something the search reads has changed: every process reads the directory again.

    A random value, not a counter: a rolled-back change (a test, a failed import) must not leave
    a process with an index built inside that transaction under the value that is current again."""
    value = uuid.uuid4().hex
    if not SearchGeneration.objects.filter(pk=1).update(value=value):
        SearchGeneration.objects.create(pk=1, value=value)


def current_generation() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT value FROM directory_searchgeneration WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else ""
