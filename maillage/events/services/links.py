"""The links that travel by email or QR code: confirmation, personal page, door check-in, rapporteur notes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.urls import reverse
from django.utils.translation import gettext as _

from maillage.env import env_int
from maillage.events.models import (
    Breakout,
    Event,
    Participant,
    Registration,
    Session,
)

CONFIRM_SALT = "maillage.events.confirm"


CHECKIN_SALT = "maillage.events.checkin"


def absolute(url_name: str, *args: Any) -> str:
    return settings.SITE_URL + reverse(url_name, args=args)


def confirmation_token(participant: Participant) -> str:
    return signing.TimestampSigner(salt=CONFIRM_SALT).sign(str(participant.pk))


def checkin_token(registration: Registration, session: Session) -> str:
    return signing.dumps({"r": registration.pk, "s": session.pk}, salt=CHECKIN_SALT)


def personal_url(participant: Participant) -> str:
    return absolute("events:participant", participant.token)


def checkin_url(registration: Registration, session: Session) -> str:
    return absolute("events:checkin_scan", checkin_token(registration, session))


def read_checkin_code(code: str) -> dict[str, int]:
    token = code.strip().rstrip("/").rsplit("/", 1)[-1]
    try:
        value = signing.loads(token, salt=CHECKIN_SALT)
        return {"r": int(value["r"]), "s": int(value["s"])}
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise ValidationError(_("This code is not a valid invitation code.")) from None


RAPPORTEUR_SALT = "maillage.events.rapporteur"


def rapporteur_token(breakout: Breakout) -> str:
    """The link a rapporteur without an account uses to write their group's notes."""
    return signing.dumps(breakout.pk, salt=RAPPORTEUR_SALT)


def rapporteur_link_days() -> int:
    """Days a rapporteur link stays valid after the event's last session: MAILLAGE_RAPPORTEUR_LINK_DAYS, 30 by default."""
    configured = getattr(settings, "MAILLAGE_RAPPORTEUR_LINK_DAYS", None)
    if configured is not None:
        return int(configured)
    return env_int("MAILLAGE_RAPPORTEUR_LINK_DAYS", 30, minimum=1)


def rapporteur_link_ends(event: Event) -> datetime | None:
    """When the event's rapporteur links stop working; None while it has no session (nothing has ended)."""
    last = event.sessions.aggregate(last=Max("ends_at"))["last"]
    return last + timedelta(days=rapporteur_link_days()) if last is not None else None


def breakout_for_token(token: str) -> Breakout | None:
    try:
        breakout_id = int(signing.loads(token, salt=RAPPORTEUR_SALT))
    except (signing.BadSignature, TypeError, ValueError):
        return None
    return Breakout.objects.select_related("event").filter(pk=breakout_id).first()
