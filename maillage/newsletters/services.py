"""Every change of the newsletters: subscribe, confirm, preferences, unsubscribe, import, editions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.core.audit import log_action
from maillage.core.models import Organisation, User
from maillage.core.outbox import queue_email
from maillage.newsletters import rendering
from maillage.newsletters.models import (
    Consent,
    ConsentHow,
    Edition,
    EditionStatus,
    NewsletterList,
    Subscriber,
)


@transaction.atomic
def subscribe(
    email: str, language: str, lists: Iterable[NewsletterList], organisation: Organisation | None = None
) -> Subscriber:
    """Double opt-in: the lists are kept, nothing is sent until the address confirms.

    A known address is not told apart (same answer, same email), so the form reveals nobody.
    """
    email = email.strip().lower()
    subscriber, _created = Subscriber.objects.select_for_update().get_or_create(
        email=email, defaults={"language": language, "organisation": organisation}
    )
    subscriber.lists.add(*lists)
    if subscriber.unsubscribed_at is not None:
        subscriber.unsubscribed_at = None
        subscriber.confirmed_at = None
        subscriber.save(update_fields=["unsubscribed_at", "confirmed_at"])
    if subscriber.confirmed_at is None:
        link = rendering.site_url(reverse("newsletters:confirm", args=[subscriber.token]))
        queue_email("newsletters/emails/confirm", [subscriber.email], {"confirm_link": link}, language=language)
    return subscriber


@transaction.atomic
def confirm(subscriber: Subscriber, detail: str = "") -> Subscriber:
    locked = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    if locked.confirmed_at is None:
        locked.confirmed_at = timezone.now()
        locked.save(update_fields=["confirmed_at"])
        names = ", ".join(str(item) for item in locked.lists.all())
        Consent.objects.create(subscriber=locked, how=ConsentHow.FORM, detail=(detail or names)[:300])
    return locked


@transaction.atomic
def update_preferences(
    subscriber: Subscriber, language: str, lists: Iterable[NewsletterList], *, unsubscribe_all: bool
) -> Subscriber:
    locked = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    if unsubscribe_all:
        return _unsubscribe(locked, ConsentHow.UNSUBSCRIBE)
    chosen = list(lists)
    locked.language = language
    locked.save(update_fields=["language"])
    locked.lists.set(chosen)
    Consent.objects.create(
        subscriber=locked, how=ConsentHow.PREFERENCES, detail=", ".join(str(item) for item in chosen)[:300] or "—"
    )
    if not chosen:
        return _unsubscribe(locked, ConsentHow.UNSUBSCRIBE)
    return locked


def _unsubscribe(subscriber: Subscriber, how: str) -> Subscriber:
    if subscriber.unsubscribed_at is None:
        subscriber.unsubscribed_at = timezone.now()
        subscriber.save(update_fields=["unsubscribed_at"])
        Consent.objects.create(subscriber=subscriber, how=how)
    return subscriber


@transaction.atomic
def unsubscribe(subscriber: Subscriber, *, one_click: bool = False) -> Subscriber:
    locked = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    return _unsubscribe(locked, ConsentHow.ONE_CLICK if one_click else ConsentHow.UNSUBSCRIBE)


# Import


@dataclass
class ImportRow:
    line: int
    email: str
    language: str
    organisation: Organisation | None
    consent_at: dt.datetime
    how: str


@transaction.atomic
def import_subscribers(actor: User, newsletter: NewsletterList, rows: list[ImportRow]) -> tuple[int, int]:
    """Rows already checked (every one good): add them, with their consent as recorded. (new, updated)."""
    new = updated = 0
    for row in rows:
        subscriber, created = Subscriber.objects.get_or_create(
            email=row.email, defaults={"language": row.language, "organisation": row.organisation}
        )
        if created:
            new += 1
        else:
            updated += 1
        subscriber.lists.add(newsletter)
        if subscriber.confirmed_at is None and subscriber.unsubscribed_at is None:
            subscriber.confirmed_at = row.consent_at
            subscriber.save(update_fields=["confirmed_at"])
        Consent.objects.create(
            subscriber=subscriber, at=row.consent_at, how=ConsentHow.IMPORT,
            detail=(_("line %(n)s") % {"n": row.line} + (f" · {row.how}" if row.how else ""))[:300],
        )  # fmt: skip
    log_action(actor, "newsletters.subscribers.imported", None, {"list": newsletter.pk, "new": new, "updated": updated})
    return new, updated


# Editions


@transaction.atomic
def save_edition(actor: User, edition: Edition | None, fields: dict[str, Any]) -> Edition:
    if edition is not None and edition.status != EditionStatus.DRAFT:
        raise ValidationError(_("This edition is already scheduled or sent: it can no longer be changed."))
    if edition is None:
        edition = Edition(created_by=actor)
    for name, value in fields.items():
        setattr(edition, name, value)
    edition.save()
    log_action(actor, "newsletters.edition.saved", edition)
    return edition


def _check_ready(edition: Edition) -> None:
    for language in edition.newsletter.languages():
        if not (edition.subject_in(language) and edition.body_in(language)):
            raise ValidationError(_("Write the subject and the text in every language of the list first."))
    if edition.newsletter.language == "both" and not (
        edition.subject_fr and edition.subject_nl and edition.body_fr and edition.body_nl
    ):
        raise ValidationError(_("This list is in French and Dutch: write the edition in both languages."))


@transaction.atomic
def schedule(actor: User, edition: Edition, when: dt.datetime | None) -> Edition:
    """Send at `when` (now if None): the task queue sends it; scheduling twice changes nothing."""
    locked = Edition.objects.select_for_update().get(pk=edition.pk)
    if locked.status != EditionStatus.DRAFT:
        raise ValidationError(_("This edition is already scheduled or sent."))
    _check_ready(locked)
    locked.status = EditionStatus.SCHEDULED
    locked.scheduled_at = when or timezone.now()
    locked.save(update_fields=["status", "scheduled_at"])
    log_action(actor, "newsletters.edition.scheduled", locked, {"at": locked.scheduled_at.isoformat()})
    if locked.scheduled_at <= timezone.now():
        from maillage.newsletters.tasks import send_edition

        edition_id = locked.pk
        transaction.on_commit(lambda: send_edition.enqueue(edition_id))
    return locked


@transaction.atomic
def unschedule(actor: User, edition: Edition) -> Edition:
    updated = Edition.objects.filter(pk=edition.pk, status=EditionStatus.SCHEDULED, started_at__isnull=True).update(
        status=EditionStatus.DRAFT, scheduled_at=None
    )
    if not updated:
        raise ValidationError(_("The sending has started: it can no longer be cancelled."))
    log_action(actor, "newsletters.edition.unscheduled", edition)
    edition.refresh_from_db()
    return edition


@transaction.atomic
def test_send(actor: User, edition: Edition, email: str, language: str) -> None:
    """The edition as a subscriber would get it, to one address, through the outbox (with its headers)."""
    probe = Subscriber.objects.filter(email=email.lower()).first() or Subscriber(
        email=email, language=language, token="test"
    )
    probe.language = language
    subject, text, html = rendering.render_parts(edition, language, probe)
    queue_email(
        "newsletters/emails/test", [email], {"subject": subject, "text": text, "html": html},
        language=language, headers=rendering.unsubscribe_headers(probe),
    )  # fmt: skip
    log_action(actor, "newsletters.edition.test_sent", edition, {"language": language})
