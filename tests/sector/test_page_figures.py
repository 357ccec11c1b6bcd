"""My centre and the sector, answered from figures computed ahead and kept while their counts are unchanged."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override
from django_tasks import default_task_backend

from maillage.sector import page_figures, services
from maillage.sector.comparison import comparisons
from maillage.sector.counts import sector_centres
from maillage.sector.models import KeptFigures
from maillage.sector.periods import GRID, Period
from tests.conftest import client_for
from tests.sector.conftest import YEAR, World, add_persons

URL = reverse("sector:centre")


def _today() -> datetime.date:
    """In the year being encoded: a follow-up recorded in it changes the counts' stamp at once."""
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


def _refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
    raise AssertionError("the figures were computed again")


@pytest.fixture
def nothing_computed(monkeypatch):  # type: ignore[no-untyped-def]
    """Fails the test if any indicator is counted and protected (the page must answer from kept figures)."""
    monkeypatch.setattr(page_figures, "comparisons", _refuse)


@pytest.fixture
def nothing_computed_later(monkeypatch):  # type: ignore[no-untyped-def]
    """The same, from when the test calls it."""
    return lambda: monkeypatch.setattr(page_figures, "comparisons", _refuse)


def _this_year(world: World) -> None:
    for centre in world.centres.values():
        add_persons(centre, world.worker, "FOOD.PARCEL", 6, day=_today())


def _page(world: World, year: int | None = None, period: str = "year", language: str = "en"):  # type: ignore[no-untyped-def]
    client = client_for(world.coordinator)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client.get(URL, {"centre": world.ours.pk, "year": year or _today().year, "period": period})


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
    # The counts changed for every page of the year: the refresh queued their warm-up.
    assert [(r.task.name, list(r.args)) for r in queued.results[1:]] == [("warm_up_figures", [[_today().year]])]


