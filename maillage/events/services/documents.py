"""Documents of an invitation: the QR codes for the door (the calendar file is in calendars)."""

from __future__ import annotations

import io

import segno

from maillage.events.services.calendars import session_calendar

__all__ = ["qr_png", "qr_svg_data_uri", "session_calendar"]


def qr_png(data: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind="png", scale=5)
    return buffer.getvalue()


def qr_svg_data_uri(data: str) -> str:
    return segno.make(data, error="m").svg_data_uri(scale=4)  # type: ignore[no-any-return]
