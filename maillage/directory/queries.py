"""The read side of the directory: search, referrals, and what each person may see or edit."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField as BooleanOutput
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Value, When, prefetch_related_objects
from django.db.models.expressions import RawSQL
from django.utils import timezone

from maillage.core.models import AuditEntry, Commune, Membership, PostalCode, Role, User
from maillage.core.tenancy import AnyUser, is_federation_staff, organisation_ids
from maillage.directory.models import (
    ChangeKind,
    CrisisStatus,
    DirectoryOrganisation,
    Frequency,
    OpeningSlot,
    Schedule,
    ScheduleException,
    Service,
    ServiceAtLocation,
    ServiceChange,
    ServiceStatus,
    Subscription,
    Worker,
)
from maillage.directory.opening import BRUSSELS, WeeklySlot, opening_state, weekly_opening_state
from maillage.directory.searchindex import WEEK_MINUTES, area_tokens, language_token, need_tokens
from maillage.directory.textsearch import words
from maillage.taxonomy.models import Category

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# How many communes count as "nearby" when ranking services outside the area served.
# At most this many services outside the area are ranked by distance (the rest by name).
OTHERS_CAP = 500
# An "open now" search reads the matching services by name in batches of this size until it has enough open ones.
OPEN_BATCH = 1000
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


@dataclass(frozen=True)
class Place:
    """Where a search result is: an address line and the point used for distances."""

    address: str
    postal_code: str
    city: str
    latitude: Decimal | None
    longitude: Decimal | None


# What a result reads of its service (the search pages, the sheet, the helpline's referral choices,
# the opening state): only these columns are loaded (a result reading another one costs a query).
RESULT_FIELDS = (
    "id",
    "name_fr",
    "name_nl",
    "organisation__name_fr",
    "organisation__name_nl",
    "status",
    "crisis_status",
    "crisis_until",
    "modalities",
    "hours_in_slots",
)


def _load_results(ids: list[int]) -> dict[int, Service]:
    """The chosen services with their organisation, and what a result shows as plain values
    (`places`, `phone_numbers`, `weekly_slots`) read with one plain SQL statement: no model
    instance per address, phone or slot, one round trip for the three."""
    loaded = {
        service.pk: service
        for service in Service.objects.filter(pk__in=ids).select_related("organisation").only(*RESULT_FIELDS)
    }
    for service in loaded.values():
        service.places = []  # type: ignore[attr-defined]
        service.phone_numbers = []  # type: ignore[attr-defined]
        service.weekly_slots = []  # type: ignore[attr-defined]
    if not loaded:
        return loaded
    found = list(loaded)
    places_ids, places_params = _id_list(found, "sal.service_id")
    phones_ids, phones_params = _id_list(found)
    slots_ids, slots_params = _id_list(found)
    with connection.cursor() as cursor:
        # Three kinds of rows in one result, every value as text: 1 = a place (address, postal code,
        # city, latitude, longitude — the commune's centre when the location has no point), 2 = a phone,
        # 3 = a weekly slot (start, end, valid from, valid to).
        cursor.execute(
            "SELECT 1, sal.service_id, l.address, l.postal_code, l.city, "  # noqa: S608 (no user text)
            "CAST(CASE WHEN l.latitude IS NULL OR l.longitude IS NULL THEN c.latitude ELSE l.latitude END AS TEXT), "
            "CAST(CASE WHEN l.latitude IS NULL OR l.longitude IS NULL THEN c.longitude ELSE l.longitude END AS TEXT), "
            "sal.id FROM directory_serviceatlocation sal JOIN directory_location l ON l.id = sal.location_id "
            f"LEFT JOIN core_commune c ON c.id = l.commune_id WHERE {places_ids} "
            "UNION ALL SELECT 2, service_id, number, NULL, NULL, NULL, NULL, id "
            f"FROM directory_phone WHERE {phones_ids} "
            'UNION ALL SELECT 3, service_id, CAST(start AS TEXT), CAST("end" AS TEXT), CAST(valid_from AS TEXT), '
            f"CAST(valid_to AS TEXT), NULL, id FROM directory_openingslot WHERE {slots_ids} "
            "ORDER BY 1, 8",
            [*places_params, *phones_params, *slots_params],
        )
        for kind, service_id, first, second, third, fourth, fifth, _order in cursor.fetchall():
            service = loaded[service_id]
            if kind == 1:
                place = Place(first, second, third, _decimal(fourth), _decimal(fifth))
                service.places.append(place)  # type: ignore[attr-defined]
            elif kind == 2:
                service.phone_numbers.append(first)  # type: ignore[attr-defined]
            else:
                service.weekly_slots.append(  # type: ignore[attr-defined]
                    (int(first), int(second), third and _as_date(third), fourth and _as_date(fourth))
                )
    return loaded


def _decimal(value: Decimal | str | float | None) -> Decimal | None:
    """Coordinates as Decimal on both databases (SQLite's plain SQL gives them as text or float)."""
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value))


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
    lat0, lon0 = float(centre.latitude), float(centre.longitude)
    distances = [
        _km(lat0, lon0, float(place.latitude), float(place.longitude))
        for place in getattr(service, "places", ())
        if place.latitude is not None and place.longitude is not None
    ]
    return min(distances) if distances else None


