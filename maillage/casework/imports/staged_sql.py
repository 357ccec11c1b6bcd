"""The SQL of the staged imports (`imports.staged`), follow-ups then persons: their tables, checks and writes.

The writes fill every column of the product's tables: those the import gives, the others with their model
field's default (as `bulk_create` would), so that a field added to a model needs nothing here.

Each INSERT comes with its description for `core.bulk_keys` (`Write.inserts`): the rows it is about to write,
each with its line, and the SQL of their foreign-key columns, so that the keys are checked and the referenced
rows locked set-based before it, and the insert runs without PostgreSQL's per-row RI checks (a third of the
import's time: 8 keys per person). The UPDATE and DELETE statements keep their triggers (`inserts` empty).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from django.db import connection, models

from maillage.casework.models import CaseFile, FollowUp, Mode, Person, Request, age_band_for
from maillage.core import bulk_keys
from maillage.core.models import AuditEntry

ROWS = "casework_import_rows"
RESOLVED = "casework_import_resolved"
DROP = f"DROP TABLE IF EXISTS {RESOLVED}, {ROWS}"
# One row of the file once read: its values (NULL where unreadable) and its own problems (NULL if none).
ROW_TABLE = f"""CREATE TEMPORARY TABLE {ROWS} (
    line integer NOT NULL,
    source_id text NOT NULL,
    person text NOT NULL,
    date date,
    mode text,
    duration integer,
    theme_1 bigint,
    institution_1 bigint,
    stage_1 bigint,
    theme_2 bigint,
    institution_2 bigint,
    stage_2 bigint,
    problems text[],
    flagged boolean NOT NULL,
    future text,
    refusal text
)"""


def _columns(create: str) -> list[str]:
    """The columns of a CREATE TABLE written one a line."""
    return [line.split()[0] for line in create.splitlines()[1:-1]]


ROW_COLUMNS = _columns(ROW_TABLE)
# Sorting and hashing the file's rows: 4 MB (the default) spills 100,000 rows to disk. The temporary tables'
# plans are costed high enough to be JIT-compiled, for nothing.
SETTINGS = ["SET LOCAL work_mem = '64MB'", "SET LOCAL jit = off"]

# Each row with what the centre holds for it: its person (by identifier), the person's latest case file (as
# `CaseFile.objects.filter(person=...).order_by("-opened_on").first()`), the follow-up of the same identifier
# imported before, and the first line of its identifier in the file.
RESOLVE = f"""CREATE TEMPORARY TABLE {RESOLVED} AS
WITH persons AS (
    SELECT p.id, p.source_id, p.birth_year, p.age_band FROM casework_person p
    WHERE p.organisation_id = %(organisation)s AND p.source_id <> ''
        AND p.source_id IN (SELECT DISTINCT person FROM {ROWS})
), latest AS (
    SELECT DISTINCT ON (c.person_id) c.person_id, c.id, c.opened_on FROM casework_casefile c
    WHERE c.person_id IN (SELECT id FROM persons) ORDER BY c.person_id, c.opened_on DESC, c.id DESC
), existing AS (
    SELECT f.id, f.source_id FROM casework_followup f
    WHERE f.organisation_id = %(organisation)s AND f.source_id IN (SELECT source_id FROM {ROWS} WHERE source_id <> '')
)
SELECT r.*, p.id AS person_id, p.birth_year, p.age_band AS person_age_band, l.id AS case_file_id, l.opened_on,
    e.id AS existing_id, NULL::bigint AS follow_up_id,
    CASE WHEN r.source_id <> '' THEN min(r.line) OVER (PARTITION BY r.source_id) END AS first_line
FROM {ROWS} r
LEFT JOIN persons p ON p.source_id = r.person
LEFT JOIN latest l ON l.person_id = p.id
LEFT JOIN existing e ON e.source_id = r.source_id"""  # noqa: S608

BAD_LINES = f"""SELECT line, problems, person, person_id IS NOT NULL,
    date, CASE WHEN date < opened_on THEN opened_on END, future, refusal,
    CASE WHEN first_line < line THEN first_line END, source_id
