"""Writing an import's checked rows in bulk: what `imports.one_by_one` does through the services row by row,
with each lookup made once per file or per chunk of rows and the rows written by bulk_create.

Why: the services cost ~10 queries a row (the centre's lock, the duplicate rule, the next reference, the case
file, the subsidy, the roll-ups' before and after, the row, its requests, its audit entries). Here a chunk of
`CHUNK` rows costs a few queries: the rows it names already there, the latest case files of its persons, then
one INSERT per table; the roll-up cells of the centre are recounted after the commit (`rollups_pending`).

The outcome is the services': the same rows, references, roll-up cells and audit entries, the same warnings,
the same refusal with the same words (tests/casework/test_import_bulk.py writes files both ways and compares).
A row that updates what an earlier import wrote goes through the same code as before, row by row: re-imports
are rare and small.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.casework import rollups, rollups_pending, services
from maillage.casework.imports.checking import Planned, like_message
from maillage.casework.models import (
    CaseFile,
    CaseworkSettings,
    FollowUp,
    ImportRun,
    Person,
    Request,
    WorkerSubsidy,
    age_band_for,
)
from maillage.casework.services.persons import CODED_FIELDS, IDENTITY_FIELDS, REFERENCE_PREFIX
from maillage.core.audit import mask_sensitive
from maillage.core.models import AuditEntry, Organisation, User

if TYPE_CHECKING:
    from maillage.casework.imports.running import Report

CHUNK = 1000


def _chunks(planned: Sequence[Planned]) -> Iterator[Sequence[Planned]]:
    for start in range(0, len(planned), CHUNK):
        yield planned[start : start + CHUNK]


def _insert(model: Any, objects: Sequence[Any]) -> None:
    """Insert these new model instances (their ids set), as bulk_create does; on PostgreSQL by COPY, ids taken
    from the sequence first: the client-side binding of a bulk INSERT's parameters cost ~8 µs each, most of the
    writing time (as the journal's importer_copy found)."""
    if not objects:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects)
        return
    table = model._meta.db_table
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    # Only these fields change a value on its way to the database (JSON adapted, auto dates); the others' values
    # go as they are (get_db_prep_save per field and row was a third of the writing time).
    prepared = {
        field.attname
        for field in fields
        if isinstance(field, models.JSONField)
        or getattr(field, "auto_now", False)
        or getattr(field, "auto_now_add", False)
    }
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor  # psycopg's own: Django's wrapper has no copy()
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, len(objects)]
        )
        for obj, (pk,) in zip(objects, cursor.fetchall(), strict=True):
            obj.pk = pk
            obj._state.adding, obj._state.db = False, connection.alias
        columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
        with cursor.copy(f"COPY {connection.ops.quote_name(table)} (id, {columns}) FROM STDIN") as copy:
            for obj in objects:
                obj._prepare_related_fields_for_save(operation_name="bulk_create")
                copy.write_row(
                    (
                        obj.pk,
                        *(
                            field.get_db_prep_save(field.pre_save(obj, True), connection)
                            if field.attname in prepared
                            else getattr(obj, field.attname)
                            for field in fields
                        ),
                    )
                )


def _audit(
    actor: User,
    code: str,
    target: Any,
    organisation: Organisation,
    data: dict[str, Any] | None = None,
    text: str | None = None,
) -> Any:
    """The entry `core.audit.log_action` writes, to be written with others in one INSERT (`text`: str(target))."""
    return AuditEntry(
        actor=actor if actor.is_authenticated else None,
        organisation=organisation,
        code=code,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_repr=(str(target) if text is None else text)[:200],
        data=mask_sensitive(dict(data or {})),
    )


# Persons


class _Similar:
    """The duplicate rule (`services.similar_persons`) against the persons of the centre before the import, as
    they are now: the first by reference with the same year of birth, sex and postal code (files carry no names)."""

    def __init__(self, organisation: Organisation) -> None:
        self.keys: dict[int, tuple[Any, ...]] = {}
        self.references: dict[int, str] = {}
        self.by_key: dict[tuple[Any, ...], set[int]] = {}
        persons = Person.objects.filter(organisation=organisation, erased_at__isnull=True)
        for pk, birth_year, sex, postal_code, reference in persons.values_list(
            "pk", "birth_year", "sex", "postal_code", "reference"
        ):
            self.references[pk] = reference
            self.move(pk, (birth_year, sex, postal_code))

    def move(self, pk: int, key: tuple[Any, ...]) -> None:
        old = self.keys.get(pk)
        if old is not None:
            self.by_key[old].discard(pk)
        self.keys[pk] = key
        self.by_key.setdefault(key, set()).add(pk)

    def first(self, values: dict[str, Any]) -> str | None:
        if not values.get("birth_year") or not values.get("postal_code"):
            return None
        found = self.by_key.get((values["birth_year"], values.get("sex"), values["postal_code"]))
        return min((self.references[pk] for pk in found), default=None) if found else None


