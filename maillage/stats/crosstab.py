"""The case-work cross-tab engine: one measure, one to three dimensions, filters, read in any scheme version.

Everything is counted by the database (GROUP BY through the ORM); Python only pivots the
grouped result, whose size is the number of cells, never the number of rows.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Case, CharField, Count, DateField, Expression, F, Func, QuerySet, Sum, Value, When
from django.db.models.functions import ExtractYear, TruncMonth, TruncQuarter
from django.utils.translation import gettext_lazy as _

from maillage.casework import rollups
from maillage.casework.models import (
    AgeBand,
    FollowUp,
    Household,
    IncomeSource,
    Mode,
    NationalityGroup,
    Participation,
    Request,
    Sex,
    Subsidy,
)
from maillage.core.models import Commune, Organisation, User
from maillage.taxonomy.models import Category, SchemeVersion

SMALL_CELL = 5
UNMAPPED = rollups.UNMAPPED

# Base querysets: follow-ups, requests, activity participations.
FOLLOWUPS, REQUESTS, PARTICIPANTS = "followups", "requests", "participants"


@dataclass(frozen=True)
class Measure:
    key: str
    label: Any
    base: str
    aggregate: Callable[[bool], Any]


MEASURES: dict[str, Measure] = {
    m.key: m
    for m in [
        Measure("persons", _("Persons"), FOLLOWUPS, lambda distinct: Count("person_id", distinct=True)),
        Measure("case_files", _("Case files"), FOLLOWUPS, lambda distinct: Count("case_file_id", distinct=True)),
        Measure("followups", _("Follow-ups"), FOLLOWUPS, lambda distinct: Count("id", distinct=distinct)),
        Measure("requests", _("Requests"), REQUESTS, lambda distinct: Count("id", distinct=distinct)),
        Measure("participants", _("Activity participants"), PARTICIPANTS, lambda distinct: Sum("count")),
    ]
}

# Paths of plain fields, per base; None: not available for that base.
_PERSON = "person__"
_FIELD_PATHS: dict[str, dict[str, str | None]] = {
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
_DATE_PATHS = {FOLLOWUPS: "date", REQUESTS: "date", PARTICIPANTS: "session__date"}
_ORG_PATHS = {FOLLOWUPS: "organisation_id", REQUESTS: "organisation_id", PARTICIPANTS: "session__organisation_id"}
# Category axes: path of the category id per base (followups reach requests through a join).
_AXIS_PATHS: dict[str, dict[str, str | None]] = {
    "theme": {FOLLOWUPS: "requests__theme_id", REQUESTS: "theme_id", PARTICIPANTS: "session__activity__themes__id"},
    "institution": {FOLLOWUPS: "requests__institution_id", REQUESTS: "institution_id", PARTICIPANTS: None},
    "stage": {FOLLOWUPS: "requests__stage_id", REQUESTS: "stage_id", PARTICIPANTS: None},
}
_CHOICES: dict[str, Any] = {
    "age_band": AgeBand,
    "sex": Sex,
    "household": Household,
    "income_source": IncomeSource,
    "nationality_group": NationalityGroup,
    "mode": Mode,
}

DIMENSION_LABELS: dict[str, Any] = {
    "theme1": _("Theme (level 1)"),
    "theme2": _("Theme (level 2)"),
    "institution1": _("Institution (level 1)"),
    "institution2": _("Institution (level 2)"),
    "stage1": _("Stage (level 1)"),
    "stage2": _("Stage (level 2)"),
    "age_band": _("Age band"),
    "sex": _("Sex / gender"),
    "postal_code": _("Postal code"),
    "commune": _("Commune"),
    "household": _("Household type"),
    "income_source": _("Main income source"),
    "nationality_group": _("Nationality group"),
    "mode": _("Mode"),
    "worker": _("Worker"),
    "month": _("Month"),
    "quarter": _("Quarter"),
    "year": _("Year"),
    "subsidy": _("Subsidy"),
    "centre": _("Centre"),
}
# Dimensions federation staff may use across centres (nothing that points at a worker).
SECTOR_DIMENSIONS = [key for key in DIMENSION_LABELS if key not in {"worker", "postal_code"}]


class CrossTabError(ValueError):
    pass


@dataclass
class Scope:
    """Which rows a cross-tab may count: some centres, optionally only one subsidy's."""

    organisation_ids: list[int]
    subsidy_id: int | None = None


