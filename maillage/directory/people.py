"""The read side of the people of the network: workers' cards, the people search, networks
("with whom") and who is present in a quartier. For signed-in professionals only (the views check)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from django.utils.translation import get_language

from maillage.core.models import Commune
from maillage.directory.models import (
    DirectoryOrganisation,
    Location,
    Network,
    Quartier,
    Service,
    ServiceAtLocation,
    ServiceStatus,
    Worker,
    translated,
)
from maillage.directory.queries import category_ids
from maillage.directory.search.people_index import current_people_index, language_wanted
from maillage.taxonomy.models import Category

# A card not confirmed for this many months is flagged (settings.MAILLAGE_DIRECTORY_CARD_MONTHS overrides).
CARD_MONTHS = 12
PEOPLE_LIMIT = 50
# What a line of the people search prints (directory/_worker_line.html): nothing else is read.
PRINTED = (
    "pk",
    "full_name",
    "function_fr",
    "function_nl",
    "phone",
    "show_phone",
    "email",
    "show_email",
    "confirmed_at",
    "service__name_fr",
    "service__name_nl",
    "service__organisation__name_fr",
    "service__organisation__name_nl",
)


@dataclass(frozen=True, slots=True)
class Named:
    """An organisation as a people line names it."""

    name_fr: str
    name_nl: str

    @property
    def name(self) -> str:
        return translated(self.name_fr, self.name_nl, get_language())


@dataclass(frozen=True, slots=True)
class NamedService:
    """A worker's service as a people line names it, with its organisation."""

    name_fr: str
    name_nl: str
    organisation: Named

    @property
    def name(self) -> str:
        return translated(self.name_fr, self.name_nl, get_language())


@dataclass(frozen=True, slots=True)
class Person:
    """A worker found by the people search, with what its line prints (read as values: building 150 model
    instances per page cost more than the statement). Reads like a Worker in directory/_worker_line.html."""

    pk: int
    full_name: str
    function_fr: str
    function_nl: str
    phone: str
    show_phone: bool
    email: str
    show_email: bool
    confirmed_at: datetime | None
    service: NamedService

    @property
    def function(self) -> str:
        return translated(self.function_fr, self.function_nl, get_language())

    @property
    def shown_email(self) -> str:
        return self.email if self.show_email else ""

    @property
    def shown_phone(self) -> str:
        return self.phone if self.show_phone else ""


def card_months() -> int:
    return int(getattr(settings, "MAILLAGE_DIRECTORY_CARD_MONTHS", CARD_MONTHS))


def card_is_stale(worker: Worker | Person, now: datetime | None = None) -> bool:
    """Not confirmed for card_months() months (never confirmed counts as stale)."""
    now = now or timezone.now()
    return worker.confirmed_at is None or worker.confirmed_at < now - timedelta(days=30 * card_months())


def listed_workers() -> QuerySet[Worker]:
    """Workers who agreed to be listed, active, in a published service (a subquery, not a join:
    the people search then needs no DISTINCT)."""
    published = Service.objects.filter(status=ServiceStatus.PUBLISHED).values("pk")
    return Worker.objects.filter(consent=True, is_active=True, service_id__in=published)


def language_filter(field: str, code: str) -> Q:
    """A space-separated list of codes holds `code`."""
    return (
        Q(**{field: code})
        | Q(**{f"{field}__startswith": f"{code} "})
        | Q(**{f"{field}__endswith": f" {code}"})
        | Q(**{f"{field}__contains": f" {code} "})
    )


@dataclass(frozen=True)
class PeopleCriteria:
    text: str = ""  # words of the name or the function
    need: Category | None = None
    organisation: str = ""  # words of the organisation's name
    commune: Commune | None = None
    quartier: Quartier | None = None
    language: str = ""

    @property
    def is_empty(self) -> bool:
        return not (self.text or self.need or self.organisation or self.commune or self.quartier or self.language)


