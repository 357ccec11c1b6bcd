"""The figures of a "my centre and the sector" page, answered at once from their last computation.

Counting every indicator for the network and protecting it for this reader takes about a second of CPU on a
big database (the LP audits, the roll-up reads of 30 centres). A reader does not wait for that: the figures of
every member centre × period of the grid of the open years are computed ahead (`warm_up`: the
`sector_figures` command on a timer, the year's opening, the refresh task) and kept (`KeptFigures`) with the
stamp of what they were computed from. While that stamp is unchanged they are the page's figures, however
old. When it changed (a follow-up recorded in the year, figures declared, the network, the rule, the
roll-ups or a category version), the page answers with them while they are under STALE_MAX old, saying when
they were computed, and a task computes them again: they were protected as a whole for the counts they were
computed from, so showing them discloses nothing new. Older than that, or when tasks run inside the request
(the development and test backend), the page computes them itself.

Kept figures are numbers and states: every language reads the same row (`localised` puts the words in).
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from maillage.casework.models import RollupState
from maillage.sector import memo
from maillage.sector.comparison import Comparison, Line, comparisons
from maillage.sector.counts import data_stamp, sector_centres
from maillage.sector.indicators import INDICATORS
from maillage.sector.localised import localised
from maillage.sector.models import DataYear, KeptFigures
from maillage.sector.monthly import AXES, version_in_force
from maillage.sector.periods import GRID, Period, latest_year, parse_period
from maillage.stats import disclosure

# Changes when the way page figures are computed changes: every kept one is then computed again.
METHOD = 2
# Stale figures (their stamp changed) are shown while a task computes them again, up to this age; the
# scheduled warm-up runs every hour, so older ones mean no worker runs: the page then computes them itself.
STALE_MAX = datetime.timedelta(days=1)
# An edit or a deletion of a follow-up leaves the stamp as it is: the warm-up computes again figures older
# than this whatever their stamp.
REFRESH_AFTER = datetime.timedelta(days=1)
REFRESH_LOCK_SECONDS = 300  # one refresh queued per page at a time (a failed task frees it after this)
# After a page's refresh, the year's other pages are computed again too, at most once in this time (the
# counts of a year being encoded change all day: the hourly warm-up catches up with the rest).
YEAR_WARM_UP_SECONDS = 900


@dataclass(frozen=True)
class PageFigures:
    items: list[Comparison]
    stamp: str
    computed_at: datetime.datetime
    stale: bool = False  # answered from an earlier computation while a fresh one is being made


def stamp_of(period: Period, centres: list[int] | None = None) -> str:
    """What a period's figures are computed from: the year's counts (`data_stamp`, every period of a year one
    disclosure family), the member centres, the rule, the roll-ups' build and the category versions."""
    rollups = list(RollupState.objects.order_by("pk").values_list("pk", "built_at"))
    versions = [getattr(version_in_force(axis), "pk", None) for axis in AXES]
    parts = (
        METHOD,
        data_stamp(Period(period.year)),
        sector_centres() if centres is None else centres,
        sorted(disclosure.Rule().as_dict().items()),
        rollups,
        versions,
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _tasks_run_in_request() -> bool:
    return str(settings.TASKS["default"]["BACKEND"]).endswith("ImmediateBackend")


def _as_json(items: list[Comparison]) -> list[dict[str, Any]]:
    return [
        {
            "indicator": item.indicator.code,
            "lines": [vars(line).copy() for line in item.lines],  # flat: no deep copy (asdict's) needed
            "own_total": item.own_total,
            "sector_total_text": item.sector_total_text,
            "centres": item.centres,
            "declared_centres": item.declared_centres,
            "refused": item.refused,
        }
        for item in items
    ]


def _from_json(rows: list[dict[str, Any]]) -> list[Comparison]:
    return [
        Comparison(
            indicator=INDICATORS[row["indicator"]],
            lines=[Line(**line) for line in row["lines"]],
            own_total=row["own_total"],
            sector_total_text=row["sector_total_text"],
            centres=row["centres"],
            declared_centres=row["declared_centres"],
            refused=row["refused"],
        )
        for row in rows
    ]


def compute(
    centre_id: int, period: Period, *, centres: list[int] | None = None, stamp: str | None = None
) -> PageFigures:
    """Count and protect every indicator now, and keep the result for every reader of the page. `centres`,
    `stamp`: the member centres and `stamp_of(period)` read before (never after) this call."""
    centres = sector_centres() if centres is None else centres
    # Read first: the counts read after it are at least as new (newer ones only make the next reader's
    # stamp differ, and the figures be computed again).
    stamp = stamp_of(period, centres) if stamp is None else stamp
    items = comparisons(centre_id, period, centres)
    now = timezone.now()
    KeptFigures.objects.update_or_create(
        organisation_id=centre_id,
        year=period.year,
        period=period.key,
        defaults={"stamp": stamp, "figures": _as_json(items), "computed_at": now},
    )
    return PageFigures(items, stamp, now)


def _kept(centre_id: int, period: Period) -> KeptFigures | None:
    return KeptFigures.objects.filter(organisation_id=centre_id, year=period.year, period=period.key).first()


def page_figures(centre_id: int, period: Period) -> PageFigures:
    """The page's figures in the active language: the kept ones while their stamp is unchanged, else the
    kept ones while under STALE_MAX old (a refresh queued), else computed now."""
    with memo.shared():  # the category versions read once for the stamp and the labels
        return _page_figures(centre_id, period)


def _page_figures(centre_id: int, period: Period) -> PageFigures:
    kept = _kept(centre_id, period)
    if kept is not None:
        stamp = stamp_of(period)
        figures = PageFigures(localised(_from_json(kept.figures)), kept.stamp, kept.computed_at)
        if kept.stamp == stamp:
            return figures
        if timezone.now() - kept.computed_at < STALE_MAX and not _tasks_run_in_request():
            if cache.add(
                f"maillage-sector-page-refresh:{centre_id}:{period.year}:{period.key}", True, REFRESH_LOCK_SECONDS
            ):
                refresh_page_figures.enqueue(centre_id, period.year, period.key)
            return dataclasses.replace(figures, stale=True)
    computed = compute(centre_id, period)
    return dataclasses.replace(computed, items=localised(computed.items))


@task()
def refresh_page_figures(centre_id: int, year: int, period_key: str) -> None:
    period = parse_period(str(year), period_key)
    try:
        compute(centre_id, period)
    finally:
        cache.delete(f"maillage-sector-page-refresh:{centre_id}:{year}:{period_key}")
    # The counts changed for every centre and period of the year: their pages next, in the background.
    if cache.add(f"maillage-sector-year-warm-up:{year}", True, YEAR_WARM_UP_SECONDS):
        warm_up_figures.enqueue([year])


# The warm-up ------------------------------------------------------------------------------------------------


def warm_years() -> list[int]:
    """The years whose figures are kept ahead: the open data years and the current one (the page's default)."""
    years = set(DataYear.objects.filter(status=DataYear.Status.OPEN).values_list("year", flat=True))
    return sorted(years | {latest_year()})


@dataclass
class WarmUp:
    computed: int = 0
    kept: int = 0  # already kept for the same stamp, and recent enough


def warm_up(years: Iterable[int] | None = None, *, force: bool = False) -> WarmUp:
    """Compute and keep the figures of every member centre × period of the grid of `years` (default
    `warm_years()`) whose kept figures are missing, stale, or older than REFRESH_AFTER (all with `force`).
    Centres in the outer loop of each year: the network's counts, patterns and the per-year families are
    read once and shared by every centre's periods (`counts`, `monthly`, `network_pattern` caches)."""
    result = WarmUp()
    centres = sector_centres()
    for year in warm_years() if years is None else years:
        periods = [Period(year, key) for key in GRID]
        stamp = stamp_of(periods[0], centres)  # one stamp for every period of a year
        fresh_since = timezone.now() - REFRESH_AFTER
        kept = {
            (row.organisation_id, row.period): row
            for row in KeptFigures.objects.filter(year=year).only("organisation_id", "period", "stamp", "computed_at")
        }
        with memo.shared():  # the year's counts, patterns and per-year families read once for all its pages
            for centre_id in centres:
                for period in periods:
                    row = kept.get((centre_id, period.key))
                    if not force and row is not None and row.stamp == stamp and row.computed_at >= fresh_since:
                        result.kept += 1
                        continue
                    compute(centre_id, period, centres=centres, stamp=stamp)
                    result.computed += 1
    return result


@task()
def warm_up_figures(years: list[int] | None = None) -> None:
    warm_up(years)


def warm_up_after_commit(years: list[int]) -> None:
    """Queue the warm-up of these years once the change that calls for it is committed (not where tasks run
    inside the request: there every page computes its figures itself)."""
    if not _tasks_run_in_request():
        transaction.on_commit(lambda: warm_up_figures.enqueue(years))
