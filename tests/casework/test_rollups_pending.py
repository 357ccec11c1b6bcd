"""The roll-up cells of an imported centre recounted after the import's commit (`rollups_pending`): while the
centre is marked its cross-tabs read the raw rows (exact), other centres keep reading cells; the recount gives
the cells a full rebuild gives; a follow-up recorded while a recount reads the rows waits, one recorded while it
counts is kept aside, either counted once; a
recount that dies leaves the mark, the reads exact, and the scheduled job recounts the centre; the sector figures
(which read through the same engine) stay exact throughout."""

from __future__ import annotations

import datetime
import io
import threading
import time
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from maillage.casework import rollups, rollups_pending, rollups_rebuild, services
from maillage.casework.models import (
    CaseFile,
    ImportKind,
    Person,
    RollupPendingChange,
    RollupRecountPending,
    StatCell,
)
from maillage.stats.crosstab import Params, Scope, build
from maillage.taxonomy.models import Category
from tests.casework.factories import PersonFactory
from tests.casework.test_import_bulk_writes import FOLLOW_UPS, PERSONS, _run, centre, import_storage  # noqa: F401
from tests.casework.test_rollups import _figures, _used_rollup
from tests.factories import OrganisationFactory, member

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="roll-ups are kept on PostgreSQL only"),
]

PAIRS = [
    Params("requests", ["theme2", "year"]),
    Params("followups", ["mode", "year"]),
    Params("persons", ["sex", "year"]),
    Params("case_files", ["theme1", "sex"]),
]


def _theme(code: str) -> Category:
    return Category.objects.get(version__scheme__code="request-themes", version__status="published", code=code)


def _cells() -> set[tuple[Any, ...]]:
    return set(StatCell.objects.exclude(n=0).values_list("kind", "gset", "organisation_id", "period", "a", "b", "n"))


def _rebuilt_cells() -> set[tuple[Any, ...]]:
    """What a full recount gives, without keeping it."""
    with transaction.atomic():
        kept = _cells()
        rollups_rebuild.rebuild()
        rebuilt = _cells()
        transaction.set_rollback(True)
    assert _cells() == kept
    return rebuilt


def _raw(params: Params, scope: Scope, monkeypatch: pytest.MonkeyPatch) -> dict[tuple[str, str, str], Any]:
    with monkeypatch.context() as patch:
        patch.setattr(rollups, "available", lambda *arguments: False)
        return _figures(build(params, scope))


def _record(actor: Any, person: Person, day: datetime.date, theme: str = "FOOD.PARCEL") -> None:
    case_file = CaseFile.objects.filter(person=person).order_by("-opened_on").first()
    services.record_follow_up(
        actor,
        case_file,
        services.FollowUpData(date=day, mode="phone", worker=actor),
        [services.RequestData(_theme(theme))],
    )


@pytest.fixture
def two_centres(centre: dict[str, Any]) -> dict[str, Any]:  # noqa: F811 - the fixture imported above
    """The import's centre and another one with a follow-up of its own, roll-ups built over both."""
    other = OrganisationFactory(short_name="Other centre")
    worker = member("worker", other)
    person = PersonFactory(organisation=other, reference="P-000001", birth_year=1970, sex="f")
    CaseFile.objects.create(organisation=other, person=person, opened_on=datetime.date(2022, 1, 1))
    _record(worker, person, datetime.date(2022, 5, 3))
    rollups_rebuild.rebuild()
    return {**centre, "other": other, "other_worker": worker, "other_person": person}


@pytest.mark.django_db
def test_a_cross_tab_after_an_import_equals_the_raw_count_before_and_after_the_recount(two_centres, monkeypatch):
    organisation, other = two_centres["organisation"], two_centres["other"]
    for kind, content in [(ImportKind.PERSONS, PERSONS), (ImportKind.FOLLOWUPS, FOLLOW_UPS)]:
        assert _run(two_centres, kind, content)[5] == []
    assert rollups_pending.any_pending([organisation.pk])
    assert not rollups_pending.any_pending([other.pk])
    kind = rollups.find(rollups.REQUESTS, ("mode",), rollups.MONTH)
    assert kind is not None
    assert not rollups.available(kind.kind, [organisation.pk])
    assert not rollups.available(kind.kind, [organisation.pk, other.pk])
    assert not rollups.available(kind.kind)
    assert rollups.available(kind.kind, [other.pk])  # the other centre keeps reading its cells
    for scope in (Scope([organisation.pk]), Scope([organisation.pk, other.pk])):
        for params in PAIRS:
            assert not _used_rollup(params, scope)
            assert _figures(build(params, scope)) == _raw(params, scope, monkeypatch)
    assert _used_rollup(PAIRS[0], Scope([other.pk]))

    # The cells of the centre left as they were before the import: the recount must replace them, not add.
    rebuilt = _rebuilt_cells()
    assert _cells() != rebuilt
    assert rollups_pending.recount(organisation.pk)
    assert not rollups_pending.recount(organisation.pk)  # a repeated task does nothing
    assert _cells() == rebuilt
    assert rollups.available(kind.kind, [organisation.pk, other.pk])
    for scope in (Scope([organisation.pk]), Scope([organisation.pk, other.pk])):
        for params in PAIRS:
            assert _used_rollup(params, scope)
            assert _figures(build(params, scope)) == _raw(params, scope, monkeypatch)