def _valid_on(day: date) -> Q:
    return (Q(valid_from__isnull=True) | Q(valid_from__lte=day)) & (Q(valid_to__isnull=True) | Q(valid_to__gte=day))


def _slot_now(at: datetime) -> Q:
    """OpeningSlot rows open at `at`: a slot of today, or of yesterday running past midnight."""
    local = at.astimezone(BRUSSELS)
    today, weekday = local.date(), local.weekday()
    minute = weekday * 1440 + local.hour * 60 + local.minute
    previous = (weekday - 1) % 7
    minute_from_yesterday = minute + WEEK_MINUTES if weekday == 0 else minute
    return (Q(start__gte=weekday * 1440, start__lte=minute, end__gt=minute) & _valid_on(today)) | (
        Q(start__gte=previous * 1440, start__lt=previous * 1440 + 1440, end__gt=minute_from_yesterday)
        & _valid_on(today - timedelta(days=1))
    )


def _schedule_hint(at: datetime) -> Q:
    """Schedule rows that may be open at `at`: a plain weekly slot now, or anything rrule must decide."""
    local = at.astimezone(BRUSSELS)
    moment = local.time().replace(tzinfo=None)
    plain_now = Q(
        freq=Frequency.WEEKLY,
        interval=1,
        byday__contains=WEEKDAYS[local.weekday()],
        opens_at__lte=moment,
        closes_at__gt=moment,
    )
    irregular = ~Q(freq=Frequency.WEEKLY) | ~Q(interval=1) | Q(closes_at__lte=F("opens_at"))
    return _valid_on(local.date()) & (plain_now | irregular)


def _special_hint(at: datetime) -> Q:
    """Special hours of today or yesterday (rrule decides whether they are open now)."""
    today = at.astimezone(BRUSSELS).date()
    return Q(start_date__lte=today, end_date__gte=today - timedelta(days=1), closed=False)


def _open_hint(at: datetime) -> Q:
    """SQL "open at `at`" for one query: exact from the weekly slots of services whose hours are all
    plain weekly; for the others, and for special hours, "maybe" — rrule decides in _opening_states(),
    which also applies closures."""
    slots = OpeningSlot.objects.filter(service=OuterRef("pk")).filter(_slot_now(at))
    schedules = Schedule.objects.filter(service=OuterRef("pk")).filter(_schedule_hint(at))
    special = ScheduleException.objects.filter(service=OuterRef("pk")).filter(_special_hint(at))
    return (
        (Q(hours_in_slots=True) & Q(Exists(slots)))
        | (Q(hours_in_slots=False) & Q(Exists(schedules)))
        | Q(Exists(special))
    )


