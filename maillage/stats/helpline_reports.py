"""Helpline reports: the weekly synthesis and the bilan of a period against the one before.

Figures are computed from the database at the time of the request, so a call logged a
second ago is counted. Category shares are grouped by code, so periods coded in
different versions of the request themes still line up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.helpline.models import Action, Call, CallerArea, CallerSex, CallerType, LineLanguage, Request, Weekday
from maillage.stats.exports import Table
from maillage.stats.shares import Comparison, Period, Share, compare, shares
from maillage.taxonomy.models import Category

BASE_REQUESTS = "requests"
BASE_CALLS = "calls"
BASES = (BASE_REQUESTS, BASE_CALLS)


def bounds(period: Period) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(period.first, time.min))
    end = timezone.make_aware(datetime.combine(period.last + timedelta(days=1), time.min))
    return start, end


def calls_in(organisation_ids: Iterable[int], period: Period) -> QuerySet[Call]:
    start, end = bounds(period)
    return Call.objects.filter(organisation_id__in=list(organisation_ids), started_at__gte=start, started_at__lt=end)


def requests_in(organisation_ids: Iterable[int], period: Period) -> QuerySet[Request]:
    start, end = bounds(period)
    return Request.objects.filter(organisation_id__in=list(organisation_ids), started_at__gte=start, started_at__lt=end)


def _labels_by_code(ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    return {category.pk: (category.code, category.label) for category in Category.objects.filter(pk__in=set(ids))}


def category_counts(requests: QuerySet[Request], field_name: str, base: str) -> list[tuple[str, str, int]]:
    """(code, label, count) per category in `field_name` ("theme" or "category"), on the given base."""
    counted = Count("call_id", distinct=True) if base == BASE_CALLS else Count("*")
    rows = list(requests.order_by().values(f"{field_name}_id").annotate(n=counted).values_list(f"{field_name}_id", "n"))
    labels = _labels_by_code(pk for pk, _n in rows)
    merged: dict[str, list[Any]] = {}
    for pk, n in rows:
        code, label = labels[pk]
        if code in merged:
            merged[code][2] += n
        else:
            merged[code] = [code, label, n]
    return [(code, label, n) for code, label, n in merged.values()]


def _choice_counts(
    queryset: QuerySet[Any], field_name: str, choices: Any, counted: Any = None
) -> list[tuple[str, str, int]]:
    labels = dict(choices)
    rows = queryset.order_by().values(field_name).annotate(n=counted or Count("*")).values_list(field_name, "n")
    return [(value, str(labels.get(value, value or _("not given"))), n) for value, n in rows]


def _commune_counts(calls: QuerySet[Call]) -> list[tuple[str, str, int]]:
    rows = (
        calls.order_by()
        .values("caller_area", "commune__nis_code", "commune__name_fr", "commune__name_nl")
        .annotate(n=Count("*"))
    )
    result = []
    from django.utils.translation import get_language

    dutch = get_language() == "nl"
    for row in rows:
        if row["caller_area"] == CallerArea.BRUSSELS and row["commune__nis_code"]:
            name = (row["commune__name_nl"] if dutch else "") or row["commune__name_fr"]
            result.append((row["commune__nis_code"], name, row["n"]))
        else:
            result.append((row["caller_area"], str(dict(CallerArea.choices)[row["caller_area"]]), row["n"]))
    return result


def _hour_counts(calls: QuerySet[Call]) -> list[tuple[int, str, int]]:
    counts = dict(
        calls.order_by()
        .annotate(hour=ExtractHour("started_at"))
        .values("hour")
        .annotate(n=Count("*"))
        .values_list("hour", "n")
    )
    return [(hour, f"{hour:02d}h", counts.get(hour, 0)) for hour in range(24)]


def _weekday_counts(calls: QuerySet[Call]) -> list[tuple[int, str, int]]:
    counts = dict(
        calls.order_by()
        .annotate(day=ExtractIsoWeekDay("started_at"))
        .values("day")
        .annotate(n=Count("*"))
        .values_list("day", "n")
    )
    return [(value, str(label), counts.get(value + 1, 0)) for value, label in Weekday.choices]


def _top_services(requests: QuerySet[Request], limit: int = 10) -> list[tuple[int, str, int]]:
    rows = (
        requests.filter(service__isnull=False)
        .order_by()
        .values("service_id", "service__name_fr")
        .annotate(n=Count("*"))
        .order_by("-n", "service__name_fr")[:limit]
    )
    return [(row["service_id"], row["service__name_fr"], row["n"]) for row in rows]


@dataclass
class Totals:
    calls: int
    requests: int

    @property
    def requests_per_call(self) -> Decimal:
        if not self.calls:
            return Decimal("0.00")
        return (Decimal(self.requests) / Decimal(self.calls)).quantize(Decimal("0.01"))


def totals(organisation_ids: Iterable[int], period: Period) -> Totals:
    ids = list(organisation_ids)
    return Totals(calls_in(ids, period).count(), requests_in(ids, period).count())


@dataclass
class Section:
    """One breakdown: what is counted, on which base, and its shares."""

    key: str
    title: str
    base_label: str
    base: int
    rows: list[Share]


@dataclass
class Synthesis:
    period: Period
    totals: Totals
    themes: Section
    subthemes: dict[str, Section]
    sections: list[Section] = field(default_factory=list)
    hours: Section | None = None
    weekdays: Section | None = None


def synthesis(organisation_ids: Iterable[int], period: Period) -> Synthesis:
    """The weekly synthesis (or that of any period)."""
    ids = list(organisation_ids)
    calls = calls_in(ids, period)
    requests = requests_in(ids, period)
    total = Totals(calls.count(), requests.count())
    of_requests = _("share of the %(count)s requests") % {"count": total.requests}
    of_calls = _("share of the %(count)s calls") % {"count": total.calls}
    themes = Section(
        "themes",
        _("Requests by theme"),
        of_requests,
        total.requests,
        shares(category_counts(requests, "theme", BASE_REQUESTS), total.requests),
    )
    subthemes: dict[str, Section] = {}
    detail = list(
        requests.order_by()
        .values("theme_id", "category_id")
        .annotate(n=Count("*"))
        .values_list("theme_id", "category_id", "n")
    )
    labels = _labels_by_code([t for t, _c, _n in detail] + [c for _t, c, _n in detail])
    grouped: dict[str, list[tuple[str, str, int]]] = {}
    for theme_id, category_id, n in detail:
        grouped.setdefault(labels[theme_id][0], []).append((labels[category_id][0], labels[category_id][1], n))
    for theme in themes.rows:
        rows = grouped.get(theme.key, [])
        merged: dict[str, tuple[str, str, int]] = {}
        for code, label, n in rows:
            previous = merged.get(code)
            merged[code] = (code, label, n + (previous[2] if previous else 0))
        subthemes[theme.key] = Section(
            f"theme-{theme.key}",
            theme.label,
            _("share of the %(count)s requests of this theme") % {"count": theme.count},
            theme.count,
            shares(merged.values(), theme.count),
        )
    sections = [
        Section(
            "actions",
            _("Actions taken"),
            of_requests,
            total.requests,
            shares(_choice_counts(requests, "action", Action.choices), total.requests),
        ),
        Section("communes", _("Calls by commune"), of_calls, total.calls, shares(_commune_counts(calls), total.calls)),
        Section(
            "languages",
            _("Calls by language"),
            of_calls,
            total.calls,
            shares(_choice_counts(calls, "language", LineLanguage.choices), total.calls),
        ),
        Section(
            "sex",
            _("Calls by caller sex"),
            of_calls,
            total.calls,
            shares(_choice_counts(calls, "caller_sex", CallerSex.choices), total.calls),
        ),
        Section(
            "caller_types",
            _("Calls by caller type"),
            of_calls,
            total.calls,
            shares(_choice_counts(calls, "caller_type", CallerType.choices), total.calls),
        ),
        Section(
            "services",
            _("Services referred to most"),
            of_requests,
            total.requests,
            shares(_top_services(requests), total.requests),
        ),
    ]
    return Synthesis(
        period=period,
        totals=total,
        themes=themes,
        subthemes=subthemes,
        sections=sections,
        hours=Section(
            "hours", _("Calls by hour"), of_calls, total.calls, shares(_hour_counts(calls), total.calls, sort=False)
        ),
        weekdays=Section(
            "weekdays",
            _("Calls by weekday"),
            of_calls,
            total.calls,
            shares(_weekday_counts(calls), total.calls, sort=False),
        ),
    )


@dataclass
class Bilan:
    period: Period
    previous: Period
    base: str
    totals_now: Totals
    totals_before: Totals
    themes: list[Comparison]
    categories: list[Comparison]

    @property
    def base_now(self) -> int:
        return self.totals_now.calls if self.base == BASE_CALLS else self.totals_now.requests

    @property
    def base_before(self) -> int:
        return self.totals_before.calls if self.base == BASE_CALLS else self.totals_before.requests


def _merge(rows: Iterable[tuple[int, int]], labels: dict[int, tuple[str, str]]) -> list[tuple[str, str, int]]:
    """(category id, count) → (code, label, count), adding up categories of different versions with one code."""
    merged: dict[str, list[Any]] = {}
    for pk, n in rows:
        code, label = labels[pk]
        if code in merged:
            merged[code][2] += n
        else:
            merged[code] = [code, label, n]
    return [(code, label, n) for code, label, n in merged.values()]


@dataclass
class _PeriodCounts:
    calls: int
    requests: int
    themes: list[tuple[int, int]]
    categories: list[tuple[int, int]]


def _period_counts(ids: list[int], period: Period, base: str) -> _PeriodCounts:
    """Few queries per period: on the request base one GROUP BY (theme, category) gives both levels and the total."""
    requests = requests_in(ids, period).order_by()
    if base == BASE_REQUESTS:
        # Every call has exactly one request at position 0 (the services write positions 0..n-1 and refuse
        # a call without request), so the same index-only scan also counts the calls.
        pairs = list(
            requests.values("theme_id", "category_id")
            .annotate(n=Count("*"), first=Count("position", filter=Q(position=0)))
            .values_list("theme_id", "category_id", "n", "first")
        )
        themes: dict[int, int] = {}
        categories: dict[int, int] = {}
        calls = 0
        for theme_id, category_id, n, first in pairs:
            themes[theme_id] = themes.get(theme_id, 0) + n
            categories[category_id] = categories.get(category_id, 0) + n
            calls += first
        return _PeriodCounts(calls, sum(categories.values()), list(themes.items()), list(categories.items()))
    calls = calls_in(ids, period).count()
    distinct = Count("call_id", distinct=True)
    return _PeriodCounts(
        calls,
        requests.count(),
        list(requests.values("theme_id").annotate(n=distinct).values_list("theme_id", "n")),
        list(requests.values("category_id").annotate(n=distinct).values_list("category_id", "n")),
    )


def bilan(organisation_ids: Iterable[int], period: Period, base: str = BASE_REQUESTS) -> Bilan:
    """Each theme's count and share in `period` and in the period of the same length before it."""
    if base not in BASES:
        raise ValueError(f"Unknown base {base!r}")
    ids = list(organisation_ids)
    previous = period.previous()
    now = _period_counts(ids, period, base)
    before = _period_counts(ids, previous, base)
    labels = _labels_by_code(pk for counts in (now, before) for pk, _n in (*counts.themes, *counts.categories))
    result = Bilan(
        period, previous, base, Totals(now.calls, now.requests), Totals(before.calls, before.requests), [], []
    )
    result.themes = compare(
        _merge(now.themes, labels), _merge(before.themes, labels), result.base_now, result.base_before
    )
    result.categories = compare(
        _merge(now.categories, labels), _merge(before.categories, labels), result.base_now, result.base_before
    )
    return result


