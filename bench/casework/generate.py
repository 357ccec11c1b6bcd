"""Fill a PostgreSQL database of its own with case-work rows at scale, through COPY.

    .venv/bin/python bench/casework/generate.py --followups 1000000 --port 5432 --database maillage_bench_casework

The database is created if missing. Case-work rows already there are emptied only with --replace, and only
when they all belong to this script's centres ("Bench NN"). Persons get a postal code and its commune.

30 centres, 10 years; persons, case files, follow-ups and their requests (1.5 per follow-up).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
from datetime import date, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--followups", type=int, default=1_000_000)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--replace", action="store_true", help="empty the case-work rows this script made before")
    return parser.parse_args()


ARGS = _arguments()
_URL = f"postgres://postgres@127.0.0.1:{ARGS.port}/{ARGS.database}"
os.environ["DATABASE_URL"] = _URL


def _ensure_database() -> None:
    import psycopg

    with psycopg.connect(_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [ARGS.database]).fetchone():
            admin.execute(f'CREATE DATABASE "{ARGS.database}"')


_ensure_database()

import django  # noqa: E402 - after the database is chosen

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

CENTRES = 30
YEARS = 10
FIRST_DAY = date(2016, 1, 1)


def copy(table: str, columns: list[str], rows) -> None:  # type: ignore[no-untyped-def]
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as out:
        buffer = io.StringIO()
        for count, row in enumerate(rows, 1):
            buffer.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
            if count % 100_000 == 0:
                out.write(buffer.getvalue())
                buffer = io.StringIO()
        out.write(buffer.getvalue())


def main() -> None:
    args = ARGS
    assert connection.vendor == "postgresql", "set DATABASE_URL to a PostgreSQL database of your own"
    started = time.monotonic()
    call_command("migrate", verbosity=0)
    from maillage.casework.models import AgeBand, Household, IncomeSource, Mode, NationalityGroup, Subsidy
    from maillage.casework.schemes import ensure_casework_schemes
    from maillage.core.models import Membership, Organisation, User
    from maillage.taxonomy.queries import active_categories

    ensure_casework_schemes()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE o.short_name NOT LIKE 'Bench __') FROM casework_person p"
            " JOIN core_organisation o ON o.id = p.organisation_id"
        )
        existing, foreign = cursor.fetchone()
        if existing and (foreign or not args.replace):
            raise SystemExit(
                f"{existing} persons already there ({foreign} not of the bench centres): give --replace to empty"
                " what this script made, or another --database"
            )
        cursor.execute(
            "TRUNCATE casework_request, casework_followup, casework_casefile_workers, casework_casefile, casework_person,"
            " casework_savedreport, casework_activitysession, casework_participation, casework_activity CASCADE"
        )
    rng = random.Random(5)
    subsidies = [Subsidy.objects.get_or_create(code=c, defaults={"name": c})[0].pk for c in ("cocof", "pus", "fse")]
    centres, workers = [], {}
    for index in range(CENTRES):
        org, _ = Organisation.objects.get_or_create(
            short_name=f"Bench {index:02d}",
            defaults={"name_fr": f"Centre {index}", "sector": "casg" if index < 20 else "caw"},
        )
        centres.append(org.pk)
        workers[org.pk] = []
        for w in range(10):
            user, _ = User.objects.get_or_create(
                email=f"bench{index}-{w}@example.org", defaults={"full_name": f"Worker {index}-{w}"}
            )
            Membership.objects.get_or_create(user=user, organisation=org, role="worker")
            workers[org.pk].append(user.pk)
    themes = list(active_categories("request-themes").filter(level=2).values_list("pk", flat=True))
    institutions = list(active_categories("institution-concerned").filter(level=2).values_list("pk", flat=True))
    stages = list(active_categories("request-stage").filter(level=2).values_list("pk", flat=True))
    n_persons = max(args.followups // 12, 1000)
    persons = []  # (id, org)
    bands = [b for b in AgeBand.values if b != "unknown"]
    from maillage.core.models import PostalCode

    # Every Brussels postal code with its commune, as the person form would set them.
    places = list(PostalCode.objects.filter(commune__isnull=False).values_list("code", "commune_id"))
    assert places, "the postal codes (with their communes) come with the migrations"
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM casework_person")
        base = cursor.fetchone()[0]

    def person_rows():  # type: ignore[no-untyped-def]
        for i in range(n_persons):
            org = centres[i % CENTRES]
            persons.append((base + i + 1, org))
            year = rng.randint(1940, 2008)
            yield (
                base + i + 1,
                org,
                f"P-{i:07d}",
                "",
                year,
                rng.choice(bands),
                rng.choice("fmxu"),
                *rng.choice(places),
                rng.choice(Household.values),
                rng.randint(0, 4),
                rng.choice(IncomeSource.values),
                rng.choice(NationalityGroup.values),
                "fr",
                "",
                "",
                "",
                "",
                "",
                "2016-01-01 00:00:00+00",
                None,
            )

    copy(
        "casework_person",
        [
            "id",
            "organisation_id",
            "reference",
            "source_id",
            "birth_year",
            "age_band",
            "sex",
            "postal_code",
            "commune_id",
            "household",
            "children",
            "income_source",
            "nationality_group",
            "language",
            "first_name",
            "last_name",
            "phone",
            "email",
            "address",
            "created_at",
            "erased_at",
        ],
        person_rows(),
    )
    copy(
        "casework_casefile",
        ["id", "organisation_id", "person_id", "opened_on", "closed_on", "closing_reason"],
        ((pid, org, pid, FIRST_DAY.isoformat(), None, "") for pid, org in persons),
    )
    print(f"persons and case files: {n_persons} in {time.monotonic() - started:.0f}s", flush=True)
    days = YEARS * 365
    modes = Mode.values

    def followup_rows():  # type: ignore[no-untyped-def]
        for i in range(1, args.followups + 1):
            pid, org = persons[rng.randrange(n_persons)]
            day = FIRST_DAY + timedelta(days=rng.randrange(days))
            yield (
                i,
                org,
                pid,
                pid,
                day.isoformat(),
                rng.choice(modes),
                30,
                rng.choice(workers[org]),
                rng.choice(subsidies) if rng.random() < 0.7 else None,
                rng.choice(bands),
                "[]",
                "",
                None,
                "",
                "",
                "2016-01-01 00:00:00+00",
            )

    copy(
        "casework_followup",
        [
            "id",
            "organisation_id",
            "case_file_id",
            "person_id",
            "date",
            "mode",
            "duration",
            "worker_id",
            "subsidy_id",
            "age_band",
            "actions",
            "referred_to",
            "aid_amount",
            "note",
            "source_id",
            "created_at",
        ],
        followup_rows(),
    )
    print(f"follow-ups: {args.followups} in {time.monotonic() - started:.0f}s", flush=True)

    with connection.cursor() as cursor:  # read before the COPY: one connection does one thing at a time
        cursor.execute("SELECT id, organisation_id, date FROM casework_followup ORDER BY id")
        followups = cursor.fetchall()

    def request_rows():  # type: ignore[no-untyped-def]
        for fid, org, day in followups:
            for _ in range(1 if rng.random() < 0.6 else 2):
                yield (fid, org, day, rng.choice(themes), rng.choice(institutions), rng.choice(stages), "f")

    copy(
        "casework_request",
        ["follow_up_id", "organisation_id", "date", "theme_id", "institution_id", "stage_id", "is_open"],
        request_rows(),
    )
    with connection.cursor() as cursor:
        for table in ("casework_person", "casework_casefile", "casework_followup", "casework_request"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        cursor.execute("VACUUM ANALYZE casework_followup")
        cursor.execute("VACUUM ANALYZE casework_request")
        cursor.execute("VACUUM ANALYZE casework_person")
        cursor.execute("VACUUM ANALYZE casework_casefile")
    print(f"rows done in {time.monotonic() - started:.0f}s", flush=True)
    from maillage.casework import rollups

    rollups.rebuild()  # the rows went in by COPY, past the services: count the roll-ups once
    print(f"done (roll-ups rebuilt) in {time.monotonic() - started:.0f}s", flush=True)


if __name__ == "__main__":
    main()
