"""Two imports of one follow-ups file at the same moment (a double click, two workers), on PostgreSQL: threads
with their own connections. The centre's writers take turns (services.lock_persons_of) before the follow-ups
already there are read, so the second finds the first's and updates them: one set of rows, no failure."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection

from maillage.casework import services
from maillage.casework.imports import running
from maillage.casework.models import CaseFile, FollowUp, ImportKind, ImportRun, Person, Request
from maillage.core.models import AuditEntry
from tests.casework.factories import PersonFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="two connections at once need PostgreSQL"),
]

FOLLOW_UPS = (
    "source_id,person_source_id,date,mode,theme\n"
    "F1,P1,2024-03-01,phone,FOOD.PARCEL\n"
    "F2,P1,2024-03-02,appointment,HOUSING.SEARCH\n"
    "F3,P2,2024-03-05,walk_in,FOOD.PARCEL\n"  # P2 has no case file: the import opens one
)


@pytest.fixture(autouse=True)
def import_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }


def test_two_imports_of_one_follow_ups_file_at_once_write_it_once(
    organisation, coordinator, casework_schemes, monkeypatch
):
    p1: Person = PersonFactory(organisation=organisation, reference="P-000001", source_id="P1")  # type: ignore[assignment]
    PersonFactory(organisation=organisation, reference="P-000002", source_id="P2")
    CaseFile.objects.create(organisation=organisation, person=p1, opened_on=datetime.date(2024, 1, 1))
    runs = [
        ImportRun.objects.create(
            organisation=organisation,
            actor=coordinator,
            kind=ImportKind.FOLLOWUPS,
            filename="f.csv",
            stored_file=default_storage.save("imports/f.csv", ContentFile(FOLLOW_UPS.encode())),
        )
        for _ in range(2)
    ]
    # Both threads reach the centre's lock together: each has read and checked the file, none has written.
    at_the_lock = threading.Barrier(2, timeout=30)
    take_lock = services.lock_persons_of

    def together(centre):  # type: ignore[no-untyped-def]
        at_the_lock.wait()
        take_lock(centre)

    monkeypatch.setattr(services, "lock_persons_of", together)
    errors: list[BaseException] = []

    def work(run: ImportRun) -> None:
        try:
            running.run_import.call(run.pk)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(run,)) for run in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    outcomes = sorted(
        ImportRun.objects.filter(pk__in=[run.pk for run in runs]).values_list("status", "created", "updated", "errors")
    )
    assert outcomes == [(ImportRun.Status.SUCCEEDED, 0, 3, []), (ImportRun.Status.SUCCEEDED, 3, 0, [])]
    assert sorted(FollowUp.objects.values_list("source_id", "person__reference")) == [
        ("F1", "P-000001"),
        ("F2", "P-000001"),
        ("F3", "P-000002"),
    ]
    assert Request.objects.count() == 3
    assert CaseFile.objects.filter(person__reference="P-000002").count() == 1
    assert AuditEntry.objects.filter(code="casework.followup.created").count() == 3