@pytest.mark.django_db
def test_the_recount_gives_the_cells_of_a_full_rebuild_whatever_the_cells_held(two_centres):
    organisation = two_centres["organisation"]
    rebuilt = _rebuilt_cells()
    # Cells gone wrong (a bulk load outside the services, say): the recount counts them again from the rows.
    StatCell.objects.filter(organisation_id=organisation.pk).update(n=999)
    StatCell.objects.create(
        kind=rollups.REQUESTS, gset=0, organisation_id=organisation.pk, period=rollups.ALL_TIME, n=5
    )
    RollupRecountPending.objects.create(organisation=organisation)
    assert rollups_pending.recount(organisation.pk)
    assert _cells() == rebuilt
    assert not RollupRecountPending.objects.exists()


@pytest.mark.django_db
def test_a_recount_that_dies_leaves_the_mark_and_the_reads_exact_until_the_scheduled_job(two_centres, monkeypatch):
    organisation = two_centres["organisation"]
    for kind, content in [(ImportKind.PERSONS, PERSONS), (ImportKind.FOLLOWUPS, FOLLOW_UPS)]:
        _run(two_centres, kind, content)
    rebuilt = _rebuilt_cells()
    counted = rollups_rebuild.cell_counts

    def dies_half_way(*arguments: Any) -> Any:
        for number, item in enumerate(counted(*arguments)):
            if number == 3:  # the centre's cells deleted, some counted again
                raise RuntimeError("the worker stopped")
            yield item

    with monkeypatch.context() as patch:
        patch.setattr(rollups_rebuild, "cell_counts", dies_half_way)
        with pytest.raises(RuntimeError):
            rollups_pending.recount(organisation.pk)
    assert rollups_pending.any_pending([organisation.pk])
    scope = Scope([organisation.pk])
    for params in PAIRS:
        assert not _used_rollup(params, scope)
        assert _figures(build(params, scope)) == _raw(params, scope, monkeypatch)
    out = io.StringIO()
    call_command("casework_rollups_pending", stdout=out)
    assert out.getvalue() == "Roll-ups of 1 centre(s) recounted.\n"
    assert _cells() == rebuilt
    assert not rollups_pending.any_pending()


def _waiting_on_an_advisory_lock(connection_pids: set[int]) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND pid = ANY(%s)",
            [list(connection_pids)],
        )
        return bool(cursor.fetchone()[0])


def _record_during_the_recount(
    organisation: Any, coordinator: Any, monkeypatch: pytest.MonkeyPatch, pause_in: str
) -> tuple[Person, bool]:
    """A follow-up recorded (another connection) while the centre's recount is paused in `rollups_rebuild`'s
    `pause_in`; whether the writer had to wait for the recount. Returns once both are done."""
    person = PersonFactory(organisation=organisation, reference="P-000001", birth_year=1980, sex="m")
    CaseFile.objects.create(organisation=organisation, person=person, opened_on=datetime.date(2023, 1, 1))
    _record(coordinator, person, datetime.date(2023, 2, 1))
    rollups_rebuild.rebuild()
    RollupRecountPending.objects.create(organisation=organisation)
    paused, go_on = threading.Event(), threading.Event()
    original = getattr(rollups_rebuild, pause_in)

    def pausing(*arguments: Any) -> Any:
        paused.set()
        assert go_on.wait(30)
        return original(*arguments)

    monkeypatch.setattr(rollups_rebuild, pause_in, pausing)
    errors: list[BaseException] = []
    writer_pids: set[int] = set()

    def in_thread(work: Any) -> None:
        try:
            work()
        except BaseException as error:  # reported by the test below
            errors.append(error)
        finally:
            connection.close()

    def write() -> None:
        connection.ensure_connection()
        writer_pids.add(int(connection.connection.info.backend_pid))
        _record(coordinator, Person.objects.get(pk=person.pk), datetime.date(2024, 3, 4), "HOUSING.SEARCH")

    recount = threading.Thread(target=in_thread, args=(lambda: rollups_pending.recount(organisation.pk),))
    recount.start()
    assert paused.wait(30)
    writer = threading.Thread(target=in_thread, args=(write,))
    writer.start()
    waited = False
    for _attempt in range(300):  # the writer either reaches the centre's lock and waits there, or is done
        if writer_pids and _waiting_on_an_advisory_lock(writer_pids):
            waited = True
            break
        if not writer.is_alive():
            break
        time.sleep(0.1)
    if not waited:
        writer.join(60)
        assert RollupPendingChange.objects.filter(organisation=organisation).exists()  # kept aside
    go_on.set()
    recount.join(60)
    writer.join(60)
    assert errors == []
    monkeypatch.setattr(rollups_rebuild, pause_in, original)
    return person, waited


