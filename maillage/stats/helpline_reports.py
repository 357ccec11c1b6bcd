"""Helpline reports: the weekly synthesis and the bilan of a period against the one before and the same
period a year before.

Figures are computed from the database at the time of the request, so a call logged a
second ago is counted. Categories are read in one version of the request themes
(`helpline_reading`), so periods coded in different versions line up and one table never
mixes the codes of two versions.
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
from maillage.stats import helpline_rollup
from maillage.stats.helpline_reading import ThemesReading, themes_read_in
from maillage.stats.shares import Comparison, Period, Share, compare, shares
from maillage.stats.tabulate.dimensions import case_for
from maillage.stats.versions import UNMAPPED

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


def _keyed(reading: ThemesReading, rows: Iterable[tuple[int, int]]) -> tuple[dict[str, int], dict[str, int]]:
    """(level-2 category id, count) → count per level-1 key and per level-2 key in the reading's version."""
    themes: dict[str, int] = {}
    categories: dict[str, int] = {}
    for category_id, n in rows:
        key1, key2 = reading.key(1, category_id), reading.key(2, category_id)
        themes[key1] = themes.get(key1, 0) + n
        categories[key2] = categories.get(key2, 0) + n
    return themes, categories


def _labelled(reading: ThemesReading, level: int, counts: dict[str, int]) -> list[tuple[str, str, int]]:
    return [(key, reading.label(level, key), n) for key, n in counts.items()]


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
    reading: ThemesReading | None = None


def synthesis(organisation_ids: Iterable[int], period: Period, reading: ThemesReading | None = None) -> Synthesis:
    """The weekly synthesis (or that of any period), its categories read in one version (the one in force)."""
    reading = reading or themes_read_in(None)
    ids = list(organisation_ids)
    calls = calls_in(ids, period)
    requests = requests_in(ids, period)
    total = Totals(calls.count(), requests.count())
    of_requests = _("share of the %(count)s requests") % {"count": total.requests}
    of_calls = _("share of the %(count)s calls") % {"count": total.calls}
    detail = list(requests.order_by().values("category_id").annotate(n=Count("*")).values_list("category_id", "n"))
    theme_counts, _categories = _keyed(reading, detail)
    themes = Section(
        "themes",
        _("Requests by theme"),
        of_requests,
        total.requests,
        shares(_labelled(reading, 1, theme_counts), total.requests),
    )
    # Level-2 keys under the level-1 key each category counts under.
    grouped: dict[str, dict[str, int]] = {}
    for category_id, n in detail:
        under = grouped.setdefault(reading.key(1, category_id), {})
        key2 = reading.key(2, category_id)
        under[key2] = under.get(key2, 0) + n
    subthemes: dict[str, Section] = {}
    for theme in themes.rows:
        subthemes[theme.key] = Section(
            f"theme-{theme.key}",
            theme.label,
            _("share of the %(count)s requests of this theme") % {"count": theme.count},
            theme.count,
            shares(_labelled(reading, 2, grouped.get(theme.key, {})), theme.count),
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
        reading=reading,
    )


@dataclass
class Bilan:
    period: Period
    previous: Period | None
    base: str
    totals_now: Totals
    totals_before: Totals
    themes: list[Comparison]
    categories: list[Comparison]
    year_before: Period | None = None
    totals_year_before: Totals | None = None
    reading: ThemesReading | None = None

    def _base(self, totals: Totals | None) -> int:
        if totals is None:
            return 0
        return totals.calls if self.base == BASE_CALLS else totals.requests

    @property
    def base_now(self) -> int:
        return self._base(self.totals_now)

    @property
    def base_before(self) -> int:
        return self._base(self.totals_before)

    @property
    def base_year_before(self) -> int:
        return self._base(self.totals_year_before)


@dataclass
class _PeriodCounts:
    calls: int
    requests: int
    themes: dict[str, int]
    categories: dict[str, int]