@dataclass
class Params:
    measure: str = "followups"
    dimensions: list[str] = field(default_factory=lambda: ["theme1"])
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    filters: dict[str, list[str]] = field(default_factory=dict)
    percent: str = ""  # "", "row", "column", "total"
    compare: bool = False
    versions: dict[str, int] = field(default_factory=dict)  # axis → version number to read in

    def to_json(self) -> dict[str, Any]:
        return {
            "measure": self.measure,
            "dimensions": self.dimensions,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "filters": self.filters,
            "percent": self.percent,
            "compare": self.compare,
            "versions": self.versions,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Params:
        def day(value: str | None) -> datetime.date | None:
            return datetime.date.fromisoformat(value) if value else None

        return cls(
            measure=data.get("measure", "followups"),
            dimensions=list(data.get("dimensions", ["theme1"])),
            date_from=day(data.get("date_from")),
            date_to=day(data.get("date_to")),
            filters={k: list(v) for k, v in (data.get("filters") or {}).items()},
            percent=data.get("percent", ""),
            compare=bool(data.get("compare")),
            versions={k: int(v) for k, v in (data.get("versions") or {}).items()},
        )


# Reading categories in a chosen version ----------------------------------------------------------------


def target_version(axis: str, number: int | None) -> SchemeVersion | None:
    return rollups.target_version(axis, number)


def category_codes_in(axis: str, level: int, version: SchemeVersion) -> tuple[dict[int, str], dict[str, str]]:
    """Every category id of the axis (any version) → its code at `level` in `version`; and code → label."""
    labels = {c.code: c.label for c in Category.objects.filter(version=version)}
    labels[UNMAPPED] = str(_("No equivalent in this version"))
    return rollups.codes_by_id(level, version), labels


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


def _case_for(path: str, codes: Mapping[int, str]) -> Expression:
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


# Building the query -------------------------------------------------------------------------------------


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


def _dimension(key: str, base: str, versions: Mapping[str, int]) -> DimensionSpec:
    if key not in DIMENSION_LABELS:
        raise CrossTabError(_("Unknown dimension: %(key)s.") % {"key": key})
    date_path = _DATE_PATHS[base]
    if key == "month":
        return DimensionSpec(key, TruncMonth(date_path, output_field=DateField()), {}, [])
    if key == "quarter":
        return DimensionSpec(key, TruncQuarter(date_path, output_field=DateField()), {}, [])
    if key == "year":
        return DimensionSpec(key, ExtractYear(date_path), {}, [])
    if key[:-1] in _AXIS_PATHS:
        axis, level = key[:-1], int(key[-1])
        path = _AXIS_PATHS[axis][base]
        if path is None:
            raise CrossTabError(
                _("%(dimension)s cannot be crossed with this measure.") % {"dimension": DIMENSION_LABELS[key]}
            )
        version = target_version(axis, versions.get(axis))
        if version is None:
            raise CrossTabError(_("No published version of this category scheme."))
        codes, labels = category_codes_in(axis, level, version)
        order = list(
            Category.objects.filter(version=version, level__lte=level)
            .order_by("position", "code")
            .values_list("code", flat=True)
        )
        if level == 1:
            order = [c for c in order if "." not in c] or order
        return DimensionSpec(
            key,
            _case_for(path, codes),
            labels,
            [*order, UNMAPPED],
            uses_requests=base == FOLLOWUPS,
            raw=F(path),
            codes=codes,
        )
    path = _FIELD_PATHS[key][base]
    if path is None:
        raise CrossTabError(
            _("%(dimension)s cannot be crossed with this measure.") % {"dimension": DIMENSION_LABELS[key]}
        )
    if key in _CHOICES:
        choices = _CHOICES[key]
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


def base_queryset(base: str, scope: Scope) -> QuerySet[Any]:
    model: Any = {FOLLOWUPS: FollowUp, REQUESTS: Request, PARTICIPANTS: Participation}[base]
    queryset = model.objects.filter(**{f"{_ORG_PATHS[base]}__in": scope.organisation_ids})
    if scope.subsidy_id is not None:
        queryset = queryset.filter(**{f"{_FIELD_PATHS['subsidy'][base]}": scope.subsidy_id})
    return queryset


def grouped(
    params: Params, scope: Scope, date_from: datetime.date | None, date_to: datetime.date | None
) -> tuple[list[DimensionSpec], list[dict[str, Any]]]:
    """The measure per combination of dimension values, counted by the database."""
    measure = MEASURES.get(params.measure)
    if measure is None:
        raise CrossTabError(_("Unknown measure: %(key)s.") % {"key": params.measure})
    if not 1 <= len(params.dimensions) <= 3 or len(set(params.dimensions)) != len(params.dimensions):
        raise CrossTabError(_("Choose one to three different dimensions."))
    base = measure.base
    specs = [_dimension(key, base, params.versions) for key in params.dimensions]
    queryset = base_queryset(base, scope)
    if date_from:
        queryset = queryset.filter(**{f"{_DATE_PATHS[base]}__gte": date_from})
    if date_to:
        queryset = queryset.filter(**{f"{_DATE_PATHS[base]}__lte": date_to})
    rolled = _from_rollup(measure.key, base, specs, params, scope, date_from, date_to)
    if rolled is not None:
        return specs, rolled
    uses_requests = any(spec.uses_requests for spec in specs)
    for key, values in params.filters.items():
        if not values:
            continue
        spec = _dimension(key, base, params.versions)
        uses_requests = uses_requests or spec.uses_requests
        queryset = queryset.alias(**{f"f_{key}": spec.expression}).filter(**{f"f_{key}__in": [str(v) for v in values]})
    # An additive measure (a plain count or sum) is grouped by the category id, a cheap integer, and the
    # few grouped rows are then read in the chosen version; distinct counts need the version's code in SQL.
    additive = measure.key in {"requests", "participants"} or (measure.key == "followups" and not uses_requests)
    aliases = {
        f"d{index}": spec.raw if additive and spec.raw is not None else spec.expression
        for index, spec in enumerate(specs)
    }
    with transaction.atomic(using=queryset.db):
        if connections[queryset.db].vendor == "postgresql":
            with connections[queryset.db].cursor() as cursor:
                # Room to hash the groups in memory; no JIT compilation for queries of a few hundred ms; parallel
                # workers only for big scans (a centre-year is an index range: starting workers costs more).
                cursor.execute(
                    "SET LOCAL work_mem = '64MB'; SET LOCAL jit = off; SET LOCAL parallel_setup_cost = 20000"
                )
        distinct_of = _DISTINCT_TARGET.get(measure.key) if (measure.key != "followups" or uses_requests) else None
        if distinct_of is None:
            rows = list(
                queryset.annotate(**aliases)
                .values(*aliases)
                .annotate(value=measure.aggregate(uses_requests))
                .order_by()
            )
        else:
            rows = _count_distinct(queryset.annotate(**aliases), list(aliases), distinct_of)
    merged: dict[tuple[str, ...], int] = {}
    for row in rows:
        parts = []
        for index, spec in enumerate(specs):
            value = row[f"d{index}"]
            if additive and spec.codes is not None and value is not None:
                value = spec.codes.get(value, UNMAPPED)
            if isinstance(value, datetime.datetime):  # raw SQL (distinct counts) skips the ORM's converters
                value = value.date()
            parts.append("" if value is None else str(value))
        merged[tuple(parts)] = merged.get(tuple(parts), 0) + int(row["value"] or 0)
    return specs, [
        {**{f"d{index}": part for index, part in enumerate(cell)}, "value": value} for cell, value in merged.items()
    ]


# Reading the roll-ups (PostgreSQL) ---------------------------------------------------------------------

_TIME = {"month", "quarter", "year"}
_ROLLUP_KIND = {
    "requests": rollups.REQUESTS,
    "followups": rollups.FOLLOWUPS,
    "persons": rollups.PERSONS,
    "case_files": rollups.CASE_FILES,
}
# Dimensions whose empty value stands for NULL in the roll-up (a filter never matches NULL).
_NULLABLE = {"commune", "subsidy", "institution", "stage", "theme"}


def _rollup_dimension(key: str) -> str | None:
    """The roll-up's name for an engine dimension; None for centre and time (the cell's own columns)."""
    if key == "centre" or key in _TIME:
        return None
    return key[:-1] if key[:-1] in _AXIS_PATHS else key


def _month_aligned(date_from: datetime.date | None, date_to: datetime.date | None) -> bool:
    return (date_from is None or date_from.day == 1) and (
        date_to is None or (date_to + datetime.timedelta(days=1)).day == 1
    )


def _year_aligned(date_from: datetime.date | None, date_to: datetime.date | None) -> bool:
    return (date_from is None or (date_from.month, date_from.day) == (1, 1)) and (
        date_to is None or (date_to.month, date_to.day) == (12, 31)
    )


def _rollup_grain(
    additive: bool, coded: list[str], time: str | None, date_from: datetime.date | None, date_to: datetime.date | None
) -> str | None:
    """The grain of cells that answers exactly, if any."""
    if additive:  # counts add up across periods: the finest grain that has the set and fits the dates
        if len(coded) <= 1 and _month_aligned(date_from, date_to):
            return rollups.MONTH
        if time is None and date_from is None and date_to is None:
            return rollups.ALL
        if time in {None, "year"} and _year_aligned(date_from, date_to):  # pairs per year
            return rollups.YEAR
        return None
    # Distinct counts: the cells' periods must be the asked periods.
    if time == "month":
        return rollups.MONTH if _month_aligned(date_from, date_to) else None
    if time == "year":
        return rollups.YEAR if _year_aligned(date_from, date_to) else None
    if time is not None:
        return None
    if date_from is None and date_to is None:
        return rollups.ALL
    if date_from is None or date_to is None:
        return None
    if _year_aligned(date_from, date_to) and date_from.year == date_to.year:
        return rollups.YEAR
    if _month_aligned(date_from, date_to) and (date_from.year, date_from.month) == (date_to.year, date_to.month):
        return rollups.MONTH
    return None


def _from_rollup(
    measure: str,
    base: str,
    specs: list[DimensionSpec],
    params: Params,
    scope: Scope,
    date_from: datetime.date | None,
    date_to: datetime.date | None,
) -> list[dict[str, Any]] | None:
    """The grouped rows summed from the roll-up cells, or None when they do not cover the question."""
    kind = _ROLLUP_KIND.get(measure)
    if kind is None or connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
        return None
    filters: list[tuple[str, set[str]]] = [
        (key, {str(v) for v in values}) for key, values in params.filters.items() if values
    ]
    if scope.subsidy_id is not None:
        filters.append(("subsidy", {str(scope.subsidy_id)}))
    keys = [*params.dimensions, *(key for key, _values in filters)]
    by_code = kind != rollups.REQUESTS and any(key[:-1] in _AXIS_PATHS for key in keys)
    if by_code:  # distinct follow-ups/persons/case files per code: cells of codes in the version they were built in
        axes = {key for key in keys if key[:-1] in _AXIS_PATHS}
        state = rollups.built_state()
        if len(axes) != 1 or state is None:
            return None
        axis = next(iter(axes))[:-1]
        version = target_version(axis, params.versions.get(axis))
        if version is None or state.axis_versions.get(axis) != version.pk:
            return None
        kind = rollups.BY_CODE[kind]

    def dimension_name(key: str) -> str | None:
        return key if by_code and key[:-1] in _AXIS_PATHS else _rollup_dimension(key)

    times = [key for key in params.dimensions if key in _TIME]
    if len(times) > 1 or any(key in _TIME for key, _values in filters):
        return None
    coded: list[str] = []
    for key in keys:
        name = dimension_name(key)
        if name is not None and name not in coded:
            coded.append(name)
    if len(coded) > 2:
        return None
    additive = kind in {rollups.REQUESTS, rollups.FOLLOWUPS, rollups.FOLLOWUPS_BY_CODE}
    if any(
        len(values) != 1
        for key, values in filters
        if key not in params.dimensions and (not additive or (by_code and key[:-1] in _AXIS_PATHS))
    ):
        return None  # a person (or a follow-up in two codes) in two of the filtered values would be counted twice
    grain = _rollup_grain(additive, coded, times[0] if times else None, date_from, date_to)
    cells = rollups.find(kind, coded, grain) if grain else None
    if cells is None or not rollups.available(cells.kind):
        return None
    # Which cell column holds each coded dimension, and how a value reads.
    column = {name: ("a", "b")[index] for index, name in enumerate(cells.dimensions)}
    time_sql = {
        "month": "period",
        "quarter": "date_trunc('quarter', period)::date",
        "year": "extract(year FROM period)::int",
    }
    select = ["a", "b"]
    if "centre" in keys:
        select.append("organisation_id")
    if times:
        select.append(time_sql[times[0]])
    where = ["kind = %s", "gset = %s", "organisation_id = ANY(%s)", "n <> 0"]
    values: list[Any] = [cells.kind, cells.gset, list(scope.organisation_ids)]
    if date_from is not None:
        where.append("period >= %s")
        values.append(date_from.replace(day=1) if grain == rollups.MONTH else date_from.replace(month=1, day=1))
    if date_to is not None:
        where.append("period <= %s")
        values.append(date_to)
    sql = (
        f"SELECT {', '.join(select)}, sum(n) FROM casework_statcell WHERE {' AND '.join(where)}"  # noqa: S608
        f" GROUP BY {', '.join(str(i + 1) for i in range(len(select)))}"
    )
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(sql, values)
        fetched = cursor.fetchall()
    codes = {spec.key: spec.codes for spec in specs if spec.codes is not None}
    for key, _values in filters:
        if key[:-1] in _AXIS_PATHS and key not in codes:
            codes[key] = _dimension(key, base, params.versions).codes or {}

    def read(key: str, row: tuple[Any, ...], for_filter: bool) -> str | None:
        if key == "centre":
            return str(row[2])
        if key in _TIME:
            return str(row[-2])
        name = dimension_name(key)
        raw = row[0] if column[name] == "a" else row[1]  # type: ignore[index]
        if by_code and name == key:  # already a code
            return (None if for_filter else "") if raw == "" else raw
        if key in codes:
            if raw == "":
                return None if for_filter else ""
            code = codes[key].get(int(raw))
            return code if for_filter or code is not None else UNMAPPED
        if raw == "" and name in _NULLABLE:
            return None if for_filter else ""
        return raw

    merged: dict[tuple[str, ...], int] = {}
    for row in fetched:
        if any(read(key, row, True) not in allowed for key, allowed in filters):
            continue
        cell = tuple(read(spec.key, row, False) or "" for spec in specs)
        merged[cell] = merged.get(cell, 0) + int(row[-1])
    return [
        {**{f"d{index}": part for index, part in enumerate(cell)}, "value": value}
        for cell, value in merged.items()
        if value
    ]


# What a distinct count counts, per measure.
_DISTINCT_TARGET = {"persons": "person_id", "case_files": "case_file_id", "followups": "id"}


def _count_distinct(queryset: QuerySet[Any], aliases: list[str], target: str) -> list[dict[str, Any]]:
    """COUNT(DISTINCT target) per group, as two hashed GROUP BYs: (groups, target), then groups.

    Databases sort for COUNT(DISTINCT ...) with GROUP BY; grouping twice lets them hash, which is
    several times faster on millions of rows. The inner query is the ORM's own.
    """
    inner = queryset.values(*aliases, target).annotate(n=Count("pk")).order_by()
    sql, params = inner.query.sql_with_params()
    columns = ", ".join(connections[queryset.db].ops.quote_name(alias) for alias in aliases)
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"SELECT {columns}, COUNT(*) FROM ({sql}) grouped GROUP BY {columns}", params)  # noqa: S608
        return [{**dict(zip(aliases, row[:-1], strict=True)), "value": row[-1]} for row in cursor.fetchall()]


