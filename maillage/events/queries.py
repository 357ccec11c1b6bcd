"""The read side of events: what the public sees and what each organiser may manage."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from maillage.core.models import Role
from maillage.core.tenancy import AnyUser, organisation_ids
from maillage.events.models import (
    HOLDING,
    Breakout,
    Event,
    NotePoint,
    Participant,
    Question,
    Recommendation,
    Registration,
    Session,
    Status,
)

ORGANISER_ROLES = (Role.ORGANISER, Role.FEDERATION_STAFF)


def public_events() -> QuerySet[Event]:
    """Published events with a session still to come, soonest first."""
    return (
        Event.objects.filter(is_published=True, sessions__ends_at__gte=timezone.now())
        .distinct()
        .order_by("closes_at", "pk")
    )


def public_event_or_404(slug: str) -> Event:
    event = Event.objects.filter(slug=slug, is_published=True).select_related("organisation").first()
    if event is None:
        raise Http404
    return event


def events_managed_by(user: AnyUser) -> QuerySet[Event]:
    """Events one of whose organiser organisations gives the user the organiser or federation staff role."""
    ids = organisation_ids(user, ORGANISER_ROLES)
    return Event.objects.filter(
        pk__in=Event.organisers.through.objects.filter(organisation_id__in=ids).values("event_id")
    )


def managed_event_or_404(user: AnyUser, event_id: int) -> Event:
    event = events_managed_by(user).filter(pk=event_id).select_related("organisation").first()
    if event is None:
        raise Http404
    return event


def participant_by_token_or_404(token: str) -> Participant:
    participant = Participant.objects.select_related("event", "organisation").filter(token=token).first()
    if participant is None:
        raise Http404
    return participant


def registrations_for(event: Event) -> QuerySet[Registration]:
    return event.registrations.select_related("participant", "participant__organisation", "theme", "group")


@dataclass
class SeatSummary:
    label: str
    capacity: int | None
    taken: int
    waiting: int

    @property
    def free(self) -> int | None:
        return None if self.capacity is None else max(self.capacity - self.taken, 0)


def seat_summaries(event: Event) -> list[SeatSummary]:
    """Seats held and waiting, for the event and each theme (one query each level)."""
    holding = Q(registrations__status__in=HOLDING)
    waiting = Q(registrations__status=Status.WAITING)
    people = Registration.objects.filter(event=event).values("status").annotate(n=Count("participant", distinct=True))
    counts = {row["status"]: row["n"] for row in people}
    summaries = [
        SeatSummary(
            event.title,
            event.capacity,
            Registration.objects.filter(event=event, status__in=HOLDING).values("participant").distinct().count(),
            counts.get(Status.WAITING, 0),
        )
    ]
    if event.has_themes:
        themes = event.themes.annotate(
            taken=Count("registrations", filter=holding), waiting=Count("registrations", filter=waiting)
        )
        summaries += [SeatSummary(theme.title, theme.capacity, theme.taken, theme.waiting) for theme in themes]
    return summaries


def waiting_list(event: Event) -> QuerySet[Registration]:
    return registrations_for(event).filter(status=Status.WAITING).order_by("theme__position", "waiting_since", "pk")


def waiting_position(registration: Registration) -> int:
    """1 for the next person offered a freed place in this registration's scope (the event or its theme)."""
    same_scope = Q(theme_id=registration.theme_id) if registration.theme_id else Q(theme__isnull=True)
    ahead = Registration.objects.filter(same_scope, event_id=registration.event_id, status=Status.WAITING).filter(
        Q(waiting_since__lt=registration.waiting_since)
        | Q(waiting_since=registration.waiting_since, pk__lt=registration.pk)
    )
    return ahead.count() + 1


def sessions_for_event(event: Event) -> QuerySet[Session]:
    return event.sessions.select_related("theme", "group").annotate(present=Count("attendances", distinct=True))


@dataclass
class SynthesisPoint:
    point: NotePoint
    sources: list[str]
    merged: list[NotePoint] = field(default_factory=list)


@dataclass
class SynthesisQuestion:
    question: Question
    points: list[SynthesisPoint]


def synthesis(event: Event) -> list[SynthesisQuestion]:
    """All groups' notes question by question; merged duplicates shown once with every source group."""
    questions = list(event.questions.all())
    points = list(
        NotePoint.objects.filter(breakout__event=event)
        .select_related("breakout")
        .order_by("question__position", "breakout__name", "position", "pk")
    )
    merged: dict[int, list[NotePoint]] = defaultdict(list)
    for point in points:
        if point.merged_into_id is not None:
            merged[point.merged_into_id].append(point)
    by_question: dict[int, list[SynthesisPoint]] = defaultdict(list)
    for point in points:
        if point.merged_into_id is not None:
            continue
        sources = [point.breakout.name] + [other.breakout.name for other in merged[point.pk]]
        by_question[point.question_id].append(SynthesisPoint(point, sorted(set(sources)), merged[point.pk]))
    return [SynthesisQuestion(question, by_question[question.pk]) for question in questions]


def breakouts_with_points(event: Event) -> QuerySet[Breakout]:
    return event.breakouts.select_related("theme").prefetch_related(
        Prefetch(
            "points", queryset=NotePoint.objects.select_related("question").order_by("question__position", "position")
        )
    )


def recommendations_book(event: Event) -> QuerySet[Recommendation]:
    return event.recommendations.select_related("theme").prefetch_related(
        Prefetch("sources", queryset=NotePoint.objects.select_related("breakout"))
    )
