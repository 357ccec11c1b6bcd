"""Generate N calls (default 1,000,000) with ~1.3 requests each over two years (--days: another span up to
today, e.g. 3650 for the national bench's ten years; each year needs its partition), on PostgreSQL.

Rows are produced inside PostgreSQL (INSERT … SELECT over generate_series with a fixed
seed), so the run is bounded by the database, not by Python. Usage:

    .venv/bin/python bench/helpline/generate.py --calls 1000000 --port 5432 --database maillage_bench_helpline \
        [--output /tmp/helpline-generate.txt]

The database is created if missing; calls already there are emptied only with --replace, and only if bench
responders logged all of them.
"""

from __future__ import annotations

import argparse
import time
from datetime import time as clock

from common import bench_options, setup_django

# Level-1 theme weights among requests (the seed: a quarter of calls about food, income/debt ~24%, housing ~12%).
THEME_WEIGHTS = {
    "FOOD": 20, "INCOME": 19, "HOUSING": 12, "HEALTH": 8, "ADMIN": 8, "MENTAL": 8, "FOREIGN": 7,
    "ENERGY": 6, "FAMILY": 4, "VIOLENCE": 3, "ISOLATION": 2, "DIGITAL": 2, "SCHOOL": 1,
}  # fmt: skip


def prepare() -> tuple[int, int, list[int]]:
    """Schema, taxonomy, the line, responders and a few directory services; returns ids."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from maillage.core.models import Organisation, Role, User
    from maillage.taxonomy.demo import STARTER_SCHEMES, ensure_scheme
    from tests.factories import PASSWORD

    ensure_scheme(*STARTER_SCHEMES[0])
    line, _created = Organisation.objects.get_or_create(
        short_name="FdSS", defaults={"name_fr": "Fédération des Services Sociaux", "sector": "federation"}
    )
    responders = []
    for number in range(20):
        user = User.objects.filter(email=f"responder{number}@bench.example").first()
        if user is None:
            user = User.objects.create_user(
                f"responder{number}@bench.example", PASSWORD, full_name=f"Responder {number}"
            )
        user.memberships.get_or_create(organisation=line, role=Role.RESPONDER)
        responders.append(user.pk)
    staff = User.objects.filter(email="staff@bench.example").first()
    if staff is None:
        staff = User.objects.create_user("staff@bench.example", PASSWORD, full_name="Staff")
    staff.memberships.get_or_create(organisation=line, role=Role.FEDERATION_STAFF)
    services = _services()
    return line.pk, staff.pk, [*responders, *services]


def _services() -> list[int]:
    from maillage.directory.models import Schedule, Service
    from maillage.taxonomy.queries import active_categories
    from tests.directory.factories import make_service

    if Service.objects.filter(name_fr__startswith="Bench ").exists():
        return list(Service.objects.filter(name_fr__startswith="Bench ").values_list("pk", flat=True))
    themes = [c for c in active_categories("request-themes") if c.level == 1]
    made = []
    for index, theme in enumerate(themes):
        service = make_service(
            name_fr=f"Bench {theme.code}",
            needs=[theme],
            postal_code=["1000", "1060", "1070", "1080", "1030"][index % 5],
            serves=["1000", "1060", "1070", "1080", "1030"],
            languages=["fr", "nl"],
            hours=[("MO,TU,WE,TH,FR,SA,SU", clock(0, 0), clock(23, 59))],
        )
        made.append(service.pk)
    assert Schedule.objects.exists()
    return made


def generate(calls: int, line_id: int, responder_ids: list[int], replace: bool, days: int = 730) -> None:
    from django.db import connection

    from maillage.taxonomy.queries import active_categories

    categories = list(active_categories("request-themes"))
    picks: list[tuple[int, int]] = []  # (category id, theme id), repeated by weight
    for code, weight in THEME_WEIGHTS.items():
        children = [c for c in categories if c.parent and c.parent.code == code]
        for slot in range(weight * 4):
            child = children[slot % len(children)]
            picks.append((child.pk, child.parent_id))  # type: ignore[arg-type]
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute("SELECT count(*) FROM helpline_call")
        if cursor.fetchone()[0]:
            # Never empty what this script may not have made: only with --replace, and only a bench database
            # (its line's calls all made by the bench's responders).
            cursor.execute(
                "SELECT count(*) FROM helpline_call c JOIN core_user u ON u.id = c.responder_id"
                " WHERE u.email NOT LIKE %s",
                ["%@bench.example"],
            )
            foreign = cursor.fetchone()[0]
            if not replace or foreign:
                raise SystemExit(
                    f"calls already there ({foreign} not logged by bench responders): give --replace to empty a"
                    " database this script filled, or another --database"
                )
            print("calls already there: emptying them (--replace)")
            cursor.execute("TRUNCATE helpline_callback, helpline_request, helpline_call RESTART IDENTITY CASCADE")
        cursor.execute("CREATE TEMP TABLE bench_pick (idx int primary key, category_id bigint, theme_id bigint)")
        cursor.executemany("INSERT INTO bench_pick VALUES (%s, %s, %s)", [(i, c, t) for i, (c, t) in enumerate(picks)])
        cursor.execute("SELECT code FROM core_postalcode ORDER BY code")
        codes = [row[0] for row in cursor.fetchall()]
        cursor.execute("CREATE TEMP TABLE bench_postal (idx int primary key, code text, commune_id bigint)")
        cursor.execute(
            "INSERT INTO bench_postal SELECT row_number() OVER (ORDER BY code) - 1, code, commune_id FROM core_postalcode"
        )
        cursor.execute("SELECT setseed(0.20200330)")
        # `days` (two years by default) up to now, working hours.
        cursor.execute(
            """
            INSERT INTO helpline_call (organisation_id, responder_id, started_at, duration_minutes, language,
                caller_sex, caller_area, postal_code, commune_id, caller_type, heard_via, urgency, comment,
                external_ref, created_at, updated_at)
            SELECT %(line)s,
                   (%(responders)s::bigint[])[1 + (g %% %(n_responders)s)],
                   ts, 1 + floor(random() * 20)::int,
                   CASE WHEN r1 < 0.80 THEN 'fr' WHEN r1 < 0.96 THEN 'nl' ELSE 'en' END,
                   CASE WHEN r2 < 0.58 THEN 'woman' WHEN r2 < 0.94 THEN 'man' WHEN r2 < 0.95 THEN 'other' ELSE 'unknown' END,
                   CASE WHEN r3 < 0.85 THEN 'brussels' WHEN r3 < 0.91 THEN 'outside' ELSE 'unknown' END,
                   CASE WHEN r3 < 0.85 THEN p.code WHEN r3 < 0.91 THEN '4000' ELSE '' END,
                   CASE WHEN r3 < 0.85 THEN p.commune_id END,
                   CASE WHEN r4 < 0.78 THEN 'concerned' WHEN r4 < 0.90 THEN 'relative' WHEN r4 < 0.98 THEN 'professional' ELSE 'other' END,
                   '', CASE WHEN r4 < 0.6 THEN 'low' WHEN r4 < 0.9 THEN 'medium' ELSE 'high' END,
                   '', '', ts, ts
            FROM (
                SELECT g, random() AS r1, random() AS r2, random() AS r3, random() AS r4,
                       date_trunc('day', now() - %(days)s * interval '1 day')
                         + (floor(random() * %(days)s)::int) * interval '1 day'
                         + interval '8 hours' + random() * interval '10 hours' AS ts,
                       floor(random() * %(n_postal)s)::int AS pidx
                FROM generate_series(1, %(calls)s) AS g
            ) s JOIN bench_postal p ON p.idx = s.pidx
            """,
            {
                "line": line_id,
                "responders": responder_ids,
                "n_responders": len(responder_ids),
                "calls": calls,
                "n_postal": len(codes),
                "days": days,
            },
        )
        print(f"calls inserted in {time.perf_counter() - started:.1f}s")
        started = time.perf_counter()
        # 1 request per call, a 2nd for 22% of calls, a 3rd for 8%: ~1.30 requests per call.
        cursor.execute(
            """
            INSERT INTO helpline_request (organisation_id, call_id, position, category_id, theme_id, note, action,
                service_id, started_at, unmet_reason)
            SELECT c.organisation_id, c.id, n.pos, k.category_id, k.theme_id, '',
                   CASE WHEN a < 0.40 THEN 'information' WHEN a < 0.75 THEN 'referral' WHEN a < 0.83 THEN 'warm_transfer'
                        WHEN a < 0.90 THEN 'callback' WHEN a < 0.96 THEN 'nothing' ELSE 'other' END,
                   NULL, c.started_at, ''
            FROM helpline_call c
            CROSS JOIN LATERAL (
                SELECT pos, random() AS a, floor(random() * %(n_picks)s)::int AS pick FROM generate_series(0, 2) AS pos
                WHERE c.id > 0 AND (pos = 0 OR (pos = 1 AND random() < 0.22) OR (pos = 2 AND random() < 0.08))
            ) n
            JOIN bench_pick k ON k.idx = n.pick
            """,
            {"n_picks": len(picks)},
        )
        cursor.execute(
            """
            UPDATE helpline_request r SET service_id = s.id
            FROM (SELECT d.id, t.category_id AS theme_id FROM directory_service d
                  JOIN directory_service_needs t ON t.service_id = d.id WHERE d.name_fr LIKE 'Bench %%') s
            WHERE r.action IN ('referral', 'warm_transfer') AND r.theme_id = s.theme_id
            """
        )
        print(f"requests inserted in {time.perf_counter() - started:.1f}s")
        cursor.execute("ANALYZE helpline_call")
        cursor.execute("ANALYZE helpline_request")
        cursor.execute("SELECT count(*) FROM helpline_call")
        n_calls = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM helpline_request")
        n_requests = cursor.fetchone()[0]
        print(f"{n_calls} calls, {n_requests} requests ({n_requests / n_calls:.3f} per call)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench_options.add_options(parser, output=False)
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=730, help="the span of the calls, up to today (730)")
    parser.add_argument(
        "--replace", action="store_true", help="empty the calls of a database this script filled before"
    )
    args = parser.parse_args()
    with bench_options.recording(args.output, f"helpline generate.py, {args.calls} calls, database {args.database}"):
        _generate(args)


def _generate(args: argparse.Namespace) -> None:
    bench_options.ensure_database(args.port, args.database)
    setup_django(args.port, args.database)
    line_id, _staff, ids = prepare()
    responders = ids[:20]
    started = time.perf_counter()
    from django.db import connection

    from maillage.stats import helpline_rollup

    # The bilan's roll-up is recounted once at the end rather than by its triggers row set by row set.
    with connection.cursor() as cursor:
        for name in helpline_rollup.TRIGGERS:
            cursor.execute(f"ALTER TABLE {helpline_rollup.SOURCE} DISABLE TRIGGER {name}")
    try:
        generate(args.calls, line_id, responders, args.replace, args.days)
    finally:
        with connection.cursor() as cursor:
            for name in helpline_rollup.TRIGGERS:
                cursor.execute(f"ALTER TABLE {helpline_rollup.SOURCE} ENABLE TRIGGER {name}")
        rolled = time.perf_counter()
        helpline_rollup.rebuild()
        print(f"bilan roll-up recounted in {time.perf_counter() - rolled:.1f}s")
    print(f"generated in {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()
