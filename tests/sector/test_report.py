"""The annual sector report: one action, HTML and PDF, methods, comments; each centre's annex link."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils.html import escape

from maillage.core.models import AuditEntry
from maillage.sector.disclosure_bridge import describe_rule
from maillage.sector.links import annex_url
from maillage.sector.models import AnnexLink, Comment, ReportRun
from tests.conftest import client_for
from tests.factories import member
from tests.sector.conftest import YEAR, World


@pytest.fixture
def report(world: World) -> ReportRun:
    staff = client_for(world.staff)
    response = staff.post(
        reverse("sector:comments"),
        {"year": YEAR, "indicator": "requests.theme1", "text": "Food aid grew in every centre."},
    )
    assert response.status_code == 302
    response = staff.post(reverse("sector:reports"), {"year": YEAR})
    run = ReportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("sector:report", kwargs={"run_id": run.pk})
    return run


def test_the_report_is_made_in_one_action(world: World, report: ReportRun) -> None:
    assert report.status == "succeeded"
    html = report.html
    assert "Sector report 2025" in html
    assert "The whole network" in html
    assert "Sector: CASG" in html
    assert "Methods" in html
    assert escape(describe_rule()) in html
    assert "Food aid grew in every centre." in html
    assert "CSS A" not in html.split('id="methods"')[0]  # centres are named only among the report's sources
    # Printable: the document's stylesheet has its print rules.
    assert "/static/sector/sector.css" in html
    assert "@media print" in Path(str(finders.find("sector/sector.css"))).read_text()
    pdf = client_for(world.staff).get(reverse("sector:report_pdf", kwargs={"run_id": report.pk}))
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    document = client_for(world.staff).get(reverse("sector:report", kwargs={"run_id": report.pk}), {"view": "document"})
    assert document.content.decode() == html


def test_each_contributing_centre_gets_an_annex_link(world: World, report: ReportRun) -> None:
    assert sorted(AnnexLink.objects.values_list("organisation__short_name", flat=True)) == [
        "CSS A", "CSS B", "CSS C", "CSS D", "CSS E", "CSS F",
    ]  # fmt: skip
    link = AnnexLink.objects.get(organisation=world.ours)
    url = annex_url(link)
    response = client_for(world.worker).get(url)
    assert response.status_code == 200
    assert "CSS A in the sector report 2025" in response.content.decode()
    from maillage.core.models import OutboxEmail

    email = OutboxEmail.objects.get(template="sector/emails/annex")  # CSS A's coordinator, the only one
    assert email.to == [world.coordinator.email]
    assert email.subject == "Sector report 2025: the annex of CSS A"
    assert url in email.body
    assert client_for(world.worker).get(url, {"export": "pdf"}).content.startswith(b"%PDF")


def test_a_forwarded_forged_or_revoked_annex_link_opens_nothing(world: World, report: ReportRun) -> None:
    link = AnnexLink.objects.get(organisation=world.ours)
    url = annex_url(link)
    # Forwarded to a member of another centre, or to federation staff: 404.
    assert client_for(world.outsider).get(url).status_code == 404
    assert client_for(member("coordinator", world.centres["CSS B"])).get(url).status_code == 404
    # Anonymous: sign in first.
    from django.test import Client

    assert Client().get(url).status_code == 302
    # A forged token, another centre's nonce with our signature missing.
    forged = url.replace(url.split("/")[-2], link.nonce)
    assert client_for(world.worker).get(forged).status_code == 404
    # Revoked by staff.
    staff = client_for(world.staff)
    assert staff.post(reverse("sector:annex_revoke", kwargs={"link_id": link.pk})).status_code == 302
    assert client_for(world.worker).get(url).status_code == 404
    assert AuditEntry.objects.filter(code="sector.annex.revoked").count() == 1


def test_a_comment_on_an_unknown_indicator_is_a_field_error(world: World) -> None:
    response = client_for(world.staff).post(
        reverse("sector:comments"), {"year": YEAR, "indicator": "persons.shoe_size", "text": "?"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["indicator"] == [
        "persons.shoe_size is not an indicator of the sector report."
    ]
    assert Comment.objects.count() == 0


def test_report_pages_are_for_federation_staff(world: World, report: ReportRun) -> None:
    for user in (world.coordinator, world.worker, world.outsider):
        client = client_for(user)
        assert client.get(reverse("sector:reports")).status_code == 404
        assert client.get(reverse("sector:report", kwargs={"run_id": report.pk})).status_code == 404
        assert client.get(reverse("sector:cycle")).status_code == 404