def _id_list(ids: list[int], column: str = "service_id") -> tuple[str, list[Any]]:
    """SQL for "service_id among these ids": one array parameter on PostgreSQL, a list on SQLite."""
    if connection.vendor == "postgresql":
        # The ids written as one array literal: psycopg dumping a list of a thousand ints element by
        # element cost more CPU than the statement. They are ints read from the database.
        return f"{column} = ANY(%s::bigint[])", ["{" + ",".join(str(int(pk)) for pk in ids) + "}"]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def _valid_sql(day: date) -> tuple[str, list[Any]]:
    return "(valid_from IS NULL OR valid_from <= %s) AND (valid_to IS NULL OR valid_to >= %s)", [day, day]


def _open_ids(
    rows: list[tuple[int, bool]], at: datetime, with_exceptions: set[int], by_slot: set[int] | None = None
) -> set[int]:
    """The same test as _open_hint() for a list of (id, hours_in_slots), by id lookups in the indexes
    (a correlated EXISTS lets PostgreSQL hash the whole slot table instead). Adds to `with_exceptions`
    the ids with a closure or special hours from yesterday on, for _opening_states(), and to `by_slot`
    the ids a weekly slot says open now (open for sure unless they have a closure or a crisis closing).

    Plain SQL, one statement: it runs for every batch of every search, and building it with the ORM
    cost more CPU than running it."""
    if not rows:
        return set()
    in_slots = [pk for pk, exact in rows if exact]
    others = [pk for pk, exact in rows if not exact]
    found: set[int] = set()
    local = at.astimezone(BRUSSELS)
    today, weekday = local.date(), local.weekday()
    statements: list[str] = []
    params: list[Any] = []
    if in_slots:
        minute = weekday * 1440 + local.hour * 60 + local.minute
        previous = (weekday - 1) % 7
        ids_sql, ids_params = _id_list(in_slots)
        valid_today, today_params = _valid_sql(today)
        valid_yesterday, yesterday_params = _valid_sql(today - timedelta(days=1))
        statements.append(
            f"SELECT service_id, 0, NULL, NULL FROM directory_openingslot WHERE {ids_sql} AND ("  # noqa: S608
            f'(start >= %s AND start <= %s AND "end" > %s AND {valid_today}) OR '
            f'(start >= %s AND start < %s AND "end" > %s AND {valid_yesterday}))'
        )
        params += [
            *ids_params,
            weekday * 1440,
            minute,
            minute,
            *today_params,
            previous * 1440,
            previous * 1440 + 1440,
            minute + WEEK_MINUTES if weekday == 0 else minute,
            *yesterday_params,
        ]
    ids_sql, ids_params = _id_list([pk for pk, _exact in rows])
    statements.append(
        f"SELECT service_id, 1, closed, start_date FROM directory_scheduleexception WHERE {ids_sql} "  # noqa: S608
        "AND end_date >= %s"
    )
    params += [*ids_params, today - timedelta(days=1)]
    with connection.cursor() as cursor:
        # One round trip: the ids open now by their weekly slots (kind 0), then closures and special
        # hours from yesterday on (kind 1).
        cursor.execute(" UNION ALL ".join(statements), params)
        for service_id, kind, closed, start_date in cursor.fetchall():
            if kind == 0:
                found.add(service_id)
                if by_slot is not None:
                    by_slot.add(service_id)
                continue
            with_exceptions.add(service_id)
            if not closed and _as_date(start_date) <= today:  # special hours of today or yesterday: rrule decides
                found.add(service_id)
    if others:
        found.update(
            Schedule.objects.filter(_schedule_hint(at), service_id__in=others).values_list("service_id", flat=True)
        )
    return found


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _open_in_order(
    services: QuerySet[Service], at: datetime, wanted: int, with_exceptions: set[int], sure: set[int] | None = None
) -> list[int]:
    """The first `wanted` ids of `services` (already ordered) that may be open at `at`, read in batches.
    Adds to `sure` those certainly open: a weekly slot now, no closure or special hours from yesterday
    on, no crisis closing (exactly the ones _opening_states() will find open from their slots)."""
    found: list[int] = []
    by_slot: set[int] = set()
    crisis_closed: set[int] = set()
    offset = 0
    while len(found) < wanted:
        rows = list(services.values_list("pk", "hours_in_slots", "crisis_status")[offset : offset + OPEN_BATCH])
        crisis_closed.update(pk for pk, _exact, crisis in rows if crisis == CrisisStatus.CLOSED)
        open_ids = _open_ids([(pk, exact) for pk, exact, _crisis in rows], at, with_exceptions, by_slot)
        found += [pk for pk, _exact, _crisis in rows if pk in open_ids]
        if len(rows) < OPEN_BATCH:
            break
        offset += OPEN_BATCH
    found = found[:wanted]
    if sure is not None:
        sure.update(pk for pk in found if pk in by_slot and pk not in with_exceptions and pk not in crisis_closed)
    return found


