"""How each dimension reads: its column per base, its labels and order; category axes read in one version."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Case, CharField, DateField, Expression, F, Func, Value, When
from django.db.models.functions import ExtractYear, TruncMonth, TruncQuarter
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maillage.casework.models import AXES, AgeBand, Household, IncomeSource, Mode, NationalityGroup, Sex, Subsidy
from maillage.core.models import Commune
from maillage.stats.tabulate.params import (
    DIMENSION_LABELS,
    FOLLOWUPS,
    PARTICIPANTS,
    REQUESTS,
    CrossTabError,
    axis_of,
)
from maillage.stats.versions import UNMAPPED, reading_in, version_to_read
from maillage.taxonomy.models import SchemeVersion

NO_EQUIVALENT = gettext_lazy("No equivalent in this version")

# Paths of plain fields, per base; None: not available for that base.
_PERSON = "person__"
FIELD_PATHS: dict[str, dict[str, str | None]] = {
    "age_band": {FOLLOWUPS: "age_band", REQUESTS: "follow_up__age_band", PARTICIPANTS: "age_band"},
    "sex": {FOLLOWUPS: _PERSON + "sex", REQUESTS: "follow_up__" + _PERSON + "sex", PARTICIPANTS: "sex"},
    "postal_code": {
        FOLLOWUPS: _PERSON + "postal_code",
        REQUESTS: "follow_up__" + _PERSON + "postal_code",
        PARTICIPANTS: None,
    },
    "commune": {
        FOLLOWUPS: _PERSON + "commune_id",
        REQUESTS: "follow_up__" + _PERSON + "commune_id",
        PARTICIPANTS: None,
    },
    "household": {
        FOLLOWUPS: _PERSON + "household",
        REQUESTS: "follow_up__" + _PERSON + "household",
        PARTICIPANTS: None,
    },
    "income_source": {
        FOLLOWUPS: _PERSON + "income_source",
        REQUESTS: "follow_up__" + _PERSON + "income_source",
        PARTICIPANTS: None,
    },
    "nationality_group": {
        FOLLOWUPS: _PERSON + "nationality_group",
        REQUESTS: "follow_up__" + _PERSON + "nationality_group",
        PARTICIPANTS: None,
    },
    "mode": {FOLLOWUPS: "mode", REQUESTS: "follow_up__mode", PARTICIPANTS: None},
    "worker": {FOLLOWUPS: "worker_id", REQUESTS: "follow_up__worker_id", PARTICIPANTS: None},
    "subsidy": {
        FOLLOWUPS: "subsidy_id",
        REQUESTS: "follow_up__subsidy_id",
        PARTICIPANTS: "session__activity__subsidy_id",
    },
    "centre": {FOLLOWUPS: "organisation_id", REQUESTS: "organisation_id", PARTICIPANTS: "session__organisation_id"},
}
DATE_PATHS = {FOLLOWUPS: "date", REQUESTS: "date", PARTICIPANTS: "session__date"}
ORG_PATHS = {FOLLOWUPS: "organisation_id", REQUESTS: "organisation_id", PARTICIPANTS: "session__organisation_id"}
# Category axes: path of the category id per base (followups reach requests through a join).
AXIS_PATHS: dict[str, dict[str, str | None]] = {
    "theme": {FOLLOWUPS: "requests__theme_id", REQUESTS: "theme_id", PARTICIPANTS: "session__activity__themes__id"},
    "institution": {FOLLOWUPS: "requests__institution_id", REQUESTS: "institution_id", PARTICIPANTS: None},
    "stage": {FOLLOWUPS: "requests__stage_id", REQUESTS: "stage_id", PARTICIPANTS: None},
}
CHOICES: dict[str, Any] = {
    "age_band": AgeBand,
    "sex": Sex,
    "household": Household,
    "income_source": IncomeSource,
    "nationality_group": NationalityGroup,
    "mode": Mode,
}


# Reading categories in a chosen version ----------------------------------------------------------------


def version_for(axis: str, number: int | None) -> SchemeVersion:
    """The version `number` of the axis's scheme (the one in force when None); a translated error otherwise."""
    try:
        return version_to_read(AXES[axis], number)
    except ValidationError as error:
        raise CrossTabError(" ".join(error.messages)) from None


def target_version(axis: str, number: int | None) -> SchemeVersion | None:
    try:
        return version_for(axis, number)
    except CrossTabError:
        return None


def category_codes_in(axis: str, level: int, version: SchemeVersion) -> tuple[dict[int, str], dict[str, str]]:
    """Every category id of the axis (any version) → the key it counts under at `level` in `version`; and key → label."""
    read = reading_in(version, level)
    labels = dict(read.labels)
    labels.setdefault(UNMAPPED, str(NO_EQUIVALENT))
    return dict(read.code_of), labels


