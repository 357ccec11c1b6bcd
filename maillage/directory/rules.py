"""Domain checks the forms call in clean() and the services call again before writing."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maillage.directory.models import CrisisStatus


def check_crisis_until(status: str, until: date | None, today: date | None = None) -> None:
    """A temporary status cannot end in the past (it would be shown while no longer true)."""
    today = today or timezone.localdate()
    if until is not None and status != CrisisStatus.USUAL and until < today:
        raise ValidationError(
            _("The end date of a status cannot be in the past (%(date)s)."),
            code="crisis_until_past",
            params={"date": until.strftime("%d/%m/%Y")},
        )
