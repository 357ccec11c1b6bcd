"""Demo data of the people side: the sample quartiers, worker cards with languages, needs and
quartiers, a local social-health contract with its members, holiday calendars, the demo worker's
own card. Called by demo.load() once the services exist."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from maillage.core.demo_context import DemoContext
from maillage.directory.models import Network, NetworkKind, Quartier, Service, Worker
from maillage.directory.quartiers import SAMPLE, load_quartiers, parse_quartiers

LANGUAGES = ["fr", "fr nl", "fr ar", "nl en", "fr es", "fr tr"]


def load_network(context: DemoContext) -> None:
    load_quartiers(parse_quartiers(SAMPLE.read_bytes()))
    now = timezone.now()
    services = list(Service.objects.prefetch_related("needs", "service_at_locations__location").order_by("pk"))
    for service in services:
        communes = {link.location.commune_id for link in service.service_at_locations.all()}
        quartiers = list(Quartier.objects.filter(communes__in=communes).distinct())
        if quartiers:
            service.quartiers.set(quartiers[:2])
        if service.organisation.organisation_id:  # members of the federation close on public holidays
            service.holiday_calendars = "be brussels"
            service.save(update_fields=["holiday_calendars"])
    for index, worker in enumerate(Worker.objects.select_related("service").order_by("pk")):
        worker.languages = LANGUAGES[index % len(LANGUAGES)]
        worker.confirmed_at = now - timedelta(days=30 if index % 4 else 500)  # one in four to confirm again
        worker.save(update_fields=["languages", "confirmed_at"])
        worker.needs.set(list(worker.service.needs.all())[:2])
        worker.quartiers.set(list(worker.service.quartiers.all()))
    worker_account = context.accounts.get("worker")
    if worker_account is not None:
        own = Service.objects.filter(organisation__organisation__memberships__user=worker_account).first()
        if own is not None:
            card = Worker.objects.create(
                service=own,
                user=worker_account,
                full_name=worker_account.full_name,
                function_fr="Assistante sociale",
                function_nl="Maatschappelijk werker",
                email=worker_account.email,
                consent=True,
                consent_at=now,
                confirmed_at=now,
                languages="fr nl",
            )
            card.quartiers.set(list(own.quartiers.all()))
    midi = Network.objects.create(
        name_fr="Contrat local social-santé Midi",
        name_nl="Lokaal sociaal-gezondheidscontract Zuid",
        kind=NetworkKind.CONTRACT,
        description="Les services du quartier Gare du Midi se coordonnent pour l'accès aux droits et à la santé.",
    )
    members = Service.objects.filter(Q(quartiers__code="S02") | Q(quartiers__code="S01")).distinct()
    midi.services.set(members)
    midi.workers.set(Worker.objects.filter(service__in=members, consent=True)[:6])
    context.notes.append(
        "Directory people: /directory/people/ (search colleagues by need, language, quartier), /directory/people/me/ "
        "(the worker's own card), /directory/quartier/, /directory/map/; `maillage import_quartiers <file>` loads "
        "the official quartiers (a sample of our own is loaded)."
    )
