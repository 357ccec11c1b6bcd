"""Records that keep themselves true: the annual re-verification of every published service.

Once a year (settings.MAILLAGE_DIRECTORY_REVERIFY_DAYS) a service not verified since gets an email
to its organisation's contacts (the directory entry's and the service's email, the member
organisation's coordinators), through the outbox, with a one-click "still accurate" link.

The link is signed (django.core.signing, salted) and names the service and the moment it was sent.
It only shows a button (mail scanners follow links; a GET writes nothing); the POST confirms. Once
the service was verified after the link was sent, the same link — replayed or forwarded — answers
"already confirmed" and writes nothing; it expires after LINK_DAYS. Anyone holding it may confirm
(it was sent to the organisation's contacts), and the confirmation is audited with the link's time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from maillage.core.audit import log_action
from maillage.core.models import Membership, Role
from maillage.core.outbox import queue_email
from maillage.directory.models import ChangeKind, Service, ServiceChange, ServiceStatus

SALT = "maillage.directory.reverify"
LINK_DAYS = 60
REVERIFY_DAYS = 365


def reverify_days() -> int:
    return int(getattr(settings, "MAILLAGE_DIRECTORY_REVERIFY_DAYS", REVERIFY_DAYS))


def due_services(now: datetime | None = None) -> QuerySet[Service]:
    """Published services not verified for a year, and not asked in that year either."""
    now = now or timezone.now()
    limit = now - timedelta(days=reverify_days())
    return (
        Service.objects.filter(status=ServiceStatus.PUBLISHED)
        .filter(Q(verified_at__isnull=True) | Q(verified_at__lt=limit))
        .filter(Q(reverification_sent_at__isnull=True) | Q(reverification_sent_at__lt=limit))
        .select_related("organisation")
        .order_by("pk")
    )


def stale_services(now: datetime | None = None) -> QuerySet[Service]:
    """The federation's list: published services not verified for a year (asked or not), oldest first."""
    now = now or timezone.now()
    limit = now - timedelta(days=reverify_days())
    return (
        Service.objects.filter(status=ServiceStatus.PUBLISHED)
        .filter(Q(verified_at__isnull=True) | Q(verified_at__lt=limit))
        .select_related("organisation")
        .order_by("verified_at", "name_fr", "pk")
    )


def confirmation_token(service: Service, sent_at: datetime) -> str:
    return signing.dumps({"s": service.pk, "t": int(sent_at.timestamp())}, salt=SALT, compress=True)


@dataclass(frozen=True)
class LinkState:
    service: Service
    sent_at: datetime
    already: bool  # verified since the link was sent


def read_token(token: str) -> LinkState | None:
    """The service and send time of a valid, unexpired link; None for a forged or expired one."""
    try:
        data = signing.loads(token, salt=SALT, max_age=timedelta(days=LINK_DAYS))
        service = Service.objects.select_related("organisation").get(pk=int(data["s"]), status=ServiceStatus.PUBLISHED)
        sent_at = datetime.fromtimestamp(int(data["t"]), tz=timezone.get_current_timezone())
    except (signing.BadSignature, Service.DoesNotExist, KeyError, TypeError, ValueError, OverflowError):
        return None
    return LinkState(service, sent_at, already=service.verified_at is not None and service.verified_at >= sent_at)


def contacts_of(service: Service) -> list[str]:
    """Who is asked: the entry's and the service's email, the member organisation's coordinators."""
    emails = [service.organisation.email, service.email]
    if service.organisation.organisation_id:
        emails += Membership.objects.filter(
            organisation_id=service.organisation.organisation_id, role=Role.COORDINATOR, is_active=True
        ).values_list("user__email", flat=True)
    return sorted({email.strip().lower() for email in emails if email})


def send_requests(now: datetime | None = None, limit: int = 500) -> int:
    """Queue one email per due service (at most `limit` a run); returns how many were queued."""
    now = now or timezone.now()
    sent = 0
    for service in due_services(now)[:limit]:
        to = contacts_of(service)
        with transaction.atomic():
            Service.objects.filter(pk=service.pk).update(reverification_sent_at=now)
            if to:
                link = settings.SITE_URL + reverse("directory:confirm", args=[confirmation_token(service, now)])
                queue_email(
                    "directory/emails/reverify",
                    to,
                    {"service": service, "link": link, "days": LINK_DAYS},
                    language="fr",
                )
                sent += 1
            log_action(None, "directory.service.sent", service, {"reverification": True, "recipients": len(to)})
    return sent


def confirm_by_link(state: LinkState) -> bool:
    """Confirm the service from a link; False (nothing written) when it was verified since the link was sent."""
    with transaction.atomic():
        service = Service.objects.select_for_update().get(pk=state.service.pk)
        if service.verified_at is not None and service.verified_at >= state.sent_at:
            return False
        service.verified_at = timezone.now()
        service.verified_by = None
        service.save(update_fields=["verified_at", "verified_by", "updated_at"])
        log_action(None, "directory.service.verified", service, {"by_link_sent_at": state.sent_at.isoformat()})
        ServiceChange.objects.create(service=service, kind=ChangeKind.VERIFIED, created_at=timezone.now())
    return True
