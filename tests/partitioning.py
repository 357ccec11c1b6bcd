"""Shared by the partition tests of each module: they change tables inside the test's own transaction."""

from __future__ import annotations

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def flush_deferred_checks() -> None:
    """Run the test rows' deferred key checks now: ALTER TABLE refuses a table with checks still pending."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def migrate_in_this_transaction(target: list[tuple[str, str]]) -> None:
    """Migrate to `target` inside the test's transaction, so the test's rollback undoes it."""
    flush_deferred_checks()
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
