# ruff: noqa: F811
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests.conftest import assert_outsider_gets_404, client_for
from tests.helpline.conftest import (  # noqa: F401
    food_service,
    line,
    no_role_user,
    other_line_responder,
    responder,
    responder_client,
    staff_client,
    themes,
)
from tests.helpline.factories import log

pytestmark = pytest.mark.django_db


def _content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_weekly_page_charts_and_exports(staff_client, responder, themes, food_service, django_assert_max_num_queries):
    log(responder, {"category": "FOOD.PARCEL", "action": "referral", "service": food_service.pk}, comment="Secret")
    with django_assert_max_num_queries(30):
        response = staff_client.get(reverse("stats:helpline_weekly"))
    assert response.context["report"].totals.calls == 1
    assert [chart.alt.split(":")[0] for chart in response.context["charts"]] == [
        "Demandes par thème (%)",
        "Appels par heure",
        "Appels par jour de la semaine",
    ]
    assert response.context["charts"][0].data_uri.startswith("data:image/svg+xml;base64,")
    for _ in range(5):
        log(responder)
    with django_assert_max_num_queries(30):
        staff_client.get(reverse("stats:helpline_weekly"))
    exported = staff_client.get(reverse("stats:helpline_weekly"), {"format": "csv"})
    assert exported["Content-Type"] == "text/csv; charset=utf-8"
    text = exported.content.decode("utf-8-sig")
    assert "Secret" not in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Totaux"]
    xlsx = staff_client.get(reverse("stats:helpline_weekly"), {"format": "xlsx"})
    workbook = load_workbook(io.BytesIO(xlsx.content))
    assert workbook.sheetnames[:2] == ["Totaux", "Demandes par thème"]


def test_bilan_page_and_exports(staff_client, responder, themes):
    log(responder)
    log(responder, at=timezone.now() - timedelta(days=150))
    today = timezone.localdate()
    response = staff_client.get(reverse("stats:helpline_bilan"))
    report = response.context["report"]
    assert (report.period.last, report.totals_now.calls, report.totals_before.calls) == (today, 1, 1)
    assert response.context["chart"].alt.startswith("Part de chaque thème (%)")
    calls = staff_client.get(
        reverse("stats:helpline_bilan"), {"base": "calls", "start": "2021-01-01", "end": "2021-04-30"}
    )
    assert (calls.context["base"], calls.context["report"].previous.first.isoformat()) == ("calls", "2020-09-03")
    bad = staff_client.get(reverse("stats:helpline_bilan"), {"start": "2021-05-01", "end": "2021-04-30", "base": "x"})
    assert bad.context["errors"] == ["Le début de la période vient après sa fin."]
    unreadable = staff_client.get(reverse("stats:helpline_bilan"), {"start": "hier"})
    assert unreadable.context["errors"] == ["Écrivez les dates sous la forme AAAA-MM-JJ."]
    exported = staff_client.get(reverse("stats:helpline_bilan"), {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(exported.content))["Thèmes"]
    assert [cell.value for cell in sheet[3]][:3] == ["Code", "Catégorie", "Nombre (maintenant)"]
    assert [cell.value for cell in sheet[4]] == ["FOOD", "Aide alimentaire", 1, 100.0, 1, 100.0, 0.0]
    csv_export = staff_client.get(reverse("stats:helpline_bilan"), {"format": "csv"})
    assert csv_export["Content-Disposition"].startswith('attachment; filename="helpline-bilan-')


def test_research_export_has_no_comment_nor_note(staff_client, responder, themes, food_service):
    log(
        responder,
        {"category": "FOOD", "action": "referral", "service": food_service.pk, "note": "Mme X"},
        {"category": "HOUSING", "action": "information"},
        comment="Nom: Dupont",
    )
    log(responder)
    response = staff_client.get(reverse("stats:helpline_research_export"))
    text = _content(response).decode("utf-8-sig")
    assert "Dupont" not in text
    assert "Mme X" not in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["call", "date", "hour"]
    assert [(row[0], row[12], row[13], row[15]) for row in rows[1:]] == [
        ("1", "1", "FOOD", "referral"),
        ("1", "2", "HOUSING", "information"),
        ("2", "1", "FOOD", "information"),
    ]
    xlsx = staff_client.get(reverse("stats:helpline_research_export"), {"format": "xlsx"})
    assert load_workbook(io.BytesIO(xlsx.content))["Data"].max_row == 4
    assert staff_client.get(reverse("stats:helpline_research_export"), {"start": "x"}).status_code == 404


def test_reports_are_for_the_staff_of_the_line_only(
    responder, themes, line, responder_client, other_line_responder, no_role_user, outsider_client
):
    log(responder)
    urls = [
        reverse("stats:helpline_weekly"),
        reverse("stats:helpline_bilan"),
        reverse("stats:helpline_research_export"),
    ]
    assert_outsider_gets_404(responder_client, *urls)
    assert_outsider_gets_404(client_for(no_role_user), *urls)
    assert_outsider_gets_404(outsider_client, *urls)
    other = client_for(other_line_responder)
    # Staff of another line read their own (empty) figures, and 404 when asking for ours.
    assert other.get(urls[1]).context["report"].totals_now.calls == 0
    assert_outsider_gets_404(other, *(f"{url}?line={line.pk}" for url in urls))
    assert_outsider_gets_404(other, f"{urls[0]}?line=abc")