# ---------------------------------------------------------------------------------------------
# Tables for the exports


def _section_table(section: Section, first_header: str) -> Table:
    return Table(
        section.title,
        [first_header, _("Count"), _("Share (%)")],
        [[row.label, row.count, row.share] for row in section.rows],
        note=section.base_label,
    )


def synthesis_tables(report: Synthesis) -> list[Table]:
    period = f"{report.period.first.isoformat()} – {report.period.last.isoformat()}"
    tables = [
        Table(
            _("Totals"),
            [_("Period"), _("Calls"), _("Requests"), _("Requests per call")],
            [[period, report.totals.calls, report.totals.requests, report.totals.requests_per_call]],
        ),
        Table(
            report.themes.title,
            [_("Code"), _("Theme"), _("Count"), _("Share (%)")],
            [[row.key, row.label, row.count, row.share] for row in report.themes.rows],
            note=report.themes.base_label,
        ),
        Table(
            _("Requests by category (level 2)"),
            [_("Theme"), _("Code"), _("Category"), _("Count"), _("Share of the theme (%)")],
            [
                [theme.label, row.key, row.label, row.count, row.share]
                for theme in report.themes.rows
                for row in report.subthemes[theme.key].rows
            ],
        ),
    ]
    tables.extend(_section_table(section, section.title) for section in report.sections)
    for section in (report.hours, report.weekdays):
        if section is not None:
            tables.append(_section_table(section, section.title))
    return tables


