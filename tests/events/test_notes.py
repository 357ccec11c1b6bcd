"""Rapporteurs' notes, the synthesis question by question and the book of recommendations."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from maillage.events import queries, services
from maillage.events.models import NotePoint, Question
from tests.events.factories import EventFactory, ThemeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def workshop(organiser):
    event = EventFactory()
    groups = [services.add_breakout(organiser, event, f"Groupe {n}", rapporteur=f"R{n}") for n in (1, 2, 3)]
    return event, groups, list(event.questions.all())


def test_split_points_reads_bullets():
    assert services.split_points("- one\n* two\n\n• three\n1. four\n  plain ") == [
        "one",
        "two",
        "three",
        "four",
        "plain",
    ]


def test_synthesis_gathers_groups_question_by_question_with_sources(workshop, organiser):
    event, (g1, g2, g3), questions = workshop
    assert [q.label_fr for q in questions] == [
        "D'accord à 100 %",
        "D'accord, mais",
        "Ce qui a bien fonctionné",
        "Ce qui a moins bien fonctionné",
        "Actions prioritaires",
    ]
    services.add_points(None, g1, questions[0], "- Augmentation des demandes au CPAS\n- Fracture numérique")
    services.add_points(organiser, g2, questions[0], "- Plus de demandes au CPAS")
    services.add_points(organiser, g3, questions[4], "- Simplifier l'accès aux aides")
    cpas_1, _numeric, cpas_2 = NotePoint.objects.filter(question=questions[0]).order_by("pk")
    services.merge_points(organiser, cpas_1, [cpas_2])
    services.edit_synthesis_point(organiser, cpas_1, "Hausse des demandes adressées aux CPAS")
    result = queries.synthesis(event)
    assert [(item.question.pk, [(p.point.shown_text, p.sources) for p in item.points]) for item in result] == [
        (
            questions[0].pk,
            [
                ("Hausse des demandes adressées aux CPAS", ["Groupe 1", "Groupe 2"]),
                ("Fracture numérique", ["Groupe 1"]),
            ],
        ),
        (questions[1].pk, []),
        (questions[2].pk, []),
        (questions[3].pk, []),
        (questions[4].pk, [("Simplifier l'accès aux aides", ["Groupe 3"])]),
    ]
    services.split_point(organiser, cpas_2)
    assert next(len(item.points) for item in queries.synthesis(event)) == 3


def test_merging_a_merged_group_moves_its_points(workshop, organiser):
    _event, (g1, g2, g3), questions = workshop
    a, b, c = (services.add_points(organiser, g, questions[1], "point")[0] for g in (g1, g2, g3))
    services.merge_points(organiser, b, [c])
    services.merge_points(organiser, a, [b])
    assert list(NotePoint.objects.filter(merged_into=a).order_by("pk").values_list("pk", flat=True)) == [b.pk, c.pk]
    c.refresh_from_db()
    services.merge_points(organiser, c, [a])
    c.refresh_from_db()
    assert c.merged_into is None


def test_merge_refuses_points_of_different_questions(workshop, organiser):
    _event, (g1, g2, _g3), questions = workshop
    a = services.add_points(organiser, g1, questions[0], "a")[0]
    b = services.add_points(organiser, g2, questions[1], "b")[0]
    with pytest.raises(ValidationError):
        services.merge_points(organiser, a, [b])


def test_notes_input_errors(workshop, organiser):
    event, (g1, _g2, _g3), questions = workshop
    with pytest.raises(ValidationError):
        services.add_points(organiser, g1, questions[0], "  \n - \n")
    foreign = Question.objects.create(event=EventFactory(), label_fr="?")
    with pytest.raises(ValidationError):
        services.add_points(organiser, g1, foreign, "x")
    with pytest.raises(ValidationError):
        services.add_breakout(organiser, event, "Groupe 1")


def test_recommendations_book_ordered_by_theme(organiser):
    event = EventFactory()
    habitat, reseau = ThemeFactory(event=event, position=1), ThemeFactory(event=event, position=2)
    breakout = services.add_breakout(organiser, event, "Atelier 1")
    point = services.add_points(organiser, breakout, event.questions.first(), "Travailler en réseau")[0]
    values = {
        "diagnosis": "Silos",
        "recommendation": "Financer la coordination",
        "implementation": "",
        "addressed_to": "Région",
        "position": 1,
    }
    second = services.save_recommendation(organiser, event, dict(values, theme=reseau, sources=[point]))
    first = services.save_recommendation(
        organiser, event, dict(values, theme=habitat, recommendation="Logement d'abord")
    )
    services.save_recommendation(organiser, event, {"addressed_to": "Communes"}, recommendation=first)
    assert [r.pk for r in queries.recommendations_book(event)] == [first.pk, second.pk]
    assert list(second.sources.all()) == [point]
    with pytest.raises(ValidationError):
        services.save_recommendation(organiser, event, dict(values, theme=ThemeFactory()))
    other_point = services.add_points(
        organiser,
        services.add_breakout(organiser, EventFactory(), "X"),
        Question.objects.exclude(event=event).first(),
        "y",
    )[0]
    with pytest.raises(ValidationError):
        services.save_recommendation(organiser, event, dict(values, sources=[other_point]))
    services.delete_recommendation(organiser, first)
    assert [r.pk for r in queries.recommendations_book(event)] == [second.pk]