class _CodeAt(Func):
    """PostgreSQL: a category id's code read from an array indexed by id (a CASE over every id costs a
    comparison per category and row; millions of rows make that the bulk of a distinct count)."""

    arity = 2
    template = "(%(expressions)s]"
    arg_joiner = "::text[])["
    output_field = CharField()


def _array_element(code: str | None) -> str:
    if code is None:
        return "NULL"
    return '"' + code.replace("\\", "\\\\").replace('"', '\\"') + '"'


def case_for(path: str, codes: Mapping[int, str]) -> Expression:
    """An SQL expression giving, for the category id in `path`, its key in `codes` (NULL when absent)."""
    if codes and connections[DEFAULT_DB_ALIAS].vendor == "postgresql":
        low, high = min(codes), max(codes)
        if high - low < 100_000:
            elements = (codes.get(pk) for pk in range(low, high + 1))
            literal = "{" + ",".join(_array_element(code) for code in elements) + "}"
            return _CodeAt(Value(literal, output_field=CharField()), F(path) - Value(low - 1))
    by_code: dict[str, list[int]] = {}
    for pk, code in codes.items():
        by_code.setdefault(code, []).append(pk)
    whens = [When(**{f"{path}__in": ids}, then=Value(code)) for code, ids in sorted(by_code.items())]
    if not whens:
        return Value(None, output_field=CharField())
    return Case(*whens, default=Value(None), output_field=CharField())


@dataclass
class DimensionSpec:
    key: str
    expression: Any
    labels: dict[str, str]
    order: list[str]
    uses_requests: bool = False
    # Category axes: the raw id column and id → code in the chosen version, to group by id first.
    raw: Any = None
    codes: dict[int, str] | None = None
    version: SchemeVersion | None = None  # category axes: the version the codes are read in


def dimension(key: str, base: str, versions: Mapping[str, int], *, requests: str = "requests") -> DimensionSpec:
    """`requests`: the follow-ups' relation to their requests the category axes read (the engine narrows it to a
    period, see `query.grouped`)."""
    if key not in DIMENSION_LABELS:
        raise CrossTabError(_("Unknown dimension: %(key)s.") % {"key": key})
    date_path = DATE_PATHS[base]
    if key == "month":
        return DimensionSpec(key, TruncMonth(date_path, output_field=DateField()), {}, [])
    if key == "quarter":
        return DimensionSpec(key, TruncQuarter(date_path, output_field=DateField()), {}, [])
    if key == "year":
        return DimensionSpec(key, ExtractYear(date_path), {}, [])
    axis = axis_of(key)
    if axis is not None:
        level = int(key[-1])
        path = AXIS_PATHS[axis][base]
        if path is not None and base == FOLLOWUPS:
            path = path.replace("requests__", f"{requests}__", 1)
        if path is None:
            raise CrossTabError(
                _("%(dimension)s cannot be crossed with this measure.") % {"dimension": DIMENSION_LABELS[key]}
            )
        version = version_for(axis, versions.get(axis))
        read = reading_in(version, level)
        labels = dict(read.labels)
        labels.setdefault(UNMAPPED, str(NO_EQUIVALENT))
        codes = dict(read.code_of)
        order = [code for code in [*read.order, *read.splits] if code != UNMAPPED]
        return DimensionSpec(
            key,
            case_for(path, codes),
            labels,
            [*order, UNMAPPED],
            uses_requests=base == FOLLOWUPS,
            raw=F(path),
            codes=codes,
            version=version,
        )
    path = FIELD_PATHS[key][base]
    if path is None:
        raise CrossTabError(
            _("%(dimension)s cannot be crossed with this measure.") % {"dimension": DIMENSION_LABELS[key]}
        )
    if key in CHOICES:
        choices = CHOICES[key]
        return DimensionSpec(key, F(path), {v: str(label) for v, label in choices.choices}, list(choices.values))
    if key == "worker":
        return DimensionSpec(key, F(path), {}, [])
    if key == "subsidy":
        subsidies = list(Subsidy.objects.order_by("name"))
        return DimensionSpec(key, F(path), {str(s.pk): s.name for s in subsidies}, [str(s.pk) for s in subsidies])
    if key == "commune":
        communes = list(Commune.objects.all())
        return DimensionSpec(
            key,
            F(path),
            {str(c.pk): c.name for c in communes},
            [str(c.pk) for c in sorted(communes, key=lambda c: c.name)],
        )
    return DimensionSpec(key, F(path), {}, [])
