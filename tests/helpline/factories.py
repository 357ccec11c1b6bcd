"""Factories of the helpline; calls normally go through services.log_call."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from maillage.core.models import User
from maillage.helpline import services
from maillage.helpline.models import Call


def call_data(*requests: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A valid call payload; override any field."""
    data: dict[str, Any] = {
        "started_at": timezone.now() - timedelta(minutes=10),
        "duration_minutes": 7,
        "language": "fr",
        "caller_sex": "woman",
        "postal_code": "1070",
        "caller_type": "concerned",
        "heard_via": "",
        "urgency": "low",
        "comment": "",
        "requests": list(requests) or [{"category": "FOOD.PARCEL", "action": "information", "note": ""}],
    }
    data.update(fields)
    return data


def log(responder: User, *requests: dict[str, Any], at: datetime | None = None, **fields: Any) -> Call:
    if at is not None:
        fields["started_at"] = at
    return services.log_call(responder, call_data(*requests, **fields))
