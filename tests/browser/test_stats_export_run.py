"""Federation staff ask for a long period's anonymised call rows from the bilan, follow the export and download it."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from maillage.core.models import Role
from maillage.stats.helpline_research import RESEARCH_HEADERS
from maillage.stats.models import ExportRun
from tests.browser.conftest import assert_no_axe_violations, sign_in
from tests.conftest import give_totp, totp_code
from tests.factories import PASSWORD, OrganisationFactory, member
from tests.helpline.factories import log

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_staff_prepare_the_call_rows_and_download_them(browser, live_server, request_themes, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": str(tmp_path)}},
    }
    line = OrganisationFactory(short_name="FdSS", sector="federation")
    staff = member(Role.FEDERATION_STAFF, line, email="fede@example.org", full_name="Fede Staff")
    give_totp(staff)
    responder = member(Role.RESPONDER, line)
    today = timezone.localdate()
    for days in (3, 2, 1):
        log(responder, at=timezone.now() - timedelta(days=days), comment="Mme Secret")

    context = browser.new_context(base_url=live_server.url, locale="fr-BE", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    sign_in(page, staff.email, PASSWORD)
    page.fill("input[name=code]", totp_code())
    page.press("input[name=code]", "Enter")
    page.wait_for_url("**/")
    start = (today - timedelta(days=10)).isoformat()
    page.goto(f"/stats/helpline/bilan/?line={line.pk}&start={start}&end={today.isoformat()}")
    page.select_option("#research-format", "xlsx")
    page.click("text=Préparer le fichier")
    page.wait_for_selector("#export-progress a[download]")
    run = ExportRun.objects.get()
    assert (run.status, run.total_rows, run.actor_id) == ("succeeded", 3, staff.pk)
    assert "Vous seul pouvez le télécharger" in page.inner_text("#export-progress")
    assert_no_axe_violations(page)
    with page.expect_download() as download:
        page.click("#export-progress a[download]")
    content = Path(download.value.path()).read_bytes()
    rows = list(load_workbook(io.BytesIO(content), read_only=True).active.iter_rows(values_only=True))
    assert list(rows[0]) == RESEARCH_HEADERS
    assert [row[0] for row in rows[1:]] == [1, 2, 3]
    assert not any("Mme Secret" in str(cell) for row in rows for cell in row)
    context.close()
