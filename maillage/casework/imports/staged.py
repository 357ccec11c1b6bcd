"""The follow-ups and persons imports on PostgreSQL: the file streamed into a temporary table, checked against the centre's
persons, case files and follow-ups in SQL, then written by INSERT … SELECT, in one transaction.

Why: checked and written row by row in Python (`imports.bulk`), 10,000 rows took ~27 s and memory held the
whole file. Here Python reads each row once, applies the row's own rules with the checker of the other path
(`checking.RowChecker`: each category text resolved once per file, a year's partition asked once) and sends
it by COPY, a chunk at a time: nothing of the file is kept. The database then does what needs the centre's
data or the whole file, once for the file: the persons named (by identifier), their latest case files, the
follow-ups imported before (updated), identifiers appearing twice, the case files the import opens, and the
writes. The roll-up cells of the centre are recounted after the commit (`rollups_pending`).

The report is the other path's word for word (tests/casework/test_import_bulk_writes.py runs files both
ways): the messages of a bad line are made by the same Python, in the same order; the database only says
which apply (the person unknown, the case file opened later, the line an identifier first appeared on).

The persons import goes the same way (`PersonsStaging`; 100,000 persons: 81 s and 147 MB row by row, 17 s
and no growth here): each row checked by `RowChecker.check`, then in SQL for the whole file the persons
imported before (updated), repeated identifiers, the duplicate rule as the file's earlier lines leave the
centre's persons, the next free references, and the writes; the centre is marked for a recount only when a
person with follow-ups has counted data changed (tests/casework/test_import_staged_persons.py).

Both imports' INSERTs have their foreign keys checked for the whole file and the referenced rows locked first,
then run without PostgreSQL's per-row key checks when the role may (`core.bulk_keys`; 100,000 persons 9.8 →
6.9 s, follow-ups 14.8 → 6.2 s); a row whose category, commune or subsidy was deleted after the file was read
refuses the file with its line (tests/casework/test_import_keys.py).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.casework import rollups_pending, services
from maillage.casework.imports.checking import (
    MAX_DURATION,
    RowChecker,
    _parse_date,
    like_message,
    nothing_imported,
    repeated_identifier,
)
from maillage.casework.imports.staged_sql import (
    BAD_LINES,
    DROP,
    PERSON_BAD_LINES,
    PERSON_CHANGES_COUNTED,
    PERSON_LIKE,
    PERSON_REFERENCES,
    PERSON_RESOLVE,
    PERSON_ROW_COLUMNS,
    PERSON_ROW_TABLE,
    PERSON_WARNINGS,
    REFUSED_BY_NEW_CASE_FILE,
    RESOLVE,
    RESOLVED,
    ROW_COLUMNS,
    ROW_TABLE,
    ROWS,
    SETTINGS,
    Write,
    person_write_statements,
    write_statements,
)
from maillage.casework.models import CaseFile, ImportKind, ImportRun, Mode, WorkerSubsidy
from maillage.casework.services.persons import REFERENCE_PREFIX
from maillage.core import bulk_keys

if TYPE_CHECKING:
    from maillage.casework.imports.running import Report

CHUNK_ROWS = 2000  # rows sent per COPY
# Where the person's message and the theme's "required" go among a line's messages: the database says
# whether the person is known only once the file is in.
PERSON, THEME = "\x01person", "\x01theme"


def person_message(text: str) -> str:
    return _("no person with identifier %(value)s was imported in this centre") % {"value": text}


def gone_message(columns: list[str]) -> str:
    """A line's message when a row it refers to was deleted between the reading of the file and its writing
    (a category, a postal code's commune; the centre, the worker or their subsidy when `columns` is empty)."""
    if not columns:
        return _(
            "the centre, the worker or the worker's subsidy was deleted while the file was being imported; "
            "nothing was imported, import the file again"
        )
    return _(
        "%(columns)s: this value was deleted while the file was being imported; nothing was imported, import "
        "the file again"
    ) % {"columns": ", ".join(columns)}


# The file's fields a foreign-key column's value comes from (the others are the same for every row).
_KEY_FIELDS = {
    "commune_id": ["postal_code"],
    "person_id": ["person_source_id"],
    "case_file_id": ["person_source_id"],
    "theme_id": ["theme", "theme_2"],
    "institution_id": ["institution", "institution_2"],
    "stage_id": ["stage", "stage_2"],
}


def _fetched(cursor: Any) -> Iterator[tuple[Any, ...]]:
    """A query's rows, a block at a time (a file's bad lines or warnings may be all its rows)."""
    while block := cursor.fetchmany(2000):
        yield from block


class _Staging:
    """The temporary tables of one staged import on the current connection, dropped on leaving: the rows as
    read and checked on their own (`add`, sent by COPY a chunk at a time), then, in the writing transaction,
    checked against the centre (`resolve`, `bad_lines`) and written (`write`)."""

    kind: str
    row_table: str  # the CREATE of the rows' table (`ROWS`)
    row_columns: list[str]  # its columns, in the order of `_checked`'s tuples

    def __init__(self, run: ImportRun, columns: dict[str, str]) -> None:
        self.run = run
        self.checker = RowChecker(run.organisation, self.kind, columns, run.actor, staged=True)
        self.chunk: list[tuple[Any, ...]] = []
        self.count = 0

    def __enter__(self) -> Self:
        with connection.cursor() as cursor:
            cursor.execute(DROP)
            cursor.execute(self.row_table)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute(DROP)
        except DatabaseError:
            if kind is None:
                raise
            # The transaction failed: its rollback drops what it made; the next import's __enter__ the rest.

    # Reading

    def add(self, line: int, row: dict[str, str]) -> None:
        self.chunk.append(self._checked(line, row))
        self.count += 1
        if len(self.chunk) >= CHUNK_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.chunk:
            return
        with connection.cursor() as wrapper:
            cursor = wrapper.cursor  # psycopg's own: Django's wrapper has no copy()
            with cursor.copy(f"COPY {ROWS} ({', '.join(self.row_columns)}) FROM STDIN") as copy:
                for row in self.chunk:
                    copy.write_row(row)
        self.chunk = []

    def _checked(self, line: int, row: dict[str, str]) -> tuple[Any, ...]:
        raise NotImplementedError

    # Checking against the centre (in the writing transaction, under the centre's lock), then writing

    resolve_sql: str  # makes `RESOLVED`: each row with what the centre holds for it
    bad_lines_sql: str  # line, what `_line_messages` takes, the first line of a repeated identifier, the identifier

    def resolve(self) -> None:
        with connection.cursor() as cursor:
            for setting in SETTINGS:
                cursor.execute(setting)
            cursor.execute(self.resolve_sql, {"organisation": self.run.organisation_id})

    def bad_lines(self) -> Iterable[list[Any]]:
        """[line, message] of every bad line, in order, as `running._import` reports them."""
        with connection.cursor() as cursor:
            cursor.execute(self.bad_lines_sql)
            for line, *own, first_line, source_id in _fetched(cursor):
                messages = self._line_messages(*own)
                if first_line is not None:
                    messages.append(repeated_identifier(source_id, first_line))
                yield [line, "; ".join(message.rstrip(".") for message in messages) + "."]

    def _line_messages(self, *own: Any) -> list[str]:
        raise NotImplementedError

    def write(self, report: Report) -> None:
        raise NotImplementedError

    def _run(self, cursor: Any, writes: list[Write], report: Report) -> None:
        """Run the writes, each INSERT after its rows' foreign keys are checked and their referenced rows locked
        set-based, and without PostgreSQL's per-row checks when allowed (`core.bulk_keys`); a row whose
        referenced row was deleted since the file was read refuses the file with its line, nothing written."""
        try:
            for write in writes:
                if not write.inserts:
                    cursor.execute(write.sql, write.parameters)
                    continue
                with bulk_keys.checked_inserts(cursor, write.inserts, write.parameters):
                    cursor.execute(write.sql, write.parameters)
        except bulk_keys.MissingReferencesError as error:
            report.errors.extend(self._gone(error.missing))
            raise nothing_imported(report.errors, empty=False) from error

    def _gone(self, missing: list[bulk_keys.Missing]) -> list[list[Any]]:
        """[line, message] of each line with a row gone, in order, naming the file's columns it came from."""
        columns: dict[int, list[str]] = {}
        for row in missing:
            named = columns.setdefault(row.line, [])
            for name in _KEY_FIELDS.get(row.columns[0], []):
                column = self.checker.columns.get(name)
                if column is not None and column not in named:
                    named.append(column)
        return [[line, gone_message(named) + "."] for line, named in sorted(columns.items())]


class Staging(_Staging):
    """The follow-ups import's tables and checks."""

    kind = ImportKind.FOLLOWUPS
    row_table = ROW_TABLE
    row_columns = ROW_COLUMNS
    resolve_sql = RESOLVE
    bad_lines_sql = BAD_LINES

    def _checked(self, line: int, row: dict[str, str]) -> tuple[Any, ...]:
        """The row's values and its own problems (`RowChecker._check_follow_up`'s, in the same order), with
        markers where the person's and the theme's messages go."""
        checker = self.checker
        problems: list[str] = []
        source_id = checker.get(row, "source_id")
        if not source_id:
            problems.append(_("%(column)s is required") % {"column": checker.columns["source_id"]})
        person = checker.get(row, "person_source_id")
        problems.append(PERSON)
        text = checker.get(row, "date")
        date: datetime.date | None = None
        try:
            date = _parse_date(text)
        except ValueError:
            problems.append(
                _("%(column)s: %(value)s is not a date") % {"column": checker.columns["date"], "value": text[:40]}
            )
        if not checker.get(row, "mode"):
            problems.append(_("%(column)s is required") % {"column": checker.columns["mode"]})
        mode = checker._choice(row, "mode", problems, Mode.APPOINTMENT)
        duration = checker._number(row, "duration", problems, "number")
        if duration is not None and not 1 <= duration <= MAX_DURATION:
            problems.append(
                _("%(column)s: %(value)s is not between 1 and %(max)s")
                % {"column": checker.columns["duration"], "value": duration, "max": MAX_DURATION}
            )
            duration = None
        codes: list[int | None] = []
        for suffix in ("", "_2"):
            for name, axis in (("theme", "theme"), ("institution", "institution"), ("stage", "stage")):
                category = checker._category(row, f"{name}{suffix}", axis, problems)
                codes.append(category.pk if category is not None else None)
            if suffix == "" and codes[0] is None and not any("theme" in p for p in problems if p != PERSON):
                problems.append(THEME)  # said unless the person's message names a theme
        future = refusal = None
        if date is not None:
            if date > checker.today:  # the form's rule, in its words
                future = self._date_message(date, date)
            refusal = checker.refusal(date)
        flagged = problems != [PERSON] or future is not None or refusal is not None
        return (
            line,
            source_id,
            person,
            date,
            mode,
            duration,
            *codes,
            problems if flagged else None,
            flagged,
            future,
            refusal,
        )

    def _date_message(self, date: datetime.date, opened_on: datetime.date) -> str | None:
        """The encoding form's date message for a follow-up on `date` in a case file opened on `opened_on`."""
        data = services.FollowUpData(date=date, mode=Mode.APPOINTMENT, worker=self.run.actor)
        try:
            services.clean_follow_up(CaseFile(opened_on=opened_on), data, [])
        except ValidationError as error:
            messages = error.message_dict.get("date")
            return messages[0] if messages else None
        return None

    # Checking against the centre (in the writing transaction, under the centre's lock)

    def _line_messages(
        self,
        problems: list[str] | None,
        person: str,
        known: bool,
        date: datetime.date | None,
        opened_on: datetime.date | None,
        future: str | None,
        refusal: str | None,
    ) -> list[str]:
        messages: list[str] = []
        unknown = person_message(person)
        for problem in problems or [PERSON]:
            if problem == PERSON:
                if not known:
                    messages.append(unknown)
            elif problem == THEME:
                if known or "theme" not in unknown:
                    messages.append(_("%(column)s is required") % {"column": self.checker.columns["theme"]})
            else:
                messages.append(problem)
        before = self._date_message(date, opened_on) if date is not None and opened_on is not None else None
        if before is not None:
            messages.append(f"{self.checker.columns['date']}: {before}")
        elif future is not None:
            messages.append(f"{self.checker.columns['date']}: {future}")
        elif refusal is not None:
            messages.append(f"{self.checker.columns['date']}: {refusal}")
        return messages

    # Writing

    def write(self, report: Report) -> None:
        """Open the missing case files, update the follow-ups imported before, insert the others with their
        requests and audit entries; a line the encoding form refuses refuses the file with its line."""
        organisation, actor = self.run.organisation, self.run.actor
        rollups_pending.mark(organisation.pk)
        with connection.cursor() as cursor:
            cursor.execute(REFUSED_BY_NEW_CASE_FILE)
            refused = cursor.fetchone()
            if refused is not None:
                line, date, opened_on = refused
                message = self._date_message(date, opened_on)
                raise ValidationError([_("Line %(line)s: %(message)s") % {"line": line, "message": message}])
            subsidy_id = (
                WorkerSubsidy.objects.filter(organisation_id=organisation.pk, worker=actor)
                .values_list("subsidy_id", flat=True)
                .first()
            )
            # The identifiers were checked above for the whole file, under the centre's lock: the trigger's
            # per-row lock (one per row, past the lock table's size at ~15,000 rows) is not needed.
            cursor.execute("SELECT set_config('maillage.source_ids_checked', %s, true)", [str(organisation.pk)])
            parameters = {
                "organisation": organisation.pk,
                "actor": actor.pk if actor.is_authenticated else None,
                "subsidy": subsidy_id,
                "now": timezone.now(),
            }
            self._run(cursor, write_statements(parameters), report)
            cursor.execute(f"SELECT count(*) FILTER (WHERE existing_id IS NULL), count(existing_id) FROM {RESOLVED}")  # noqa: S608
            created, updated = cursor.fetchone()
        report.created += created
        report.updated += updated


class PersonsStaging(_Staging):
    """The persons import's tables and checks: each row checked on its own by `RowChecker.check` (postal codes
    resolved once per process, `core.geography`), the identifiers found and the duplicate rule applied in SQL
    for the whole file, the persons and case files written by INSERT … SELECT."""

    kind = ImportKind.PERSONS
    row_table = PERSON_ROW_TABLE
    row_columns = PERSON_ROW_COLUMNS
    resolve_sql = PERSON_RESOLVE
    bad_lines_sql = PERSON_BAD_LINES

    def _checked(self, line: int, row: dict[str, str]) -> tuple[Any, ...]:
        plan, problems = self.checker.check(line, row)
        source_id = self.checker.get(row, "source_id")
        if plan is None:
            return (line, source_id, problems, *[None] * (len(self.row_columns) - 3))
        values = plan.values
        commune = values.get("commune")
        return (
            line,
            source_id,
            None,
            values["birth_year"],
            values["age_band"],
            values["sex"],
            values["postal_code"],
            commune.pk if commune is not None else None,
            values["household"],
            values["children"],
            values["income_source"],
            values["nationality_group"],
            values["language"],
            values["opened_on"],
        )

    def _line_messages(self, problems: list[str] | None) -> list[str]:
        return list(problems or [])

    def write(self, report: Report) -> None:
        """Warn of the new rows like a person of the centre (not imported), update the persons imported before,
        create the others with their case files and audit entries."""
        organisation, actor = self.run.organisation, self.run.actor
        parameters: dict[str, Any] = {"organisation": organisation.pk}
        with connection.cursor() as cursor:
            cursor.execute(PERSON_LIKE, parameters)
            cursor.execute(PERSON_WARNINGS)
            report.warnings.extend([line, like_message(reference)] for line, reference in _fetched(cursor))
            cursor.execute(PERSON_CHANGES_COUNTED, parameters)
            if cursor.fetchone()[0]:  # a counted value of a person with follow-ups changes: their cells too
                rollups_pending.mark(organisation.pk)
            parameters["prefix_like"] = REFERENCE_PREFIX.replace("%", r"\%").replace("_", r"\_") + "%"
            cursor.execute(PERSON_REFERENCES, parameters)
            last, taken = cursor.fetchone()
            digits = last[len(REFERENCE_PREFIX) :] if last else ""
            cursor.execute(
                f"SELECT count(*) FILTER (WHERE existing_id IS NULL AND like_reference IS NULL), count(existing_id)"  # noqa: S608
                f" FROM {RESOLVED}"
            )
            created, updated = cursor.fetchone()
            parameters.update(
                actor=actor.pk,
                now=timezone.now(),
                prefix=REFERENCE_PREFIX,
                start=int(digits) + 1 if digits.isdigit() else 1,
                span=created + taken,
            )
            self._run(cursor, person_write_statements(parameters), report)
        report.created += created
        report.updated += updated


def import_staged(
    staging: _Staging,
    report: Report,
    rows: Iterable[tuple[int, dict[str, str]]],
    progress: Callable[[], None],
) -> None:
    """Check and write a file: every row checked, nothing written unless every row is good."""
    run = staging.run
    with staging:
        for line, row in rows:
            staging.add(line, row)
            report.processed = report.total = staging.count
            if staging.count % CHUNK_ROWS == 0:
                progress()
        staging.flush()
        progress()
        if not staging.count:
            raise nothing_imported(report.errors, empty=True)
        try:
            with transaction.atomic():
                # Two imports of one file at once: the second finds the first's rows (and updates them).
                services.lock_persons_of(run.organisation)
                staging.resolve()
                report.errors.extend(staging.bad_lines())
                if report.errors:
                    raise nothing_imported(report.errors, empty=False)
                staging.write(report)
        except ValidationError:
            report.created = report.updated = 0
            raise


def import_file(
    run: ImportRun,
    report: Report,
    rows: Iterable[tuple[int, dict[str, str]]],
    progress: Callable[[], None],
    columns: dict[str, str],
) -> None:
    """Check and write a persons or follow-ups file: every row checked, nothing written unless every row is
    good."""
    staging = PersonsStaging if run.kind == ImportKind.PERSONS else Staging
    import_staged(staging(run, columns), report, rows, progress)