def _keys_any(tokens: list[str]) -> Q:
    """The service's search keys hold at least one of these tokens (GIN index on PostgreSQL)."""
    if connection.vendor == "postgresql":
        return Q(
            RawSQL(
                "string_to_array(directory_service.search_keys, ' ') && %s::text[]",
                (tokens,),
                output_field=BooleanOutput(),
            )
        )
    condition = Q()
    for token in tokens:
        condition |= Q(search_keys__contains=f" {token} ")
    return condition


def _filtered(criteria: SearchCriteria, commune: Commune | None, *, open_hint: bool = True) -> QuerySet[Service]:
    services = published_services()
    if criteria.category is not None:
        services = services.filter(_keys_any(need_tokens(criteria.category)))
    if criteria.language:
        services = services.filter(_keys_any([language_token(criteria.language)]))
    if criteria.modality:
        services = services.filter(modalities__contains=criteria.modality)
    if criteria.free_only:
        services = services.filter(is_free=True)
    terms = words(criteria.text)
    if terms:
        services = _text_filter(services, terms)
    if criteria.open_now:
        services = services.exclude(crisis_status=CrisisStatus.CLOSED, crisis_until__isnull=True)
        if open_hint:
            services = services.filter(_open_hint(criteria.at))
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
    return _keys_any(area_tokens(commune.pk if commune is not None else None, postal_code))


def _candidates(criteria: SearchCriteria, pool: int) -> tuple[list[Service], Commune | None]:
    """Up to `pool` services: those serving the area first, then the nearest others.

    Ids are chosen with light indexed queries (search keys, flags, weekly slots; no details),
    then only the chosen services are loaded with their addresses and contacts.
    """
    commune = _commune_for(criteria)
    area = _serves_area(commune, criteria.postal_code) if commune is not None or criteria.postal_code else None
    with_exceptions: set[int] | None = None
    if criteria.open_now:
        with_exceptions = set()
        serving, other_ids = _open_candidates(criteria, commune, area, pool, with_exceptions)
    else:
        serving, other_ids = _any_candidates(criteria, commune, area, pool)
    ids = serving + other_ids[: pool - len(serving)]
    loaded = _load_results(ids)
    _opening_states(list(loaded.values()), criteria.at, with_exceptions)
    chosen = set(serving)
    for service in loaded.values():
        service.serves_area = service.pk in chosen  # type: ignore[attr-defined]
    return [loaded[pk] for pk in ids if pk in loaded], commune


