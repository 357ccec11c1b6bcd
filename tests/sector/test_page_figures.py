"""My centre and the sector, answered from its last computed figures while a task computes them again."""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django_tasks import default_task_backend

from maillage.sector import page_figures
from maillage.sector.periods import Period
from tests.conftest import client_for
from tests.sector.conftest import YEAR, World, add_persons

URL = reverse("sector:centre")


def _today() -> datetime.date:
    """In a period still being encoded: a follow-up recorded in it changes the counts' stamp at once."""
    return timezone.localdate()


def _persons(response) -> tuple[int, int | None]:  # type: ignore[no-untyped-def]
    for group in response.context["groups"]:
        for comparison in group["totals"]:
            if comparison.indicator.code == "persons":
                line = comparison.lines[0]
                return line.own, line.sector
    raise AssertionError("persons")


def _computed_line(response) -> str:  # type: ignore[no-untyped-def]
    return dict(response.context["about"])["Figures computed on"]


@pytest.fixture
def queued(settings):  # type: ignore[no-untyped-def]
    """Tasks queued, not run: what production's worker sees."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()  # type: ignore[attr-defined]
    yield default_task_backend
    default_task_backend.clear()  # type: ignore[attr-defined]


def _this_year(world: World) -> None:
    for centre in world.centres.values():
        add_persons(centre, world.worker, "FOOD.PARCEL", 6, day=_today())


def _page(world: World):  # type: ignore[no-untyped-def]
    return client_for(world.coordinator).get(URL, {"centre": world.ours.pk, "year": _today().year, "period": "year"})


def test_a_new_follow_up_is_answered_from_the_last_figures_while_a_task_counts_again(world: World, queued) -> None:  # type: ignore[no-untyped-def]
    _this_year(world)
    first = _page(world)
    assert _persons(first) == (6, 36)
    assert "being updated" not in _computed_line(first)
    assert queued.results == []
    add_persons(world.ours, world.worker, "FOOD.PARCEL", 1, day=_today())

    stale = _page(world)
    assert _persons(stale) == (6, 36)  # the figures protected together before, as they were
    assert "being updated" in _computed_line(stale)
    assert [result.task.name for result in queued.results] == ["refresh_page_figures"]
    _page(world)
    assert len(queued.results) == 1  # one refresh at a time per page

    result = queued.results[0]
    result.task.call(*result.args, **result.kwargs)  # the worker runs it
    fresh = _page(world)
    assert _persons(fresh) == (7, 37)
    assert "being updated" not in _computed_line(fresh)


def test_figures_older_than_the_limit_are_counted_again_in_the_request(world: World, queued, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _this_year(world)
    _page(world)
    add_persons(world.ours, world.worker, "FOOD.PARCEL", 1, day=_today())
    later = timezone.now() + page_figures.STALE_MAX + datetime.timedelta(minutes=1)
    monkeypatch.setattr(page_figures.timezone, "now", lambda: later)
    response = _page(world)
    assert _persons(response) == (7, 37)
    assert queued.results == []


def test_tasks_run_in_the_request_count_at_once(world: World) -> None:
    """The development and test backend: nothing is served stale."""
    _this_year(world)
    assert _persons(_page(world)) == (6, 36)
    add_persons(world.ours, world.worker, "FOOD.PARCEL", 1, day=_today())
    response = _page(world)
    assert _persons(response) == (7, 37)
    assert "being updated" not in _computed_line(response)


def test_each_centre_and_language_keeps_its_own_figures(world: World, queued) -> None:  # type: ignore[no-untyped-def]
    _this_year(world)
    period = Period(_today().year)
    ours = page_figures.page_figures(world.ours.pk, period)
    other_centre = world.centres["CSS B"]
    theirs = page_figures.page_figures(other_centre.pk, period)
    own = {f.indicator.code: f.lines[0].own for f in ours.items if f.indicator.code == "persons"}
    other = {f.indicator.code: f.lines[0].own for f in theirs.items if f.indicator.code == "persons"}
    assert own == other == {"persons": 6}
    assert cache.get(page_figures._key(world.ours.pk, period, "en")) is not None
    assert cache.get(page_figures._key(other_centre.pk, period, "en")) is not None
    from django.utils.translation import override

    with override("fr"):
        page_figures.page_figures(world.ours.pk, period)
    kept = {lang: cache.get(page_figures._key(world.ours.pk, period, lang)) for lang in ("en", "fr")}
    assert kept["en"] is not None
    assert kept["fr"] is not None
    assert kept["en"].items[0].indicator.code == kept["fr"].items[0].indicator.code
    assert cache.get(page_figures._key(world.ours.pk, Period(YEAR), "en")) is None  # another period: untouched