FROM {RESOLVED}
WHERE flagged OR person_id IS NULL OR date < opened_on OR first_line < line
ORDER BY line"""  # noqa: S608

# A person without a case file gets one opened on the date of their first row: a later row dated before it is
# refused (the first such line).
_OPENED = f"""SELECT person_id, min(line) AS first_line, (array_agg(date ORDER BY line))[1] AS opened_on
    FROM {RESOLVED} WHERE case_file_id IS NULL GROUP BY person_id"""  # noqa: S608
REFUSED_BY_NEW_CASE_FILE = f"""WITH opened AS ({_OPENED})
SELECT r.line, r.date, o.opened_on FROM {RESOLVED} r JOIN opened o USING (person_id)
WHERE r.case_file_id IS NULL AND r.date < o.opened_on ORDER BY r.line LIMIT 1"""  # noqa: S608


def _age_band_sql(birth_year: str, year: str) -> str:
    """`age_band_for(birth_year, year)` in SQL, its limits read from the function itself (ages -1 to 130)."""
    bands = [(age, age_band_for(0, age)) for age in range(-1, 131)]
    cases = []
    for (age, band), (_next_age, next_band) in pairwise(bands):
        if band != next_band:
            cases.append(f"WHEN {year} - {birth_year} <= {age} THEN '{band}'")
    return f"CASE {' '.join(cases)} ELSE '{bands[-1][1]}' END"


def _literal(text: str) -> str:
    """A constant text in a statement sent with parameters (quotes doubled, % escaped)."""
    return "'" + text.replace("'", "''").replace("%", "%%") + "'"


def _mode_label_sql(column: str) -> str:
    """The mode's label in the active language (`FollowUp.get_mode_display`)."""
    cases = " ".join(f"WHEN {_literal(value)} THEN {_literal(str(label))}" for value, label in Mode.choices)
    return f"CASE {column} {cases} ELSE {column} END"


@dataclass(frozen=True)
class Write:
    """One write statement, its parameters, and the tables it inserts into as `core.bulk_keys` checks them
    (none for an UPDATE or a DELETE)."""

    sql: str
    parameters: dict[str, Any]
    inserts: list[bulk_keys.Insert] = field(default_factory=list)


def _is_parameter(value: str) -> bool:
    return value.startswith("%(") and value.endswith(")s") and value.count("%(") == 1


def _insert(
    model: type[models.Model],
    given: dict[str, str],
    parameters: dict[str, Any],
    source: str,
    order: str,
    *,
    line: str = "r.line",
    rows: str | None = None,
    made_here: Iterable[str] = (),
) -> tuple[str, bulk_keys.Insert]:
    """INSERT INTO the model's table SELECT `given` (column → SQL over `source`), every other column its
    field's default (a parameter), ordered by `order` (the ids follow it); with its description for
    `core.bulk_keys`: the rows of `rows` (default `source`, the same aliases; a cheaper one that selects the same
    rows' key values) with their `line`, each foreign-key column's value, `made_here` those taken from rows the
    import writes in this transaction."""
    columns, values = [], []
    keys: dict[str, str] = {}
    types: dict[str, str] = {}
    for model_field in model._meta.concrete_fields:
        if model_field.primary_key:
            continue
        if model_field.column in given:
            value = given[model_field.column]
        else:
            default = model_field.get_db_prep_save(model_field.get_default(), connection)
            if default is None and model_field.remote_field is not None:
                continue  # a key left NULL (no database default): nothing to check
            name = f"{model._meta.model_name}_{model_field.column}"
            parameters[name] = default
            value = f"%({name})s"
        columns.append(model_field.column)
        values.append(value)
        if model_field.remote_field is not None:
            keys[model_field.column] = value
            types[model_field.column] = model_field.db_type(connection) or ""
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    sql = (
        f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({quoted})"  # noqa: S608
        f" SELECT {', '.join(values)} FROM {source} ORDER BY {order}"
    )
    made = frozenset(made_here)
    constant = {column for column, value in keys.items() if _is_parameter(value)}
    selected = [f"{value} AS {column}" for column, value in keys.items() if column not in constant | made]
    description = bulk_keys.Insert(
        model._meta.db_table,
        source=f"SELECT {', '.join([f'{line} AS line', *selected])} FROM {rows or source}",  # noqa: S608
        columns=columns,
        # A parameter typed: None (no subsidy) is a NULL of the key's type.
        values={
            column: f"CAST({value} AS {types[column]})" if column in constant else f"s.{column}"
            for column, value in keys.items()
        },
        made_here=made,
        same_for_all=frozenset(constant),
    )
    return sql, description


