"""Checking the rows of an import with the rules of the forms (services' check functions).

Errors name the column as the file names it (the centre's column mapping), never our field code.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maillage.casework import services
from maillage.casework.models import (
    AXES,
    AgeBand,
    CaseFile,
    Household,
    ImportKind,
    ImportProfile,
    IncomeSource,
    Mode,
    NationalityGroup,
    Person,
    Sex,
)
from maillage.core import partitions
from maillage.core.audit import log_action
from maillage.core.models import Organisation, User
from maillage.core.parsing import MIN_YEAR
from maillage.taxonomy.models import Category
from maillage.taxonomy.queries import active_categories

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

MAX_DURATION = 600  # minutes, as the encoding form


def repeated_identifier(value: str, first_line: int) -> str:
    """A line's message when its identifier appeared on an earlier line of the file (both import paths)."""
    return _("identifier %(value)s already appears on line %(line)s") % {"value": value[:64], "line": first_line}


def like_message(reference: str) -> str:
    """A new row's warning when it looks like a person of the centre (the duplicate rule; every import path)."""
    return _(
        "not imported: %(reference)s of the centre has the same year of birth, sex and postal code; give their "
        "identifier in the file if it is the same person"
    ) % {"reference": reference}


def nothing_imported(report_errors: list[list[Any]], *, empty: bool) -> ValidationError:
    """The refusal of a file with bad lines (an empty file is one bad line), in the words of both import paths."""
    if empty:
        report_errors.append([1, _("The file holds no row.")])
    return ValidationError(
        _("Nothing was imported: %(count)s row(s) are bad. Correct them and import the file again.")
        % {"count": len(report_errors)}
    )


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


def _parse_date(text: str) -> datetime.date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.datetime.strptime(text, fmt).date()  # noqa: DTZ007 (a date, no time zone)
        except ValueError:
            continue
    raise ValueError(text)


@dataclass
class Planned:
    line: int
    values: dict[str, Any]


