"""A centre's link to its annex: the random nonce of its AnnexLink, signed with the site's key. Opening it
also needs a signed-in member of that centre, so a forwarded or replayed link shows nothing to anyone else."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from maillage.core.models import Membership, Role
from maillage.core.outbox import queue_email
from maillage.sector.models import AnnexLink

SALT = "maillage.sector.annex"


def annex_token(link: AnnexLink) -> str:
    return signing.Signer(salt=SALT).sign(link.nonce)


def nonce_from(token: str) -> str | None:
    try:
        return signing.Signer(salt=SALT).unsign(token)
    except signing.BadSignature:
        return None


def annex_url(link: AnnexLink) -> str:
    return reverse("sector:annex", kwargs={"token": annex_token(link)})


def email_annex_links(links: list[AnnexLink]) -> int:
    """Each centre's coordinators receive their annex's link (through the outbox); returns how many emails."""
    sent = 0
    coordinators = Membership.objects.filter(
        organisation_id__in=[link.organisation_id for link in links], role=Role.COORDINATOR, is_active=True
    ).select_related("user")
    by_centre: dict[int, list[Membership]] = {}
    for membership in coordinators:
        by_centre.setdefault(membership.organisation_id, []).append(membership)
    for link in links:
        for membership in by_centre.get(link.organisation_id, []):
            user = membership.user
            queue_email(
                "sector/emails/annex",
                [user.email],
                {"centre": link.organisation, "year": link.report.year, "url": settings.SITE_URL + annex_url(link)},
                language=user.language,
            )
            sent += 1
    return sent
