"""Two imports of one journal at the same moment (a double click, two workers), on PostgreSQL: threads with their
own connections. The organisation's imports take turns from the check of the calls imported before to the
writes, so the second finds the first's calls and reports them; nothing is written twice."""

from __future__ import annotations

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from maillage.core.models import Organisation, Role, User
from maillage.core.uploads import store_upload
from maillage.helpline import importer
from maillage.helpline.models import Call, Callback, JournalImport, Request
from tests.factories import member
from tests.helpline.test_import import GOOD

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="two connections at once need PostgreSQL"),
]


@pytest.fixture(autouse=True)
def journal_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }


def _queued(user: User, organisation: Organisation, content: str) -> JournalImport:
    """An import recorded as start_import records it, not yet run (the test runs it)."""
    stored = store_upload(SimpleUploadedFile("journal.csv", content.encode()), importer.STORAGE_FOLDER)
    return JournalImport.objects.create(
        organisation=organisation, uploaded_by=user, filename="journal.csv", file=stored, skip_bad_rows=False
    )


def _run_at_once(jobs: list[JournalImport], monkeypatch: pytest.MonkeyPatch) -> list[BaseException]:
    """Run the imports in threads that all reach the organisation's lock together (the narrowest race: each has
    read and sent its file, none has checked the calls imported before)."""
    at_the_lock = threading.Barrier(len(jobs), timeout=30)
    take_lock = importer.lock_imports_of

    def together(organisation: Organisation) -> None:
        at_the_lock.wait()
        take_lock(organisation)

    monkeypatch.setattr(importer, "lock_imports_of", together)
    errors: list[BaseException] = []

    def work(job: JournalImport) -> None:
        try:
            importer.run(job.pk)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_two_imports_of_one_journal_at_once_write_it_once_and_the_second_reports_it(
    federation_staff, line, themes, monkeypatch
):
    federation_staff.language = "fr"
    federation_staff.save(update_fields=["language"])
    # Three rows: call A1 (two requests), call A2 (a callback).
    jobs = [_queued(federation_staff, line, GOOD) for _ in range(2)]
    assert _run_at_once(jobs, monkeypatch) == []
    for job in jobs:
        job.refresh_from_db()
    done = [job for job in jobs if job.status == JournalImport.Status.SUCCEEDED]
    refused = [job for job in jobs if job.status == JournalImport.Status.FAILED]
    assert (len(done), len(refused)) == (1, 1)
    assert (done[0].calls_created, done[0].requests_created, done[0].errors) == (2, 3, [])
    assert refused[0].errors == [
        {"line": 2, "column": "call_id", "message": "L'appel A1 a déjà été importé."},
        {"line": 3, "column": "call_id", "message": "L'appel A1 a déjà été importé."},
        {"line": 4, "column": "call_id", "message": "L'appel A2 a déjà été importé."},
    ]
    assert (refused[0].calls_created, refused[0].requests_created) == (0, 0)
    assert sorted(Call.objects.values_list("external_ref", flat=True)) == ["A1", "A2"]
    assert (Request.objects.count(), Callback.objects.count()) == (3, 1)


def test_imports_of_one_journal_by_two_organisations_at_once_both_write(
    federation_staff, line, other_organisation, themes, monkeypatch
):
    """The lock is the organisation's: another organisation's import of the same identifiers is not held up."""
    other_staff = member(Role.FEDERATION_STAFF, other_organisation, full_name="Autre Staff")
    jobs = [_queued(federation_staff, line, GOOD), _queued(other_staff, other_organisation, GOOD)]
    assert _run_at_once(jobs, monkeypatch) == []
    for job in jobs:
        job.refresh_from_db()
    assert [(job.status, job.calls_created, job.errors) for job in jobs] == [
        (JournalImport.Status.SUCCEEDED, 2, []),
        (JournalImport.Status.SUCCEEDED, 2, []),
    ]
    assert sorted(Call.objects.values_list("organisation_id", "external_ref")) == sorted(
        [(line.pk, "A1"), (line.pk, "A2"), (other_organisation.pk, "A1"), (other_organisation.pk, "A2")]
    )