class RowChecker:
    def __init__(
        self, organisation: Organisation, kind: str, columns: Mapping[str, str], actor: User, *, staged: bool = False
    ) -> None:
        """`staged`: the persons and their case files are found in SQL for the whole file (`imports.staged`),
        not read here."""
        self.organisation = organisation
        self.actor = actor
        self.case_files: dict[int, CaseFile | None] = {}
        self.refusal = partitions.RefusalsByYear(partitions.CASEWORK)
        self.categories: dict[tuple[str, str, str], tuple[Category | None, list[str]]] = {}
        self.active: dict[str, tuple[dict[str, Category], dict[str, Category]]] = {}
        self.kind = kind
        # Our field → the column as the file names it (the saved mapping, else the field's code as header).
        self.columns = {name: (columns.get(name) or name) for name, _label in FIELDS[kind]}
        self.lookups = {
            "sex": _choice_lookup(Sex),
            "household": _choice_lookup(Household),
            "income_source": _choice_lookup(IncomeSource),
            "nationality_group": _choice_lookup(NationalityGroup),
            "mode": _choice_lookup(Mode),
        }
        self.today = timezone.localdate()
        self.wrong_postal_codes: dict[str, list[str]] = {}
        self.persons: dict[str, Person] = {}
        if staged:
            return
        self.persons = {p.source_id: p for p in Person.objects.filter(organisation=organisation).exclude(source_id="")}
        if kind == ImportKind.FOLLOWUPS:
            # Each person's latest case file, read once for the file (one query per person was most of the check).
            latest = CaseFile.objects.filter(organisation=organisation).order_by("person_id", "-opened_on", "-id")
            for case_file in latest.only("pk", "organisation_id", "person_id", "opened_on"):
                self.case_files.setdefault(case_file.person_id, case_file)
            for person in self.persons.values():
                self.case_files.setdefault(person.pk, None)

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
        """Each (column, text) is looked up once per file: a file names the same few categories on every row,
        and one lookup is one to several queries."""
        text = self.get(row, name)
        if not text:
            return None
        key = (name, axis, text)
        if key not in self.categories:
            found: list[str] = []
            self.categories[key] = (self._find_category(name, axis, text, found), found)
        category, messages = self.categories[key]
        problems.extend(messages)
        return category

    def _resolve(self, axis: str, text: str) -> Category | None:
        """`forms.resolve_category`, from the axis's categories in force read once for the file (each text
        looked up was two queries and a loop over every category: ~20 ms)."""
        if axis not in self.active:
            categories = active_categories(AXES[axis])
            by_code: dict[str, Category] = {}
            for category in categories.order_by(*(Category._meta.ordering or ["pk"])):  # as .first()
                by_code.setdefault(category.code.upper(), category)
            by_label: dict[str, Category] = {}
            for category in categories:
                for label in (category.label_fr, category.label_nl, category.label_en or ""):
                    by_label.setdefault(label.lower(), category)
            self.active[axis] = (by_code, by_label)
        by_code, by_label = self.active[axis]
        text = (text or "").strip()
        if not text:
            return None
        found = by_code.get(text.split(" — ", 1)[0].strip().upper())
        return found if found is not None else by_label.get(text.lower())

    def _find_category(self, name: str, axis: str, text: str, problems: list[str]) -> Category | None:
        category = self._resolve(axis, text)
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

    def _number(self, row: Mapping[str, str], name: str, problems: list[str], what: str) -> int | None:
        text = self.get(row, name)
        if not text:
            return None
        if len(text) > 9 or not text.lstrip("-").isdigit():
            problems.append(
                (
                    _("%(column)s: %(value)s is not a year")
                    if what == "year"
                    else _("%(column)s: %(value)s is not a number")
                )
                % {"column": self.columns[name], "value": text[:40]}
            )
            return None
        return int(text)

    def _check_person(self, row: Mapping[str, str], values: dict[str, Any], problems: list[str]) -> None:
        raw: dict[str, Any] = {
            "birth_year": self._number(row, "birth_year", problems, "year"),
            "children": self._number(row, "children", problems, "number"),
            "postal_code": self.get(row, "postal_code"),
            "age_band": AgeBand.UNKNOWN,
            "sex": self._choice(row, "sex", problems, Sex.UNKNOWN),
            "household": self._choice(row, "household", problems, Household.UNKNOWN),
            "income_source": self._choice(row, "income_source", problems, IncomeSource.UNKNOWN),
            "nationality_group": self._choice(row, "nationality_group", problems, NationalityGroup.UNKNOWN),
        }
        language = self.get(row, "language")
        if len(language) > 20:
            problems.append(
                _("%(column)s: at most %(max)s characters") % {"column": self.columns["language"], "max": 20}
            )
        raw["language"] = language[:20]
        # A postal code found wrong once is not looked up again (valid ones are kept per process,
        # `core.geography`; wrong ones would be two queries on every row that has them).
        postal = raw["postal_code"]
        known = self.wrong_postal_codes.get(postal)
        if known is not None:
            raw["postal_code"] = ""
        errors: dict[str, list[str]] = {}
        try:
            # The rules of the encoding form, from the same function.
            values.update(services.check_person(raw, self.today))
        except ValidationError as error:
            errors = error.message_dict
        if known is not None:
            errors["postal_code"] = known  # last, as `check_person` says it
        elif "postal_code" in errors:
            self.wrong_postal_codes[postal] = errors["postal_code"]
        for name, messages in errors.items():
            column = self.columns.get(name)
            problems.extend(f"{column}: {message}" if column else message for message in messages)
        opened = self.get(row, "opened_on")
        try:
            values["opened_on"] = _parse_date(opened) if opened else self.today
        except ValueError:
            problems.append(
                _("%(column)s: %(value)s is not a date") % {"column": self.columns["opened_on"], "value": opened[:40]}
            )
        else:
            if not datetime.date(MIN_YEAR, 1, 1) <= values["opened_on"] <= self.today:
                problems.append(
                    _("%(column)s: %(value)s is not a date between %(min)s and today")
                    % {"column": self.columns["opened_on"], "value": opened[:40], "min": MIN_YEAR}
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
            problems.append(
                _("%(column)s: %(value)s is not a date") % {"column": self.columns["date"], "value": text[:40]}
            )
        if not self.get(row, "mode"):
            problems.append(_("%(column)s is required") % {"column": self.columns["mode"]})
        values["mode"] = self._choice(row, "mode", problems, Mode.APPOINTMENT)
        values["duration"] = self._number(row, "duration", problems, "number")
        if values["duration"] is not None and not 1 <= values["duration"] <= MAX_DURATION:
            problems.append(
                _("%(column)s: %(value)s is not between 1 and %(max)s")
                % {"column": self.columns["duration"], "value": values["duration"], "max": MAX_DURATION}
            )
            values["duration"] = None
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
        if "date" in values:
            self._check_date_like_the_form(person, values, problems)

    def _check_date_like_the_form(self, person: Person | None, values: dict[str, Any], problems: list[str]) -> None:
        """The encoding form's date rules (not in the future, not before the case file opened)."""
        case_file = self._case_file_of(person) if person is not None else None
        if case_file is None:  # the import opens one on that date
            case_file = CaseFile(organisation=self.organisation, opened_on=values["date"])
        data = services.FollowUpData(date=values["date"], mode=values["mode"], worker=self.actor)
        try:
            services.clean_follow_up(case_file, data, values["requests"])
        except ValidationError as error:
            for message in error.message_dict.get("date", []):
                problems.append(f"{self.columns['date']}: {message}")
            if error.message_dict.get("date"):
                return
        if refused := self.refusal(values["date"]):  # a year without partition (PostgreSQL)
            problems.append(f"{self.columns['date']}: {refused}")

    def _case_file_of(self, person: Person) -> CaseFile | None:
        if person.pk not in self.case_files:
            self.case_files[person.pk] = CaseFile.objects.filter(person=person).order_by("-opened_on").first()
        return self.case_files[person.pk]