class _References:
    """The next free P-nnnnnn of the centre, as `services.persons._next_reference` gives them one after another."""

    def __init__(self, organisation: Organisation) -> None:
        self.taken = set(
            Person.objects.filter(organisation=organisation, reference__startswith=REFERENCE_PREFIX).values_list(
                "reference", flat=True
            )
        )
        self.last = max(self.taken, default=None)

    def next(self) -> str:
        digits = self.last[len(REFERENCE_PREFIX) :] if self.last else ""
        number = int(digits) + 1 if digits.isdigit() else 1
        while f"{REFERENCE_PREFIX}{number:06d}" in self.taken:
            number += 1
        reference = f"{REFERENCE_PREFIX}{number:06d}"
        self.taken.add(reference)
        self.last = max(self.last or reference, reference)
        return reference


def write_persons(run: ImportRun, planned: Sequence[Planned], report: Report) -> None:
    """Create the new persons with their case files, update those imported before; the caller holds the
    transaction."""
    organisation, actor = run.organisation, run.actor
    # After the centre's lock: the duplicate rule sees every person written before, none half-written.
    services.lock_persons_of(organisation)
    similar = _Similar(organisation)
    references = _References(organisation)
    identities = CaseworkSettings.objects.filter(organisation=organisation, store_identities=True).exists()
    today = timezone.localdate()
    for chunk in _chunks(planned):
        ids = [plan.values["source_id"] for plan in chunk]
        existing = {p.source_id: p for p in Person.objects.filter(organisation=organisation, source_id__in=ids)}
        persons: list[Person] = []
        case_files: list[CaseFile] = []
        for plan in chunk:
            values = dict(plan.values)
            opened_on = values.pop("opened_on")
            source_id = values.pop("source_id")
            person = existing.get(source_id)  # never one of this file's: the check refuses an identifier twice
            if person is None:
                like = similar.first(values)
                if like is not None:
                    report.warnings.append([plan.line, like_message(like)])
                    continue
                coded = {key: values.get(key) for key in CODED_FIELDS if key in values}
                coded = {key: value for key, value in coded.items() if value is not None}
                if identities:
                    coded.update({key: (values.get(key) or "").strip() for key in IDENTITY_FIELDS})
                person = Person(
                    organisation=organisation,
                    reference=references.next(),
                    commune=values.get("commune"),
                    source_id=source_id,
                    **coded,
                )
                persons.append(person)
                case_files.append(CaseFile(organisation=organisation, person=person, opened_on=opened_on or today))
                report.created += 1
            else:
                values.pop("commune", None)
                with rollups.persons_changing([person.pk]):
                    for key, value in values.items():
                        setattr(person, key, value)
                    person.commune = plan.values.get("commune")
                    person.save(update_fields=[*values, "commune"])
                if person.pk in similar.keys:
                    similar.move(person.pk, (person.birth_year, person.sex, person.postal_code))
                report.updated += 1
        Person.objects.bulk_create(persons)
        CaseFile.objects.bulk_create(case_files)
        CaseFile.workers.through.objects.bulk_create(
            CaseFile.workers.through(casefile_id=case_file.pk, user_id=actor.pk) for case_file in case_files
        )
        entries = []
        for person, case_file in zip(persons, case_files, strict=True):
            entries.append(_audit(actor, "casework.person.created", person, organisation))
            entries.append(_audit(actor, "casework.casefile.opened", case_file, organisation))
        AuditEntry.objects.bulk_create(entries)


# Follow-ups


def _latest_case_files(person_ids: set[int], known: dict[int, CaseFile]) -> None:
    """Each person's latest case file (as `CaseFile.objects.filter(person=...).order_by("-opened_on").first()`)."""
    wanted = person_ids - known.keys()
    if not wanted:
        return
    for case_file in CaseFile.objects.filter(person_id__in=wanted).order_by("person_id", "-opened_on", "-id"):
        known.setdefault(case_file.person_id, case_file)


