"""The search "where do I go, for what?": criteria in, typed results out (results.py).

Everything is read from the process's in-memory index (index.py); only free text is matched in SQL
(PostgreSQL full-text search), and its matching ids narrow the sets.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from maillage.core.models import Commune, PostalCode
from maillage.directory.models import Service, ServiceStatus
from maillage.directory.opening import BRUSSELS
from maillage.directory.search.index import Entry, Moment, Place, SearchIndex, current_index
from maillage.directory.search.keys import FREE_TOKEN, area_tokens, language_token, modality_token, need_tokens
from maillage.directory.search.results import ResultOrganisation, ResultService, SearchResult
from maillage.directory.textsearch import words
from maillage.taxonomy.models import Category

# At most this many open services outside the area served are ranked by distance (the rest are not shown).
OTHERS_CAP = 500


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
        _km(lat0, lon0, place.latitude, place.longitude)
        for place in places
        if place.latitude is not None and place.longitude is not None
    ]
    return min(distances) if distances else None


def _text_filter(services: QuerySet[Service], terms: list[str]) -> QuerySet[Service]:
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchVector

        query = SearchQuery(" & ".join(f"{term}:*" for term in terms), config="simple", search_type="raw")
        return services.alias(document=SearchVector("search_text", config="simple")).filter(document=query)
    for term in terms:
        services = services.filter(search_text__contains=term)
    return services


def _text_matches(text: str) -> set[int] | None:
    """Published services whose texts hold every word (full-text search on PostgreSQL), or None for no words."""
    terms = words(text)
    if not terms:
        return None
    published = Service.objects.filter(status=ServiceStatus.PUBLISHED)
    return set(_text_filter(published, terms).values_list("pk", flat=True))


def _token_groups(criteria: SearchCriteria) -> list[list[str]]:
    """The search keys a service must hold: any token of each group (see keys.py and index.py)."""
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


def _candidates(criteria: SearchCriteria, pool: int) -> list[SearchResult]:
    """Up to `pool` results: the services serving the area first, then the nearest others, with their
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
    distance = _Distances(index, commune)
    if commune is not None:
        others = sorted(others, key=distance.rounded)  # stable: name order within a kilometre
    chosen = serving + others[: pool - len(serving)]
    in_area = set(serving)
    return [_result(index.entries[pk], criteria.at, pk in in_area, distance(pk)) for pk in chosen]


def _open_first(index: SearchIndex, ordered: list[int], moment: Moment, wanted: int) -> list[int]:
    """The first `wanted` of `ordered` with the open ones first (each part keeping its order)."""
    found = list(index.first_open(ordered, moment, wanted))
    if len(found) < wanted:
        taken = set(found)
        found += [pk for pk in ordered if pk not in taken][: wanted - len(found)]
    return found


class _Distances:
    """Kilometres from the commune's centre to each service's nearest place, each worked out once a search."""

    def __init__(self, index: SearchIndex, centre: Commune | None) -> None:
        self.index, self.centre = index, centre
        self.known: dict[int, float | None] = {}

    def __call__(self, pk: int) -> float | None:
        if self.centre is None:
            return None
        if pk not in self.known:
            self.known[pk] = _nearest_km(self.index.entries[pk].places, self.centre)
        return self.known[pk]

    def rounded(self, pk: int) -> float:
        """In whole kilometres, unknown last: the order of the services outside the area."""
        km = self(pk)
        return math.inf if km is None else round(km)


def _result(entry: Entry, at: datetime, serves_area: bool, distance_km: float | None) -> SearchResult:
    """One result from the index's entry: what it prints, its opening state at `at`, its distance."""
    name_fr, name_nl = entry.organisation_names
    service = ResultService(
        pk=entry.pk,
        name_fr=entry.name_fr,
        name_nl=entry.name_nl,
        organisation=ResultOrganisation(entry.organisation_id, name_fr, name_nl),
        crisis_status=entry.crisis_status,
        crisis_until=entry.crisis_until,
        modalities=entry.modalities,
        holiday_calendars=entry.calendars,
        places=tuple(entry.places),
        phone_numbers=tuple(entry.phones),
    )
    is_open, upcoming, until = entry.state(at)
    return SearchResult(
        service=service,
        is_open=is_open,
        next_opening=upcoming,
        open_until=until,
        serves_area=serves_area,
        distance_km=distance_km,
    )


_FAR = datetime.max.replace(tzinfo=BRUSSELS)


def search(criteria: SearchCriteria) -> list[SearchResult]:
    """ "Where do I go, for what?": area served first, then nearby; open ones before closed ones."""
    # Open now: the index knows exactly which are open, a page of them is enough.
    results = _candidates(criteria, pool=criteria.limit if criteria.open_now else criteria.limit * 2)
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
) -> list[SearchResult]:
    """For the helpline: services for this need, serving this area first, then open now, then opening soon."""
    criteria = SearchCriteria(category=category, postal_code=postal_code, language=language, at=at, limit=limit)
    results = _candidates(criteria, pool=max(limit * 4, 40))
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
