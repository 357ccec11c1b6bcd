"""The read side of the directory: search, referrals, and what each person may see or edit."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField as BooleanOutput
from django.db.models import Case, Exists, F, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from maillage.core.models import AuditEntry, Commune, Membership, PostalCode, Role, User
from maillage.core.tenancy import AnyUser, is_federation_staff, organisation_ids
from maillage.directory.models import (
    ChangeKind,
    CrisisStatus,
    DirectoryOrganisation,
    Frequency,
    Schedule,
    ScheduleException,
    Service,
    ServiceAtLocation,
    ServiceChange,
    ServiceLanguage,
    ServiceStatus,
    Subscription,
    Worker,
)
from maillage.directory.opening import BRUSSELS, opening_state
from maillage.directory.textsearch import words
from maillage.taxonomy.models import Category

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# How many communes count as "nearby" when ranking services outside the area served.
# At most this many services outside the area are ranked by distance (the rest by name).
OTHERS_CAP = 500
# Crisis status not confirmed for this many days is flagged as stale (settings.MAILLAGE_DIRECTORY_STALE_DAYS overrides).
STALE_AFTER_DAYS = 14


def stale_after_days() -> int:
    return int(getattr(settings, "MAILLAGE_DIRECTORY_STALE_DAYS", STALE_AFTER_DAYS))


@dataclass(frozen=True)
class ReferralSuggestion:
    service: Service
    is_open: bool
    next_opening: datetime | None
    serves_area: bool
    distance_km: float | None = None
    open_until: datetime | None = None


@dataclass
class SearchCriteria:
    category: Category | None = None
    postal_code: str | None = None
    commune: Commune | None = None
    language: str | None = None
    modality: str | None = None
    text: str = ""
    free_only: bool = False
    open_now: bool = False
    at: datetime = field(default_factory=timezone.now)
    limit: int = 20


def category_ids(category: Category) -> list[int]:
    """A level-1 need matches its level-2 children; a level-2 need matches its parent too."""
    if category.level == 1:
        return [category.pk, *category.children.values_list("pk", flat=True)]
    return [category.pk, category.parent_id] if category.parent_id else [category.pk]


def _with_details(services: QuerySet[Service]) -> QuerySet[Service]:
    return services.select_related("organisation").prefetch_related(
        "schedules",
        "schedule_exceptions",
        "phones",
        Prefetch(
            "service_at_locations",
            queryset=ServiceAtLocation.objects.select_related("location__commune").order_by("id"),
        ),
    )


def published_services() -> QuerySet[Service]:
    return Service.objects.filter(status=ServiceStatus.PUBLISHED)


def _commune_for(criteria: SearchCriteria) -> Commune | None:
    if criteria.commune is not None:
        return criteria.commune
    if criteria.postal_code:
        postal = PostalCode.objects.select_related("commune").filter(code=criteria.postal_code.strip()).first()
        return postal.commune if postal else None
    return None


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), good enough between two points of one city."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))


def _distance(service: Service, centre: Commune | None) -> float | None:
    if centre is None:
        return None
    distances = []
    for link in service.service_at_locations.all():
        location = link.location
        lat: Decimal | None = location.latitude
        lon: Decimal | None = location.longitude
        if (lat is None or lon is None) and location.commune is not None:
            lat, lon = location.commune.latitude, location.commune.longitude
        if lat is not None and lon is not None:
            distances.append(_km(float(centre.latitude), float(centre.longitude), float(lat), float(lon)))
    return min(distances) if distances else None


def _open_hint(at: datetime) -> Q:
    """SQL pre-check for "maybe open at `at`": a plain weekly slot now, or anything rrule must decide."""
    local = at.astimezone(BRUSSELS)
    day, moment = local.date(), local.time().replace(tzinfo=None)
    valid = (Q(valid_from__isnull=True) | Q(valid_from__lte=day)) & (Q(valid_to__isnull=True) | Q(valid_to__gte=day))
    plain_now = Q(
        freq=Frequency.WEEKLY,
        interval=1,
        byday__contains=WEEKDAYS[local.weekday()],
        opens_at__lte=moment,
        closes_at__gt=moment,
    )
    irregular = ~Q(freq=Frequency.WEEKLY) | ~Q(interval=1) | Q(closes_at__lte=F("opens_at"))
    schedules = Schedule.objects.filter(service=OuterRef("pk")).filter(valid & (plain_now | irregular))
    special = ScheduleException.objects.filter(
        service=OuterRef("pk"), start_date__lte=day, end_date__gte=day, closed=False
    )
    return Q(Exists(schedules)) | Q(Exists(special))


def _filtered(criteria: SearchCriteria, commune: Commune | None) -> QuerySet[Service]:
    services = published_services()
    if criteria.category is not None:
        services = services.filter(
            Exists(
                Service.needs.through.objects.filter(
                    service_id=OuterRef("pk"), category_id__in=category_ids(criteria.category)
                )
            )
        )
    if criteria.language:
        services = services.filter(
            Exists(ServiceLanguage.objects.filter(service=OuterRef("pk"), code=criteria.language))
        )
    if criteria.modality:
        services = services.filter(modalities__contains=criteria.modality)
    if criteria.free_only:
        services = services.filter(is_free=True)
    terms = words(criteria.text)
    if terms:
        services = _text_filter(services, terms)
    if criteria.open_now:
        services = services.filter(_open_hint(criteria.at)).exclude(
            crisis_status=CrisisStatus.CLOSED, crisis_until__isnull=True
        )
    return services


def _text_filter(services: QuerySet[Service], terms: list[str]) -> QuerySet[Service]:
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchVector

        query = SearchQuery(" & ".join(f"{term}:*" for term in terms), config="simple", search_type="raw")
        return services.alias(document=SearchVector("search_text", config="simple")).filter(document=query)
    for term in terms:
        services = services.filter(search_text__contains=term)
    return services


def _serves_area(commune: Commune | None, postal_code: str | None) -> Q:
    condition = Q(serves_whole_region=True)
    if commune is not None:
        condition |= Q(
            Exists(Service.area_communes.through.objects.filter(service_id=OuterRef("pk"), commune_id=commune.pk))
        )
    if postal_code:
        condition |= Q(extra_postal_codes__contains=postal_code.strip())
    return condition


def _candidates(criteria: SearchCriteria, pool: int) -> tuple[list[Service], Commune | None]:
    """Up to `pool` services: those serving the area first, then the nearest others.

    Ids are chosen with light indexed queries (flags and coordinates, no details),
    then only the chosen services are loaded with their schedules and contacts.
    """
    commune = _commune_for(criteria)
    services = _filtered(criteria, commune)
    ordering = ["name_fr", "id"]
    if not criteria.open_now:
        services = services.annotate(
            maybe_open=Case(
                When(_open_hint(criteria.at), then=Value(True)), default=Value(False), output_field=BooleanOutput()
            )
        )
        ordering.insert(0, "-maybe_open")
    serving: list[int] = []
    others = services
    if commune is not None or criteria.postal_code:
        area = _serves_area(commune, criteria.postal_code)
        serving = list(services.filter(area).order_by(*ordering).values_list("pk", flat=True)[:pool])
        others = services.exclude(area)
    ids = list(serving)
    if len(ids) < pool:
        other_ids = list(others.order_by(*ordering).values_list("pk", flat=True)[: OTHERS_CAP if commune else pool])
        if commune is not None:
            other_ids = _nearest(other_ids, commune)
        ids += other_ids[: pool - len(ids)]
    loaded = {service.pk: service for service in _with_details(Service.objects.filter(pk__in=ids))}
    chosen = set(serving)
    for service in loaded.values():
        service.serves_area = service.pk in chosen  # type: ignore[attr-defined]
    return [loaded[pk] for pk in ids if pk in loaded], commune


def _nearest(ids: list[int], centre: Commune) -> list[int]:
    """The ids sorted by the distance of their nearest location to the commune's centre (stable)."""
    best: dict[int, float] = {}
    rows = ServiceAtLocation.objects.filter(service_id__in=ids).values_list(
        "service_id",
        "location__latitude",
        "location__longitude",
        "location__commune__latitude",
        "location__commune__longitude",
    )
    for service_id, lat, lon, commune_lat, commune_lon in rows:
        lat, lon = (lat, lon) if lat is not None and lon is not None else (commune_lat, commune_lon)
        if lat is None or lon is None:
            continue
        km = _km(float(centre.latitude), float(centre.longitude), float(lat), float(lon))
        best[service_id] = min(km, best.get(service_id, math.inf))
    position = {pk: index for index, pk in enumerate(ids)}
    return sorted(ids, key=lambda pk: (round(best[pk]) if pk in best else math.inf, position[pk]))


