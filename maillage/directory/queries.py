"""The read side of the directory: what each person may see or edit, stale records, changes and follows.

The search itself (and the helpline's referral suggestions) is in search/engine.py."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from maillage.core.models import AuditEntry, Commune, Membership, Role, User
from maillage.core.tenancy import AnyUser, is_federation_staff, organisation_ids
from maillage.directory.models import (
    ChangeKind,
    DirectoryOrganisation,
    Location,
    Service,
    ServiceAtLocation,
    ServiceChange,
    ServiceStatus,
    Subscription,
    Worker,
)

# The search lives in search/engine.py; its names stay importable from here for the apps that refer a
# person to a service (helpline) and read the directory through its read side.
from maillage.directory.search.engine import SearchCriteria as SearchCriteria
from maillage.directory.search.engine import search as search
from maillage.directory.search.engine import services_for_referral as services_for_referral
from maillage.directory.search.results import SearchResult as SearchResult
from maillage.taxonomy.models import Category

# Crisis status not confirmed for this many days is flagged as stale (settings.MAILLAGE_DIRECTORY_STALE_DAYS overrides).
STALE_AFTER_DAYS = 14

ReferralSuggestion = SearchResult  # the helpline's name for a search result


def stale_after_days() -> int:
    return int(getattr(settings, "MAILLAGE_DIRECTORY_STALE_DAYS", STALE_AFTER_DAYS))


def category_ids(category: Category) -> list[int]:
    """A level-1 need matches its level-2 children; a level-2 need matches its parent too."""
    if category.level == 1:
        return [category.pk, *category.children.values_list("pk", flat=True)]
    return [category.pk, category.parent_id] if category.parent_id else [category.pk]


def published_services() -> QuerySet[Service]:
    return Service.objects.filter(status=ServiceStatus.PUBLISHED)


# --- who sees and edits what -------------------------------------------------------------


def can_edit_any(user: AnyUser) -> bool:
    return is_federation_staff(user)


def editable_services(user: AnyUser) -> QuerySet[Service]:
    """Federation staff edit all services; a coordinator their organisations' ones."""
    services = Service.objects.select_related("organisation__organisation")
    if is_federation_staff(user):
        return services
    return services.filter(organisation__organisation_id__in=organisation_ids(user, [Role.COORDINATOR]))


def organisations_editable_by(user: AnyUser) -> QuerySet[DirectoryOrganisation]:
    """Where the user may add services: all for federation staff, their organisations' entries for coordinators."""
    if is_federation_staff(user):
        return DirectoryOrganisation.objects.all()
    return DirectoryOrganisation.objects.filter(organisation_id__in=organisation_ids(user, [Role.COORDINATOR]))


def editable_locations(user: AnyUser) -> QuerySet[Location]:
    """The locations of the organisations the user may edit (their own hours, for the services there)."""
    return Location.objects.filter(organisation__in=organisations_editable_by(user)).select_related("organisation")


def service_history(service: Service) -> QuerySet[AuditEntry]:
    """The audit entries about this service and its workers, newest first."""
    worker_ids = [str(pk) for pk in Worker.objects.filter(service=service).values_list("pk", flat=True)]
    return (
        AuditEntry.objects.filter(
            Q(target_type="directory.service", target_id=str(service.pk))
            | Q(target_type="directory.worker", target_id__in=worker_ids)
        )
        .select_related("actor")
        .order_by("-created_at", "-id")
    )


def services_visible_to(user: AnyUser) -> QuerySet[Service]:
    """Published services for everyone; drafts only to those who may edit them."""
    if not user.is_authenticated:
        return published_services()
    editable = editable_services(user).values("pk")
    return Service.objects.filter(Q(status=ServiceStatus.PUBLISHED) | Q(pk__in=editable))


def workers_of(service: Service) -> QuerySet[Worker]:
    """Listed workers: consenting and active (the views show them to signed-in professionals only)."""
    return service.workers.filter(consent=True, is_active=True)


