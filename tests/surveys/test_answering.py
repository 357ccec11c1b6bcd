"""Surveys: links per organisation, one answer each, the bad inputs of the issue, save and continue."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.core.models import OutboxEmail, Role
from maillage.surveys import services
from maillage.surveys.models import Audience, Kind, Response
from tests.conftest import client_for
from tests.factories import member
from tests.surveys.conftest import add_questions, items, make_survey

pytestmark = pytest.mark.django_db


def _sent() -> list[OutboxEmail]:
    return list(OutboxEmail.objects.order_by("pk"))


def _link(address: str) -> str:
    body = next(email.body for email in _sent() if address in email.to)
    return "/surveys/o/" + re.search(r"/surveys/o/([^/\s]+)/", body).group(1) + "/"


@pytest.fixture
def survey(staff, coordinators):  # type: ignore[no-untyped-def]
    survey = make_survey(staff)
    add_questions(staff, survey)
    services.invite_organisations(staff, survey, [organisation for organisation, _ in coordinators])
    return survey


def test_each_coordinator_gets_a_personal_link(survey, coordinators) -> None:  # type: ignore[no-untyped-def]
    assert sorted(address for email in _sent() for address in email.to) == ["coord0@example.org", "coord1@example.org"]
    assert survey.invitations.count() == 2
    # Inviting again sends nothing more.
    services.invite_organisations(survey.created_by, survey, [organisation for organisation, _ in coordinators])
    assert len(_sent()) == 2


def test_a_colleague_fills_it_and_one_answer_per_organisation(client, survey, coordinators) -> None:  # type: ignore[no-untyped-def]
    url = _link("coord0@example.org")
    colleague = client_for(member(Role.WORKER, coordinators[0][0]))
    answers = {"q_q1": "1", "q_q2": "120", "q_q3__1": "1", "q_q3__2": "2", "q_q4": "Merci", "action": "save"}
    assert colleague.post(url, answers).status_code == 302
    # The coordinator, signed out, continues on the same sheet and sends it.
    response = client.post(url, {**answers, "action": "send"})
    assert response.status_code == 302
    sheet = Response.objects.get(survey=survey)
    assert sheet.answers == {"q1": "1", "q2": 120, "q3": {"1": "1", "2": "2"}, "q4": "Merci"}
    assert sheet.submitted_at is not None
    assert sheet.sector == coordinators[0][0].sector
    # Sent: a second post changes nothing.
    page = client.post(url, {**answers, "q_q2": "5", "action": "send"}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "These answers were sent on" in page.content.decode()
    assert Response.objects.get(survey=survey).answers["q2"] == 120
    assert Response.objects.filter(survey=survey).count() == 1


def test_a_link_used_by_another_organisation_is_refused(survey, coordinators) -> None:  # type: ignore[no-untyped-def]
    url = _link("coord0@example.org")
    other = client_for(coordinators[1][1])
    page = other.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "q_q1" not in page.content.decode()
    assert "autre organisation" in page.content.decode()  # in the visitor's own language
    assert other.post(url, {"q_q1": "2", "action": "send"}).status_code == 403
    assert not Response.objects.filter(survey=survey, submitted_at__isnull=False).exists()


def test_bad_answers_are_explained_and_nothing_is_sent(client, survey) -> None:  # type: ignore[no-untyped-def]
    url = _link("coord0@example.org")
    page = client.post(url, {"q_q1": "1", "q_q2": "20000", "q_q3__1": "1", "action": "send"}, HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert page.status_code == 200
    assert "less than or equal to 10000" in text
    assert "Answer every row of this grid, or none." in text
    assert not Response.objects.filter(submitted_at__isnull=False).exists()


def test_required_only_when_its_condition_is_met(client, survey) -> None:  # type: ignore[no-untyped-def]
    url = _link("coord0@example.org")
    page = client.post(url, {"q_q1": "1", "action": "send"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "This question needs an answer." in page.content.decode()
    # "No": the number question is not asked, and an answer given anyway is dropped.
    assert client.post(url, {"q_q1": "2", "q_q2": "7", "action": "send"}).status_code == 302
    assert Response.objects.get().answers == {"q1": "2"}


def test_french_error_in_french(client, survey) -> None:  # type: ignore[no-untyped-def]
    url = _link("coord0@example.org")
    page = client.post(url, {"q_q1": "1", "action": "send"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert "Cette question demande une réponse." in page.content.decode()


def test_closed_survey_accepts_nothing(client, survey) -> None:  # type: ignore[no-untyped-def]
    url = _link("coord0@example.org")
    survey.closes_at = timezone.now() - dt.timedelta(minutes=1)
    survey.opens_at = survey.closes_at - dt.timedelta(days=2)
    survey.save()
    page = client.post(url, {"q_q1": "2", "action": "send"}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "answers are no longer accepted" in page.content.decode()
    assert not Response.objects.filter(submitted_at__isnull=False).exists()


def test_public_link_saves_and_continues_later(client, staff) -> None:  # type: ignore[no-untyped-def]
    survey = make_survey(staff, Audience.PUBLIC)
    services.add_question(staff, survey, {"kind": Kind.SCALE, "text_fr": "Satisfaction", "required": True})
    services.add_question(staff, survey, {"kind": Kind.DATE, "text_fr": "Depuis quand ?"})
    url = reverse("surveys:answer_public", args=[survey.public_token])
    saved = client.post(url, {"q_q2": "2026-01-15", "action": "save"})
    sheet = Response.objects.get(survey=survey)
    assert saved["Location"] == reverse("surveys:resume_public", args=[survey.public_token, sheet.resume_token])
    assert sheet.submitted_at is None
    assert sheet.organisation is None
    assert sheet.user is None
    out_of_range = client.post(saved["Location"], {"q_q1": "9", "q_q2": "2026-01-15", "action": "send"})
    assert out_of_range.status_code == 200
    assert client.post(saved["Location"], {"q_q1": "4", "q_q2": "2026-01-15", "action": "send"}).status_code == 302
    sheet.refresh_from_db()
    assert sheet.answers == {"q1": 4, "q2": "2026-01-15"}
    assert sheet.submitted_at is not None


def test_signed_in_workers_answer_once(staff, coordinators) -> None:  # type: ignore[no-untyped-def]
    survey = make_survey(staff, Audience.WORKERS)
    services.add_question(staff, survey, {"kind": Kind.MULTIPLE, "text_fr": "Thèmes", "choices": items("A", "B", "C")})
    worker = member(Role.WORKER, coordinators[0][0])
    client = client_for(worker)
    url = reverse("surveys:answer_worker", args=[survey.pk])
    assert client.post(url, {"q_q1": ["1", "3"], "action": "send"}).status_code == 302
    sheet = Response.objects.get(survey=survey)
    assert sheet.answers == {"q1": ["1", "3"]}
    assert sheet.user == worker
    assert sheet.organisation == coordinators[0][0]
    assert client.get(reverse("surveys:answer_worker", args=[survey.pk])).status_code == 200
    assert Response.objects.filter(survey=survey).count() == 1


def test_reminders_go_to_those_who_have_not_answered(client, survey, coordinators) -> None:  # type: ignore[no-untyped-def]
    url = _link("coord0@example.org")
    client.post(url, {"q_q1": "2", "action": "send"})
    OutboxEmail.objects.all().delete()
    assert services.send_reminders(survey.pk) == 1
    assert [email.to for email in _sent()] == [["coord1@example.org"]]
    assert "Reminder" in _sent()[0].subject or "Rappel" in _sent()[0].subject


def test_builder_pages_are_for_federation_staff(staff, coordinators) -> None:  # type: ignore[no-untyped-def]
    survey = make_survey(staff)
    assert client_for(coordinators[0][1]).get(reverse("surveys:manage_survey", args=[survey.pk])).status_code == 404
    assert client_for(coordinators[0][1]).get(reverse("surveys:results", args=[survey.pk])).status_code == 404
    assert client_for(staff).get(reverse("surveys:manage_survey", args=[survey.pk])).status_code == 200
