"""Fill a PostgreSQL database of its own with case-work rows at scale, generated inside PostgreSQL.

    .venv/bin/python bench/casework/generate.py --followups 1000000 --port 5432 --database maillage_bench_casework

The database is created if missing. Case-work rows already there are emptied only with --replace, and only
when they all belong to this script's centres ("Bench NN", "Bench NNN" past 99).

30 centres (--centres N: the national bench's 1,000) of 10 workers, 2016–2025: one person and case file per 12 follow-ups, 1.4 requests per follow-up
(three category axes, level 2), collective activities with sessions and participants. Every dimension the
cross-tab offers is filled: the person's sex, age band (from the year of birth), postal code and its commune,
household, income, nationality; the follow-up's mode, worker, subsidy (70 %), age band in its year.

Rows are produced by INSERT … SELECT over generate_series after `setseed` (the same rows every run), through
the parent tables (follow-ups and requests are partitioned by year: each generated year's partition must
exist, `maillage partitions`). The inserts run with `session_replication_role = replica`: the foreign-key
triggers do not fire row by row (the rows are consistent by construction; --check verifies them, and the
roll-up cells against raw counts). Then the roll-ups are rebuilt by the product's recount
(`rollups_rebuild.rebuild()`, `--rollups duckdb`, the default; `postgresql`: the same SELECTs in PostgreSQL over
two connections, rebuild_rollups.py; `none`). Timings are printed, and appended to --output if given.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import date

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--followups", type=int, default=1_000_000)
    parser.add_argument(
        "--centres", type=int, default=30, help="centres the workers, persons and activities spread over (30)"
    )
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--replace", action="store_true", help="empty the case-work rows this script made before")
    parser.add_argument("--rollups", choices=["duckdb", "postgresql", "none"], default="duckdb")
    parser.add_argument("--check", action="store_true", help="verify the references and a few roll-up cells")
    parser.add_argument("--output", help="append the timings to this file")
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
from django.db import connection, transaction  # noqa: E402

CENTRES = ARGS.centres  # 30 by default: the rows of the committed RESULTS (same seed, same SQL)
WORKERS = 10  # per centre
FIRST_DAY = date(2016, 1, 1)
DAYS = 3650  # 2016-01-01 .. 2025-12-29
YEARS = range(2016, 2026)
ACTIVITIES = 6  # per centre
SEED = 0.05
BENCH_CENTRE = r"^Bench [0-9]{2,}$"  # the short names _centres() gives ("Bench 07", "Bench 123")

# The product's rule (models.age_band_for): the band of someone born in `born` in the year `year_sql`.
AGE_BAND_SQL = """CASE WHEN {year} - {born} <= 17 THEN '0-17' WHEN {year} - {born} <= 24 THEN '18-24'
    WHEN {year} - {born} <= 34 THEN '25-34' WHEN {year} - {born} <= 44 THEN '35-44'
    WHEN {year} - {born} <= 54 THEN '45-54' WHEN {year} - {born} <= 64 THEN '55-64' ELSE '65+' END"""


def _pick(values: str, count: int) -> str:
    """One element of the array parameter `values` (of `count` elements), uniformly."""
    return f"(%({values})s::text[])[1 + floor(random() * {count})::int]"


def _log(line: str) -> None:
    stamped = f"{line} (load {os.getloadavg()[0]:.2f})"
    print(stamped, flush=True)
    if ARGS.output:
        with open(ARGS.output, "a") as out:
            out.write(stamped + "\n")


def _empty_or_refuse(cursor) -> None:  # type: ignore[no-untyped-def]
    cursor.execute(
        "SELECT count(*), count(*) FILTER (WHERE o.short_name !~ %s) FROM casework_person p"
        " JOIN core_organisation o ON o.id = p.organisation_id",
        [BENCH_CENTRE],
    )
    existing, foreign = cursor.fetchone()
    cursor.execute(
        "SELECT count(*) FROM casework_activity a JOIN core_organisation o ON o.id = a.organisation_id"
        " WHERE o.short_name !~ %s",
        [BENCH_CENTRE],
    )
    foreign += cursor.fetchone()[0]
    existing += foreign
    if existing and (foreign or not ARGS.replace):
        raise SystemExit(
            f"{existing} persons or activities already there ({foreign} not of the bench centres): give --replace to empty"
            " what this script made, or another --database"
        )
    cursor.execute(
        "TRUNCATE casework_statcell, casework_rollupstate, casework_request, casework_followup,"
        " casework_casefile_workers, casework_casefile, casework_person, casework_savedreport,"
        " casework_participation, casework_activitysession, casework_activity_themes, casework_activity_workers,"
        " casework_activity RESTART IDENTITY CASCADE"
    )


def _centres() -> tuple[list[int], list[int], list[int]]:
    """The bench centres, their workers (WORKERS per centre, in centre order) and the subsidies."""
    from maillage.casework.models import Subsidy
    from maillage.core.models import Membership, Organisation, User

    subsidies = [Subsidy.objects.get_or_create(code=c, defaults={"name": c})[0].pk for c in ("cocof", "pus", "fse")]
    centres, workers = [], []
    for index in range(CENTRES):
        org, _ = Organisation.objects.get_or_create(
            short_name=f"Bench {index:02d}",
            defaults={"name_fr": f"Centre {index}", "sector": "casg" if index < 20 else "caw"},
        )
        centres.append(org.pk)
        for w in range(WORKERS):
            user, _ = User.objects.get_or_create(
                email=f"bench{index}-{w}@example.org", defaults={"full_name": f"Worker {index}-{w}"}
            )
            Membership.objects.get_or_create(user=user, organisation=org, role="worker")
            workers.append(user.pk)
    return centres, workers, subsidies


def _check_partitions(cursor) -> None:  # type: ignore[no-untyped-def]
    from maillage.core import partitions

    missing = sorted({t for year in YEARS for t in partitions.uncovered(cursor, partitions.CASEWORK, date(year, 6, 1))})
    if missing:
        raise SystemExit(f"no partition for some generated years ({', '.join(missing)}): run `maillage partitions`")


def _persons(cursor, n_persons: int, centres: list[int], workers: list[int]) -> None:  # type: ignore[no-untyped-def]
    from maillage.casework.models import Household, IncomeSource, NationalityGroup

    # Every Brussels postal code with its commune, as the person form would set them.
    cursor.execute(
        "CREATE TEMP TABLE bench_place AS SELECT row_number() OVER (ORDER BY code) - 1 AS idx, code, commune_id"
        " FROM core_postalcode WHERE commune_id IS NOT NULL"
    )
    cursor.execute("SELECT count(*) FROM bench_place")
    places = cursor.fetchone()[0]
    assert places, "the postal codes (with their communes) come with the migrations"
    cursor.execute(
        f"""
        INSERT INTO casework_person (id, organisation_id, reference, source_id, birth_year, age_band, sex,
            postal_code, commune_id, household, children, income_source, nationality_group, language,
            first_name, last_name, phone, email, address, created_at, erased_at)
        SELECT s.g, (%(centres)s::bigint[])[1 + s.g %% {CENTRES}], 'P-' || lpad(s.g::text, 7, '0'), '', s.born,
               {AGE_BAND_SQL.format(year=2025, born="s.born")}, {_pick("sexes", 4)}, pl.code, pl.commune_id,
               {_pick("households", len(Household.values))}, floor(random() * 5)::int,
               {_pick("incomes", len(IncomeSource.values))}, {_pick("nationalities", len(NationalityGroup.values))},
               'fr', '', '', '', '', '', TIMESTAMPTZ '2016-01-01 00:00:00+00', NULL
        FROM (SELECT g, 1940 + floor(random() * 69)::int AS born, floor(random() * {places})::int AS place
              FROM generate_series(1, {n_persons}) AS g) s
        JOIN bench_place pl ON pl.idx = s.place
        """,
        {
            "centres": centres,
            "sexes": ["f", "m", "x", "u"],
            "households": list(Household.values),
            "incomes": list(IncomeSource.values),
            "nationalities": list(NationalityGroup.values),
        },
    )
    cursor.execute(
        "INSERT INTO casework_casefile (id, organisation_id, person_id, opened_on, closed_on, closing_reason)"
        " SELECT id, organisation_id, id, %s, NULL, '' FROM casework_person",
        [FIRST_DAY],
    )
    # One worker in charge of each case file, of its centre.
    cursor.execute(
        f"INSERT INTO casework_casefile_workers (casefile_id, user_id) SELECT id,"
        f" (%(workers)s::bigint[])[1 + ((id %% {CENTRES}) * {WORKERS}) + floor(random() * {WORKERS})::int]"
        " FROM casework_casefile",
        {"workers": workers},
    )


def _followups(cursor, n: int, n_persons: int, workers: list[int], subsidies: list[int]) -> None:  # type: ignore[no-untyped-def]
    from maillage.casework.models import Mode

    # A person's centre is centres[id % CENTRES] (above): its workers are workers[that index * WORKERS ...].
    cursor.execute(
        f"""
        INSERT INTO casework_followup (id, organisation_id, case_file_id, person_id, date, mode, duration,
            worker_id, subsidy_id, age_band, actions, referred_to, referred_service_id, aid_amount, note,
            source_id, created_at)
        SELECT s.g, p.organisation_id, p.id, p.id, s.d, s.mode, 30,
               (%(workers)s::bigint[])[1 + (p.id %% {CENTRES}) * {WORKERS} + s.w],
               CASE WHEN s.r < 0.7 THEN (%(subsidies)s::bigint[])[1 + floor(s.r / 0.7 * {len(subsidies)})::int] END,
               {AGE_BAND_SQL.format(year="extract(year FROM s.d)::int", born="p.birth_year")},
               '[]', '', NULL, NULL, '', '', TIMESTAMPTZ '2016-01-01 00:00:00+00'
        FROM (SELECT g, 1 + floor(random() * {n_persons})::int AS pid,
                     %(first)s::date + floor(random() * {DAYS})::int AS d, {_pick("modes", len(Mode.values))} AS mode,
                     floor(random() * {WORKERS})::int AS w, random() AS r
              FROM generate_series(1, {n}) AS g) s
        JOIN casework_person p ON p.id = s.pid
        """,
        {"workers": workers, "subsidies": subsidies, "first": FIRST_DAY, "modes": list(Mode.values)},
    )


def _requests(cursor) -> None:  # type: ignore[no-untyped-def]
    from maillage.taxonomy.queries import active_categories

    axes = {
        axis: list(active_categories(scheme).filter(level=2).values_list("pk", flat=True))
        for axis, scheme in (
            ("theme", "request-themes"),
            ("institution", "institution-concerned"),
            ("stage", "request-stage"),
        )
    }
    columns = ", ".join(f"(%({a})s::bigint[])[1 + floor(random() * {len(ids)})::int]" for a, ids in axes.items())
    insert = (
        "INSERT INTO casework_request (follow_up_id, organisation_id, date, theme_id, institution_id, stage_id, is_open)"
        f" SELECT f.id, f.organisation_id, f.date, {columns}, false FROM casework_followup f"
    )
    cursor.execute(insert, axes)  # one request per follow-up
    cursor.execute(insert + " WHERE random() < 0.4", axes)  # a second one for 40 %


def _activities(cursor, n_followups: int, centres: list[int], workers: list[int], subsidies: list[int]) -> None:  # type: ignore[no-untyped-def]
    """ACTIVITIES per centre, each with 1–2 level-1 themes, two workers and sessions over the ten years; each
    session has participants of a few sexes and age bands (the participants measure)."""
    from maillage.casework.models import ActivityKind, AgeBand
    from maillage.taxonomy.queries import active_categories

    tops = list(active_categories("request-themes").filter(level=1).values_list("pk", flat=True))
    sessions = min(520, max(4, n_followups // 4000))  # per activity: weekly at most
    cursor.execute(
        f"""
        INSERT INTO casework_activity (organisation_id, title, kind, description, partners, subsidy_id, created_at)
        SELECT c.id, 'Activity ' || c.i || '-' || a, (%(kinds)s::text[])[1 + a %% {len(ActivityKind.values)}], '', '',
               CASE WHEN random() < 0.7 THEN (%(subsidies)s::bigint[])[1 + floor(random() * {len(subsidies)})::int] END,
               TIMESTAMPTZ '2016-01-01 00:00:00+00'
        FROM unnest(%(centres)s::bigint[]) WITH ORDINALITY AS c (id, i), generate_series(0, {ACTIVITIES - 1}) AS a
        ORDER BY c.i, a
        """,
        {"kinds": list(ActivityKind.values), "subsidies": subsidies, "centres": centres},
    )
    cursor.execute(
        "INSERT INTO casework_activity_themes (activity_id, category_id)"
        " SELECT DISTINCT id, (%(tops)s::bigint[])[1 + floor(r2 * %(n)s)::int] FROM (SELECT a.id, k, random() AS r,"
        " random() AS r2 FROM casework_activity a, generate_series(1, 2) AS k) c WHERE k = 1 OR r < 0.5",
        {"tops": tops, "n": len(tops)},
    )
    cursor.execute(
        f"INSERT INTO casework_activity_workers (activity_id, user_id)"
        f" SELECT a.id, (%(workers)s::bigint[])[1 + c.i * {WORKERS} + k]"
        f" FROM casework_activity a JOIN unnest(%(centres)s::bigint[]) WITH ORDINALITY AS c (id, i)"
        f" ON c.id = a.organisation_id, generate_series(0, 1) AS k",
        {"workers": [0] * WORKERS + workers, "centres": centres},  # ordinality starts at 1
    )
    cursor.execute(
        f"INSERT INTO casework_activitysession (activity_id, organisation_id, date, duration)"
        f" SELECT a.id, a.organisation_id, %(first)s::date + floor(random() * {DAYS})::int,"
        f" (ARRAY[90, 120, 180])[1 + floor(random() * 3)::int]"
        f" FROM casework_activity a, generate_series(1, {sessions}) ORDER BY a.id",
        {"first": FIRST_DAY},
    )
    bands = list(AgeBand.values)
    # random() in the subquery's output, filtered outside: in a WHERE over a join PostgreSQL would evaluate it
    # once per row of the small side (pushed down to the unnest, then materialized).
    cursor.execute(
        "INSERT INTO casework_participation (session_id, sex, age_band, count)"
        " SELECT id, sex, band, 1 + floor(r2 * 8)::int FROM (SELECT s.id, x.sex, b.band, random() AS r, random() AS r2"
        " FROM casework_activitysession s, unnest(ARRAY['f', 'm', 'x', 'u']) AS x (sex),"
        " unnest(%(bands)s::text[]) AS b (band)) c WHERE r < CASE WHEN sex IN ('f', 'm') THEN 0.45 ELSE 0.05 END",
        {"bands": bands},
    )
    # The draw above leaves a session empty about once in 50,000: give it one participant, so that every
    # session has some (the check says so).
    cursor.execute(
        "INSERT INTO casework_participation (session_id, sex, age_band, count)"
        " SELECT s.id, 'f', %(band)s, 1 + floor(random() * 8)::int FROM casework_activitysession s"
        " WHERE NOT EXISTS (SELECT FROM casework_participation p WHERE p.session_id = s.id)",
        {"band": bands[0]},
    )


def _rows() -> dict[str, int]:
    centres, workers, subsidies = _centres()
    n_persons = max(ARGS.followups // 12, 1000)
    counts = {}
    with transaction.atomic(), connection.cursor() as cursor:
        _check_partitions(cursor)
        _empty_or_refuse(cursor)
        # The rows are consistent by construction: no foreign-key trigger per row (nor the import-identifier
        # trigger: every source_id is empty). Superuser only; this transaction only.
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SELECT setseed(%s)", [SEED])
        for name, step in (
            ("persons and case files", lambda: _persons(cursor, n_persons, centres, workers)),
            ("follow-ups", lambda: _followups(cursor, ARGS.followups, n_persons, workers, subsidies)),
            ("requests", lambda: _requests(cursor)),
            ("activities", lambda: _activities(cursor, ARGS.followups, centres, workers, subsidies)),
        ):
            started = time.monotonic()
            step()
            _log(f"{name}: {time.monotonic() - started:.1f} s")
        for table in ("casework_person", "casework_casefile", "casework_followup", "casework_request"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    started = time.monotonic()
    with connection.cursor() as cursor:
        for table in ("casework_person", "casework_casefile", "casework_followup", "casework_request"):
            cursor.execute(f"VACUUM ANALYZE {table}")
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
        for table in ("casework_activitysession", "casework_participation"):
            cursor.execute(f"ANALYZE {table}")
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
    _log(f"vacuum analyze: {time.monotonic() - started:.1f} s")
    return counts


def _rebuild_rollups() -> None:
    from maillage.casework import rollups, rollups_rebuild

    started = time.monotonic()
    if ARGS.rollups == "postgresql":
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rebuild_rollups.py")
        subprocess.run([sys.executable, script], check=True, env={**os.environ, "MAILLAGE_ROLLUP_ENGINE": "postgresql"})
    else:
        rollups_rebuild.rebuild(engine="duckdb")
    _log(f"roll-ups ({ARGS.rollups}): {time.monotonic() - started:.1f} s, {rollups.cells_total()} cells")


if __name__ == "__main__":
    assert connection.vendor == "postgresql", "a PostgreSQL database of your own"
    begun = time.monotonic()
    call_command("migrate", verbosity=0)
    from maillage.casework.schemes import ensure_casework_schemes

    ensure_casework_schemes()
    _log(f"generating {ARGS.followups} follow-ups into {ARGS.database}")
    counts = _rows()
    _log(
        f"rows: {time.monotonic() - begun:.1f} s, "
        + ", ".join(f"{t.removeprefix('casework_')} {n}" for t, n in counts.items())
    )
    if ARGS.rollups != "none":
        _rebuild_rollups()
    if ARGS.check:
        from check import check  # bench/casework/check.py

        check()
    _log(f"done in {time.monotonic() - begun:.1f} s")