def search_people(criteria: PeopleCriteria, limit: int = PEOPLE_LIMIT) -> list[Person]:
    """Listed workers matching every criterion, by name (at most `limit`)."""
    # Two steps: the ids in name order (narrow rows to sort), then those few workers with what they print.
    ids = _matching_ids(criteria, limit)
    if not ids:
        return []
    found = {}
    for (
        pk,
        name,
        function_fr,
        function_nl,
        phone,
        show_phone,
        email,
        show_email,
        confirmed,
        *names,
    ) in Worker.objects.filter(pk__in=ids).values_list(*PRINTED):
        service = NamedService(names[0], names[1], Named(names[2], names[3]))
        found[pk] = Person(pk, name, function_fr, function_nl, phone, show_phone, email, show_email, confirmed, service)
    return [found[pk] for pk in ids if pk in found]  # the database's collation decided the order


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _like(column: str, lookup: str, value: str) -> tuple[str, str]:
    """`column` <lookup> `value` as Django writes that lookup on this database (UPPER(col::text) LIKE
    UPPER(%s) for icontains on PostgreSQL, which the trigram indexes of migration 0014 match)."""
    sql = connection.ops.lookup_cast(lookup, "CharField") % column
    pattern = {"icontains": "%{}%", "contains": "%{}%", "startswith": "{}%", "endswith": "%{}"}[lookup]
    return f"{sql} {connection.operators[lookup] % '%s'}", pattern.format(connection.ops.prep_for_like_query(value))


def _any_word_of(columns: tuple[str, ...], word: str) -> tuple[str, list[str]]:
    parts = [_like(column, "icontains", word) for column in columns]
    return "(" + " OR ".join(sql for sql, _param in parts) + ")", [param for _sql, param in parts]


def _matching_ids(criteria: PeopleCriteria, limit: int) -> list[int]:
    """The ids _statement_ids() finds, in its order: the needs, places and languages from the process's people
    index (search/people_index.py), the words of the name, function and organisation from SQL."""
    wanted = language_wanted(criteria.language) if criteria.language else []
    if wanted is None:
        return _statement_ids(criteria, limit)  # a code holding a space: LIKE decides, as ever
    index = current_people_index()
    sets: list[frozenset[int] | set[int]] = []
    if criteria.need is not None:
        sets.append(index.any_of(f"n{pk}" for pk in need_ids(criteria.need)))
    if criteria.commune is not None:
        sets.append(index.by_token.get(f"c{criteria.commune.pk}", frozenset()))
    if criteria.quartier is not None:
        sets.append(index.by_token.get(f"q{criteria.quartier.pk}", frozenset()))
    if wanted:
        sets.append(index.any_of(wanted))
    if any(not found for found in sets):
        return []
    for word in criteria.organisation.split():
        sets.append(index.of_services(index.word("organisation", word, _named_services)))
    for word in criteria.text.split():
        sets.append(index.word("name", word, _named_workers))
    return index.first(sets, limit)


def _named_workers(word: str) -> list[int]:
    """The workers whose name or function holds the word (as _statement_ids() tests it)."""
    worker = _table(Worker)
    sql, params = _any_word_of(
        tuple(f"{worker}.{column}" for column in ("full_name", "function_fr", "function_nl")), word
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {worker}.id FROM {worker} WHERE {sql}", params)  # noqa: S608 (names from _meta)
        return [row[0] for row in cursor.fetchall()]


def _named_services(word: str) -> list[int]:
    """The services whose organisation's name holds the word."""
    service, organisation = _table(Service), _table(DirectoryOrganisation)
    sql, params = _any_word_of(("o.name_fr", "o.name_nl"), word)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.id FROM {service} s JOIN {organisation} o ON o.id = s.organisation_id WHERE {sql}",  # noqa: S608
            params,
        )
        return [row[0] for row in cursor.fetchall()]


