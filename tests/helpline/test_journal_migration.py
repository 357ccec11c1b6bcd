"""The migration that takes stored journals out of their database column and into the storage."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("helpline", "0003_request_report_index_with_position")]
AFTER = [("helpline", "0004_journal_file_in_storage_and_runs_that_end")]


@pytest.mark.slow(seconds=14)
@pytest.mark.django_db(transaction=True)
def test_stored_journals_move_to_files_and_statuses_to_their_run_names(settings, tmp_path, federation_staff):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        _check_the_move(executor, tmp_path, federation_staff)
    finally:
        # Back to the latest schema: later tests (and the helpline's later migrations) need it.
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


def _check_the_move(executor: MigrationExecutor, tmp_path, federation_staff) -> None:
    old_apps = executor.loader.project_state(BEFORE).apps
    OldImport = old_apps.get_model("helpline", "JournalImport")  # noqa: N806
    membership = federation_staff.memberships.first()
    common = {"organisation_id": membership.organisation_id, "uploaded_by_id": federation_staff.pk}
    done = OldImport.objects.create(filename="old.csv", content=b"call_id\nA1\n", status="done", **common)
    pending = OldImport.objects.create(filename="wait.xlsx", content=b"PK\x03\x04", status="pending", **common)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new_apps = executor.loader.project_state(AFTER).apps
    NewImport = new_apps.get_model("helpline", "JournalImport")  # noqa: N806
    moved = {job.pk: job for job in NewImport.objects.all()}
    assert (moved[done.pk].status, moved[pending.pk].status) == ("succeeded", "queued")
    assert (tmp_path / moved[done.pk].file.name).read_bytes() == b"call_id\nA1\n"
    assert (tmp_path / moved[pending.pk].file.name).read_bytes() == b"PK\x03\x04"
    assert moved[pending.pk].file.name.endswith(".xlsx")
    assert "content" not in {field.name for field in NewImport._meta.get_fields()}
