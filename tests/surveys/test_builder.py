"""The builder: questions edited and reordered while the survey is a draft, frozen once someone has answered."""

from __future__ import annotations

import pytest
from django.urls import reverse

from maillage.core.models import AuditEntry
from maillage.surveys import services
from maillage.surveys.models import Kind, Question
from tests.conftest import client_for
from tests.surveys.conftest import add_questions, make_survey

pytestmark = pytest.mark.django_db


def _order(survey) -> list[str]:  # type: ignore[no-untyped-def]
    return list(survey.questions.order_by("position", "pk").values_list("key", flat=True))


@pytest.fixture
def draft(staff):  # type: ignore[no-untyped-def]
    survey = make_survey(staff)
    add_questions(staff, survey)
    return survey


def test_edit_a_question_shows_its_fields_and_saves_them(staff, draft) -> None:  # type: ignore[no-untyped-def]
    question = draft.questions.get(key="q1")
    url = reverse("surveys:edit_question", args=[draft.pk, question.pk])
    client = client_for(staff)
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    assert form["choices"].value() == "Oui | Oui (nl) | Oui (en)\nNon | Non (nl) | Non (en)"
    assert form["text_fr"].value() == "Masques ?"
    assert page.context["question"] == question
    answer = client.post(
        url,
        {"kind": "single", "text_fr": "Masques FFP2 ?", "text_nl": "FFP2-maskers?", "required": "on",
         "choices": "Oui | Ja\nNon | Nee\nNe sait pas | Weet niet", "key": ""},
    )  # fmt: skip
    assert answer.status_code == 302
    question.refresh_from_db()
    assert (question.text_fr, question.text_nl, question.key) == ("Masques FFP2 ?", "FFP2-maskers?", "q1")
    assert [item["nl"] for item in question.choices] == ["Ja", "Nee", "Weet niet"]
    assert AuditEntry.objects.filter(code="surveys.question.edited").count() == 1


def test_a_question_others_depend_on_keeps_the_answer_they_wait_for(staff, draft) -> None:  # type: ignore[no-untyped-def]
    question = draft.questions.get(key="q1")  # q2 is shown when q1 is "1" (Oui)
    url = reverse("surveys:edit_question", args=[draft.pk, question.pk])
    page = client_for(staff).post(url, {"kind": "number", "text_fr": "Masques ?"})  # staff reads French
    assert page.status_code == 200
    assert page.context["form"].errors["kind"] == [
        "La question « Combien ? » s'affiche selon une réponse à celle-ci : gardez cette réponse."
    ]
    assert draft.questions.get(key="q1").kind == Kind.SINGLE


def test_an_edited_question_cannot_take_another_questions_key_or_depend_on_itself(staff, draft) -> None:  # type: ignore[no-untyped-def]
    question = draft.questions.get(key="q1")
    url = reverse("surveys:edit_question", args=[draft.pk, question.pk])
    client = client_for(staff)
    form = client.get(url).context["form"]
    assert all(not value.startswith(f"{question.pk}:") for value, _label in form.fields["condition"].choices)
    page = client.post(url, {"kind": "single", "text_fr": "Masques ?", "choices": "Oui\nNon", "key": "q2"})
    assert page.context["form"].errors["key"] == ["Une autre question de cette enquête a cette clé."]


def test_move_up_and_down_and_a_replayed_move_changes_nothing_more(staff, draft) -> None:  # type: ignore[no-untyped-def]
    assert _order(draft) == ["q1", "q2", "q3", "q4"]
    client = client_for(staff)
    grid = draft.questions.get(key="q3")
    move = reverse("surveys:move_question", args=[draft.pk, grid.pk])
    assert client.post(move, {"to": "0"}).status_code == 302
    assert _order(draft) == ["q3", "q1", "q2", "q4"]
    client.post(move, {"to": "0"})  # the same request again (a double click, a replay)
    assert _order(draft) == ["q3", "q1", "q2", "q4"]
    client.post(move, {"to": "99"})  # past the end: last
    assert _order(draft) == ["q1", "q2", "q4", "q3"]
    body = client.get(reverse("surveys:manage_survey", args=[draft.pk])).content.decode()
    # The first question has no "up", the last no "down".
    assert "Monter la question q1" not in body
    assert "Descendre la question q1" in body
    assert "Descendre la question q3" not in body
    assert "Monter la question q3" in body
    assert list(Question.objects.filter(survey=draft).order_by("position").values_list("position", flat=True)) == [
        1,
        2,
        3,
        4,
    ]
    assert client.post(move, {"to": "up"}).status_code == 302  # not a number: a message, nothing moved
    assert _order(draft) == ["q1", "q2", "q4", "q3"]


def test_once_answered_questions_are_frozen(staff, draft, coordinators) -> None:  # type: ignore[no-untyped-def]
    services.sheet_for_organisation(draft, coordinators[0][0])
    client = client_for(staff)
    question = draft.questions.get(key="q1")
    page = client.post(
        reverse("surveys:edit_question", args=[draft.pk, question.pk]),
        {"kind": "single", "text_fr": "Autre chose ?", "choices": "Oui\nNon"},
    )
    assert page.context["form"].non_field_errors() == [
        "Des réponses ont été données : les questions ne peuvent plus être modifiées."
    ]
    client.post(reverse("surveys:move_question", args=[draft.pk, question.pk]), {"to": "3"})
    assert _order(draft) == ["q1", "q2", "q3", "q4"]
    assert draft.questions.get(key="q1").text_fr == "Masques ?"
    body = client.get(reverse("surveys:manage_survey", args=[draft.pk])).content.decode()
    assert "Modifier la question q1" not in body
    assert "Monter la question" not in body


def test_question_pages_are_federation_only(staff, draft, coordinators) -> None:  # type: ignore[no-untyped-def]
    question = draft.questions.get(key="q1")
    other = client_for(coordinators[0][1])
    assert other.get(reverse("surveys:edit_question", args=[draft.pk, question.pk])).status_code == 404
    assert other.post(reverse("surveys:move_question", args=[draft.pk, question.pk]), {"to": "2"}).status_code == 404
    assert _order(draft) == ["q1", "q2", "q3", "q4"]
    # A question of another survey is not reached through this one.
    second = make_survey(staff)
    assert client_for(staff).get(reverse("surveys:edit_question", args=[second.pk, question.pk])).status_code == 404