def _statement_ids(criteria: PeopleCriteria, limit: int) -> list[int]:
    """The statement Django's queryset wrote for these criteria (hashed subqueries, no join, no DISTINCT),
    written here: building it through the ORM cost more CPU than running it."""
    worker, service = _table(Worker), _table(Service)
    where = [
        f"{worker}.consent",
        f"{worker}.is_active",
        f"{worker}.service_id IN (SELECT id FROM {service} WHERE status = %s)",  # noqa: S608 (names from _meta, values as parameters)
    ]
    params: list[Any] = [ServiceStatus.PUBLISHED.value]

    def add(sql: str, values: list[Any]) -> None:
        where.append(sql)
        params.extend(values)

    names = tuple(f"{worker}.{column}" for column in ("full_name", "function_fr", "function_nl"))
    for word in criteria.text.split():
        add(*_any_word_of(names, word))
    organisation = _table(DirectoryOrganisation)
    for word in criteria.organisation.split():
        sql, values = _any_word_of(("o.name_fr", "o.name_nl"), word)
        add(
            f"{worker}.service_id IN (SELECT s.id FROM {service} s JOIN {organisation} o "  # noqa: S608
            f"ON o.id = s.organisation_id WHERE {sql})",
            values,
        )
    if criteria.need is not None:
        ids = need_ids(criteria.need)
        marks = ", ".join(["%s"] * len(ids))
        add(
            f"({worker}.id IN (SELECT worker_id FROM {_table(Worker.needs.through)} WHERE category_id IN ({marks}))"  # noqa: S608
            f" OR {worker}.service_id IN (SELECT service_id FROM {_table(Service.needs.through)}"
            f" WHERE category_id IN ({marks})))",
            [*ids, *ids],
        )
    if criteria.commune is not None:
        pk = criteria.commune.pk
        add(
            f"({worker}.id IN (SELECT worker_id FROM {_table(Worker.area_communes.through)} WHERE commune_id = %s)"  # noqa: S608
            f" OR {worker}.id IN (SELECT wq.worker_id FROM {_table(Worker.quartiers.through)} wq"
            f" JOIN {_table(Quartier.communes.through)} qc ON qc.quartier_id = wq.quartier_id WHERE qc.commune_id = %s)"
            f" OR {worker}.service_id IN (SELECT service_id FROM {_table(Service.area_communes.through)}"
            f" WHERE commune_id = %s)"
            f" OR {worker}.service_id IN (SELECT sl.service_id FROM {_table(ServiceAtLocation)} sl"
            f" JOIN {_table(Location)} l ON l.id = sl.location_id WHERE l.commune_id = %s))",
            [pk, pk, pk, pk],
        )
    if criteria.quartier is not None:
        pk = criteria.quartier.pk
        add(
            f"({worker}.id IN (SELECT worker_id FROM {_table(Worker.quartiers.through)} WHERE quartier_id = %s)"  # noqa: S608
            f" OR {worker}.service_id IN (SELECT service_id FROM {_table(Service.quartiers.through)}"
            f" WHERE quartier_id = %s))",
            [pk, pk],
        )
    if code := criteria.language:
        # language_filter(): the space-separated list is the code, starts with it, ends with it or holds it.
        column = f"{worker}.languages"
        parts = [
            (f"{column} = %s", code),
            _like(column, "startswith", f"{code} "),
            _like(column, "endswith", f" {code}"),
            _like(column, "contains", f" {code} "),
        ]
        add("(" + " OR ".join(sql for sql, _param in parts) + ")", [param for _sql, param in parts])
    sql = (
        f"SELECT {worker}.id FROM {worker} WHERE {' AND '.join(where)} "  # noqa: S608
        f"ORDER BY {worker}.full_name, {worker}.id LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        return [row[0] for row in cursor.fetchall()]


# The children of a level-1 need, per (published version, category): a version's tree never changes.
_NEED_IDS: dict[tuple[int, int], list[int]] = {}


def need_ids(category: Category) -> list[int]:
    """queries.category_ids(), its one statement (a level-1 need's children) made once per process."""
    key = (category.version_id, category.pk)
    ids = _NEED_IDS.get(key)
    if ids is None:
        if len(_NEED_IDS) > 2000:
            _NEED_IDS.clear()
        ids = _NEED_IDS[key] = category_ids(category)
    return list(ids)


def networks_of(*, service: Service | None = None, worker: Worker | None = None) -> list[Network]:
    """The partnerships and local networks a service or a worker (or the worker's service) belongs to."""
    condition = Q()
    if service is not None:
        condition |= Q(services=service)
    if worker is not None:
        condition |= Q(workers=worker) | Q(services=worker.service_id)
    return list(Network.objects.filter(condition).distinct().order_by("name_fr", "pk"))


def network_members(network: Network) -> tuple[list[Service], list[Worker]]:
    """A network's published member services and listed member workers."""
    services = list(network.services.filter(status=ServiceStatus.PUBLISHED).select_related("organisation"))
    workers = list(listed_workers().filter(networks=network).select_related("service__organisation"))
    return services, workers


def present_in(quartier: Quartier) -> tuple[list[Service], list[Worker]]:
    """Who is present in a quartier: the published services serving it, and the listed workers
    covering it (themselves or through their service)."""
    services = list(
        Service.objects.filter(status=ServiceStatus.PUBLISHED, quartiers=quartier)
        .select_related("organisation")
        .order_by("name_fr", "pk")
    )
    workers = list(
        listed_workers()
        .filter(Q(quartiers=quartier) | Q(service__quartiers=quartier))
        .distinct()
        .select_related("service__organisation")
        .order_by("full_name", "pk")
    )
    return services, workers


def stale_cards(now: datetime | None = None) -> QuerySet[Worker]:
    """Listed cards not confirmed for card_months() months."""
    now = now or timezone.now()
    limit = now - timedelta(days=30 * card_months())
    return (
        listed_workers()
        .filter(Q(confirmed_at__isnull=True) | Q(confirmed_at__lt=limit))
        .select_related("service__organisation")
        .order_by("full_name", "pk")
    )
