"""The read side of the directory: search, referrals, and what each person may see or edit."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection
from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.db.models.base import ModelState
from django.utils import timezone

from maillage.core.models import AuditEntry, Commune, Membership, PostalCode, Role, User
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
from maillage.directory.opening import BRUSSELS, opening_state
from maillage.directory.searchindex import FREE_TOKEN, area_tokens, language_token, modality_token, need_tokens
from maillage.directory.searchmemory import Entry, Moment, Place, SearchIndex, current_index
from maillage.directory.textsearch import words
from maillage.taxonomy.models import Category

M = TypeVar("M", bound=Model)

# At most this many open services outside the area served are ranked by distance (the rest are not shown).
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


def _nearest_km(places: Iterable[Place], centre: Commune) -> float | None:
    """Kilometres from the commune's centre to the nearest of these places with a point."""
    lat0, lon0 = float(centre.latitude), float(centre.longitude)
    distances = [
        _km(lat0, lon0, float(place.latitude), float(place.longitude))
        for place in places
        if place.latitude is not None and place.longitude is not None
    ]
    return min(distances) if distances else None


def _distance(service: Service, centre: Commune | None) -> float | None:
    return None if centre is None else _nearest_km(getattr(service, "places", ()), centre)


def _text_matches(text: str) -> set[int] | None:
    """Published services whose texts hold every word (full-text search on PostgreSQL), or None for no words."""
    terms = words(text)
    if not terms:
        return None
    return set(_text_filter(published_services(), terms).values_list("pk", flat=True))


def _token_groups(criteria: SearchCriteria) -> list[list[str]]:
    """The search keys a service must hold: any token of each group (see searchindex and searchmemory)."""
    groups = []
    if criteria.category is not None:
        groups.append(need_tokens(criteria.category))
    if criteria.language:
        groups.append([language_token(criteria.language)])
    if criteria.modality:
        groups.append([modality_token(criteria.modality)])
    if criteria.free_only:
        groups.append([FREE_TOKEN])
    return groups


def _candidates(criteria: SearchCriteria, pool: int) -> tuple[list[Service], Commune | None]:
    """Up to `pool` services: those serving the area first, then the nearest others, with their
    opening state, places and phones — from the process's in-memory index, no query but the
    generation check (and the free-text match when there are words)."""
    commune = _commune_for(criteria)
    index = current_index()
    matching = index.matching(_token_groups(criteria), among=_text_matches(criteria.text))
    if criteria.open_now:
        matching -= index.closed_for_good
    if commune is not None or criteria.postal_code:
        area = index.any_of(area_tokens(commune.pk if commune is not None else None, criteria.postal_code))
        serving_ids, other_ids = index.in_order(matching & area), matching - area
    else:
        serving_ids, other_ids = [], matching
    moment = Moment.of(criteria.at)
    others_wanted = OTHERS_CAP if commune is not None else pool
    if criteria.open_now:
        serving = list(index.first_open(serving_ids, moment, pool))
        # Results list the open ones serving the area first: with a page of them, the others cannot reach it.
        others = (
            []
            if len(serving) >= criteria.limit
            else list(index.first_open(index.in_order(other_ids), moment, others_wanted))
        )
    else:
        serving = _open_first(index, serving_ids, moment, pool)
        others = [] if len(serving) >= pool else _open_first(index, index.in_order(other_ids), moment, others_wanted)
    if commune is not None:
        others = _nearest(index, others, commune)
    chosen = serving + others[: pool - len(serving)]
    return [_result_service(index.entries[pk], criteria.at, pk in serving) for pk in chosen], commune


def _open_first(index: SearchIndex, ordered: list[int], moment: Moment, wanted: int) -> list[int]:
    """The first `wanted` of `ordered` with the open ones first (each part keeping its order)."""
    found = list(index.first_open(ordered, moment, wanted))
    if len(found) < wanted:
        taken = set(found)
        found += [pk for pk in ordered if pk not in taken][: wanted - len(found)]
    return found


def _nearest(index: SearchIndex, ids: list[int], centre: Commune) -> list[int]:
    """The ids sorted by the distance of their nearest place to the commune's centre, in whole km (stable)."""

    def kilometres(pk: int) -> float:
        km = _nearest_km(index.entries[pk].places, centre)
        return math.inf if km is None else round(km)

    return sorted(ids, key=kilometres)


def _result_service(entry: Entry, at: datetime, serves_area: bool) -> Service:
    """A Service as the results read it: names, status and modalities loaded (the other columns
    deferred: reading one costs a query), its organisation's names, `places`, `phone_numbers`,
    `opening` and `serves_area`."""
    service = _loaded(
        Service,
        id=entry.pk,
        organisation_id=entry.organisation_id,
        name_fr=entry.name_fr,
        name_nl=entry.name_nl,
        status=ServiceStatus.PUBLISHED,
        crisis_status=entry.crisis_status,
        crisis_until=entry.crisis_until,
        modalities=entry.modalities,
        hours_in_slots=entry.hours_in_slots,
        holiday_calendars=entry.calendars,
    )
    name_fr, name_nl = entry.organisation_names
    service.organisation = _loaded(DirectoryOrganisation, id=entry.organisation_id, name_fr=name_fr, name_nl=name_nl)
    service.places = list(entry.places)  # type: ignore[attr-defined]
    service.phone_numbers = list(entry.phones)  # type: ignore[attr-defined]
    service.opening = entry.state(at)  # type: ignore[attr-defined]
    service.serves_area = serves_area  # type: ignore[attr-defined]
    return service


def _loaded(model: type[M], **values: Any) -> M:
    """An instance as if read from the database with only these columns, the others deferred (read
    on access). Made as Model.from_db() makes it, without running __init__ over every field: forty
    of them a search, the field loop cost more than the search itself. These models have no
    pre_init/post_init receivers (checked by a test), which is all __init__ would add."""
    instance = model.__new__(model)
    instance._state = ModelState()
    instance._state.adding = False
    instance._state.db = connection.alias
    instance.__dict__.update(values)
    return instance


def _text_filter(services: QuerySet[Service], terms: list[str]) -> QuerySet[Service]:
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchVector

        query = SearchQuery(" & ".join(f"{term}:*" for term in terms), config="simple", search_type="raw")
        return services.alias(document=SearchVector("search_text", config="simple")).filter(document=query)
    for term in terms:
        services = services.filter(search_text__contains=term)
    return services


def _suggest(service: Service, at: datetime, commune: Commune | None) -> ReferralSuggestion:
    opening = getattr(service, "opening", None)
    open_now, upcoming, until = opening if opening is not None else opening_state(service, at)
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
    # Open now: the index knows exactly which are open, a page of them is enough.
    candidates, commune = _candidates(criteria, pool=criteria.limit if criteria.open_now else criteria.limit * 2)
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
