"""The figures of a "my centre and the sector" page, answered at once from their last computation.

Counting every indicator for the network and protecting it for this reader takes about a second of CPU
(the LP audits, the roll-up reads of 30 centres), paid again whenever the counts change — for a period still
being encoded, after any follow-up. A reader does not wait for that: the page keeps its last computed figures
(every indicator, already protected together, for this centre, period and language) and answers with them
while they are less than STALE_MAX old, saying when they were computed, and a background task computes them
again. Stale figures were protected as a whole for the counts they were computed from, so showing them
discloses nothing new. When there is nothing recent enough, or when tasks run inside the request (the
development and test backend), the page computes them itself.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import get_language, override
from django_tasks import task

from maillage.sector.comparison import Comparison, comparisons
from maillage.sector.counts import CACHE_SECONDS, data_stamp, sector_centres
from maillage.sector.periods import Period, parse_period

STALE_MAX = datetime.timedelta(hours=1)
REFRESH_LOCK_SECONDS = 300  # one refresh queued per page at a time (a failed task frees it after this)


@dataclass(frozen=True)
class PageFigures:
    items: list[Comparison]
    stamp: tuple[Any, ...]
    computed_at: datetime.datetime
    stale: bool = False  # answered from an earlier computation while a fresh one is being made


def _key(centre_id: int, period: Period, language: str) -> str:
    return f"maillage-sector-page:{centre_id}:{period.year}:{period.key}:{language}"


def _stamp(period: Period) -> tuple[Any, ...]:
    """What the figures were computed from: the counts' stamps (the period's, its year's) and the network."""
    return (data_stamp(period), data_stamp(Period(period.year)), tuple(sector_centres()))


def _tasks_run_in_request() -> bool:
    return str(settings.TASKS["default"]["BACKEND"]).endswith("ImmediateBackend")


def compute(centre_id: int, period: Period) -> PageFigures:
    """Count and protect every indicator now, and keep the result for the next readers."""
    stamp = _stamp(period)
    figures = PageFigures(comparisons(centre_id, period, list(stamp[2])), stamp, timezone.now())
    cache.set(_key(centre_id, period, get_language()), figures, int(STALE_MAX.total_seconds()))
    return figures


def page_figures(centre_id: int, period: Period) -> PageFigures:
    """The page's figures: fresh ones (same counts, younger than the counts' cache), else the last ones while
    under STALE_MAX old (a refresh queued), else computed now."""
    language = get_language()
    key = _key(centre_id, period, language)
    kept: PageFigures | None = cache.get(key)
    if kept is not None:
        age = timezone.now() - kept.computed_at
        if age < datetime.timedelta(seconds=CACHE_SECONDS) and kept.stamp == _stamp(period):
            return kept
        if age < STALE_MAX and not _tasks_run_in_request():
            if cache.add(f"{key}:refreshing", True, REFRESH_LOCK_SECONDS):
                refresh_page_figures.enqueue(centre_id, period.year, period.key, language)
            return replace(kept, stale=True)
    return compute(centre_id, period)


@task()
def refresh_page_figures(centre_id: int, year: int, period_key: str, language: str) -> None:
    period = parse_period(str(year), period_key)
    try:
        with override(language):
            compute(centre_id, period)
    finally:
        cache.delete(f"{_key(centre_id, period, language)}:refreshing")
