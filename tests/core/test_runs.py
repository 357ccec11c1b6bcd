"""Background runs always end: against a real table of a concrete run model defined here.

The model's app label is not an installed app, so it is invisible to migrations; its table is
created for this module only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.utils import timezone, translation

from maillage.core.runs import BackgroundRun, heartbeat, mark_stale_runs, retry, run_guarded


class GuardedRun(BackgroundRun):
    label = models.CharField(max_length=40, default="")

    class Meta:
        app_label = "maillage_runs_tests"


Status = BackgroundRun.Status


@pytest.fixture(scope="module")
def run_table(django_db_setup, django_db_blocker) -> Iterator[None]:  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock(), connection.schema_editor() as editor:
        editor.create_model(GuardedRun)
    yield
    with django_db_blocker.unblock(), connection.schema_editor() as editor:
        editor.delete_model(GuardedRun)


@pytest.fixture
def run(run_table, db) -> GuardedRun:  # type: ignore[no-untyped-def]
    return GuardedRun.objects.create(label="import")


def _stored(run: GuardedRun) -> tuple[str, str]:
    fresh = GuardedRun.objects.get(pk=run.pk)
    return fresh.status, fresh.failure_reason


def test_run_guarded_marks_success_and_returns_the_result(run: GuardedRun) -> None:
    seen: list[str] = []

    def work() -> int:
        seen.append(GuardedRun.objects.get(pk=run.pk).status)
        return 42

    assert run_guarded(run, work) == 42
    fresh = GuardedRun.objects.get(pk=run.pk)
    assert seen == ["running"]
    assert (fresh.status, fresh.failure_reason) == ("succeeded", "")
    assert fresh.started_at is not None
    assert fresh.finished_at is not None
    assert fresh.started_at <= fresh.finished_at
    assert run.is_finished is True


def test_validation_error_fails_the_run_with_its_message_and_nothing_of_the_work_stays(run: GuardedRun) -> None:
    def work() -> None:
        GuardedRun.objects.create(label="half-written")
        raise ValidationError("Line 3: a field is longer than 100000 characters.")

    assert run_guarded(run, work) is None
    assert _stored(run) == ("failed", "Line 3: a field is longer than 100000 characters.")
    assert run.status == "failed"
    assert GuardedRun.objects.filter(label="half-written").exists() is False


def test_unexpected_error_gives_a_translated_reason_and_logs_the_traceback(
    run: GuardedRun, caplog: pytest.LogCaptureFixture
) -> None:
    def work() -> None:
        raise KeyError("sheet1")

    with translation.override("fr"), caplog.at_level(logging.ERROR, logger="maillage.core.runs"):
        run_guarded(run, work)
    assert _stored(run) == (
        "failed",
        (
            "L'import s'est arrêté sur une erreur inattendue ; rien n'a été enregistré. "
            "Réessayez ou contactez le support."
        ),
    )
    assert [record.exc_info[0] for record in caplog.records if record.exc_info] == [KeyError]


def test_a_run_delivered_twice_does_its_work_once(run: GuardedRun) -> None:
    calls: list[int] = []
    run_guarded(run, lambda: calls.append(1))
    again = GuardedRun.objects.get(pk=run.pk)
    assert run_guarded(again, lambda: calls.append(2)) is None
    assert calls == [1]
    assert _stored(run) == ("succeeded", "")


def test_stale_runs_are_failed_and_their_worker_told_to_stop(run: GuardedRun) -> None:
    now = timezone.now()
    old = now - timedelta(minutes=30)
    GuardedRun.objects.filter(pk=run.pk).update(status=Status.RUNNING, started_at=old, heartbeat_at=old)
    alive = GuardedRun.objects.create(status=Status.RUNNING, started_at=old, heartbeat_at=now)
    never_beat = GuardedRun.objects.create(status=Status.RUNNING, started_at=old)
    queued = GuardedRun.objects.create(status=Status.QUEUED)
    done = GuardedRun.objects.create(status=Status.SUCCEEDED, started_at=old, heartbeat_at=old)

    with translation.override("nl"):
        assert mark_stale_runs(GuardedRun.objects.all(), timedelta(minutes=10)) == 2
    assert _stored(run) == (
        "failed",
        "De verwerking is vóór het einde gestopt; er gebeurt niets meer. Start ze opnieuw.",
    )
    assert [_stored(other)[0] for other in (never_beat, alive, queued, done)] == [
        "failed",
        "running",
        "queued",
        "succeeded",
    ]
    run.status = Status.RUNNING  # the worker's stale copy
    assert heartbeat(run) is False
    assert heartbeat(alive) is True


def test_a_failed_run_can_be_started_again(run: GuardedRun) -> None:
    run_guarded(run, lambda: 1 / 0)
    assert retry(run) is True
    assert _stored(run) == ("queued", "")
    assert run_guarded(run, lambda: "done") == "done"
    assert retry(run) is False


@pytest.mark.django_db(transaction=True)
def test_failure_is_recorded_when_the_work_owns_its_transaction(run_table) -> None:  # type: ignore[no-untyped-def]
    """The worker's case: autocommit, the work's own transaction rolls back, the failure still commits."""
    run = GuardedRun.objects.create(label="import")
    beats: list[bool] = []

    def work() -> None:
        beats.append(heartbeat(run))
        with transaction.atomic():
            GuardedRun.objects.create(label="half-written")
            raise ValidationError("The workbook has no sheet.")

    assert connection.in_atomic_block is False
    run_guarded(run, work)
    assert beats == [True]
    assert _stored(run) == ("failed", "The workbook has no sheet.")
    assert GuardedRun.objects.filter(label="half-written").exists() is False
