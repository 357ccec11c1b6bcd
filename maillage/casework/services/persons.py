"""Persons: the one check of their data (forms and imports), the duplicate rule, creation with a race-free
reference, editing."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.casework import rollups, rollups_pending
from maillage.casework.models import CaseFile, CaseworkSettings, Person, age_band_for
from maillage.core.audit import log_action
from maillage.core.geography import cached_postal_location
from maillage.core.models import Organisation, User

IDENTITY_FIELDS = ("first_name", "last_name", "phone", "email", "address")
CODED_FIELDS = (
    "birth_year",
    "age_band",
    "sex",
    "postal_code",
    "household",
    "children",
    "income_source",
    "nationality_group",
    "language",
)
MAX_CHILDREN = 30
REFERENCE_PREFIX = "P-"


class CheckedPerson(dict[str, Any]):
    """Person data that went through `check_person`: the services write it as it is."""


class DuplicatePerson(Exception):  # noqa: N818 - a refusal, not a programming error
    """The duplicate rule found persons like this one in the centre; `similar` lists a few of them."""

    def __init__(self, similar: list[Person]) -> None:
        super().__init__(", ".join(person.reference for person in similar))
        self.similar = similar


def check_person(data: Mapping[str, Any], today: datetime.date | None = None) -> CheckedPerson:
    """The one check of a person's coded data (encoding form, edit form, imports); errors name their field."""
    today = today or timezone.localdate()
    cleaned = CheckedPerson(data)
    errors: dict[str, list[str]] = {}
    birth_year = cleaned.get("birth_year")
    if birth_year is not None:
        if birth_year > today.year:
            errors.setdefault("birth_year", []).append(
                _("The year of birth %(year)s is in the future.") % {"year": birth_year}
            )
        elif birth_year < today.year - 120:
            errors.setdefault("birth_year", []).append(
                _("The year of birth %(year)s is too far back.") % {"year": birth_year}
            )
        else:
            cleaned["age_band"] = age_band_for(birth_year, today.year)
    children = cleaned.get("children")
    if children is not None and not 0 <= children <= MAX_CHILDREN:
        errors.setdefault("children", []).append(
            _("The number of children must be between 0 and %(max)s.") % {"max": MAX_CHILDREN}
        )
    postal = (cleaned.get("postal_code") or "").strip()
    cleaned["postal_code"] = postal
    cleaned["commune"] = None
    if postal:
        try:
            # Per process, as the forms do: an import checks thousands of persons with a few dozen codes.
            cleaned["commune"] = cached_postal_location(postal).commune
        except ValidationError as error:
            errors.setdefault("postal_code", []).extend(error.messages)
    if errors:
        raise ValidationError(errors)
    return cleaned


clean_person_data = check_person  # the former name


def _checked(data: Mapping[str, Any]) -> CheckedPerson:
    return data if isinstance(data, CheckedPerson) else check_person(data)


def similar_persons(
    organisation: Organisation, data: Mapping[str, Any], exclude: Person | None = None
) -> QuerySet[Person]:
    """Possible duplicates: same birth year, sex and postal code (and a close name when names are stored)."""
    if not data.get("birth_year") or not data.get("postal_code"):
        return Person.objects.none()
    persons = Person.objects.filter(
        organisation=organisation,
        birth_year=data["birth_year"],
        sex=data.get("sex"),
        postal_code=data["postal_code"],
        erased_at__isnull=True,
    )
    if exclude is not None:
        persons = persons.exclude(pk=exclude.pk)
    last_name = (data.get("last_name") or "").strip()
    if last_name:
        close = Q(last_name__iexact=last_name) | Q(last_name__istartswith=last_name[:4]) | Q(last_name="")
        persons = persons.filter(close)
    return persons


def lock_persons_of(organisation: Organisation) -> None:
    """Writers of a centre's persons take turns: the organisation's row lock on PostgreSQL (SQLite's
    IMMEDIATE transactions already serialise writers). Call inside the writing transaction.

    The centre's roll-up writers' lock (`rollups_pending`, shared) is taken first, always in that order: taken
    after the row, an import waiting behind a queued recount, itself waiting for a follow-up whose commit waits
    for the centre's row, would be a deadlock."""
    rollups_pending.lock_for_writing([organisation.pk])
    Organisation.objects.select_for_update().filter(pk=organisation.pk).values_list("pk", flat=True).first()


def _next_reference(organisation: Organisation) -> str:
    """The next free P-nnnnnn of the centre; read under `lock_persons_of`, so two creations never share it."""
    last = (
        Person.objects.filter(organisation=organisation, reference__startswith=REFERENCE_PREFIX)
        .aggregate(last=Max("reference"))
        .get("last")
    )
    number = int(last[len(REFERENCE_PREFIX) :]) + 1 if last and last[len(REFERENCE_PREFIX) :].isdigit() else 1
    while Person.objects.filter(organisation=organisation, reference=f"{REFERENCE_PREFIX}{number:06d}").exists():
        number += 1
    return f"{REFERENCE_PREFIX}{number:06d}"


def create_person(
    actor: User,
    organisation: Organisation,
    data: Mapping[str, Any],
    *,
    opened_on: datetime.date | None = None,
    source_id: str = "",
    allow_similar: bool = False,
) -> CaseFile:
    """A new person and their case file in this centre, the actor in charge.

    Inside one transaction, after the centre's lock: the duplicate rule (DuplicatePerson unless
    `allow_similar`), then the next reference; concurrent creations wait their turn instead of
    both missing each other or colliding on the reference.
    """
    cleaned = _checked(data)
    values = {key: cleaned.get(key) for key in CODED_FIELDS if key in cleaned}
    values = {key: value for key, value in values.items() if value is not None}
    with transaction.atomic():
        lock_persons_of(organisation)
        if not allow_similar:
            similar = list(similar_persons(organisation, cleaned)[:5])
            if similar:
                raise DuplicatePerson(similar)
        if CaseworkSettings.objects.filter(organisation=organisation, store_identities=True).exists():
            values.update({key: (cleaned.get(key) or "").strip() for key in IDENTITY_FIELDS})
        person = Person.objects.create(
            organisation=organisation,
            reference=_next_reference(organisation),
            commune=cleaned.get("commune"),
            source_id=source_id,
            **values,
        )
        case_file = CaseFile.objects.create(
            organisation=organisation, person=person, opened_on=opened_on or timezone.localdate()
        )
        case_file.workers.add(actor)
        log_action(actor, "casework.person.created", person)
        log_action(actor, "casework.casefile.opened", case_file)
    return case_file


def update_person(actor: User, person: Person, data: Mapping[str, Any]) -> Person:
    cleaned = _checked(data)
    fields = [key for key in CODED_FIELDS if key in cleaned]
    for key in fields:
        setattr(person, key, cleaned[key])
    person.commune = cleaned.get("commune")
    fields.append("commune")
    if CaseworkSettings.objects.filter(organisation_id=person.organisation_id, store_identities=True).exists():
        for key in IDENTITY_FIELDS:
            if key in cleaned:
                setattr(person, key, (cleaned[key] or "").strip())
                fields.append(key)
    with rollups.persons_changing([person.pk]):
        person.save(update_fields=fields)
        log_action(actor, "casework.person.updated", person, {"fields": sorted(set(fields) - set(IDENTITY_FIELDS))})
    return person
