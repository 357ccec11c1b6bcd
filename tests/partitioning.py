"""Shared by the partition tests of each module: they change tables inside the test's own transaction."""

from __future__ import annotations

import os

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from maillage.core.partitions import PartitionedSet


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


def partition_of(table: str, pk: int) -> str:
    """The partition a row landed in."""
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT tableoid::regclass::text FROM "{table}" WHERE id = %s', [pk])
        return cursor.fetchone()[0]


def detach_year(spec: PartitionedSet, year: int) -> None:
    """Detach a year of every table of the set (children first); the test's rollback attaches it again."""
    with connection.cursor() as cursor:
        for table in reversed(spec.tables):
            cursor.execute(f'ALTER TABLE "{table}" DETACH PARTITION "{table}_y{year}"')


def refused(year: int) -> str:
    """The English line refusing a row dated in a year without partition (forms and imports alike)."""
    return (
        f"Nothing dated in {year} can be saved: that year is not open in the database (archived, or not "
        "prepared yet). Ask an administrator to run `maillage partitions`."
    )


def catalog_triggers(tables: list[str]) -> list[tuple[str, str, str, bool, str]]:
    """Every trigger on these tables and on their partitions: (table, trigger, tgenabled, internal, function)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.tgrelid::regclass::text, t.tgname, t.tgenabled, t.tgisinternal, p.proname "
            "FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid WHERE t.tgrelid = ANY(%s::regclass[]) "
            "OR t.tgrelid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = ANY(%s::regclass[])) ORDER BY 1, 2",
            [tables, tables],
        )
        return cursor.fetchall()


def role_without_superuser(prefix: str, granted: bool) -> str:
    """Become, for the rest of the test's transaction, a role that is not a superuser, with the tables' privileges
    and (if `granted`) the documented `GRANT SET ON PARAMETER session_replication_role`; its name."""
    name = f"{prefix}_{os.getpid()}_{int(granted)}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {name} NOSUPERUSER")
        cursor.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {name}")
        cursor.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {name}")
        cursor.execute(f"GRANT TEMPORARY ON DATABASE {connection.settings_dict['NAME']} TO {name}")
        if granted:
            cursor.execute(f"GRANT SET ON PARAMETER session_replication_role TO {name}")
        cursor.execute(f"SET LOCAL ROLE {name}")
    return name
