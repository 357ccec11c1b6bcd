"""The read side of core, already scoped to what a user may see."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from maillage.core.models import AuditEntry, Membership, Organisation, Role, User
from maillage.core.tenancy import AnyUser, is_federation_staff, organisation_ids


def coordinated_organisations(user: AnyUser) -> QuerySet[Organisation]:
    return Organisation.objects.filter(id__in=organisation_ids(user, [Role.COORDINATOR]))


def members_of(organisation: Organisation) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organisation=organisation, is_active=True)
        .filter(Q(expires_at=None) | Q(expires_at__gt=timezone.now()))
        .select_related("user")
        .order_by("user__full_name", "role")
    )


def audit_entries_visible_to(user: AnyUser) -> QuerySet[AuditEntry]:
    """Federation staff read all; a coordinator reads their organisations' entries."""
    entries = AuditEntry.objects.select_related("actor", "organisation")
    if is_federation_staff(user):
        return entries
    return entries.filter(organisation_id__in=organisation_ids(user, [Role.COORDINATOR]))


def audit_people_visible_to(user: AnyUser) -> QuerySet[User]:
    if is_federation_staff(user):
        return User.objects.all()
    ids = organisation_ids(user, [Role.COORDINATOR])
    return User.objects.filter(memberships__organisation_id__in=ids).distinct()


def filter_audit(entries: QuerySet[AuditEntry], filters: dict[str, Any]) -> QuerySet[AuditEntry]:
    if filters.get("actor"):
        entries = entries.filter(actor=filters["actor"])
    if filters.get("code"):
        entries = entries.filter(code__startswith=filters["code"])
    if filters.get("target"):
        target = filters["target"]
        entries = entries.filter(Q(target_type__icontains=target) | Q(target_id=target))
    zone = timezone.get_current_timezone()
    date_from: date | None = filters.get("date_from")
    date_to: date | None = filters.get("date_to")
    if date_from:
        entries = entries.filter(created_at__gte=datetime.combine(date_from, time.min, zone))
    if date_to:
        entries = entries.filter(created_at__lte=datetime.combine(date_to, time.max, zone))
    return entries
