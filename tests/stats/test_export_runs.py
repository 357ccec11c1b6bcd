# ruff: noqa: F811
"""Exports prepared by the task worker: the same bytes as the direct download, one run per submission, a file
only its author may download, for a day; a failure says so and keeps nothing."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from maillage.core.models import AuditEntry, Role
from maillage.core.submission import FIELD_NAME, new_key
from maillage.stats import export_runs
from maillage.stats.helpline_reading import themes_read_in
from maillage.stats.helpline_research import RESEARCH_HEADERS, research_rows
from maillage.stats.models import ExportRun
from tests.conftest import client_for
from tests.factories import member
from tests.helpline.conftest import (  # noqa: F401
    food_service,
    line,
    responder,
    staff_client,
    themes,
)
from tests.stats.test_research_export import journal  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": str(tmp_path)}},
    }
    return tmp_path


def _prepare(client, period, export_format="csv", key=None, sep="comma"):
    url = reverse("stats:helpline_research_export_start")
    query = f"?start={period.first.isoformat()}&end={period.last.isoformat()}&sep={sep}"
    return client.post(url + query, {"format": export_format, FIELD_NAME: key or new_key()})


def _download(client, run):
    response = client.get(reverse("stats:helpline_export_download", args=[run.pk]))
    return response, b"".join(response.streaming_content) if response.status_code == 200 else b""


def test_the_prepared_csv_is_the_direct_downloads_bytes(staff_client, federation_staff, line, journal):
    response = _prepare(staff_client, journal)
    run = ExportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("stats:helpline_export_run", args=[run.pk])
    assert (run.status, run.total_rows, run.processed_rows, run.actor, run.organisation) == (
        "succeeded",
        4,
        4,
        federation_staff,
        line,
    )
    assert run.expires_at is not None
    assert timedelta(hours=23, minutes=59) < run.expires_at - timezone.now() <= export_runs.KEEP_FOR
    page = staff_client.get(response["Location"])
    assert reverse("stats:helpline_export_download", args=[run.pk]) in page.content.decode()

    direct = staff_client.get(
        reverse("stats:helpline_research_export"),
        {"start": journal.first.isoformat(), "end": journal.last.isoformat(), "sep": "comma"},
    )
    answer, content = _download(staff_client, run)
    assert content == b"".join(direct.streaming_content)
    assert "no-store" in answer["Cache-Control"]
    assert answer["Content-Disposition"].startswith(f'attachment; filename="{run.filename}"')
    assert "Dupont" not in content.decode()
    codes = list(AuditEntry.objects.filter(code__startswith="stats.research_export").values_list("code", flat=True))
    assert sorted(codes) == [
        "stats.research_export.downloaded",
        "stats.research_export.queued",
        "stats.research_export.written",
    ]


def test_the_prepared_xlsx_holds_the_same_rows(staff_client, line, journal):
    _prepare(staff_client, journal, "xlsx")
    run = ExportRun.objects.get()
    assert run.filename.endswith(".xlsx")
    _answer, content = _download(staff_client, run)
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    rows = [[cell if cell is not None else "" for cell in row] for row in sheet.iter_rows(values_only=True)]
    expected = list(research_rows([line.pk], journal, themes_read_in(None)))
    assert rows[0] == RESEARCH_HEADERS
    assert len(rows) == 1 + len(expected) == 5
    assert [(row[0], row[12], row[17]) for row in rows[1:]] == [(r[0], r[12], r[17]) for r in expected]
    assert rows[2][17] == "-HOUSING"  # a text cell (the CSV's quote is not needed), never a formula
    assert not any(str(cell).startswith("=") for row in rows for cell in row)


def test_a_double_click_queues_one_export(staff_client, journal):
    key = new_key()
    first = _prepare(staff_client, journal, key=key)
    second = _prepare(staff_client, journal, key=key)
    run = ExportRun.objects.get()
    assert first["Location"] == second["Location"] == reverse("stats:helpline_export_run", args=[run.pk])
    assert AuditEntry.objects.filter(code="stats.research_export.queued").count() == 1


def test_only_the_author_reaches_the_run_and_its_file(staff_client, federation_staff, line, journal):
    _prepare(staff_client, journal)
    run = ExportRun.objects.get()
    colleague = client_for(member(Role.FEDERATION_STAFF, line))
    other_line = client_for(member(Role.FEDERATION_STAFF))
    for client in (colleague, other_line):
        assert client.get(reverse("stats:helpline_export_run", args=[run.pk])).status_code == 404
        assert client.get(reverse("stats:helpline_export_download", args=[run.pk])).status_code == 404
    # The author who left the line's staff loses the file too.
    federation_staff.memberships.filter(organisation=line).update(is_active=False)
    assert staff_client.get(reverse("stats:helpline_export_download", args=[run.pk])).status_code == 404
    assert AuditEntry.objects.filter(code="stats.research_export.downloaded").count() == 0


def test_a_file_is_deleted_after_a_day(staff_client, journal, storage):
    _prepare(staff_client, journal)
    run = ExportRun.objects.get()
    assert default_storage.exists(run.stored_file)
    ExportRun.objects.filter(pk=run.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert _download(staff_client, run)[0].status_code == 404
    assert export_runs.delete_expired_files() == 1
    assert not default_storage.exists(run.stored_file)
    run.refresh_from_db()
    assert (run.stored_file, run.status) == ("", "succeeded")
    page = staff_client.get(reverse("stats:helpline_export_run", args=[run.pk])).content.decode()
    assert "Ce fichier a été supprimé après un jour." in page
    assert export_runs.delete_expired_files() == 0


def test_a_failed_export_says_so_and_keeps_nothing(staff_client, journal, storage, monkeypatch):
    def broken(*args, **kwargs):
        yield ["1"]
        raise RuntimeError("disk full")

    monkeypatch.setattr(export_runs, "research_rows", broken)
    _prepare(staff_client, journal, "xlsx")
    run = ExportRun.objects.get()
    assert run.status == "failed"
    # Written in the language of the request that queued it (French, the default).
    assert run.failure_reason == (
        "L'exportation s'est arrêtée sur une erreur inattendue ; aucun fichier n'a été gardé. Demandez-la à nouveau."
    )
    assert (run.stored_file, run.expires_at) == ("", None)
    assert list(storage.rglob("*.xlsx")) == []
    assert _download(staff_client, run)[0].status_code == 404
    page = staff_client.get(reverse("stats:helpline_export_run", args=[run.pk]))
    assert "aucun fichier n&#x27;a été gardé" in page.content.decode()
    assert 'hx-trigger="every 1s"' not in page.content.decode()


def test_progress_is_saved_as_rows_are_written(staff_client, journal, monkeypatch):
    seen: list[tuple[int, int]] = []
    original = export_runs._progress

    def spy(run, processed, total):
        seen.append((processed, total))
        original(run, processed, total)

    monkeypatch.setattr(export_runs, "PROGRESS_EVERY", 2)
    monkeypatch.setattr(export_runs, "_progress", spy)
    _prepare(staff_client, journal, "xlsx")
    assert seen == [(0, 4), (2, 4), (4, 4)]


def test_bad_requests_are_refused_clearly(staff_client, journal):
    url = reverse("stats:helpline_research_export_start")
    assert staff_client.get(url).status_code == 405
    response = _prepare(staff_client, journal, "pdf")
    assert response.status_code == 400
    assert "Choisissez CSV ou XLSX." in response.content.decode()
    response = staff_client.post(url + "?start=2026-13-01", {"format": "csv"})
    assert response.status_code == 400
    assert ExportRun.objects.count() == 0