def bilan_tables(report: Bilan) -> list[Table]:
    now = f"{report.period.first.isoformat()} – {report.period.last.isoformat()}"
    before = f"{report.previous.first.isoformat()} – {report.previous.last.isoformat()}"
    base_note = (
        _("Base: calls (a call with several requests of a theme counts once; shares may add up to more than 100%).")
        if report.base == BASE_CALLS
        else _("Base: requests (each request of a call counts).")
    )
    headers = [
        _("Code"),
        _("Category"),
        _("Count (now)"),
        _("Share now (%)"),
        _("Count (before)"),
        _("Share before (%)"),
        _("Difference (points)"),
    ]

    def rows(comparisons: list[Comparison]) -> list[list[Any]]:
        return [
            [c.key, c.label, c.count_now, c.share_now, c.count_before, c.share_before, c.difference]
            for c in comparisons
        ]

    return [
        Table(
            _("Totals"),
            [_("Period"), _("Calls"), _("Requests")],
            [
                [now, report.totals_now.calls, report.totals_now.requests],
                [before, report.totals_before.calls, report.totals_before.requests],
            ],
        ),
        Table(_("Themes"), headers, rows(report.themes), note=base_note),
        Table(_("Categories (level 2)"), headers, rows(report.categories), note=base_note),
    ]


# ---------------------------------------------------------------------------------------------
# Anonymised call rows for researchers: no comment, no note, no responder, commune not postal code.

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
]


def research_rows(organisation_ids: Iterable[int], period: Period) -> Iterable[list[Any]]:
    """One row per request; calls numbered 1, 2, 3… in time order instead of their ids."""
    rows = (
        requests_in(organisation_ids, period)
        .order_by("started_at", "call_id", "position", "id")
        .values_list(
            "call_id",
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
            "theme__code",
            "category__code",
            "action",
            "service_id",
        )
    )
    numbers: dict[int, int] = {}
    for (
        call_id,
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
        theme,
        category,
        action,
        service,
    ) in rows.iterator(chunk_size=5000):
        number = numbers.setdefault(call_id, len(numbers) + 1)
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
            theme,
            category,
            action,
            service or "",
        ]


__all__ = ["BASES", "Bilan", "Synthesis", "bilan", "date", "synthesis"]
