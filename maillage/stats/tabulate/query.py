"""Counting: the measure per combination of dimension values, by the database (GROUP BY through the ORM).

Python only pivots the grouped result, whose size is the number of cells, never the number of rows.
The roll-ups answer instead when they cover the question (`rollup_read`) or, for a long period of odd days, their
all-time cells less the days outside it (`edges_read`); else the columnar copy of the rows (`columnar_read`) when
there is one; PostgreSQL's rows otherwise (SQLite, a new install, a copy far behind).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import connections, transaction
from django.db.models import Count, FilteredRelation, Q, QuerySet
from django.utils.translation import gettext as _

from maillage.casework.models import FollowUp, Participation, Request
from maillage.stats.tabulate.columnar_read import forget_margins, from_columnar
from maillage.stats.tabulate.dimensions import DATE_PATHS, FIELD_PATHS, ORG_PATHS, DimensionSpec, dimension
from maillage.stats.tabulate.edges_read import from_whole_less_edges
from maillage.stats.tabulate.params import FOLLOWUPS, MEASURES, PARTICIPANTS, REQUESTS, CrossTabError, Params, Scope
from maillage.stats.tabulate.rollup_read import from_rollup
from maillage.stats.tabulate.spans_read import from_spans
from maillage.stats.versions import UNMAPPED


def base_queryset(base: str, scope: Scope) -> QuerySet[Any]:
    model: Any = {FOLLOWUPS: FollowUp, REQUESTS: Request, PARTICIPANTS: Participation}[base]
    queryset = model.objects.filter(**{f"{ORG_PATHS[base]}__in": scope.organisation_ids})
    if scope.subsidy_id is not None:
        queryset = queryset.filter(**{f"{FIELD_PATHS['subsidy'][base]}": scope.subsidy_id})
    return queryset


def adds_up(params: Params) -> bool:
    """Whether the measure's cells add up to its totals: a plain count or sum does; a distinct count over a
    variable a unit may take several values of (a person's themes, months, actions) does not."""
    measure = MEASURES[params.measure]
    base = measure.base
    uses_requests = any(
        dimension(key, base, params.versions).uses_requests
        for key in [*params.dimensions, *(key for key, values in params.filters.items() if values)]
    )
    return measure.key in {"requests", "participants"} or (measure.key == "followups" and not uses_requests)


def grouped(
    params: Params,
    scope: Scope,
    date_from: datetime.date | None,
    date_to: datetime.date | None,
    *,
    margin: bool = False,
) -> tuple[list[DimensionSpec], list[dict[str, Any]]]:
    """The measure per combination of dimension values, counted by the database (`margin`: a total over
    fewer dimensions, none for the grand total)."""
    if not margin:
        forget_margins()
    measure = MEASURES.get(params.measure)
    if measure is None:
        raise CrossTabError(_("Unknown measure: %(key)s.") % {"key": params.measure})
    if not margin and (not 1 <= len(params.dimensions) <= 3 or len(set(params.dimensions)) != len(params.dimensions)):
        raise CrossTabError(_("Choose one to three different dimensions."))
    base = measure.base
    pieces = _time_pieces(params, measure.key, date_from, date_to)
    if pieces is not None:
        return _joined(params, scope, pieces, margin)
    # Follow-ups read by a category axis join their requests: over a period, only the requests of that period
    # (a request's date is its follow-up's: the same rows), so that PostgreSQL joins that period's request
    # partitions only instead of every year's (one centre-year at 5M: 1.57 s → see bench/casework/RESULTS.md).
    bounds = {"gte": date_from, "lte": date_to}
    narrowed = base == FOLLOWUPS and bool(date_from or date_to)
    requests = "requests_in_period" if narrowed else "requests"
    specs = [dimension(key, base, params.versions, requests=requests) for key in params.dimensions]
    queryset = base_queryset(base, scope)
    if narrowed:
        in_period = Q(**{f"requests__date__{op}": day for op, day in bounds.items() if day})
        in_period &= Q(requests__organisation_id__in=scope.organisation_ids)  # the follow-up's centre, as the roll-ups
        queryset = queryset.annotate(requests_in_period=FilteredRelation("requests", condition=in_period))
    if date_from:
        queryset = queryset.filter(**{f"{DATE_PATHS[base]}__gte": date_from})
    if date_to:
        queryset = queryset.filter(**{f"{DATE_PATHS[base]}__lte": date_to})
    if base == REQUESTS and (date_from or date_to):
        # A request's date is its follow-up's (the composite key on PostgreSQL): the same bounds on the follow-up
        # let PostgreSQL join only that period's follow-up partitions instead of every year's (533 → 168 ms for
        # one centre-year at 5M follow-ups).
        queryset = queryset.filter(**{f"follow_up__date__{op}": day for op, day in bounds.items() if day})
    rolled = from_rollup(measure.key, base, specs, params, scope, date_from, date_to)
    if rolled is None:  # distinct units over a long period: a scan of their spans
        rolled = from_spans(measure.key, base, specs, params, scope, date_from, date_to)
    if rolled is None:  # a long period of odd days: the all-time cells less the days outside it
        rolled = from_whole_less_edges(measure.key, base, specs, params, scope, date_from, date_to, margin=margin)
    if rolled is not None:
        return specs, rolled
    counted = from_columnar(measure.key, base, specs, params, scope, date_from, date_to, margin=margin)
    if counted is not None:
        return specs, counted
    uses_requests = any(spec.uses_requests for spec in specs)
    for key, values in params.filters.items():
        if not values:
            continue
        spec = dimension(key, base, params.versions, requests=requests)
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
        if not aliases:  # the grand total
            rows = [queryset.aggregate(value=measure.aggregate(uses_requests))]
        elif distinct_of is None:
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


_TIME_UNITS = {"month": 1, "quarter": 3, "year": 12}


def _unit_start(day: datetime.date, months: int) -> datetime.date:
    return day.replace(month=(day.month - 1) // months * months + 1, day=1)


def _time_pieces(
    params: Params, measure: str, date_from: datetime.date | None, date_to: datetime.date | None
) -> list[tuple[datetime.date, datetime.date]] | None:
    """A distinct count by month, quarter or year over a period that starts or ends inside one of them: the
    period cut at the first and last of them (their cells are apart), so that the whole ones between are read
    from the roll-ups and only the two partial ones from the rows; None when there is nothing to cut."""
    times = [_TIME_UNITS[key] for key in params.dimensions if key in _TIME_UNITS]
    if not times or measure not in _DISTINCT_TARGET or date_from is None or date_to is None or date_from > date_to:
        return None
    months = min(times)  # the finest asked: its cells are apart
    first_whole = _unit_start(date_from, months)
    if first_whole < date_from:
        first_whole = _unit_start(first_whole + datetime.timedelta(days=31 * months), months)
    after_last_whole = _unit_start(date_to + datetime.timedelta(days=1), months)
    if first_whole >= after_last_whole or (first_whole == date_from and after_last_whole > date_to):
        return None  # within one unit, or already whole units
    day = datetime.timedelta(days=1)
    pieces = [(date_from, first_whole - day), (first_whole, after_last_whole - day), (after_last_whole, date_to)]
    return [(start, end) for start, end in pieces if start <= end]


def _joined(
    params: Params, scope: Scope, pieces: list[tuple[datetime.date, datetime.date]], margin: bool
) -> tuple[list[DimensionSpec], list[dict[str, Any]]]:
    specs: list[DimensionSpec] = []
    rows: list[dict[str, Any]] = []
    for start, end in pieces:
        specs, piece = grouped(params, scope, start, end, margin=True)
        rows += piece
    return specs, rows


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