def _rolled_up_counts(
    ids: list[int], period: Period, base: str, reading: ThemesReading, since: date | None
) -> _PeriodCounts:
    """From the daily roll-up: the same figures as the journal gives, read from a few thousand rows; none
    before `since`, the journal's first day (years detached from it leave their counts in the roll-up)."""
    if since is None or since > period.last:
        return _PeriodCounts(0, 0, {}, {})
    first = max(period.first, since)
    rows = helpline_rollup.request_rows(ids, first, period.last)
    themes, categories = _keyed(reading, [(category_id, n) for category_id, n, _first in rows])
    calls = sum(first for *_rest, first in rows)
    if base == BASE_REQUESTS:
        return _PeriodCounts(calls, sum(categories.values()), themes, categories)
    sets = helpline_rollup.call_sets(ids, first, period.last)
    return _PeriodCounts(
        calls,
        sum(n for _category_id, n, _first in rows),
        helpline_rollup.keyed_calls(sets, reading.codes(1)),
        helpline_rollup.keyed_calls(sets, reading.codes(2)),
    )


def _period_counts(
    ids: list[int],
    period: Period,
    base: str,
    reading: ThemesReading,
    *,
    rolled_up: bool = False,
    since: date | None = None,
) -> _PeriodCounts:
    """Few queries per period: on the request base one GROUP BY category gives both levels and the total."""
    if rolled_up:
        return _rolled_up_counts(ids, period, base, reading, since)
    requests = requests_in(ids, period).order_by()
    if base == BASE_REQUESTS:
        # Every call has exactly one request at position 0 (the services write positions 0..n-1 and refuse
        # a call without request), so the same index-only scan also counts the calls.
        rows = list(
            requests.values("category_id")
            .annotate(n=Count("*"), first=Count("position", filter=Q(position=0)))
            .values_list("category_id", "n", "first")
        )
        themes, categories = _keyed(reading, [(category_id, n) for category_id, n, _first in rows])
        return _PeriodCounts(sum(first for *_rest, first in rows), sum(categories.values()), themes, categories)
    # Calls: a call counts once under a key however many of its requests read as that key, so the key is
    # worked out in SQL before the distinct count.
    distinct = Count("call_id", distinct=True)

    def per_key(level: int) -> dict[str, int]:
        rows = requests.annotate(key=case_for("category_id", reading.codes(level))).values("key").annotate(n=distinct)
        counts: dict[str, int] = {}
        for row in rows.values_list("key", "n"):
            key = row[0] or UNMAPPED
            counts[key] = counts.get(key, 0) + row[1]
        return counts

    return _PeriodCounts(calls_in(ids, period).count(), requests.count(), per_key(1), per_key(2))


def bilan(
    organisation_ids: Iterable[int],
    period: Period,
    base: str = BASE_REQUESTS,
    *,
    reading: ThemesReading | None = None,
    compared: bool = True,
    rolled_up: bool | None = None,
) -> Bilan:
    """Each theme's count and share in `period`, in the period of the same length before it and in the same
    period a year before (not when `compared` is False: a period from the line's first day has none).

    Read from the daily roll-up when it is complete (`rolled_up` None: asked of it), else from the journal;
    both give the same figures."""
    if base not in BASES:
        raise ValueError(f"Unknown base {base!r}")
    reading = reading or themes_read_in(None)
    ids = list(organisation_ids)
    if rolled_up is None:
        rolled_up = helpline_rollup.is_complete()
    since = helpline_rollup.first_day(ids) if rolled_up else None
    now = _period_counts(ids, period, base, reading, rolled_up=rolled_up, since=since)
    previous = period.previous() if compared else None
    year_before = period.year_before() if compared else None
    before = (
        _period_counts(ids, previous, base, reading, rolled_up=rolled_up, since=since)
        if previous
        else _PeriodCounts(0, 0, {}, {})
    )
    year = _period_counts(ids, year_before, base, reading, rolled_up=rolled_up, since=since) if year_before else None
    result = Bilan(
        period,
        previous,
        base,
        Totals(now.calls, now.requests),
        Totals(before.calls, before.requests),
        [],
        [],
        year_before,
        Totals(year.calls, year.requests) if year else None,
        reading,
    )
    for level, attribute in ((1, "themes"), (2, "categories")):
        setattr(
            result,
            attribute,
            compare(
                _labelled(reading, level, getattr(now, attribute)),
                _labelled(reading, level, getattr(before, attribute)),
                result.base_now,
                result.base_before,
                _labelled(reading, level, getattr(year, attribute)) if year else None,
                result.base_year_before,
            ),
        )
    return result


__all__ = ["BASES", "Bilan", "Synthesis", "bilan", "date", "synthesis"]