def _open_candidates(
    criteria: SearchCriteria, commune: Commune | None, area: Q | None, pool: int, with_exceptions: set[int]
) -> tuple[list[int], list[int]]:
    """Open now: the matching ids by name from the search keys, then which are open from their slots."""
    services = _filtered(criteria, commune, open_hint=False).order_by("name_fr", "id")
    sure: set[int] = set()
    serving = (
        _open_in_order(services.filter(area), criteria.at, pool, with_exceptions, sure) if area is not None else []
    )
    # Results list the open ones serving the area first: when at least a page of them is certainly
    # open, the services elsewhere cannot reach the page, so they are not looked for.
    if len(serving) >= pool or len(sure) >= criteria.limit:
        return serving, []
    others = services.exclude(area) if area is not None else services
    other_ids = _open_in_order(others, criteria.at, OTHERS_CAP if commune is not None else pool, with_exceptions)
    return serving, _nearest(other_ids, commune) if commune is not None else other_ids


def _any_candidates(
    criteria: SearchCriteria, commune: Commune | None, area: Q | None, pool: int
) -> tuple[list[int], list[int]]:
    """Open or not: the ones maybe open now first, by name."""
    services = _filtered(criteria, commune).annotate(
        maybe_open=Case(
            When(_open_hint(criteria.at), then=Value(True)), default=Value(False), output_field=BooleanOutput()
        )
    )
    ordering = ["-maybe_open", "name_fr", "id"]
    serving: list[int] = []
    others = services
    if area is not None:
        serving = list(services.filter(area).order_by(*ordering).values_list("pk", flat=True)[:pool])
        others = services.exclude(area)
    if len(serving) >= pool:
        return serving, []
    other_ids = list(others.order_by(*ordering).values_list("pk", flat=True)[: OTHERS_CAP if commune else pool])
    return serving, _nearest(other_ids, commune) if commune is not None else other_ids


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


def _opening_states(services: list[Service], at: datetime, with_exceptions: set[int] | None = None) -> None:
    """Sets `service.opening` = (open, next opening, open until) for each service: from the weekly
    slots when they say it all (one query), with rrule for the others (irregular hours, closures
    or specials from yesterday on, crisis closing) — their schedules loaded only for them.
    `with_exceptions`: the ids with closures or specials from yesterday on, when already known."""
    if not services:
        return
    yesterday = _local_date(at) - timedelta(days=1)
    by_pk = {service.pk: service for service in services}
    weekly: dict[int, list[WeeklySlot]] = {
        service.pk: service.weekly_slots  # type: ignore[attr-defined]
        for service in services
        if hasattr(service, "weekly_slots")  # read by _load_results()
    }
    missing = [pk for pk in by_pk if pk not in weekly]
    if missing:
        ids_sql, ids_params = _id_list(missing)
        with connection.cursor() as cursor:
            cursor.execute(
                f'SELECT service_id, start, "end", valid_from, valid_to FROM directory_openingslot WHERE {ids_sql}',  # noqa: S608
                ids_params,
            )
            for service_id, start, end, valid_from, valid_to in cursor.fetchall():
                weekly.setdefault(service_id, []).append(
                    (start, end, valid_from and _as_date(valid_from), valid_to and _as_date(valid_to))
                )
    if with_exceptions is None:
        with_exceptions = set(
            ScheduleException.objects.filter(service_id__in=list(by_pk), end_date__gte=yesterday).values_list(
                "service_id", flat=True
            )
        )
    exact = []
    for service in services:
        if (
            service.hours_in_slots
            and service.pk not in with_exceptions
            and service.crisis_status != CrisisStatus.CLOSED
        ):
            service.opening = weekly_opening_state(weekly.get(service.pk, ()), at)  # type: ignore[attr-defined]
        else:
            exact.append(service)
    if exact:
        prefetch_related_objects(exact, "schedules", "schedule_exceptions")
        for service in exact:
            service.opening = opening_state(service, at)  # type: ignore[attr-defined]


def _local_date(at: datetime) -> date:
    return at.astimezone(BRUSSELS).date()


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
