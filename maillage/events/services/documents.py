"""Documents of an invitation: the calendar file (.ics) and the QR codes for the door."""

from __future__ import annotations

import io

import segno
from django.utils import timezone
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from maillage.events.models import (
    Event,
    Registration,
    Session,
)
from maillage.events.services.links import personal_url


def session_calendar(session: Session, event: Event, registration: Registration) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//maillage//events//")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    item = CalendarEvent()
    item.add("uid", f"session-{session.pk}-registration-{registration.pk}@maillage")
    item.add("dtstamp", timezone.now())
    item.add("dtstart", session.starts_at)
    item.add("dtend", session.ends_at)
    item.add("summary", f"{event.title} · {session.title or session}")
    item.add("location", session.place or event.place or event.online_link)
    item.add(
        "description",
        "\n".join(filter(None, [event.online_link, event.practical_details, personal_url(registration.participant)])),
    )
    calendar.add_component(item)
    return calendar.to_ical()


def qr_png(data: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind="png", scale=5)
    return buffer.getvalue()


def qr_svg_data_uri(data: str) -> str:
    return segno.make(data, error="m").svg_data_uri(scale=4)  # type: ignore[no-any-return]