def write_statements(parameters: dict[str, Any]) -> list[Write]:
    """The writes, in order: case files opened, follow-ups imported before updated (their requests coded
    again), the new ones inserted, their requests, the audit entries of those created."""
    values: dict[str, Any] = dict(parameters)
    case_files = _insert(
        CaseFile,
        {"organisation_id": "%(organisation)s", "person_id": "o.person_id", "opened_on": "o.opened_on"},
        values,
        f"({_OPENED}) o",
        "o.first_line",
        line="o.first_line",
    )
    age_band = _age_band_sql("r.birth_year", "extract(year FROM r.date)::int")
    follow_ups = _insert(
        FollowUp,
        {
            "organisation_id": "%(organisation)s",
            "case_file_id": "r.case_file_id",
            "person_id": "r.person_id",
            "date": "r.date",
            "mode": "r.mode",
            "duration": "r.duration",
            "worker_id": "%(actor)s",
            "subsidy_id": "%(subsidy)s",
            # `if person.birth_year` in the services: a year 0 reads as none
            "age_band": f"CASE WHEN coalesce(r.birth_year, 0) <> 0 THEN {age_band} ELSE r.person_age_band END",
            "source_id": "r.source_id",
        },
        values,
        f"{RESOLVED} r WHERE r.existing_id IS NULL",
        # Grouped by date, hence by yearly partition, as a COPY of a table's rows comes (in file order, each row
        # went to another partition than the last: the requests' INSERT took twice the COPY's time).
        "r.date, r.line",
    )
    requests = _insert(
        Request,
        {
            "follow_up_id": "r.follow_up_id",
            "organisation_id": "%(organisation)s",
            "date": "r.date",
            "theme_id": "v.theme",
            "institution_id": "v.institution",
            "stage_id": "v.stage",
            "is_open": "true",
        },
        values,
        f"{RESOLVED} r CROSS JOIN LATERAL (VALUES (1, r.theme_1, r.institution_1, r.stage_1),"
        " (2, r.theme_2, r.institution_2, r.stage_2)) v(n, theme, institution, stage) WHERE v.theme IS NOT NULL",
        "r.date, r.follow_up_id, v.n",
        # Follow-ups this import inserted, or updated (their row locked) just before.
        made_here=["follow_up_id"],
    )
    audit = _insert(
        AuditEntry,
        {
            "created_at": "%(now)s",
            "actor_id": "%(actor)s",
            "organisation_id": "%(organisation)s",
            "code": "'casework.followup.created'",
            "target_type": f"'{FollowUp._meta.label_lower}'",
            "target_id": "r.follow_up_id::text",
            "target_repr": f"left(to_char(r.date, 'YYYY-MM-DD') || ' ' || {_mode_label_sql('r.mode')}, 200)",
            "data": "jsonb_build_object('requests', 1 + (r.theme_2 IS NOT NULL)::int)",
        },
        values,
        f"{RESOLVED} r WHERE r.existing_id IS NULL",
        "r.line",
    )
    opened = (
        f"WITH inserted AS ({case_files[0]} RETURNING id, person_id)"  # noqa: S608
        f" UPDATE {RESOLVED} r SET case_file_id = i.id FROM inserted i WHERE r.person_id = i.person_id"
    )
    uncoded = f"DELETE FROM casework_request q USING {RESOLVED} r WHERE q.follow_up_id = r.existing_id"  # noqa: S608
    updated = (
        "UPDATE casework_followup f SET date = r.date, mode = r.mode, duration = r.duration"  # noqa: S608
        f" FROM {RESOLVED} r WHERE f.id = r.existing_id AND f.organisation_id = %(organisation)s"
    )
    created = (
        f"WITH inserted AS ({follow_ups[0]} RETURNING id, source_id)"  # noqa: S608
        f" UPDATE {RESOLVED} r SET follow_up_id = i.id FROM inserted i"
        " WHERE r.source_id = i.source_id AND r.existing_id IS NULL"
    )
    kept = f"UPDATE {RESOLVED} SET follow_up_id = existing_id WHERE existing_id IS NOT NULL"  # noqa: S608
    return [
        Write(opened, values, [case_files[1]]),
        Write(uncoded, {}),
        Write(updated, values),  # in the ordinary role: a date moved is cascaded to the requests by their key
        Write(created, values, [follow_ups[1]]),
        Write(kept, {}),
        Write(requests[0], values, [requests[1]]),
        Write(audit[0], values, [audit[1]]),
    ]


# Persons

# One row of a persons file once read: its checked values (`RowChecker._check_person`'s; NULL where the row is
# bad) and its problems (NULL if none).
PERSON_ROW_TABLE = f"""CREATE TEMPORARY TABLE {ROWS} (
    line integer NOT NULL,
    source_id text NOT NULL,
    problems text[],
    birth_year integer,
    age_band text,
    sex text,
    postal_code text,
    commune_id bigint,
    household text,
    children integer,
    income_source text,
    nationality_group text,
    language text,
    opened_on date
)"""
PERSON_ROW_COLUMNS = _columns(PERSON_ROW_TABLE)
# The fields a re-import sets (`one_by_one.write_persons`: the checked values, the commune with them).
PERSON_UPDATED = [
    "birth_year",
    "age_band",
    "sex",
    "postal_code",
    "commune_id",
    "household",
    "children",
    "income_source",
    "nationality_group",
    "language",
]