# The table ----------------------------------------------------------------------------------------------


@dataclass
class Table:
    """One two-way table (dimension 3, if any, gives one table per value)."""

    title: str
    row_keys: list[str]
    col_keys: list[str]
    cells: dict[tuple[str, str], int]
    previous: dict[tuple[str, str], int] | None = None

    def value(self, row: str, col: str) -> int:
        return self.cells.get((row, col), 0)

    def row_total(self, row: str) -> int:
        return sum(self.value(row, col) for col in self.col_keys)

    def col_total(self, col: str) -> int:
        return sum(self.value(row, col) for row in self.row_keys)

    @property
    def total(self) -> int:
        return sum(self.cells.values())


@dataclass
class CrossTab:
    params: Params
    measure_label: str
    dimension_labels: list[str]
    row_labels: dict[str, str]
    col_labels: dict[str, str]
    tables: list[Table]
    previous_range: tuple[datetime.date, datetime.date] | None = None

    def percent(self, table: Table, row: str, col: str) -> float | None:
        value = table.value(row, col)
        denominator = {
            "row": table.row_total(row),
            "column": table.col_total(col),
            "total": table.total,
        }.get(self.params.percent)
        if not denominator:
            return None
        return round(100 * value / denominator, 1)


def _ordered(keys: Iterable[str], order: Sequence[str]) -> list[str]:
    keys = set(keys)
    position = {key: index for index, key in enumerate(order)}
    return sorted(keys, key=lambda k: (position.get(k, len(position)), k))


