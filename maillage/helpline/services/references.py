"""Returning callers without identity: a six-character reference read aloud, quoted at a later call.

No name or phone number is ever stored: the reference is the only link between the calls, and it
expires after MAILLAGE_HELPLINE_REFERENCE_DAYS days.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.core.audit import log_action
from maillage.core.models import Organisation, User
from maillage.helpline.models import Call, CallerReference
from maillage.helpline.services.privacy import comment_retention_days

# Letters and digits that cannot be mistaken for one another when read aloud or written down:
# no 0/O/Q, 1/I/L/J, 2/Z, 5/S, 8/B, 6/G, U/V.
ALPHABET = "ACDEFHKMNPRTWXY3479"
LENGTH = 6


def reference_days() -> int:
    return int(getattr(settings, "MAILLAGE_HELPLINE_REFERENCE_DAYS", 90))


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(text: str) -> str:
    """What the responder typed, as a code: capitals, no spaces or dashes."""
    return "".join(ch for ch in str(text or "").upper() if ch.isalnum())[:20]


def find_reference(organisation: Organisation, text: str, now: datetime | None = None) -> CallerReference:
    """The valid reference quoted by a caller, or a translated ValidationError (unknown or expired)."""
    code = normalise(text)
    if len(code) != LENGTH or any(ch not in ALPHABET for ch in code):
        raise ValidationError(
            _("A reference has six characters among %(alphabet)s.") % {"alphabet": " ".join(ALPHABET)},
            code="format",
        )
    reference = CallerReference.objects.filter(organisation=organisation, code=code).first()
    if reference is None:
        raise ValidationError(_("No reference %(code)s was given on this line.") % {"code": code}, code="unknown")
    if reference.expires_at <= (now or timezone.now()):
        raise ValidationError(
            _("The reference %(code)s has expired: the earlier calls can no longer be linked.") % {"code": code},
            code="expired",
        )
    return reference


def give_reference(actor: User, call: Call) -> CallerReference:
    """The reference of this call's caller: the one the call is already linked to, or a new one."""
    if call.reference_id is not None:
        return call.reference  # type: ignore[return-value]
    now = timezone.now()
    for _attempt in range(10):
        try:
            with transaction.atomic():
                reference = CallerReference.objects.create(
                    organisation=call.organisation,
                    code=new_code(),
                    created_at=now,
                    expires_at=now + timedelta(days=reference_days()),
                )
                call.reference = reference
                call.save(update_fields=["reference"])
                log_action(actor, "helpline.reference.given", call, {"reference": reference.pk})
                return reference
        except IntegrityError:  # the same code drawn twice: draw again
            continue
    raise RuntimeError("Could not draw a free reference.")


@dataclass
class EarlierCall:
    started_at: datetime
    requests: list[tuple[str, str, str]]  # category code, category label, action label
    comment: str


def earlier_calls(reference: CallerReference, *, exclude: Any = None, now: datetime | None = None) -> list[EarlierCall]:
    """The calls linked to this reference: dates, categories and actions; comments only within their retention."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=comment_retention_days())
    calls = (
        Call.objects.filter(reference=reference)
        .exclude(pk=getattr(exclude, "pk", exclude))
        .prefetch_related("requests__category")
        .order_by("started_at", "id")
    )
    result = []
    for call in calls:
        comment = call.comment if call.comment_erased_at is None and call.started_at >= cutoff else ""
        result.append(
            EarlierCall(
                started_at=call.started_at,
                requests=[(r.category.code, r.category.label, r.get_action_display()) for r in call.requests.all()],
                comment=comment,
            )
        )
    return result