# Each row with the person of the same identifier imported before (updated), the first line of its identifier
# in the file, and room for what the writing finds: the person it looks like (the duplicate rule), the person
# and case file it creates.
PERSON_RESOLVE = f"""CREATE TEMPORARY TABLE {RESOLVED} AS
SELECT r.*, e.id AS existing_id, NULL::text AS like_reference, NULL::bigint AS person_id,
    CASE WHEN r.source_id <> '' THEN min(r.line) OVER (PARTITION BY r.source_id) END AS first_line
FROM {ROWS} r
LEFT JOIN casework_person e ON e.organisation_id = %(organisation)s AND e.source_id <> '' AND e.source_id = r.source_id"""  # noqa: S608

PERSON_BAD_LINES = f"""SELECT line, problems, CASE WHEN first_line < line THEN first_line END, source_id
FROM {RESOLVED} WHERE problems IS NOT NULL OR first_line < line ORDER BY line"""  # noqa: S608

# The duplicate rule (`services.similar_persons`, as `one_by_one.write_persons` applies it): a new row is like
# the persons of the centre before the import (not erased) with its year of birth, sex and postal code as they
# are when the row comes: a person updated by an earlier line of the file has that line's values from then on.
# The first such person by reference.
PERSON_LIKE = f"""WITH keyed AS (
    SELECT p.reference, p.birth_year, p.sex, p.postal_code, 0 AS after_line,
        coalesce(u.line, 2147483647) AS before_line
    FROM casework_person p LEFT JOIN {RESOLVED} u ON u.existing_id = p.id
    WHERE p.organisation_id = %(organisation)s AND p.erased_at IS NULL
    UNION ALL
    SELECT p.reference, u.birth_year, u.sex, u.postal_code, u.line, 2147483647
    FROM {RESOLVED} u JOIN casework_person p ON p.id = u.existing_id
    WHERE p.erased_at IS NULL
), found AS (
    SELECT r.line, min(k.reference) AS reference FROM {RESOLVED} r
    JOIN keyed k ON k.birth_year = r.birth_year AND k.sex = r.sex AND k.postal_code = r.postal_code
        AND r.line > k.after_line AND r.line < k.before_line
    WHERE r.existing_id IS NULL AND r.birth_year <> 0 AND r.postal_code <> ''
    GROUP BY r.line
)
UPDATE {RESOLVED} r SET like_reference = f.reference FROM found f WHERE r.line = f.line"""  # noqa: S608

PERSON_WARNINGS = f"SELECT line, like_reference FROM {RESOLVED} WHERE like_reference IS NOT NULL ORDER BY line"  # noqa: S608

# The centre's highest reference and how many it has (`services.persons._next_reference` reads the first).
PERSON_REFERENCES = (
    "SELECT max(reference), count(*) FROM casework_person WHERE organisation_id = %(organisation)s"
    " AND reference LIKE %(prefix_like)s"
)

# Whether the re-import changes the counted data of a person who has follow-ups (their roll-up cells change).
PERSON_CHANGES_COUNTED = f"""SELECT EXISTS (
    SELECT 1 FROM {RESOLVED} r JOIN casework_person p ON p.id = r.existing_id
    WHERE ({", ".join(f"p.{c}" for c in PERSON_UPDATED)}) IS DISTINCT FROM ({", ".join(f"r.{c}" for c in PERSON_UPDATED)})
        AND EXISTS (SELECT 1 FROM casework_followup f WHERE f.person_id = p.id)
)"""  # noqa: S608


