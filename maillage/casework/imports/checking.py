"""CSV/XLSX imports of persons and follow-ups from another program.

Every row is checked first (progress is saved as it goes); only when no row is bad is
anything written, in one transaction. Re-importing the same file updates, matching on
the source system's identifier.
"""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task

from maillage.casework import rollups, services
from maillage.casework.forms import resolve_category
from maillage.casework.models import (
    AXES,
    AgeBand,
    CaseFile,
    FollowUp,
    Household,
    ImportKind,
    ImportProfile,
    ImportRun,
    ImportStatus,
    IncomeSource,
    Mode,
    NationalityGroup,
    Person,
    Sex,
    age_band_for,
)
from maillage.core.audit import log_action
from maillage.core.geography import resolve_postal_code
from maillage.core.models import Organisation, User
from maillage.taxonomy.models import Category

FIELDS: dict[str, list[tuple[str, Any]]] = {
    ImportKind.PERSONS: [
        ("source_id", gettext_lazy("Identifier (required)")),
        ("birth_year", gettext_lazy("Year of birth")),
        ("sex", gettext_lazy("Sex / gender")),
        ("postal_code", gettext_lazy("Postal code")),
        ("household", gettext_lazy("Household type")),
        ("children", gettext_lazy("Number of children")),
        ("income_source", gettext_lazy("Main income source")),
        ("nationality_group", gettext_lazy("Nationality group")),
        ("language", gettext_lazy("Language")),
        ("opened_on", gettext_lazy("Case file opened on")),
    ],
    ImportKind.FOLLOWUPS: [
        ("source_id", gettext_lazy("Identifier of the follow-up (required)")),
        ("person_source_id", gettext_lazy("Identifier of the person (required)")),
        ("date", gettext_lazy("Date")),
        ("mode", gettext_lazy("Mode")),
        ("duration", gettext_lazy("Duration (minutes)")),
        ("theme", gettext_lazy("Theme")),
        ("institution", gettext_lazy("Institution concerned")),
        ("stage", gettext_lazy("Stage")),
        ("theme_2", gettext_lazy("Second theme")),
        ("institution_2", gettext_lazy("Second institution")),
        ("stage_2", gettext_lazy("Second stage")),
    ],
}

PROGRESS_EVERY = 50


def save_profile(actor: User, organisation: Organisation, kind: str, columns: Mapping[str, str]) -> ImportProfile:
    with transaction.atomic():
        profile, _created = ImportProfile.objects.update_or_create(
            organisation=organisation,
            kind=kind,
            defaults={"columns": {k: (v or "").strip() for k, v in columns.items()}},
        )
        log_action(actor, "casework.import_profile.saved", profile, organisation=organisation)
    return profile


def _choice_lookup(choices: type[Any]) -> dict[str, str]:
    """Value or label in any of our languages → value."""
    lookup: dict[str, str] = {}
    for language in ("en", "fr", "nl"):
        with translation.override(language):
            for value, label in choices.choices:
                lookup[str(label).strip().lower()] = value
    for value in choices.values:
        lookup[str(value).lower()] = value
    return lookup


class FileError(Exception):
    pass


def read_rows(filename: str, raw: bytes) -> list[tuple[int, dict[str, str]]]:
    """(line number, {column: text}) for each data row; the header is line 1."""
    is_zip = raw[:4] == b"PK\x03\x04"
    if filename.lower().endswith((".xlsx", ".xlsm")) or is_zip:
        return _read_xlsx(raw)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileError(
            _("The file is not UTF-8 text (byte %(position)s). Save it as 'CSV UTF-8'.") % {"position": error.start}
        ) from None
    sample = text[:2048]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    if not reader.fieldnames:
        raise FileError(_("The file is empty."))
    return [(reader.line_num, {k.strip(): (v or "").strip() for k, v in row.items() if k}) for row in reader]


