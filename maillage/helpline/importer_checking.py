"""Checking a whole journal at once: what `services.clean_call_data` checks for one call, with every lookup
made once per file.

Why not call clean_call_data per call: it reads the version in force (one query per call) and was most of
an import's time (100,000 rows at ~900 rows/s). Here the version, each category text, each postal code and
the calls already imported are resolved once for the file; the rules and messages are clean_call_data's for
what a journal carries (no service, no reference, no callback time), and tests/helpline/test_import_bulk.py
holds the two to the same answers. The rules come in two parts, `check_call` (a call's first row) and
`check_request` (every row), so the PostgreSQL import (`importer_staging`) applies them row by row as it
streams the file, and the Python import (`importer`) call by call, with the same code and messages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from maillage.core import partitions
from maillage.core.geography import PostalLocation, cached_postal_location
from maillage.core.models import Commune
from maillage.helpline.models import (
    REQUEST_SCHEME,
    Action,
    CallerArea,
    CallerSex,
    CallerType,
    HeardVia,
    LineLanguage,
    Urgency,
)
from maillage.helpline.services.calls import DEFAULT_CALLBACK_DELAY, CleanCall, CleanRequest, check_duration
from maillage.helpline.services.categories import find_category
from maillage.taxonomy.models import Category, SchemeVersion
from maillage.taxonomy.queries import published_version

# Each distinct text is resolved once; past this many, new ones are resolved but not kept (memory stays bounded
# on a file of a million different wrong texts).
MAX_REMEMBERED = 20_000


@dataclass
class Lookups:
    """What a file's rows name, each resolved once: category texts and postal codes, to a value or messages."""

    version: SchemeVersion | None = None
    categories: dict[str, Category | list[str]] = field(default_factory=dict)
    places: dict[str, PostalLocation | list[str]] = field(default_factory=dict)
    now: datetime = field(default_factory=timezone.now)
    # The zone naive starts are read in, found once: looking the current one up cost ~45 µs per call.
    zone: tzinfo = field(default_factory=timezone.get_current_timezone)
    # Why a start's rows cannot be saved (its year has no partition on PostgreSQL), or None: asked once per year.
    refusal: partitions.RefusalsByYear = field(default_factory=lambda: partitions.RefusalsByYear(partitions.HELPLINE))

    @classmethod
    def for_file(cls) -> Lookups:
        return cls(version=published_version(REQUEST_SCHEME))

    def category(self, text: str) -> Category | list[str]:
        found = self.categories.get(text)
        if found is None:
            try:
                if self.version is None:
                    raise ValidationError(_("No version of the request themes is published yet."))
                found = find_category(text, self.version)
            except ValidationError as error:
                found = list(error.messages)
            if len(self.categories) < MAX_REMEMBERED:
                self.categories[text] = found
        return found

    def place(self, code: str) -> PostalLocation | list[str]:
        found = self.places.get(code)
        if found is None:
            try:
                found = cached_postal_location(code)
            except ValidationError as error:
                found = list(error.messages)
            if len(self.places) < MAX_REMEMBERED:
                self.places[code] = found
        return found


LANGUAGES = frozenset(LineLanguage.values)
SEXES = frozenset(CallerSex.values)
TYPES = frozenset(CallerType.values)
HEARD = frozenset(HeardVia.values)
URGENCIES = frozenset(Urgency.values)
ACTIONS = frozenset(Action.values)


def _choice(
    value: str, choices: frozenset[str], key: str, errors: dict[str, list[str]], *, blank_ok: bool = False
) -> str:
    value = value.strip()
    if not value and blank_ok:
        return ""
    if value not in choices:
        errors.setdefault(key, []).append(_("Choose one of the options."))
    return value


def read_started(text: str) -> datetime | None:
    """The start of a call as a journal writes it (ISO, or with slashes); None when it cannot be read.
    A well-formed date that does not exist (2021-02-30) cannot be read either: parse_datetime raises."""
    try:
        return parse_datetime(text.replace("/", "-"))
    except ValueError:
        return None


def journal_call_values(get: Callable[[str], str]) -> dict[str, str]:
    """A call's fields as a journal row gives them (`get(column)`): codes lower-cased, defaults filled."""
    return {
        "duration_minutes": get("duration_minutes"),
        "language": get("language").lower(),
        "caller_sex": get("caller_sex").lower() or CallerSex.UNKNOWN,
        "postal_code": get("postal_code"),
        "caller_type": get("caller_type").lower() or CallerType.CONCERNED,
        "heard_via": get("heard_via").lower(),
        "urgency": get("urgency").lower() or Urgency.LOW,
        "comment": get("comment"),
    }


class CallFields(NamedTuple):
    started_at: datetime
    duration_minutes: int
    language: str
    caller_sex: str
    caller_area: str
    postal_code: str
    commune: Commune | None
    caller_type: str
    heard_via: str
    urgency: str


