# ruff: noqa: F811
"""The research export: PostgreSQL's COPY and the row-by-row writer give the same bytes, formulas neutralised,
calls numbered by their first request in the period (not by a dictionary of every call)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from maillage.core.spreadsheet import csv_lines
from maillage.helpline.models import Call, Request
from maillage.stats.helpline_reading import themes_read_in
from maillage.stats.helpline_research import RESEARCH_HEADERS, research_response, research_rows
from maillage.stats.shares import Period
from tests.helpline.conftest import (  # noqa: F401
    food_service,
    line,
    responder,
    staff_client,
    themes,
)
from tests.helpline.factories import log

pytestmark = pytest.mark.django_db


def _content(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def journal(responder, themes, food_service):
    """Three calls over two days, the first with two requests (a request keeps its call's start: on
    PostgreSQL the journal's composite key (call, start) holds it); one call outside Brussels (no commune); one
    category code that starts like a formula."""
    now = timezone.localtime().replace(minute=0, second=0, microsecond=0)
    start = now - timedelta(days=2)
    first = log(
        responder,
        {"category": "FOOD.PARCEL", "action": "referral", "service": food_service.pk, "note": "Mme X"},
        {"category": "HOUSING", "action": "callback"},
        at=start,
        comment="Nom: Dupont",
    )
    assert set(Request.objects.filter(call=first).values_list("started_at", flat=True)) == {first.started_at}
    log(responder, {"category": "HOUSING", "action": "information"}, at=start + timedelta(hours=1), postal_code="4000")
    log(responder, language="nl", at=start + timedelta(days=1, hours=3))
    themes["HOUSING"].__class__.objects.filter(pk=themes["HOUSING"].pk).update(code="-HOUSING")
    return Period(start.date(), now.date())


def test_calls_are_numbered_by_their_first_request_and_formulas_are_text(staff_client, line, journal):
    response = staff_client.get(
        reverse("stats:helpline_research_export"),
        {"start": journal.first.isoformat(), "end": journal.last.isoformat(), "sep": "comma"},
    )
    text = _content(response).decode()
    assert "Dupont" not in text
    assert "Mme X" not in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == RESEARCH_HEADERS
    assert [(row[0], row[12], row[17], row[8] != "", row[5]) for row in rows[1:]] == [
        ("1", "1", "FOOD.PARCEL", True, "fr"),
        ("1", "2", "'-HOUSING", True, "fr"),
        ("2", "1", "'-HOUSING", False, "fr"),
        ("3", "1", "FOOD.PARCEL", True, "nl"),
    ]
    assert text.endswith("\r\n")
    assert "\r\r" not in text


@pytest.mark.parametrize("separator", ["belgian", "comma"])
def test_copy_and_row_by_row_give_the_same_bytes(line, journal, separator):
    """On PostgreSQL the answer is COPY's; elsewhere it is the row-by-row writer, which is the reference."""
    reading = themes_read_in(None)
    response = research_response("calls", [line.pk], journal, reading, separator=separator)
    expected = "".join(csv_lines(RESEARCH_HEADERS, research_rows([line.pk], journal, reading), separator=separator))
    assert _content(response) == expected.encode()
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Disposition"].startswith('attachment; filename="calls.csv"')
    assert len(expected.splitlines()) == 5


@pytest.mark.django_db(transaction=True)
def test_a_download_stopped_halfway_leaves_the_connection_usable(line, journal):
    response = research_response("calls", [line.pk], journal, themes_read_in(None))
    chunks, read = iter(response.streaming_content), b""
    while b"\n" not in read:
        read += next(chunks)
    assert read.startswith(b"\xef\xbb\xbfcall;date;hour")
    response.close()  # the client went away: the generator is closed where it stood
    assert Call.objects.filter(organisation=line).count() == 3
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
