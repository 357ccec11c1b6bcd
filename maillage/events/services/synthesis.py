"""Rapporteurs' notes, the synthesis (merging duplicates) and the book of recommendations."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from maillage.core.audit import log_action
from maillage.core.models import User
from maillage.events.models import (
    Breakout,
    Event,
    NotePoint,
    Question,
    Recommendation,
    Theme,
)

DEFAULT_QUESTIONS = [
    ("D'accord à 100 %", "Volledig akkoord"),
    ("D'accord, mais", "Akkoord, maar"),
    ("Ce qui a bien fonctionné", "Wat goed werkte"),
    ("Ce qui a moins bien fonctionné", "Wat minder goed werkte"),
    ("Actions prioritaires", "Prioritaire acties"),
]


def ensure_questions(event: Event) -> list[Question]:
    """The rapporteurs' questions; an event without its own gets the five of the seeds."""
    if not event.questions.exists():
        with transaction.atomic():
            for position, (label_fr, label_nl) in enumerate(DEFAULT_QUESTIONS):
                Question.objects.create(event=event, position=position, label_fr=label_fr, label_nl=label_nl)
            log_action(None, "events.questions.created", event, {"questions": len(DEFAULT_QUESTIONS)})
    return list(event.questions.all())


def add_breakout(actor: User, event: Event, name: str, rapporteur: str = "", theme: Theme | None = None) -> Breakout:
    with transaction.atomic():
        if Breakout.objects.filter(event=event, name=name.strip()).exists():
            raise ValidationError({"name": _("A group of this event already has this name.")})
        breakout = Breakout.objects.create(event=event, name=name.strip(), rapporteur=rapporteur.strip(), theme=theme)
        ensure_questions(event)
        log_action(actor, "events.breakout.created", breakout, organisation=event.organisation)
    return breakout


def split_points(text: str) -> list[str]:
    """Bullet points from a textarea: one per line, leading dashes, stars and bullets removed."""
    points = []
    for line in text.splitlines():
        cleaned = re.sub(r"^\s*([-*•>]+|\d+[.)])\s*", "", line).strip()
        if cleaned:
            points.append(cleaned)
    return points


def add_points(actor: User | None, breakout: Breakout, question: Question, text: str) -> list[NotePoint]:
    if question.event_id != breakout.event_id:
        raise ValidationError(_("Choose a question of this event."))
    points = split_points(text)
    if not points:
        raise ValidationError({"text": _("Write at least one point.")})
    with transaction.atomic():
        start = breakout.points.filter(question=question).count()
        created = [
            NotePoint.objects.create(breakout=breakout, question=question, text=point, position=start + index)
            for index, point in enumerate(points)
        ]
        log_action(
            actor,
            "events.notes.added",
            breakout,
            {"question": question.pk, "points": len(created)},
            organisation=breakout.event.organisation,
        )
    return created


def merge_points(actor: User, keep: NotePoint, others: Sequence[NotePoint]) -> NotePoint:
    """Duplicates of the same idea become one point of the synthesis; each keeps its group as a source."""
    others = [point for point in others if point.pk != keep.pk]
    event_id = keep.breakout.event_id
    if any(point.breakout.event_id != event_id or point.question_id != keep.question_id for point in others):
        raise ValidationError(_("Only points of the same question of one event can be merged."))
    with transaction.atomic():
        ids = [point.pk for point in others]
        NotePoint.objects.filter(Q(pk__in=ids) | Q(merged_into_id__in=ids)).update(merged_into=keep)
        if keep.merged_into_id is not None:
            keep.merged_into = None
            keep.save(update_fields=["merged_into"])
        log_action(
            actor, "events.synthesis.merged", keep, {"merged": ids}, organisation=keep.breakout.event.organisation
        )
    return keep


def split_point(actor: User, point: NotePoint) -> None:
    with transaction.atomic():
        point.merged_into = None
        point.save(update_fields=["merged_into"])
        log_action(actor, "events.synthesis.split", point, organisation=point.breakout.event.organisation)


def edit_synthesis_point(actor: User, point: NotePoint, text: str) -> NotePoint:
    with transaction.atomic():
        point.synthesis_text = text.strip()
        point.save(update_fields=["synthesis_text"])
        log_action(actor, "events.synthesis.edited", point, organisation=point.breakout.event.organisation)
    return point


def save_recommendation(
    actor: User, event: Event, values: dict[str, Any], *, recommendation: Recommendation | None = None
) -> Recommendation:
    sources = list(values.pop("sources", []) or [])
    if any(point.breakout.event_id != event.pk for point in sources):
        raise ValidationError(_("Choose points of this event."))
    theme = values.get("theme")
    if theme is not None and theme.event_id != event.pk:
        raise ValidationError({"theme": _("Choose a theme of this event.")})
    with transaction.atomic():
        if recommendation is None:
            recommendation = Recommendation.objects.create(event=event, **values)
            code = "events.recommendation.created"
        else:
            for name, value in values.items():
                setattr(recommendation, name, value)
            recommendation.save(update_fields=list(values))
            code = "events.recommendation.updated"
        recommendation.sources.set(sources)
        log_action(actor, code, recommendation, organisation=event.organisation)
    return recommendation


def delete_recommendation(actor: User, recommendation: Recommendation) -> None:
    with transaction.atomic():
        log_action(
            actor, "events.recommendation.deleted", recommendation, organisation=recommendation.event.organisation
        )
        recommendation.delete()
