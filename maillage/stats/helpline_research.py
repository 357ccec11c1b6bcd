"""Anonymised call rows for researchers: no comment, no note, no responder, commune not postal code.

One row per request; calls numbered 1, 2, 3… in the order of their first request in the period instead
of their ids; the theme and category read in one version, the code as recorded beside them.

Two ways to the same bytes: on PostgreSQL the CSV is PostgreSQL's own `COPY … TO STDOUT` streamed
through `core.spreadsheet` (a million rows in seconds, not a minute); elsewhere, and for XLSX, rows are
read in chunks and written one by one. Either way memory stays flat: the call number is a window
function of the query, not a dictionary of every call seen.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.db import connections, router
from django.db.models import F, Min, OuterRef, Subquery, Window
from django.db.models.functions import DenseRank
from django.http import HttpResponseBase
from django.utils import timezone

from maillage.core import spreadsheet
from maillage.core.spreadsheet import Separator, sql_neutralised
from maillage.helpline.models import Call, Request
from maillage.stats.exports import rows_to_xlsx_response, streaming_csv_response
from maillage.stats.helpline_reading import ThemesReading, themes_read_in
from maillage.stats.helpline_reports import bounds, requests_in
from maillage.stats.shares import Period
from maillage.stats.versions import UNMAPPED

RESEARCH_HEADERS = [
    "call",
    "date",
    "hour",
    "weekday",
    "duration_minutes",
    "language",
    "caller_sex",
    "caller_area",
    "commune_nis",
    "caller_type",
    "heard_via",
    "urgency",
    "request",
    "theme",
    "category",
    "action",
    "service",
    # The theme and category above are read in one version; what was coded, and in which version.
    "category_as_coded",
    "coded_in_version",
    "read_in_version",
]


def research_rows(
    organisation_ids: Iterable[int], period: Period, reading: ThemesReading | None = None, using: str | None = None
) -> Iterator[list[Any]]:
    """The rows, read in chunks of 5,000; the call number comes from the database (dense rank of the call's
    first request in the period), so a year of calls costs no more memory than a day."""
    ids = list(organisation_ids)
    reading = reading or themes_read_in(None)
    read_in = reading.version.number if reading.version else ""
    first_request = (
        requests_in(ids, period)
        .filter(call_id=OuterRef("call_id"))
        .order_by()
        .values("call_id")
        .annotate(first=Min("started_at"))
        .values("first")
    )
    rows = (
        requests_in(ids, period)
        .using(using or router.db_for_read(Request))
        .annotate(first_at=Subquery(first_request))
        .annotate(number=Window(DenseRank(), order_by=[F("first_at").asc(), F("call_id").asc()]))
        .order_by("started_at", "call_id", "position", "id")
        .values_list(
            "number",
            "call__started_at",
            "call__duration_minutes",
            "call__language",
            "call__caller_sex",
            "call__caller_area",
            "call__commune__nis_code",
            "call__caller_type",
            "call__heard_via",
            "call__urgency",
            "position",
            "category_id",
            "category__code",
            "category__version__number",
            "action",
            "service_id",
        )
    )
    for (
        number,
        started,
        duration,
        language,
        sex,
        area,
        nis,
        ctype,
        heard,
        urgency,
        position,
        category_id,
        category,
        coded_in,
        action,
        service,
    ) in rows.iterator(chunk_size=5000):
        local = timezone.localtime(started)
        yield [
            number,
            local.date(),
            local.hour,
            local.isoweekday(),
            duration,
            language,
            sex,
            area,
            nis or "",
            ctype,
            heard,
            urgency,
            position + 1,
            reading.key(1, category_id),
            reading.key(2, category_id),
            action,
            service or "",
            category,
            coded_in,
            read_in,
        ]


def _keys(reading: ThemesReading, level: int) -> tuple[list[int], list[str]]:
    codes = reading.codes(level)
    return list(codes), list(codes.values())


def research_copy_query(
    organisation_ids: Iterable[int], period: Period, reading: ThemesReading
) -> tuple[str, dict[str, Any]]:
    """PostgreSQL: the SELECT giving `research_rows` as CSV cells (same order, same number, same text)."""
    from maillage.core.models import Commune
    from maillage.taxonomy.models import Category, SchemeVersion

    start, end = bounds(period)
    local = "(c.started_at AT TIME ZONE %(zone)s)"
    text = sql_neutralised
    # Table names come from the models; every value is a bound parameter.
    query = f"""
        WITH picked AS (
            SELECT r.id, r.call_id, r.position, r.category_id, r.action, r.service_id, r.started_at,
                   min(r.started_at) OVER (PARTITION BY r.call_id) AS first_at
            FROM {Request._meta.db_table} r
            WHERE r.organisation_id = ANY(%(organisations)s) AND r.started_at >= %(start)s AND r.started_at < %(end)s
        )
        SELECT dense_rank() OVER (ORDER BY p.first_at, p.call_id),
               to_char({local}, 'YYYY-MM-DD'),
               extract(hour FROM {local})::int,
               extract(isodow FROM {local})::int,
               c.duration_minutes,
               {text("c.language")}, {text("c.caller_sex")}, {text("c.caller_area")}, {text("m.nis_code")},
               {text("c.caller_type")}, {text("c.heard_via")}, {text("c.urgency")},
               p.position + 1,
               {text("coalesce(k1.code, %(unmapped)s)")}, {text("coalesce(k2.code, %(unmapped)s)")},
               {text("p.action")}, p.service_id, {text("g.code")}, v.number, %(read_in)s::int
        FROM picked p
        JOIN {Call._meta.db_table} c ON c.id = p.call_id
        LEFT JOIN {Commune._meta.db_table} m ON m.id = c.commune_id
        JOIN {Category._meta.db_table} g ON g.id = p.category_id
        LEFT JOIN {SchemeVersion._meta.db_table} v ON v.id = g.version_id
        LEFT JOIN unnest(%(ids1)s::bigint[], %(codes1)s::text[]) AS k1(id, code) ON k1.id = p.category_id
        LEFT JOIN unnest(%(ids2)s::bigint[], %(codes2)s::text[]) AS k2(id, code) ON k2.id = p.category_id
        ORDER BY p.started_at, p.call_id, p.position, p.id
    """  # noqa: S608
    ids1, codes1 = _keys(reading, 1)
    ids2, codes2 = _keys(reading, 2)
    params = {
        "organisations": list(organisation_ids),
        "start": start,
        "end": end,
        "zone": timezone.get_current_timezone_name(),
        "unmapped": UNMAPPED,
        "read_in": reading.version.number if reading.version else None,
        "ids1": ids1,
        "codes1": codes1,
        "ids2": ids2,
        "codes2": codes2,
    }
    return query, params


def research_response(
    filename: str,
    organisation_ids: Iterable[int],
    period: Period,
    reading: ThemesReading,
    *,
    export_format: str = "csv",
    separator: Separator = "belgian",
) -> HttpResponseBase:
    """The research export as a streamed download: COPY on PostgreSQL for CSV, rows in chunks otherwise."""
    ids = list(organisation_ids)
    using = router.db_for_read(Request)  # chosen now: the stream runs after the view has returned
    if export_format == "xlsx":
        return rows_to_xlsx_response(filename, RESEARCH_HEADERS, research_rows(ids, period, reading, using))
    if connections[using].vendor == "postgresql":
        query, params = research_copy_query(ids, period, reading)
        return spreadsheet.copy_csv_response(
            filename + ".csv", using, RESEARCH_HEADERS, query, params, separator=separator
        )
    rows = research_rows(ids, period, reading, using)
    return streaming_csv_response(filename, RESEARCH_HEADERS, rows, separator=separator)