def _exact_after(organisation: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    assert not rollups_pending.any_pending()
    assert not RollupPendingChange.objects.exists()
    assert _cells() == _rebuilt_cells()
    scope = Scope([organisation.pk])
    for params in PAIRS:
        assert _used_rollup(params, scope)
        assert _figures(build(params, scope)) == _raw(params, scope, monkeypatch)


@pytest.mark.django_db(transaction=True)
def test_a_follow_up_recorded_while_the_recount_reads_the_rows_waits_and_is_counted_once(
    organisation, coordinator, casework_schemes, monkeypatch
):
    _person, waited = _record_during_the_recount(organisation, coordinator, monkeypatch, "narrow_select")
    assert waited
    _exact_after(organisation, monkeypatch)


@pytest.mark.django_db(transaction=True)
def test_a_follow_up_recorded_while_the_recount_counts_is_kept_aside_and_counted_once(
    organisation, coordinator, casework_schemes, monkeypatch
):
    _person, waited = _record_during_the_recount(organisation, coordinator, monkeypatch, "cell_counts")
    assert not waited
    _exact_after(organisation, monkeypatch)


@pytest.mark.django_db
def test_a_recount_keeps_the_mark_of_an_import_made_while_it_counted(two_centres):
    organisation = two_centres["organisation"]
    RollupRecountPending.objects.create(organisation=organisation, marked_at=timezone.now() - datetime.timedelta(1))
    counted = rollups_rebuild.cell_counts

    def import_meanwhile(*arguments: Any) -> Any:
        RollupRecountPending.objects.filter(organisation=organisation).update(marked_at=timezone.now())
        yield from counted(*arguments)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rollups_rebuild, "cell_counts", import_meanwhile)
        assert rollups_pending.recount(organisation.pk)
    assert rollups_pending.any_pending([organisation.pk])  # its rows may not be in those counted: again
    assert rollups_pending.recount(organisation.pk)
    assert not rollups_pending.any_pending()


@pytest.mark.django_db
def test_the_sector_figures_of_an_imported_centre_stay_exact_before_and_after_the_recount(two_centres, monkeypatch):
    from maillage.sector.counts import counts_for
    from maillage.sector.periods import Period

    organisation, other = two_centres["organisation"], two_centres["other"]
    for kind, content in [(ImportKind.PERSONS, PERSONS), (ImportKind.FOLLOWUPS, FOLLOW_UPS)]:
        _run(two_centres, kind, content)
    indicators = ["persons", "followups", "requests", "requests.theme1", "persons.sex", "followups.mode"]
    centres = [organisation.pk, other.pk]

    def figures() -> list[Any]:
        return [counts_for(code, Period(2024), centres, fresh=True).by_centre for code in indicators]

    with monkeypatch.context() as patch:
        patch.setattr(rollups, "available", lambda *arguments: False)
        raw = figures()
    assert raw[1][organisation.pk]  # the imported follow-ups of 2024 are counted
    answers: list[bool] = []
    available = rollups.available

    def said(*arguments: Any) -> bool:
        answers.append(available(*arguments))
        return answers[-1]

    monkeypatch.setattr(rollups, "available", said)
    assert figures() == raw  # while the centre waits for its recount: its rows are read
    assert answers
    assert not any(answers)
    answers.clear()
    assert rollups_pending.recount(organisation.pk)
    assert figures() == raw
    assert any(answers)  # the cells are read again
