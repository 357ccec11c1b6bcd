"""The columnar copy's bookkeeping (PostgreSQL only, `maillage/casework/columnar.py`): the copy in use and the
persons whose counted rows changed since, logged by statement triggers on follow-ups, requests and persons.

The triggers fire ENABLE ALWAYS: the imports insert in replica role once their keys are checked
(`maillage/core/bulk_keys.py`), and a change they did not log would be missed by the copy's readers."""

from __future__ import annotations

from typing import Any

from django.db import migrations

# (table, how the changed rows give their persons): one trigger per event (transition tables allow one event).
_SOURCES = {
    "casework_person": "SELECT id FROM {rows}",
    "casework_followup": "SELECT person_id FROM {rows}",
    # A request's person is its follow-up's (a follow-up deleted in the same transaction logged its own).
    "casework_request": "SELECT f.person_id FROM {rows} r JOIN casework_followup f"
    " ON f.id = r.follow_up_id AND f.date = r.date",
}
_EVENTS = {"INSERT": ("new_rows",), "DELETE": ("old_rows",), "UPDATE": ("old_rows", "new_rows")}


def _function(table: str) -> str:
    branches = []
    for event, tables in _EVENTS.items():
        persons = " UNION ".join(_SOURCES[table].format(rows=rows) for rows in tables)
        branches.append(
            f"IF TG_OP = '{event}' THEN INSERT INTO casework_columnarchange (person_id)"
            f" SELECT DISTINCT c.id FROM ({persons}) c(id) WHERE c.id IS NOT NULL; END IF;"
        )
    return (
        f"CREATE FUNCTION {table}_columnar_changed() RETURNS trigger LANGUAGE plpgsql AS $$"
        f" BEGIN {' '.join(branches)} RETURN NULL; END $$"
    )


def _triggers(table: str) -> list[str]:
    statements = []
    for event, tables in _EVENTS.items():
        name = f"{table}_columnar_{event.lower()}"
        referencing = " ".join(
            f"{'OLD' if rows == 'old_rows' else 'NEW'} TABLE AS {rows}" for rows in tables
        )
        statements += [
            f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {referencing}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION {table}_columnar_changed()",
            f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {name}",
        ]
    return statements


def forwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    statements = [
        "CREATE TABLE casework_columnarchange (person_id bigint NOT NULL,"
        " xid xid8 NOT NULL DEFAULT pg_current_xact_id())",
        "CREATE INDEX casework_columnarchange_xid ON casework_columnarchange (xid)",
        "CREATE TABLE casework_columnarcopy (id integer PRIMARY KEY CHECK (id = 1), path text NOT NULL,"
        " snapshot pg_snapshot NOT NULL, taken_at timestamptz NOT NULL, built_at timestamptz NOT NULL DEFAULT now(),"
        " followups bigint NOT NULL, requests bigint NOT NULL)",
    ]
    # Emptied by TRUNCATE (no row trigger fires): the copy no longer says what the rows are, it is dropped.
    statements.append(
        "CREATE FUNCTION casework_columnar_truncated() RETURNS trigger LANGUAGE plpgsql AS $$"
        " BEGIN DELETE FROM casework_columnarcopy; RETURN NULL; END $$"
    )
    for table in _SOURCES:
        statements += [_function(table), *_triggers(table)]
        statements += [
            f"CREATE TRIGGER {table}_columnar_truncate AFTER TRUNCATE ON {table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION casework_columnar_truncated()",
            f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_columnar_truncate",
        ]
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def backwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for table in _SOURCES:
            for event in [*_EVENTS, "TRUNCATE"]:
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_columnar_{event.lower()} ON {table}")
            cursor.execute(f"DROP FUNCTION IF EXISTS {table}_columnar_changed()")
        cursor.execute("DROP FUNCTION IF EXISTS casework_columnar_truncated()")
        cursor.execute("DROP TABLE IF EXISTS casework_columnarchange, casework_columnarcopy")


class Migration(migrations.Migration):
    dependencies = [("casework", "0013_followup_source_trigger_always")]

    operations = [migrations.RunPython(forwards, backwards)]
