"""Calendars that follow changes: the invitation's .ics, its updates and cancellations, and the CalDAV copy.

Every invitation of a registration at a session has one UID (`calendar_uid`); a moved or cancelled session
raises its `sequence`, so calendars replace their copy (RFC 5545 SEQUENCE). Participants get the new
version by email (METHOD:REQUEST, or METHOD:CANCEL when a registration or a session is cancelled).

When `MAILLAGE_CALDAV_URL` names a calendar collection (the organisers' shared calendar), each invitation
is also stored there as `<uid>.ics`: `mark_changed` flags its `CalendarCopy` in the deciding transaction,
and the `sync_calendars` task (after commit) makes the server match — PUT, PUT again with the higher
SEQUENCE, or DELETE. A server that refuses or cannot be reached leaves the copy pending with its answer
(shown to the organisers): nothing is lost, the next run sends it again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, vCalAddress, vText
from icalendar import Event as CalendarEvent

from maillage.core.mail import send_templated_mail
from maillage.env import env_str
from maillage.events.models import CalendarCopy, Event, Registration, Session, Status, calendar_uid
from maillage.events.services.links import personal_url
from maillage.events.services.locking import covers

logger = logging.getLogger(__name__)

# A CalDAV request that takes longer than this counts as a refusal (the copy stays pending).
CALDAV_TIMEOUT = 10


class CalendarServerError(Exception):
    """The CalDAV server refused or could not be reached; the message is for the organisers."""


def session_calendar(
    session: Session, event: Event, registration: Registration, *, method: str | None = "REQUEST"
) -> bytes:
    """The invitation to one session as iCalendar: REQUEST (new or updated), CANCEL, or None for a stored copy."""
    participant = registration.participant
    calendar = Calendar()
    calendar.add("prodid", "-//maillage//events//")
    calendar.add("version", "2.0")
    if method:
        calendar.add("method", method)
    item = CalendarEvent()
    item.add("uid", calendar_uid(session.pk, registration.pk))
    item.add("sequence", session.sequence)
    item.add("dtstamp", timezone.now())
    item.add("dtstart", session.starts_at)
    item.add("dtend", session.ends_at)
    item.add("summary", f"{event.title} · {session.title or session}")
    item.add("location", session.place or event.location or event.online_link)
    cancelled = method == "CANCEL" or session.cancelled_at is not None
    item.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    organiser = vCalAddress(f"mailto:{event.contact_email or _address(str(settings.DEFAULT_FROM_EMAIL))}")
    organiser.params["cn"] = vText(event.organisation.short_name)
    item.add("organizer", organiser)
    attendee = vCalAddress(f"mailto:{participant.email}")
    attendee.params["cn"] = vText(participant.full_name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    item.add("attendee", attendee)
    item.add(
        "description",
        "\n".join(filter(None, [event.online_link, event.practical_details, personal_url(participant)])),
    )
    calendar.add_component(item)
    return calendar.to_ical()  # type: ignore[no-any-return]


def _address(from_email: str) -> str:
    """'maillage <noreply@x>' → 'noreply@x'."""
    return from_email.rsplit("<", 1)[-1].rstrip(">").strip()


def caldav_url() -> str:
    configured = getattr(settings, "MAILLAGE_CALDAV_URL", None)
    value = configured if configured is not None else env_str("MAILLAGE_CALDAV_URL", "")
    return (value or "").rstrip("/")


def mark_changed(pairs: Iterable[tuple[Registration, Session]]) -> None:
    """Inside the deciding transaction: these invitations must be stored, updated or removed in CalDAV."""
    if not caldav_url():
        return
    for registration, session in pairs:
        CalendarCopy.objects.update_or_create(
            registration=registration, session=session, defaults={"pending": True, "attempts": 0}
        )
    transaction.on_commit(_enqueue_sync)


def _enqueue_sync() -> None:
    from maillage.events.tasks import sync_calendars as task

    task.enqueue()


def wanted(copy: CalendarCopy) -> bool:
    """Whether the invitation should stand in the calendar now."""
    registration, session = copy.registration, copy.session
    return registration.status == Status.CONFIRMED and session.cancelled_at is None and covers(registration, session)


def _client_and_base() -> tuple[Any, str]:
    from caldav.davclient import DAVClient

    base = caldav_url()
    client = DAVClient(
        url=base,
        username=getattr(settings, "MAILLAGE_CALDAV_USER", None) or env_str("MAILLAGE_CALDAV_USER", "") or None,
        password=getattr(settings, "MAILLAGE_CALDAV_PASSWORD", None) or env_str("MAILLAGE_CALDAV_PASSWORD", "") or None,
        timeout=CALDAV_TIMEOUT,
    )
    return client, base


def object_url(copy: CalendarCopy) -> str:
    return f"{caldav_url()}/{quote(copy.uid, safe='')}.ics"


def sync_calendars(*, limit: int = 500) -> dict[str, int]:
    """Make the CalDAV calendar match every pending copy; a refusal keeps it pending with the answer."""
    counts = {"stored": 0, "removed": 0, "failed": 0}
    if not caldav_url():
        return counts
    client, _base = _client_and_base()
    copies = CalendarCopy.objects.filter(pending=True).select_related(
        "registration__participant", "registration__event__organisation", "session"
    )[:limit]
    for copy in copies:
        try:
            if wanted(copy):
                _put(client, copy)
                copy.stored_sequence = copy.session.sequence
                counts["stored"] += 1
            else:
                _delete(client, copy)
                copy.stored_sequence = None
                counts["removed"] += 1
        except CalendarServerError as error:
            copy.last_error = str(error)[:500]
            copy.attempts += 1
            copy.save(update_fields=["last_error", "attempts", "updated_at"])
            counts["failed"] += 1
            logger.warning("calendar copy %s not synced: %s", copy.pk, error)
            continue
        copy.pending = False
        copy.last_error = ""
        copy.save(update_fields=["pending", "stored_sequence", "last_error", "updated_at"])
    return counts


def _request(client: Any, method: str, url: str, body: str = "") -> int:
    from caldav.lib.error import DAVError

    try:
        if method == "PUT":
            response = client.put(url, body, {"Content-Type": "text/calendar; charset=utf-8"})
        else:
            response = client.delete(url)
    except DAVError as error:
        # The server answered with an error status (401, 403, 507, ...).
        return int(getattr(error, "status", None) or 500)
    except Exception as error:  # the network's or the client's own failures: the server was not reached
        raise CalendarServerError(
            _("The calendar server could not be reached (%(reason)s); the invitation stays queued.")
            % {"reason": f"{type(error).__name__}: {error}"[:200]}
        ) from error
    return int(response.status)


def _put(client: Any, copy: CalendarCopy) -> None:
    registration, session = copy.registration, copy.session
    body = session_calendar(session, registration.event, registration, method=None).decode()
    status = _request(client, "PUT", object_url(copy), body)
    if not 200 <= status < 300:
        raise CalendarServerError(
            _("The calendar server refused the invitation (answer %(status)d); it stays queued.") % {"status": status}
        )


def _delete(client: Any, copy: CalendarCopy) -> None:
    status = _request(client, "DELETE", object_url(copy))
    if not (200 <= status < 300 or status in (404, 410)):
        raise CalendarServerError(
            _("The calendar server refused to remove the invitation (answer %(status)d); it stays queued.")
            % {"status": status}
        )


def calendar_problems(event: Event) -> list[CalendarCopy]:
    """The event's invitations the calendar server has refused so far (for the organisers' page)."""
    return list(
        CalendarCopy.objects.filter(registration__event=event, pending=True)
        .exclude(last_error="")
        .select_related("registration__participant", "session")[:20]
    )


def send_calendar_change(
    registration: Registration, sessions: list[Session], *, change: str, method: str = "REQUEST"
) -> None:
    """Inside the deciding transaction: the participant's updated invitation or cancellation, by email."""
    participant, event = registration.participant, registration.event
    attachments: list[tuple[str, bytes | str, str]] = [
        (f"session-{number}.ics", session_calendar(session, event, registration, method=method), "text/calendar")
        for number, session in enumerate(sessions, start=1)
    ]
    send_templated_mail(
        "events/emails/calendar_change",
        [participant.email],
        {
            "participant": participant,
            "event": event,
            "registration": registration,
            "sessions": sessions,
            "change": change,
            "personal_link": personal_url(participant),
        },
        language=participant.language,
        attachments=attachments,
    )
    mark_changed((registration, session) for session in sessions)