def _suggest(service: Service, at: datetime, commune: Commune | None) -> ReferralSuggestion:
    open_now, upcoming, until = opening_state(service, at)
    return ReferralSuggestion(
        service=service,
        is_open=open_now,
        next_opening=upcoming,
        open_until=until,
        serves_area=bool(getattr(service, "serves_area", False)),
        distance_km=_distance(service, commune),
    )


_FAR = datetime.max.replace(tzinfo=BRUSSELS)


def search(criteria: SearchCriteria) -> list[ReferralSuggestion]:
    """ "Where do I go, for what?": area served first, then nearby; open ones before closed ones."""
    candidates, commune = _candidates(criteria, pool=criteria.limit + 10 if criteria.open_now else criteria.limit * 2)
    results = [_suggest(service, criteria.at, commune) for service in candidates]
    if criteria.open_now:
        results = [result for result in results if result.is_open]
    results.sort(
        key=lambda r: (
            not r.serves_area,
            round(r.distance_km) if r.distance_km is not None and not r.serves_area else 0,
            r.distance_km is None and not r.serves_area,
            not r.is_open,
            r.next_opening or _FAR,
            r.service.name_fr,
        )
    )
    return results[: criteria.limit]


def services_for_referral(
    category: Category | None, postal_code: str | None, language: str | None, at: datetime, limit: int = 10
) -> list[ReferralSuggestion]:
    """For the helpline: services for this need, serving this area first, then open now, then opening soon."""
    criteria = SearchCriteria(category=category, postal_code=postal_code, language=language, at=at, limit=limit)
    candidates, commune = _candidates(criteria, pool=max(limit * 4, 40))
    results = [_suggest(service, at, commune) for service in candidates]
    results.sort(
        key=lambda r: (
            not r.serves_area,
            not r.is_open,
            r.next_opening or _FAR,
            r.distance_km if r.distance_km is not None else math.inf,
            r.service.name_fr,
        )
    )
    return results[:limit]


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
        .prefetch_related("schedules", "schedule_exceptions")
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