def is_stale(service: Service, now: datetime | None = None) -> bool:
    """Not confirmed for stale_after_days() days (never confirmed counts as stale)."""
    now = now or timezone.now()
    return service.verified_at is None or service.verified_at < now - timedelta(days=stale_after_days())


def stale_filter(now: datetime | None = None) -> Q:
    now = now or timezone.now()
    return Q(verified_at__isnull=True) | Q(verified_at__lt=now - timedelta(days=stale_after_days()))


def status_board_services(*, commune: Commune | None = None, category: Category | None = None) -> QuerySet[Service]:
    """Published services for the status board, optionally for one commune (served or located) and one need."""
    services = published_services()
    if commune is not None:
        services = services.filter(
            Q(serves_whole_region=True)
            | Exists(Service.area_communes.through.objects.filter(service_id=OuterRef("pk"), commune_id=commune.pk))
            | Exists(ServiceAtLocation.objects.filter(service=OuterRef("pk"), location__commune=commune))
        )
    if category is not None:
        services = services.filter(
            Exists(
                Service.needs.through.objects.filter(service_id=OuterRef("pk"), category_id__in=category_ids(category))
            )
        )
    return (
        services.select_related("organisation", "verified_by")
        .prefetch_related(
            "schedules",
            "schedule_exceptions",
            "service_at_locations__location__schedules",  # hours of the location (Service.location_hours)
            "service_at_locations__location__schedule_exceptions",
        )
        .order_by("crisis_status", "name_fr", "id")
    )


def recent_changes(
    *, commune: Commune | None = None, category: Category | None = None, limit: int = 50
) -> QuerySet[ServiceChange]:
    ids = _changes_matching(
        ServiceChange.objects.filter(service__status=ServiceStatus.PUBLISHED), commune, category
    ).values("pk")
    return (
        ServiceChange.objects.filter(pk__in=ids)
        .select_related("service__organisation")
        .order_by("-created_at", "-id")[:limit]
    )


def _changes_matching(
    changes: QuerySet[ServiceChange], commune: Commune | None, category: Category | None
) -> QuerySet[ServiceChange]:
    if commune is not None:
        changes = changes.filter(
            Q(service__serves_whole_region=True)
            | Q(service__area_communes=commune)
            | Q(service__service_at_locations__location__commune=commune)
        )
    if category is not None:
        changes = changes.filter(service__needs__in=category_ids(category))
    return changes


# Kinds sent by email: a new service, changed information, a new crisis status (not mere confirmations).
DIGEST_KINDS = (ChangeKind.CREATED, ChangeKind.UPDATED, ChangeKind.STATUS)


def changes_for_subscription(subscription: Subscription, until: datetime) -> QuerySet[ServiceChange]:
    """Changes of published services matching a follow, after its last digest and up to `until`."""
    changes = ServiceChange.objects.filter(
        service__status=ServiceStatus.PUBLISHED,
        kind__in=DIGEST_KINDS,
        created_at__gt=subscription.last_sent_at,
        created_at__lte=until,
    )
    ids = _changes_matching(changes, subscription.commune, subscription.need).values("pk")
    return ServiceChange.objects.filter(pk__in=ids).select_related("service").order_by("created_at", "id")


def subscriptions_of(user: AnyUser) -> QuerySet[Subscription]:
    if not user.is_authenticated:
        return Subscription.objects.none()
    return Subscription.objects.filter(user=user).select_related("commune", "need").order_by("id")


def subscribers() -> QuerySet[User]:
    """Active professionals (an active membership) with at least one subscription, for the digest command."""
    return User.objects.filter(
        Exists(Subscription.objects.filter(user=OuterRef("pk"))),
        Exists(Membership.objects.filter(user=OuterRef("pk"), is_active=True)),
        is_active=True,
    ).order_by("id")