def person_write_statements(parameters: dict[str, Any]) -> list[Write]:
    """The writes, in order: the persons imported before updated (those whose values change), the new ones
    inserted (references the next free ones, in file order), their case files with the actor in charge, the
    audit entries of each (`casework.person.created`, `casework.casefile.opened`, as `services.create_person`).

    `parameters`: organisation, actor, now, prefix (the references'), start (the first number to try), span
    (how many numbers to try: the new persons and the references taken)."""
    values: dict[str, Any] = dict(parameters)
    updated = (
        f"UPDATE casework_person p SET {', '.join(f'{c} = r.{c}' for c in PERSON_UPDATED)}"  # noqa: S608
        f" FROM {RESOLVED} r WHERE p.id = r.existing_id AND p.organisation_id = %(organisation)s"
        f" AND ({', '.join(f'p.{c}' for c in PERSON_UPDATED)}) IS DISTINCT FROM"
        f" ({', '.join(f'r.{c}' for c in PERSON_UPDATED)})"
    )
    # The numbers from `start` whose reference is free, in order; the k-th goes to the k-th new person.
    reference = "%(prefix)s || CASE WHEN n < 1000000 THEN lpad(n::text, 6, '0') ELSE n::text END"  # f"{n:06d}"
    free = (
        f"SELECT row_number() OVER (ORDER BY c.n) AS k, c.reference FROM (SELECT n, {reference} AS reference"  # noqa: S608
        " FROM generate_series(%(start)s::bigint, %(start)s::bigint + %(span)s) n) c"
        " WHERE NOT EXISTS (SELECT 1 FROM casework_person t WHERE t.organisation_id = %(organisation)s"
        " AND t.reference = c.reference)"
    )
    new = (
        f"SELECT r.*, row_number() OVER (ORDER BY r.line) AS k FROM {RESOLVED} r"  # noqa: S608
        " WHERE r.existing_id IS NULL AND r.like_reference IS NULL"
    )
    persons = _insert(
        Person,
        {
            "organisation_id": "%(organisation)s",
            "reference": "f.reference",
            "source_id": "r.source_id",
            **{column: f"r.{column}" for column in PERSON_UPDATED},
            "created_at": "%(now)s",
        },
        values,
        f"({new}) r JOIN ({free}) f USING (k)",
        "r.line",
        rows=f"{RESOLVED} r WHERE r.existing_id IS NULL AND r.like_reference IS NULL",
    )
    created = (
        f"WITH inserted AS ({persons[0]} RETURNING id, source_id)"  # noqa: S608
        f" UPDATE {RESOLVED} r SET person_id = i.id FROM inserted i"
        " WHERE r.source_id = i.source_id AND r.existing_id IS NULL"
    )
    case_files = _insert(
        CaseFile,
        {"organisation_id": "%(organisation)s", "person_id": "r.person_id", "opened_on": "r.opened_on"},
        values,
        f"{RESOLVED} r WHERE r.person_id IS NOT NULL",
        "r.line",
        made_here=["person_id"],  # the persons inserted just before
    )
    workers = CaseFile.workers.through
    entries = _insert(
        AuditEntry,
        {
            "created_at": "%(now)s",
            "actor_id": "%(actor)s",
            "organisation_id": "%(organisation)s",
            "code": "e.code",
            "target_type": "e.target_type",
            "target_id": "e.target_id",
            "target_repr": "left(e.target_repr, 200)",
            "data": "'{}'::jsonb",
        },
        values,
        f"{RESOLVED} r JOIN casework_person p ON p.id = r.person_id JOIN opened o ON o.person_id = r.person_id"
        " CROSS JOIN LATERAL (VALUES"
        f" (1, 'casework.person.created', '{Person._meta.label_lower}', r.person_id::text, p.reference),"
        f" (2, 'casework.casefile.opened', '{CaseFile._meta.label_lower}', o.id::text,"
        " p.reference || ' · ' || to_char(o.opened_on, 'YYYY-MM-DD'))) e(n, code, target_type, target_id, target_repr)",
        "r.line, e.n",
        rows=f"{RESOLVED} r WHERE r.person_id IS NOT NULL",
    )
    # The case files' workers: the case files made by the same statement, the actor checked once.
    workers_written = bulk_keys.Insert(
        workers._meta.db_table,
        source=f"SELECT r.line FROM {RESOLVED} r WHERE r.person_id IS NOT NULL",  # noqa: S608
        columns=["casefile_id", "user_id"],
        values={"user_id": f"CAST(%(actor)s AS {workers._meta.get_field('user').db_type(connection)})"},
        made_here=frozenset({"casefile_id"}),
        same_for_all=frozenset({"user_id"}),
    )
    opened = (
        f"WITH opened AS ({case_files[0]} RETURNING id, person_id, opened_on),"  # noqa: S608
        f" workers AS (INSERT INTO {workers._meta.db_table} (casefile_id, user_id)"
        " SELECT id, %(actor)s FROM opened ORDER BY id)"
        f" {entries[0]}"
    )
    return [
        Write(updated, values),
        Write(created, values, [persons[1]]),
        Write(opened, values, [case_files[1], workers_written, entries[1]]),
    ]