def check_call(
    lookups: Lookups, started_at: datetime, values: dict[str, str]
) -> tuple[CallFields | None, dict[str, list[str]]]:
    """The call-level rules of clean_call_data for one journal call (its first row): the typed fields, or
    None and the messages by field. The comment is not checked (any text)."""
    errors: dict[str, list[str]] = {}
    if timezone.is_naive(started_at):
        started_at = timezone.make_aware(started_at, lookups.zone)
    if started_at > lookups.now + timedelta(minutes=5):
        errors["started_at"] = [_("The call cannot start in the future.")]
    elif refused := lookups.refusal(started_at):
        errors["started_at"] = [refused]
    duration = check_duration(values["duration_minutes"], errors)
    language = _choice(values["language"], LANGUAGES, "language", errors)
    caller_sex = _choice(values["caller_sex"] or CallerSex.UNKNOWN, SEXES, "caller_sex", errors)
    caller_type = _choice(values["caller_type"], TYPES, "caller_type", errors)
    heard_via = _choice(values["heard_via"], HEARD, "heard_via", errors, blank_ok=True)
    urgency = _choice(values["urgency"] or Urgency.LOW, URGENCIES, "urgency", errors)
    postal_code = values["postal_code"].strip()
    caller_area, commune = CallerArea.UNKNOWN, None
    if postal_code:
        place = lookups.place(postal_code)
        if isinstance(place, list):
            errors["postal_code"] = place
        else:
            commune = place.commune
            caller_area = CallerArea.BRUSSELS if place.in_brussels else CallerArea.OUTSIDE
    if errors:
        return None, errors
    assert isinstance(duration, int)
    fields = CallFields(
        started_at, duration, language, caller_sex, caller_area, postal_code, commune, caller_type, heard_via, urgency
    )
    return fields, {}


def check_request(
    lookups: Lookups, category_text: str, action_text: str
) -> tuple[Category | None, str, dict[str, list[str]]]:
    """The request-level rules for one journal row: (its category, its action, {}) or messages by field
    (category, action, service) with None or "" for what is wrong."""
    errors: dict[str, list[str]] = {}
    found = lookups.category(category_text)
    category = found if isinstance(found, Category) else None
    if isinstance(found, list):
        errors["category"] = found
    action = action_text.strip()
    if action not in ACTIONS:
        errors["action"] = [_("Say what you did for this request.")]
        action = ""
    elif action == Action.NO_SERVICE:
        errors["service"] = [_("Say why no service suits: choose the reason in the list of services.")]
    return category, action, errors


def clean_journal_call(
    lookups: Lookups, started_at: datetime, values: dict[str, str], requests: Iterable[dict[str, str]]
) -> tuple[CleanCall | None, dict[str, list[str]]]:
    """One call of a journal: (the clean call, {}) or (None, messages by clean_call_data's keys).

    `values` are the call's fields as the importer reads them (lower-cased codes, defaults filled);
    `requests` the category text, action and note of each of its rows."""
    fields, errors = check_call(lookups, started_at, values)
    clean_requests: list[CleanRequest] = []
    for index, raw in enumerate(requests):
        category, action, problems = check_request(lookups, raw["category"], raw["action"])
        for key, messages in problems.items():
            errors[f"requests-{index}-{key}"] = messages
        if category is not None and action and fields is not None:
            clean_requests.append(
                CleanRequest(
                    category=category,
                    note=raw["note"].strip()[:300],
                    action=action,
                    callback_at=fields.started_at + DEFAULT_CALLBACK_DELAY if action == Action.CALLBACK else None,
                )
            )
    if errors or fields is None:
        return None, errors
    return CleanCall(
        organisation=None,  # type: ignore[arg-type] # the importer writes with its job's organisation
        **fields._asdict(),
        comment=values["comment"].strip(),
        requests=clean_requests,
    ), {}


def gone_message() -> str:
    return _("This value was deleted while the file was being imported: nothing was imported, import the file again.")


def empty_id_message() -> str:
    return _("The call identifier is empty.")


# The longest call identifier the journal keeps (Call.external_ref).
LONGEST_ID = 64


def long_id_message() -> str:
    return _("The call identifier is longer than %(count)d characters.") % {"count": LONGEST_ID}


def already_imported_message(call_id: str) -> str:
    return _("Call %(id)s was already imported.") % {"id": call_id}


def unreadable_start_message() -> str:
    return _("The date and time cannot be read; write e.g. 2021-01-29 14:05.")


def already_imported(
    find: Callable[[list[str]], Iterable[str]], call_ids: Iterable[str], batch: int = 5000
) -> set[str]:
    """The identifiers among `call_ids` that `find` says were imported before, asked by batches."""
    found: set[str] = set()
    wanted = list(call_ids)
    for start in range(0, len(wanted), batch):
        found.update(find(wanted[start : start + batch]))
    return found
