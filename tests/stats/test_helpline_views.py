# ruff: noqa: F811
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
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


def _no_store(response) -> bool:
    """The answer may carry other directives (the middleware adds `private`); `no-store` must be one."""
    return "no-store" in [part.strip() for part in response["Cache-Control"].split(",")]


def _content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_weekly_page_charts_and_exports(staff_client, responder, themes, food_service, django_assert_max_num_queries):
    log(responder, {"category": "FOOD.PARCEL", "action": "referral", "service": food_service.pk}, comment="Secret")
    with django_assert_max_num_queries(34):  # the first reading of the version in force: four more, then kept
        response = staff_client.get(reverse("stats:helpline_weekly"))
    assert response.context["report"].totals.calls == 1
    assert [chart.alt.split(":")[0] for chart in response.context["charts"]] == [
        "Demandes par thème (%)",
        "Appels par heure",
        "Appels par jour de la semaine",
    ]
    assert response.context["charts"][0].data_uri.startswith("data:image/svg+xml;base64,")
    for _number in range(5):
        log(responder)
    with django_assert_max_num_queries(30):
        staff_client.get(reverse("stats:helpline_weekly"))
    exported = staff_client.get(reverse("stats:helpline_weekly"), {"format": "csv", "sep": "comma"})
    assert (exported["Content-Type"], _no_store(exported)) == ("text/csv; charset=utf-8", True)
    text = _content(exported).decode("utf-8")
    assert "Secret" not in text
    rows = list(csv.reader(io.StringIO(text)))
    monday = response.context["monday"]
    assert rows[:4] == [
        ["Période", f"{monday.isoformat()} – {(monday + timedelta(days=6)).isoformat()}"],
        ["Catégories lues dans", rows[1][1]],
        [],
        ["Totaux"],
    ]
    assert rows[1][1].startswith("Thèmes des demandes : version 1 (en vigueur, publiée le ")
    xlsx = staff_client.get(reverse("stats:helpline_weekly"), {"format": "xlsx"})
    assert _no_store(xlsx) is True
    workbook = load_workbook(io.BytesIO(_content(xlsx)))
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
    assert (calls.context["base"], calls.context["report"].previous.first.isoformat()) == ("calls", "2020-09-01")
    bad = staff_client.get(reverse("stats:helpline_bilan"), {"start": "2021-05-01", "end": "2021-04-30", "base": "x"})
    with translation.override("fr"):  # the staff member reads French; the sentences are core.parsing's
        before, unreadable_date = _("The end date must not be before the start date."), _("Enter a date as YYYY-MM-DD.")
    assert bad.context["errors"] == {"end": before}
    unreadable = staff_client.get(reverse("stats:helpline_bilan"), {"start": "hier"})
    assert unreadable.context["errors"] == {"start": unreadable_date}
    exported = staff_client.get(reverse("stats:helpline_bilan"), {"format": "xlsx"})
    assert _no_store(exported) is True
    sheet = load_workbook(io.BytesIO(_content(exported)))["Thèmes"]
    assert sheet[2][0].value == "Période"
    assert sheet[6][0].value == "Catégories lues dans"
    assert [cell.value for cell in sheet[9]][:3] == ["Code", "Catégorie", "Nombre (maintenant)"]
    assert [cell.value for cell in sheet[10]] == ["FOOD", "Aide alimentaire", 1, 100.0, 1, 100.0, 0.0, 0, 0.0, 100.0]
    csv_export = staff_client.get(reverse("stats:helpline_bilan"), {"format": "csv"})
    assert csv_export["Content-Disposition"].startswith('attachment; filename="helpline-bilan-')
    assert _no_store(csv_export) is True


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
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:3] == ["call", "date", "hour"]
    assert [(row[0], row[12], row[13], row[15]) for row in rows[1:]] == [
        ("1", "1", "FOOD", "referral"),
        ("1", "2", "HOUSING", "information"),
        ("2", "1", "FOOD", "information"),
    ]
    assert rows[0][-3:] == ["category_as_coded", "coded_in_version", "read_in_version"]
    assert [row[-3:] for row in rows[1:]] == [["FOOD", "1", "1"], ["HOUSING", "1", "1"], ["FOOD.PARCEL", "1", "1"]]
    unknown = staff_client.get(reverse("stats:helpline_research_export"), {"version": "5"})
    assert unknown.status_code == 400
    xlsx = staff_client.get(reverse("stats:helpline_research_export"), {"format": "xlsx"})
    assert load_workbook(io.BytesIO(_content(xlsx)))["Data"].max_row == 4
    assert (_no_store(response), _no_store(xlsx)) == (True, True)


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


def test_index_links_the_weekly_synthesis_and_the_bilan_of_each_line(
    staff_client, line, responder_client, outsider_client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        response = staff_client.get(reverse("stats:helpline_index"))
    assert [organisation.pk for organisation in response.context["lines"]] == [line.pk]
    page = response.content.decode()
    assert f'<a href="/stats/helpline/weekly/?line={line.pk}">' in page
    assert f'<a href="/stats/helpline/bilan/?line={line.pk}">' in page
    assert_outsider_gets_404(responder_client, reverse("stats:helpline_index"))
    assert_outsider_gets_404(outsider_client, reverse("stats:helpline_index"))
