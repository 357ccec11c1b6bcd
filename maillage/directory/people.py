"""The read side of the people of the network: workers' cards, the people search, networks
("with whom") and who is present in a quartier. For signed-in professionals only (the views check)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from maillage.core.models import Commune
from maillage.directory.models import Network, Quartier, Service, ServiceAtLocation, ServiceStatus, Worker
from maillage.directory.queries import category_ids
from maillage.taxonomy.models import Category

# A card not confirmed for this many months is flagged (settings.MAILLAGE_DIRECTORY_CARD_MONTHS overrides).
CARD_MONTHS = 12
PEOPLE_LIMIT = 50
# What a line of the people search prints (directory/_worker_line.html): nothing else is read.
PRINTED = (
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


def card_months() -> int:
    return int(getattr(settings, "MAILLAGE_DIRECTORY_CARD_MONTHS", CARD_MONTHS))


def card_is_stale(worker: Worker, now: datetime | None = None) -> bool:
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


def search_people(criteria: PeopleCriteria, limit: int = PEOPLE_LIMIT) -> list[Worker]:
    """Listed workers matching every criterion, by name (at most `limit`)."""
    workers = listed_workers()
    for word in criteria.text.split():
        workers = workers.filter(
            Q(full_name__icontains=word) | Q(function_fr__icontains=word) | Q(function_nl__icontains=word)
        )
    for word in criteria.organisation.split():
        named = Service.objects.filter(
            Q(organisation__name_fr__icontains=word) | Q(organisation__name_nl__icontains=word)
        ).values("pk")
        workers = workers.filter(service_id__in=named)
    if criteria.need is not None:
        ids = category_ids(criteria.need)
        workers = workers.filter(
            Q(pk__in=Worker.needs.through.objects.filter(category_id__in=ids).values("worker_id"))
            | Q(service_id__in=Service.needs.through.objects.filter(category_id__in=ids).values("service_id"))
        )
    if criteria.commune is not None:
        commune = criteria.commune
        workers = workers.filter(
            Q(pk__in=Worker.area_communes.through.objects.filter(commune_id=commune.pk).values("worker_id"))
            | Q(pk__in=Worker.quartiers.through.objects.filter(quartier__communes=commune).values("worker_id"))
            | Q(service_id__in=Service.area_communes.through.objects.filter(commune_id=commune.pk).values("service_id"))
            | Q(service_id__in=ServiceAtLocation.objects.filter(location__commune=commune).values("service_id"))
        )
    if criteria.quartier is not None:
        quartier = criteria.quartier
        workers = workers.filter(
            Q(pk__in=Worker.quartiers.through.objects.filter(quartier_id=quartier.pk).values("worker_id"))
            | Q(service_id__in=Service.quartiers.through.objects.filter(quartier_id=quartier.pk).values("service_id"))
        )
    if criteria.language:
        workers = workers.filter(language_filter("languages", criteria.language))
    # Two steps: the ids in name order (narrow rows to sort), then those few workers with what they print.
    ids = list(workers.order_by("full_name", "pk").values_list("pk", flat=True)[:limit])
    found = Worker.objects.filter(pk__in=ids).select_related("service__organisation").only(*PRINTED)
    position = {pk: index for index, pk in enumerate(ids)}  # the database's collation decides the order
    return sorted(found, key=lambda worker: position[worker.pk])


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
