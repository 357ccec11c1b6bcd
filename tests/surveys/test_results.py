"""Survey results as federation staff read them: figures per question, filters, free text, exports, trend
(what is shared back to respondents: test_shared_disclosure.py)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from maillage.core.models import Region, Sector
from maillage.surveys import results, services
from maillage.surveys.models import Cadence, Kind, Response, Survey
from tests.conftest import client_for
from tests.factories import OrganisationFactory
from tests.surveys.conftest import add_questions, make_survey

pytestmark = pytest.mark.django_db


def _answer(survey: Survey, organisation, answers: dict) -> Response:  # type: ignore[no-untyped-def]
    sheet = services.sheet_for_organisation(survey, organisation)
    return services.save_answers(sheet, answers, finish=True)


@pytest.fixture
def answered(staff):  # type: ignore[no-untyped-def]
    survey = make_survey(staff)
    add_questions(staff, survey)
    rows = [
        (Sector.CASG, Region.BRUSSELS, {"q1": "1", "q2": 10, "q3": {"1": "1", "2": "2"}, "q4": "Il manque des gants"}),
        (Sector.CASG, Region.BRUSSELS, {"q1": "1", "q2": 30, "q3": {"1": "2", "2": "2"}}),
        (Sector.CPAS, Region.WALLONIA, {"q1": "2"}),
    ]
    for sector, region, answers in rows:
        _answer(survey, OrganisationFactory(sector=sector, region=region), answers)
    return survey


def test_figures_per_question(answered, staff) -> None:  # type: ignore[no-untyped-def]
    with translation.override("en"):
        figures = results.survey_results(answered, results.submitted(answered))
    assert figures[0].rows == [("Oui (en)", 2, 66.7), ("Non (en)", 1, 33.3)]
    assert figures[0].chart is not None
    assert figures[0].chart.data_uri.startswith("data:image/svg+xml;base64,")
    assert dict(figures[1].figures)["Total"] == 40
    assert dict(figures[1].figures)["Mean"] == 20.0
    assert figures[2].grid == [("Gants (en)", [1, 1]), ("Gel (en)", [0, 2])]
    assert figures[3].texts == ["Il manque des gants"]


def test_results_page_filters_by_sector_and_region(answered, staff) -> None:  # type: ignore[no-untyped-def]
    client = client_for(staff)
    url = reverse("surveys:results", args=[answered.pk])
    page = client.get(url, {"sector": Sector.CPAS}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert [r.answered for r in page.context["results"]] == [1, 0, 0, 0]
    page = client.get(url, {"region": Region.BRUSSELS})
    assert [r.answered for r in page.context["results"]] == [2, 2, 2, 1]
    assert "Il manque des gants" in page.content.decode()
    assert client.get(url, {"sector": "nonsense"}).status_code == 400


def test_organisation_answers_and_exports_are_federation_only(answered, staff, coordinator) -> None:  # type: ignore[no-untyped-def]
    client = client_for(staff)
    csv = b"".join(client.get(reverse("surveys:export", args=[answered.pk, "csv"])).streaming_content).decode(
        "utf-8-sig"
    )
    lines = csv.strip().splitlines()
    assert len(lines) == 4
    assert lines[1].split(";")[4:8] == ["Oui", "10", "Assez", "Manque"]
    xlsx = client.get(reverse("surveys:export", args=[answered.pk, "xlsx"]))
    workbook = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)))
    assert workbook.active.max_row == 4
    assert client.get(reverse("surveys:organisation_answers", args=[answered.pk])).status_code == 200
    assert client.get(reverse("surveys:export", args=[answered.pk, "pdf"])).status_code == 404
    for name in ("surveys:organisation_answers", "surveys:results"):
        assert client_for(coordinator).get(reverse(name, args=[answered.pk])).status_code == 404


def test_a_monthly_survey_shows_a_trend_over_three_waves(staff) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()
    first = services.create_survey(
        staff,
        {"title_fr": "Aide alimentaire", "audience": "organisations", "opens_at": now - dt.timedelta(days=1), "closes_at": now + dt.timedelta(days=5)},
        cadence=Cadence.MONTHLY, wave=dt.date(2026, 9, 1),
    )  # fmt: skip
    services.add_question(
        staff,
        first,
        {"kind": Kind.NUMBER, "text_fr": "Demandes d'aide alimentaire ce mois", "key": "requests", "minimum": 0},
    )
    centres = [OrganisationFactory(sector=Sector.CASG) for _ in range(2)]
    services.invite_organisations(staff, first, centres)
    october = services.new_wave(
        staff, first, dt.date(2026, 10, 1), now - dt.timedelta(hours=1), now + dt.timedelta(days=5)
    )
    november = services.new_wave(
        staff, october, dt.date(2026, 11, 1), now - dt.timedelta(hours=1), now + dt.timedelta(days=5)
    )
    assert october.invitations.count() == 2
    assert november.questions.get().key == "requests"
    for wave, figures in ((first, (100, 120)), (october, (130, 150)), (november, (170, 200))):
        for centre, value in zip(centres, figures, strict=True):
            _answer(wave, centre, {"requests": value})
    trends = results.series_trends(first.series)
    assert [(label, n, total) for label, n, total, _mean in trends[0].points] == [
        ("2026-09", 2, 220), ("2026-10", 2, 280), ("2026-11", 2, 370),
    ]  # fmt: skip
    page = client_for(staff).get(reverse("surveys:trend", args=[first.series_id]))
    assert page.status_code == 200
    assert "2026-11 370" in page.context["trends"][0].chart.alt
    with translation.override("en"), pytest.raises(Exception, match="already has its wave"):
        services.new_wave(staff, first, dt.date(2026, 10, 1), now, now + dt.timedelta(days=1))