def _labels(spec: DimensionSpec, keys: Iterable[str]) -> dict[str, str]:
    labels = dict(spec.labels)
    keys = list(keys)
    if spec.key == "worker":
        labels.update({str(u.pk): str(u) for u in User.objects.filter(pk__in=[k for k in keys if k.isdigit()])})
    if spec.key == "centre":
        labels.update(
            {str(o.pk): o.short_name for o in Organisation.objects.filter(pk__in=[k for k in keys if k.isdigit()])}
        )
    if spec.key == "month":
        labels.update({k: k[:7] for k in keys})
    if spec.key == "quarter":
        labels.update({k: f"{k[:4]} Q{(int(k[5:7]) - 1) // 3 + 1}" for k in keys if len(k) >= 7})
    result = {}
    for key in keys:
        label = labels.get(key, key) or str(_("Not coded"))
        result[key] = f"{key} — {label}" if spec.key[:-1] in _AXIS_PATHS and key != UNMAPPED else label
    return result


def previous_period(date_from: datetime.date, date_to: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The period of the same length just before; whole months shift by months (a half-year by a half-year)."""
    after_end = date_to + datetime.timedelta(days=1)
    if date_from.day == 1 and after_end.day == 1:
        months = relativedelta(after_end, date_from)
        length = relativedelta(months=months.years * 12 + months.months)
        return date_from - length, date_from - datetime.timedelta(days=1)
    days = (date_to - date_from).days + 1
    return date_from - datetime.timedelta(days=days), date_from - datetime.timedelta(days=1)


TOTAL = "__total__"


def build(params: Params, scope: Scope) -> CrossTab:
    specs, rows = grouped(params, scope, params.date_from, params.date_to)
    previous_rows: list[dict[str, Any]] | None = None
    previous_range = None
    if params.compare and params.date_from and params.date_to:
        previous_range = previous_period(params.date_from, params.date_to)
        _specs, previous_rows = grouped(params, scope, *previous_range)
    row_spec = specs[0]
    col_spec = specs[1] if len(specs) > 1 else None
    page_spec = specs[2] if len(specs) > 2 else None

    def key(row: dict[str, Any], index: int) -> str:
        return row[f"d{index}"] if index < len(specs) else TOTAL

    all_rows = rows + (previous_rows or [])
    row_keys = _ordered((key(r, 0) for r in all_rows), row_spec.order)
    col_keys = _ordered((key(r, 1) for r in all_rows), col_spec.order) if col_spec else [TOTAL]
    page_keys = _ordered((key(r, 2) for r in all_rows), page_spec.order) if page_spec else [TOTAL]
    row_labels = _labels(row_spec, row_keys)
    col_labels = _labels(col_spec, col_keys) if col_spec else {TOTAL: str(MEASURES[params.measure].label)}
    page_labels = _labels(page_spec, page_keys) if page_spec else {TOTAL: ""}
    tables = []
    for page in page_keys:
        cells: dict[tuple[str, str], int] = {}
        for r in rows:
            if key(r, 2) == page:
                cells[(key(r, 0), key(r, 1))] = int(r["value"] or 0)
        previous = None
        if previous_rows is not None:
            previous = {}
            for r in previous_rows:
                if key(r, 2) == page:
                    previous[(key(r, 0), key(r, 1))] = int(r["value"] or 0)
        title = f"{DIMENSION_LABELS[page_spec.key]}: {page_labels[page]}" if page_spec else ""
        tables.append(Table(title, row_keys, col_keys, cells, previous))
    return CrossTab(
        params=params,
        measure_label=str(MEASURES[params.measure].label),
        dimension_labels=[str(DIMENSION_LABELS[s.key]) for s in specs],
        row_labels=row_labels,
        col_labels=col_labels,
        tables=tables,
        previous_range=previous_range,
    )


# Small cells --------------------------------------------------------------------------------------------


def shown(value: int, suppress: bool) -> str:
    """A count as shown: below the threshold, '<5' so that no person can be singled out."""
    if suppress and 0 < value < SMALL_CELL:
        return f"<{SMALL_CELL}"
    return str(value)


def suppressed_table(table: Table) -> dict[tuple[str, str], str]:
    """Cells as shown to federation staff: small counts hidden, and a second cell hidden in a row or
    column where only one was, so the hidden one cannot be worked out from the total."""
    hidden = {cell for cell, value in table.cells.items() if 0 < value < SMALL_CELL}
    changed = True
    while changed:
        changed = False
        for line_cells in [
            *([(row, col) for col in table.col_keys] for row in table.row_keys),
            *([(row, col) for row in table.row_keys] for col in table.col_keys),
        ]:
            in_line = [cell for cell in line_cells if cell in hidden]
            if len(in_line) == 1 and len(line_cells) > 1:
                others = sorted(
                    (table.value(*cell), cell) for cell in line_cells if cell not in hidden and table.value(*cell) > 0
                )
                if others:
                    hidden.add(others[0][1])
                    changed = True
    return {
        (row, col): (f"<{SMALL_CELL}" if 0 < table.value(row, col) < SMALL_CELL else "x")
        if (row, col) in hidden
        else str(table.value(row, col))
        for row in table.row_keys
        for col in table.col_keys
    }
