"""Privacy: free comments erased after their retention period."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from maillage.core.audit import log_action
from maillage.helpline.models import (
    Call,
)


def comment_retention_days() -> int:
    return int(getattr(settings, "MAILLAGE_HELPLINE_COMMENT_RETENTION_DAYS", 365))


# ---------------------------------------------------------------------------------------------
# Privacy


def purge_comments(days: int | None = None, now: datetime | None = None) -> int:
    """Erase free comments older than the retention period; the coded data stays. Idempotent."""
    days = comment_retention_days() if days is None else days
    now = now or timezone.now()
    cutoff = now - timedelta(days=days)
    with transaction.atomic():
        erased = (
            Call.objects.filter(started_at__lt=cutoff).exclude(comment="").update(comment="", comment_erased_at=now)
        )
        if erased:
            log_action(None, "helpline.comments.purged", None, {"calls": erased, "days": days})
    return erased
