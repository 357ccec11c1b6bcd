"""Generate a directory at scale on PostgreSQL: N services at 2N locations, with needs, languages, hours.

    .venv/bin/python bench/directory/generate.py --port 5432 --database maillage_bench_directory \
        --services 20000 [--replace] [--output /tmp/directory-generate.txt]

The database is created if missing and migrated. An existing directory is emptied only with --replace, and only
if this script made all of it.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import time as clock
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import bench_options


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench_options.add_options(parser, output=False)
    parser.add_argument("--services", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--holidays", type=float, default=0.6, help="share of services closed on public holidays")
    parser.add_argument("--workers", type=int, default=20000, help="listed workers (people search)")
    parser.add_argument("--replace", action="store_true", help="empty a directory this script filled before")
    return parser.parse_args()


ARGS = _arguments()
bench_options.ensure_database(ARGS.port, ARGS.database)
bench_options.setup_django(ARGS.port, ARGS.database)

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from maillage.core.models import Commune, PostalCode  # noqa: E402
from maillage.directory.models import (  # noqa: E402
    DirectoryOrganisation,
    Location,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceLanguage,
    ServiceStatus,
)
from maillage.directory.search.keys import reindex_all  # noqa: E402
from maillage.directory.textsearch import search_document  # noqa: E402
from maillage.taxonomy.demo import STARTER_SCHEMES, ensure_scheme  # noqa: E402
from maillage.taxonomy.queries import active_categories  # noqa: E402

LANGUAGES = ["fr"] * 8 + ["nl"] * 4 + ["en"] * 3 + ["ar", "es", "tr", "ro"]
WORDS = ["aide", "colis", "épicerie", "logement", "dettes", "énergie", "santé", "écoute", "permanence", "accueil"]
DAYS = ["MO,TU,WE,TH,FR", "MO,WE,FR", "TU,TH", "MO", "TU", "WE", "TH", "FR", "SA", "MO,TU,WE,TH,FR,SA"]


FIRST = ["Amina", "Bart", "Chloé", "David", "Esra", "Fatou", "Geert", "Hanna", "Ilias", "Julie", "Karim", "Lotte"]
LAST = ["Diallo", "Peeters", "Martin", "Janssens", "Yilmaz", "Dubois", "El Amrani", "Maes", "Lambert", "Nowak"]
FUNCTIONS = ["Assistant social", "Éducatrice de rue", "Médiatrice", "Infirmier", "Juriste", "Psychologue"]


def make_workers(rng: random.Random, services: list, categories: list, communes: list, count: int) -> None:
    """`count` listed workers spread over the services, with languages, needs, communes and quartiers."""
    from django.utils import timezone

    from maillage.directory.models import Quartier, Worker
    from maillage.directory.quartiers import SAMPLE, load_quartiers, parse_quartiers

    load_quartiers(parse_quartiers(SAMPLE.read_bytes()))
    quartiers = list(Quartier.objects.all())
    now = timezone.now()
    workers = Worker.objects.bulk_create(
        [
            Worker(
                service=services[i % len(services)],
                full_name=f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}",
                function_fr=rng.choice(FUNCTIONS),
                email=f"worker{i}@example.org",
                consent=rng.random() < 0.9,
                consent_at=now,
                confirmed_at=now,
                languages=" ".join(sorted({rng.choice(LANGUAGES) for _ in range(rng.randint(1, 2))})),
            )
            for i in range(count)
        ],
        batch_size=5000,
    )
    needs = Worker.needs.through
    areas = Worker.area_communes.through
    in_quartiers = Worker.quartiers.through
    needs.objects.bulk_create(
        [needs(worker_id=w.pk, category_id=rng.choice(categories).pk) for w in workers], batch_size=5000
    )
    areas.objects.bulk_create(
        [areas(worker_id=w.pk, commune_id=rng.choice(communes).pk) for w in workers], batch_size=5000
    )
    in_quartiers.objects.bulk_create(
        [in_quartiers(worker_id=w.pk, quartier_id=rng.choice(quartiers).pk) for w in workers if rng.random() < 0.3],
        batch_size=5000,
    )


def _refuse_unless_ours(replace: bool) -> None:
    """The directory is emptied only with --replace, and only when every organisation and service in it is one
    this script made ("Association N" / "Vereniging N")."""
    ours = {"name_fr__regex": r"^Association [0-9]+$", "name_nl__regex": r"^Vereniging [0-9]+$"}
    existing = DirectoryOrganisation.objects.count() + Service.objects.count() + Location.objects.count()
    made_here = DirectoryOrganisation.objects.filter(**ours)
    foreign = (
        DirectoryOrganisation.objects.exclude(**ours).count()
        + Service.objects.exclude(organisation__in=made_here).count()
        + Location.objects.exclude(organisation__in=made_here).count()
    )
    if existing and (foreign or not replace):
        sys.exit(
            f"{existing} directory organisations, services and locations already there ({foreign} not made by this script):"
            " give --replace to empty a directory this script filled, or another database"
        )


def main(args: argparse.Namespace) -> None:
    started = time.monotonic()
    call_command("migrate", verbosity=0)
    ensure_scheme(*STARTER_SCHEMES[0])
    rng = random.Random(args.seed)
    categories = list(active_categories("request-themes"))
    communes = list(Commune.objects.all())
    postal = list(PostalCode.objects.select_related("commune"))
    with transaction.atomic():
        _refuse_unless_ours(args.replace)
        Service.objects.all().delete()
        Location.objects.all().delete()
        DirectoryOrganisation.objects.all().delete()
        organisations = DirectoryOrganisation.objects.bulk_create(
            [
                DirectoryOrganisation(name_fr=f"Association {i}", name_nl=f"Vereniging {i}")
                for i in range(args.services // 10)
            ],
            batch_size=5000,
        )
        locations = []
        for i in range(args.services * 2):
            code = rng.choice(postal)
            locations.append(
                Location(
                    organisation=organisations[(i // 2) // 10],
                    address=f"Rue {rng.choice(WORDS)} {i % 300}",
                    postal_code=code.code,
                    city=code.locality_fr,
                    commune=code.commune,
                    latitude=code.commune.latitude + Decimal(rng.randint(-90, 90)) / 10000,
                    longitude=code.commune.longitude + Decimal(rng.randint(-90, 90)) / 10000,
                )
            )
        locations = Location.objects.bulk_create(locations, batch_size=5000)
        services = []
        for i in range(args.services):
            name = f"{rng.choice(WORDS).capitalize()} {rng.choice(WORDS)} {i}"
            services.append(
                Service(
                    organisation=organisations[i // 10],
                    name_fr=name,
                    name_nl=f"Dienst {i}",
                    status=ServiceStatus.PUBLISHED if rng.random() < 0.95 else ServiceStatus.DRAFT,
                    modalities=rng.choice(["walk_in", "appointment", "walk_in phone", "referral", "phone"]),
                    serves_whole_region=rng.random() < 0.1,
                    is_free=rng.random() < 0.8,
                    search_text=search_document([name, f"Dienst {i}"]),
                    holiday_calendars="be brussels" if rng.random() < args.holidays else "",
                )
            )
        services = Service.objects.bulk_create(services, batch_size=5000)
        links, needs, areas, languages, schedules = [], [], [], [], []
        needs_model, areas_model = Service.needs.through, Service.area_communes.through
        for i, service in enumerate(services):
            links += [
                ServiceAtLocation(service=service, location=locations[2 * i]),
                ServiceAtLocation(service=service, location=locations[2 * i + 1]),
            ]
            for category in rng.sample(categories, rng.randint(1, 2)):
                needs.append(needs_model(service_id=service.pk, category_id=category.pk))
            home = locations[2 * i].commune
            for commune in {home, *rng.sample(communes, rng.randint(0, 2))}:
                areas.append(areas_model(service_id=service.pk, commune_id=commune.pk))
            for code in {rng.choice(LANGUAGES) for _ in range(rng.randint(1, 3))}:
                languages.append(ServiceLanguage(service=service, code=code))
            opens = rng.choice([8, 9, 9, 10, 13, 14])
            schedules.append(
                Schedule(
                    service=service,
                    byday=rng.choice(DAYS),
                    opens_at=clock(opens),
                    closes_at=clock(min(opens + rng.choice([3, 4, 8]), 23)),
                )
            )
            if rng.random() < 0.5:
                schedules.append(
                    Schedule(service=service, byday=rng.choice(DAYS), opens_at=clock(14), closes_at=clock(17))
                )
        ServiceAtLocation.objects.bulk_create(links, batch_size=5000)
        needs_model.objects.bulk_create(needs, batch_size=5000)
        areas_model.objects.bulk_create(areas, batch_size=5000)
        ServiceLanguage.objects.bulk_create(languages, batch_size=5000)
        Schedule.objects.bulk_create(schedules, batch_size=5000)
        codes_by_service: dict[int, list[str]] = {}
        for row in languages:
            codes_by_service.setdefault(row.service.pk, []).append(row.code)
        for service in services:
            service.languages = sorted(codes_by_service.get(service.pk, []))
        Service.objects.bulk_update(services, ["languages"], batch_size=5000)
    make_workers(rng, services, categories, communes, args.workers)
    reindex_all()  # search keys and weekly opening slots, as services.py keeps them
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"{len(services)} services, {len(locations)} locations, {len(schedules)} schedules, "
        f"{len(needs)} needs, {len(languages)} languages in {time.monotonic() - started:.1f} s"
    )


if __name__ == "__main__":
    with bench_options.recording(
        ARGS.output, f"directory generate.py, {ARGS.services} services, database {ARGS.database}"
    ):
        main(ARGS)