def test_figures_older_than_the_limit_are_counted_again_in_the_request(world: World, queued, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _this_year(world)
    _page(world)
    add_persons(world.ours, world.worker, "FOOD.PARCEL", 1, day=_today())
    later = timezone.now() + page_figures.STALE_MAX + datetime.timedelta(minutes=1)
    monkeypatch.setattr(page_figures.timezone, "now", lambda: later)
    response = _page(world)
    assert _persons(response) == (7, 37)
    assert queued.results == []


def test_kept_figures_stay_valid_while_their_counts_are_unchanged(world: World, queued, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """No expiry by age: a reader a week later, without any reader between, is answered from them."""
    _this_year(world)
    _page(world)
    cache.clear()
    later = timezone.now() + datetime.timedelta(days=7)
    monkeypatch.setattr(page_figures.timezone, "now", lambda: later)
    monkeypatch.setattr(page_figures, "comparisons", _refuse)
    response = _page(world)
    assert _persons(response) == (6, 36)
    assert "being updated" not in _computed_line(response)
    assert queued.results == []


def test_tasks_run_in_the_request_count_at_once(world: World) -> None:
    """The development and test backend: nothing is served stale."""
    _this_year(world)
    assert _persons(_page(world)) == (6, 36)
    add_persons(world.ours, world.worker, "FOOD.PARCEL", 1, day=_today())
    response = _page(world)
    assert _persons(response) == (7, 37)
    assert "being updated" not in _computed_line(response)


def test_the_warm_up_keeps_every_centre_and_period_once(world: World) -> None:
    done = page_figures.warm_up([YEAR])
    centres = sector_centres()
    assert done.computed == len(centres) * len(GRID)
    kept = set(KeptFigures.objects.filter(year=YEAR).values_list("organisation_id", "period"))
    assert kept == {(centre, key) for centre in centres for key in GRID}
    assert page_figures.warm_up([YEAR]).computed == 0  # nothing changed: nothing computed
    add_persons(world.ours, world.worker, "FOOD.PARCEL", 1, day=datetime.date(YEAR, 11, 2))  # a late follow-up
    assert page_figures.warm_up([YEAR]).computed == len(centres) * len(GRID)


@pytest.fixture
def warmed(world: World) -> World:
    page_figures.warm_up([YEAR])
    cache.clear()  # every cached count and family gone: only the kept figures remain
    return world


def test_a_page_after_the_warm_up_computes_nothing(warmed: World, nothing_computed) -> None:  # type: ignore[no-untyped-def]
    for period in ("year", "q1", "t1"):
        response = _page(warmed, YEAR, period)
        assert response.status_code == 200
        assert "being updated" not in _computed_line(response)
    assert _persons(_page(warmed, YEAR))[0] == 13


def test_a_language_switch_computes_nothing_and_puts_the_words_in_that_language(
    warmed: World, nothing_computed
) -> None:  # type: ignore[no-untyped-def]
    english = _page(warmed, YEAR, language="en")
    french = _page(warmed, YEAR, language="fr")
    assert french.status_code == 200
    labels = {
        language: {
            c["comparison"].indicator.code: [line.label for line in c["comparison"].lines]
            for group in response.context["groups"]
            for c in group["comparisons"]
        }
        for language, response in (("en", english), ("fr", french))
    }
    assert labels["en"]["followups.referral"] != labels["fr"]["followups.referral"]
    assert KeptFigures.objects.filter(organisation=warmed.ours, year=YEAR, period="year").count() == 1


def test_kept_figures_equal_a_fresh_computation(warmed: World) -> None:
    """Numbers, states and words: the kept figures put in each language are what counting now gives."""
    for language, key in (("en", "year"), ("fr", "q1"), ("nl", "t1"), ("fr", "year")):
        period = Period(YEAR, key)
        with override(language):
            shown = page_figures.page_figures(warmed.ours.pk, period)
            cache.clear()
            fresh = comparisons(warmed.ours.pk, period, sector_centres())
        assert not shown.stale
        assert shown.items == fresh, (language, key)


def test_the_command_warms_up_and_says_what_it_did(world: World, capsys) -> None:  # type: ignore[no-untyped-def]
    call_command("sector_figures", "--year", str(YEAR))
    pages = len(sector_centres()) * len(GRID)
    assert f"{pages} pages computed, 0 already up to date" in capsys.readouterr().out
    call_command("sector_figures", "--year", str(YEAR))
    assert f"0 pages computed, {pages} already up to date" in capsys.readouterr().out
    with pytest.raises(CommandError, match="--year must be a year between"):
        call_command("sector_figures", "--year", "1999")


def test_opening_a_year_queues_its_warm_up(world: World, queued, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        services.open_year(world.staff, YEAR)
    assert [(r.task.name, list(r.args)) for r in queued.results] == [("warm_up_figures", [[YEAR]])]
    assert YEAR in page_figures.warm_years()


def test_lines_in_the_order_of_their_names_follow_the_reader_s_language(world: World, nothing_computed_later) -> None:  # type: ignore[no-untyped-def]
    """Communes are listed by name: Auderghem before Ixelles in French, Elsene (Ixelles) before Oudergem in
    Dutch. Figures kept from a French computation are put in the Dutch order."""
    from maillage.casework.models import Person
    from maillage.core.models import Commune

    auderghem, ixelles = (Commune.objects.get(postal_codes__code=code) for code in ("1160", "1050"))
    for index, person in enumerate(Person.objects.order_by("pk")):
        Person.objects.filter(pk=person.pk).update(commune=auderghem if index % 2 else ixelles)
    period = Period(YEAR)
    with override("fr"):
        page_figures.compute(world.ours.pk, period)
    nothing_computed_later()
    with override("nl"):
        shown = page_figures.page_figures(world.ours.pk, period)
    communes = next(item for item in shown.items if item.indicator.code == "persons.commune")
    assert [line.label for line in communes.lines] == ["Elsene", "Oudergem"]
