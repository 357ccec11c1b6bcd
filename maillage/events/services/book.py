"""The book of recommendations published, and each recommendation followed after publication."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.core.audit import log_action
from maillage.core.models import User
from maillage.events.models import Event, FollowStatus, NotePoint, Recommendation, RecommendationUpdate


@dataclass(frozen=True)
class Source:
    """A point a recommendation came from, with every group that raised it (merged duplicates included)."""

    text: str
    groups: list[str]


def book_recommendations(event: Event) -> QuerySet[Recommendation]:
    return event.recommendations.select_related("theme").prefetch_related(
        Prefetch(
            "sources",
            queryset=NotePoint.objects.select_related("breakout", "merged_into__breakout").prefetch_related(
                "merged_points__breakout", "merged_into__merged_points__breakout"
            ),
        ),
        "updates",
    )


def sources_of(recommendation: Recommendation) -> list[Source]:
    """Each source point with the groups behind it, also after it was merged (into or from another point)."""
    sources: list[Source] = []
    for point in recommendation.sources.all():
        keeper = point.merged_into or point
        groups = {point.breakout.name, keeper.breakout.name}
        groups |= {other.breakout.name for other in keeper.merged_points.all()}
        sources.append(Source(point.shown_text, sorted(groups)))
    return sources


def chapters(event: Event) -> list[tuple[object, list[tuple[Recommendation, list[Source]]]]]:
    """The book's chapters: per theme (or across themes), its recommendations and their sources."""
    result: list[tuple[object, list[tuple[Recommendation, list[Source]]]]] = []
    for recommendation in book_recommendations(event):
        if not result or result[-1][0] != recommendation.theme:
            result.append((recommendation.theme, []))
        result[-1][1].append((recommendation, sources_of(recommendation)))
    return result


def publish_book(actor: User, event: Event) -> Event:
    """The book goes public at a stable address (the event's slug cannot change any more)."""
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=event.pk)
        if event.book_published_at is not None:
            return event
        if not event.recommendations.exists():
            raise ValidationError(_("The book has no recommendation yet: write one before publishing it."))
        event.book_published_at = timezone.now()
        event.save(update_fields=["book_published_at"])
        log_action(actor, "events.book.published", event, {"recommendations": event.recommendations.count()})
    return event


def add_follow_up(
    actor: User, recommendation: Recommendation, status: str, on: date, note: str = "", addressed_to: str | None = None
) -> RecommendationUpdate:
    """A dated step of what became of a published recommendation (and, if given, whom it is addressed to)."""
    if status not in FollowStatus.values:
        raise ValidationError(
            {
                "status": _("“%(status)s” is not a status: choose one of %(choices)s.")
                % {"status": status[:40], "choices": ", ".join(str(label) for label in FollowStatus.labels)}
            }
        )
    if not Event.objects.filter(pk=recommendation.event_id, book_published_at__isnull=False).exists():
        raise ValidationError(_("Publish the book first: recommendations are followed once published."))
    if on > timezone.localdate():
        raise ValidationError({"on": _("The date of a step cannot be in the future.")})
    with transaction.atomic():
        if addressed_to is not None and addressed_to.strip() != recommendation.addressed_to:
            recommendation.addressed_to = addressed_to.strip()
            recommendation.save(update_fields=["addressed_to"])
        update = RecommendationUpdate.objects.create(
            recommendation=recommendation, status=status, on=on, note=note.strip(), created_by=actor
        )
        log_action(
            actor,
            "events.recommendation.followed",
            recommendation,
            {"status": status, "on": on.isoformat()},
            organisation=recommendation.event.organisation,
        )
    return update