def _read_xlsx(raw: bytes) -> list[tuple[int, dict[str, str]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise FileError(
            _("This file is not an XLSX workbook. Save it from your spreadsheet as .xlsx or as CSV UTF-8.")
        ) from None
    sheet = workbook.active
    if sheet is None:
        raise FileError(_("The workbook has no sheet."))
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if not header:
        raise FileError(_("The file is empty."))
    names = [str(cell).strip() if cell is not None else "" for cell in header]
    result = []
    for line, values in enumerate(rows, start=2):
        if all(value is None or value == "" for value in values):
            continue
        row = {}
        for name, value in zip(names, values, strict=False):
            if not name:
                continue
            if isinstance(value, datetime.datetime):
                value = value.date()
            if isinstance(value, datetime.date):
                row[name] = value.isoformat()
            elif isinstance(value, float) and value.is_integer():
                row[name] = str(int(value))
            else:
                row[name] = "" if value is None else str(value).strip()
        result.append((line, row))
    workbook.close()
    return result


def _parse_date(text: str) -> datetime.date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.datetime.strptime(text, fmt).date()  # noqa: DTZ007 (a date, no time zone)
        except ValueError:
            continue
    raise ValueError(text)


def _int(text: str) -> int | None:
    return int(text) if text else None


@dataclass
class Planned:
    line: int
    values: dict[str, Any]


class RowChecker:
    def __init__(self, organisation: Organisation, kind: str, columns: Mapping[str, str]) -> None:
        self.organisation = organisation
        self.kind = kind
        self.columns = {name: (columns.get(name) or name) for name, _label in FIELDS[kind]}
        self.lookups = {
            "sex": _choice_lookup(Sex),
            "household": _choice_lookup(Household),
            "income_source": _choice_lookup(IncomeSource),
            "nationality_group": _choice_lookup(NationalityGroup),
            "mode": _choice_lookup(Mode),
        }
        self.today = timezone.localdate()
        self.persons = {p.source_id: p for p in Person.objects.filter(organisation=organisation).exclude(source_id="")}

    def get(self, row: Mapping[str, str], name: str) -> str:
        return (row.get(self.columns[name]) or "").strip()

    def _choice(self, row: Mapping[str, str], name: str, problems: list[str], default: str) -> str:
        text = self.get(row, name)
        if not text:
            return default
        value = self.lookups[name].get(text.lower())
        if value is None:
            problems.append(_("%(column)s: unknown value %(value)s") % {"column": self.columns[name], "value": text})
            return default
        return value

    def _category(self, row: Mapping[str, str], name: str, axis: str, problems: list[str]) -> Category | None:
        text = self.get(row, name)
        if not text:
            return None
        category = resolve_category(axis, text)
        if category is None:
            old = (
                Category.objects.filter(version__scheme__code=AXES[axis], code__iexact=text.split(" — ")[0])
                .select_related("version__scheme")
                .order_by("-version__number")
                .first()
            )
            if old is None:
                problems.append(
                    _("%(column)s: unknown category %(value)s") % {"column": self.columns[name], "value": text}
                )
                return None
            try:
                return services.current_category(old, axis)
            except ValidationError as error:
                problems.append(f"{self.columns[name]}: {error.messages[0]}")
                return None
        return category

    def check(self, line: int, row: Mapping[str, str]) -> tuple[Planned | None, list[str]]:
        problems: list[str] = []
        source_id = self.get(row, "source_id")
        if not source_id:
            problems.append(_("%(column)s is required") % {"column": self.columns["source_id"]})
        values: dict[str, Any] = {"source_id": source_id}
        if self.kind == ImportKind.PERSONS:
            self._check_person(row, values, problems)
        else:
            self._check_follow_up(row, values, problems)
        return (None if problems else Planned(line, values)), problems

    def _check_person(self, row: Mapping[str, str], values: dict[str, Any], problems: list[str]) -> None:
        try:
            year = _int(self.get(row, "birth_year"))
        except ValueError:
            problems.append(
                _("%(column)s: %(value)s is not a year")
                % {"column": self.columns["birth_year"], "value": self.get(row, "birth_year")}
            )
            year = None
        if year is not None and year > self.today.year:
            problems.append(_("The year of birth %(year)s is in the future.") % {"year": year})
            year = None
        values["birth_year"] = year
        values["age_band"] = age_band_for(year, self.today.year) if year else AgeBand.UNKNOWN
        values["sex"] = self._choice(row, "sex", problems, Sex.UNKNOWN)
        values["household"] = self._choice(row, "household", problems, Household.UNKNOWN)
        values["income_source"] = self._choice(row, "income_source", problems, IncomeSource.UNKNOWN)
        values["nationality_group"] = self._choice(row, "nationality_group", problems, NationalityGroup.UNKNOWN)
        values["language"] = self.get(row, "language")[:20]
        postal = self.get(row, "postal_code")
        values["postal_code"] = postal
        values["commune"] = None
        if postal:
            try:
                values["commune"] = resolve_postal_code(postal).commune
            except ValidationError as error:
                problems.append(error.messages[0])
        try:
            values["children"] = _int(self.get(row, "children"))
        except ValueError:
            problems.append(
                _("%(column)s: %(value)s is not a number")
                % {"column": self.columns["children"], "value": self.get(row, "children")}
            )
        opened = self.get(row, "opened_on")
        try:
            values["opened_on"] = _parse_date(opened) if opened else self.today
        except ValueError:
            problems.append(
                _("%(column)s: %(value)s is not a date") % {"column": self.columns["opened_on"], "value": opened}
            )

    def _check_follow_up(self, row: Mapping[str, str], values: dict[str, Any], problems: list[str]) -> None:
        person_id = self.get(row, "person_source_id")
        person = self.persons.get(person_id)
        if person is None:
            problems.append(_("no person with identifier %(value)s was imported in this centre") % {"value": person_id})
        values["person"] = person
        text = self.get(row, "date")
        try:
            values["date"] = _parse_date(text)
        except ValueError:
            problems.append(_("%(column)s: %(value)s is not a date") % {"column": self.columns["date"], "value": text})
        else:
            if values["date"] > self.today:
                problems.append(_("The follow-up date is in the future."))
        if not self.get(row, "mode"):
            problems.append(_("%(column)s is required") % {"column": self.columns["mode"]})
        values["mode"] = self._choice(row, "mode", problems, Mode.APPOINTMENT)
        try:
            values["duration"] = _int(self.get(row, "duration"))
        except ValueError:
            problems.append(
                _("%(column)s: %(value)s is not a number")
                % {"column": self.columns["duration"], "value": self.get(row, "duration")}
            )
        requests = []
        for suffix in ("", "_2"):
            theme = self._category(row, f"theme{suffix}", "theme", problems)
            institution = self._category(row, f"institution{suffix}", "institution", problems)
            stage = self._category(row, f"stage{suffix}", "stage", problems)
            if theme is not None:
                requests.append(services.RequestData(theme, institution, stage))
            elif suffix == "" and not any("theme" in p for p in problems):
                problems.append(_("%(column)s is required") % {"column": self.columns["theme"]})
        values["requests"] = requests


def start_import(actor: User, organisation: Organisation, kind: str, filename: str, raw: bytes) -> ImportRun:
    run = ImportRun.objects.create(organisation=organisation, actor=actor, kind=kind, filename=filename[:200])
    path = default_storage.save(f"casework/imports/{run.pk}", ContentFile(raw))
    run_import.enqueue(run.pk, path)
    run.refresh_from_db()
    return run


@task()
def run_import(run_id: int, path: str) -> None:
    run = ImportRun.objects.select_related("organisation", "actor").get(pk=run_id)
    if run.status != ImportStatus.RUNNING:
        return  # idempotent: a second run does nothing
    with default_storage.open(path, "rb") as handle:
        raw = handle.read()
    try:
        _import(run, raw)
    finally:
        default_storage.delete(path)


def _fail(run: ImportRun, errors: list[tuple[int, str]]) -> None:
    run.status = ImportStatus.FAILED
    run.errors = [[line, message] for line, message in errors]
    run.save(update_fields=["status", "errors", "processed_rows", "total_rows"])
    log_action(run.actor, "casework.import.refused", run, {"errors": len(errors)}, organisation=run.organisation)


def _import(run: ImportRun, raw: bytes) -> None:
    try:
        rows = read_rows(run.filename, raw)
    except FileError as error:
        _fail(run, [(1, str(error))])
        return
    run.total_rows = len(rows)
    run.save(update_fields=["total_rows"])
    profile = ImportProfile.objects.filter(organisation=run.organisation, kind=run.kind).first()
    checker = RowChecker(run.organisation, run.kind, profile.columns if profile else {})
    planned: list[Planned] = []
    errors: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for index, (line, row) in enumerate(rows, start=1):
        plan, problems = checker.check(line, row)
        source_id = checker.get(row, "source_id")
        if source_id and source_id in seen:
            problems.append(
                _("identifier %(value)s already appears on line %(line)s")
                % {"value": source_id, "line": seen[source_id]}
            )
            plan = None
        seen.setdefault(source_id, line)
        if problems:
            errors.append((line, "; ".join(problem.rstrip(".") for problem in problems) + "."))
        elif plan is not None:
            planned.append(plan)
        if index % PROGRESS_EVERY == 0:
            run.processed_rows = index
            run.save(update_fields=["processed_rows"])
    run.processed_rows = len(rows)
    if not rows:
        errors.append((1, _("The file holds no row.")))
    if errors:
        _fail(run, errors)
        return
    try:
        with transaction.atomic():
            created, updated = (_write_persons if run.kind == ImportKind.PERSONS else _write_follow_ups)(run, planned)
            run.status = ImportStatus.DONE
            run.created, run.updated = created, updated
            run.save(update_fields=["status", "created", "updated", "processed_rows", "total_rows"])
            log_action(
                run.actor,
                "casework.import.done",
                run,
                {"created": created, "updated": updated},
                organisation=run.organisation,
            )
    except ValidationError as error:
        _fail(run, [(0, message) for message in error.messages])


def _write_persons(run: ImportRun, planned: list[Planned]) -> tuple[int, int]:
    existing = {p.source_id: p for p in Person.objects.filter(organisation=run.organisation).exclude(source_id="")}
    created = updated = 0
    for plan in planned:
        values = dict(plan.values)
        opened_on = values.pop("opened_on")
        source_id = values.pop("source_id")
        person = existing.get(source_id)
        if person is None:
            case_file = services.create_person(
                run.actor, run.organisation, values, opened_on=opened_on, source_id=source_id
            )
            existing[source_id] = case_file.person
            created += 1
        else:
            with rollups.persons_changing([person.pk]):
                for key, value in values.items():
                    setattr(person, key, value)
                person.save(update_fields=list(values))
            updated += 1
    return created, updated


def _write_follow_ups(run: ImportRun, planned: list[Planned]) -> tuple[int, int]:
    existing = {f.source_id: f for f in FollowUp.objects.filter(organisation=run.organisation).exclude(source_id="")}
    created = updated = 0
    for plan in planned:
        values = plan.values
        person: Person = values["person"]
        case_file = CaseFile.objects.filter(person=person).order_by("-opened_on").first()
        if case_file is None:
            case_file = CaseFile.objects.create(organisation=run.organisation, person=person, opened_on=values["date"])
        follow_up = existing.get(values["source_id"])
        data = services.FollowUpData(
            date=values["date"],
            mode=values["mode"],
            worker=run.actor,
            duration=values["duration"],
            source_id=values["source_id"],
        )
        try:
            if follow_up is None:
                services.record_follow_up(run.actor, case_file, data, values["requests"], allow_same=True)
                created += 1
            else:
                requests = services.clean_follow_up(case_file, data, values["requests"])
                with rollups.persons_changing([follow_up.person_id]):
                    follow_up.date, follow_up.mode, follow_up.duration = data.date, data.mode, data.duration
                    follow_up.save(update_fields=["date", "mode", "duration"])
                    follow_up.requests.all().delete()
                    services.create_requests(follow_up, requests)
                updated += 1
        except ValidationError as error:
            raise ValidationError([f"{_('line')} {plan.line}: {message}" for message in error.messages]) from None
    return created, updated