def write_follow_ups(run: ImportRun, planned: Sequence[Planned], report: Report) -> None:
    """Create the new follow-ups (and the case file of a person who has none), update those imported before;
    the caller holds the transaction. A row the services refuse refuses the file with its line."""
    organisation, actor = run.organisation, run.actor
    # Two imports of one file at once: the second finds the first's follow-ups (and updates them).
    services.lock_persons_of(organisation)
    subsidy_id = (
        WorkerSubsidy.objects.filter(organisation_id=organisation.pk, worker=actor)
        .values_list("subsidy_id", flat=True)
        .first()
    )
    # The centre's roll-up cells are recounted after the commit (`rollups_pending`): kept in step here, they
    # were ~130 changed cells a row, half of the import's time; until then its cross-tabs read the rows.
    rollups_pending.mark(organisation.pk)
    case_files: dict[int, CaseFile] = {}
    for chunk in _chunks(planned):
        _write_follow_ups_chunk(organisation, actor, subsidy_id, chunk, case_files, report)


def _write_follow_ups_chunk(
    organisation: Organisation,
    actor: User,
    subsidy_id: int | None,
    chunk: Sequence[Planned],
    case_files: dict[int, CaseFile],
    report: Report,
) -> None:
    ids = [plan.values["source_id"] for plan in chunk]
    existing = {f.source_id: f for f in FollowUp.objects.filter(organisation=organisation, source_id__in=ids)}
    _latest_case_files({plan.values["person"].pk for plan in chunk}, case_files)
    new_case_files: list[CaseFile] = []
    updates: list[tuple[FollowUp, services.FollowUpData, list[services.RequestData]]] = []
    creations: list[tuple[FollowUp, list[services.RequestData]]] = []
    for plan in chunk:
        values = plan.values
        person: Person = values["person"]
        case_file = case_files.get(person.pk)
        if case_file is None:
            case_file = CaseFile(organisation=organisation, person=person, opened_on=values["date"])
            case_files[person.pk] = case_file
            new_case_files.append(case_file)
        data = services.FollowUpData(
            date=values["date"],
            mode=values["mode"],
            worker=actor,
            duration=values["duration"],
            source_id=values["source_id"],
        )
        try:
            requests = services.clean_follow_up(case_file, data, values["requests"])
        except ValidationError as error:
            raise ValidationError(
                [
                    _("Line %(line)s: %(message)s") % {"line": plan.line, "message": message}
                    for message in error.messages
                ]
            ) from None
        follow_up = existing.get(values["source_id"])
        if follow_up is not None:
            updates.append((follow_up, data, requests))
            continue
        follow_up = FollowUp(
            organisation_id=organisation.pk,
            case_file=case_file,
            person_id=person.pk,
            date=data.date,
            mode=data.mode,
            duration=data.duration,
            worker=actor,
            subsidy_id=subsidy_id,
            age_band=age_band_for(person.birth_year, data.date.year) if person.birth_year else person.age_band,
            actions=[],
            source_id=data.source_id,
        )
        creations.append((follow_up, requests))
    CaseFile.objects.bulk_create(new_case_files)
    for follow_up, data, requests in updates:
        follow_up.date, follow_up.mode, follow_up.duration = data.date, data.mode, data.duration
        follow_up.save(update_fields=["date", "mode", "duration"])
        follow_up.requests.all().delete()
        services.create_requests(follow_up, requests)
    report.updated += len(updates)
    _insert(FollowUp, [follow_up for follow_up, _requests in creations])
    _insert(
        Request,
        [
            Request(
                follow_up=follow_up,
                organisation_id=organisation.pk,
                date=follow_up.date,
                theme=request.theme,
                institution=request.institution,
                stage=request.stage,
                is_open=request.is_open,
            )
            for follow_up, requests in creations
            for request in requests
        ],
    )
    # str(follow_up) is its date and translated mode: made once per date and mode, not per row.
    texts: dict[tuple[Any, str], str] = {}

    def text_of(follow_up: FollowUp) -> str:
        key = (follow_up.date, follow_up.mode)
        if key not in texts:
            texts[key] = str(follow_up)
        return texts[key]

    _insert(
        AuditEntry,
        [
            _audit(
                actor,
                "casework.followup.created",
                follow_up,
                organisation,
                {"requests": len(requests)},
                text_of(follow_up),
            )
            for follow_up, requests in creations
        ],
    )
    report.created += len(creations)
