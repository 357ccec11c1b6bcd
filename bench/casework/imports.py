"""The case-work import at growing sizes: rows/s and peak memory of the persons and follow-ups imports (the
product's `imports.running._import`, reading, checking and writing), beside a raw PostgreSQL COPY of the same
follow-ups file into a bare table, and a COPY of the same follow-ups and requests into the product's own tables
(their indexes, keys and foreign-key checks: the floor the issue names); the seconds of each phase of the import.

    flock /tmp/bench.lock .venv/bin/python bench/casework/imports.py --port 5432 \
        --database maillage_bench_casework_imports --rows 10000 100000 --output /tmp/casework-imports.md

The database is created if missing and migrated; the category schemes are loaded and the roll-ups marked built
(as after the demo loader), so the import marks its centre for a recount as in production; that recount (which
the product runs as a task after the commit) is then timed apart, in the same rolled-back transaction
(`MAILLAGE_ROLLUP_ENGINE=postgresql` when the database is new: the DuckDB recount cannot read the empty tables).
Nothing else of it is touched.

Each size runs in a fresh process (its own peak RSS) inside one transaction that is rolled back at the end: the
centre, the persons and the follow-ups it writes are never kept. A follow-ups file of N rows names N/12 persons,
imported first from a persons file (timed apart). The deferred foreign-key checks a commit would run are forced
inside the timed part (SET CONSTRAINTS ALL IMMEDIATE). The peak RSS is read after the follow-ups import, before
the floor's COPYs (which hold the rows they copy). The files are written under --work (default
/tmp/maillage-bench-casework-imports), one pair per size, and reused.

`--persons N ...`: the persons import alone, files of N persons (a new centre: every person created), each size
in a fresh process, rolled back, beside two floors: a COPY of the same persons into the product's
`casework_person`, and a COPY of every row the import wrote (persons, case files, their workers, the audit
entries) into the product's tables; then, with `--reimport`, the same file imported again (every person
updated), timed apart. The peak RSS is read after the import(s), before the floors' COPYs.

    flock /tmp/bench.lock .venv/bin/python bench/casework/imports.py --port 5432 \
        --database maillage_bench_casework_imports --persons 10000 100000 --output /tmp/persons-imports.md
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PERSONS_HEADER = (
    "source_id,birth_year,sex,postal_code,household,children,income_source,nationality_group,language,opened_on"
)
FOLLOWUPS_HEADER = "source_id,person_source_id,date,mode,duration,theme,institution,stage,theme_2,institution_2,stage_2"
PER_PERSON = 12


def setup_django(port: int, database: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:{port}/{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")
    os.environ.setdefault("MAILLAGE_DEBUG", "false")
    os.environ.setdefault("MAILLAGE_VAR_DIR", "/tmp/maillage-bench-casework-imports")
    import django

    django.setup()


def ensure_database(port: int, database: str) -> None:
    import psycopg

    with psycopg.connect(f"postgres://postgres@127.0.0.1:{port}/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone():
            admin.execute(f'CREATE DATABASE "{database}"')


def prepare() -> None:
    """Migrations, the category schemes, the roll-ups marked built (empty: nothing to count)."""
    from django.core.management import call_command

    from maillage.casework import rollups, rollups_rebuild
    from maillage.casework.schemes import ensure_casework_schemes

    call_command("migrate", verbosity=0)
    ensure_casework_schemes()
    if rollups.built_state() is None:
        rollups_rebuild.rebuild()


def _person_fields(pick: random.Random, n: int, postal: list[str]) -> list[str]:
    """A persons file's row but its opening date."""
    return [
        f"P{n}",
        str(pick.randint(1940, 2005)),
        pick.choice(["f", "m", "x", ""]),
        pick.choice(postal),
        pick.choice(["single", "couple", "couple_children", ""]),
        str(pick.randint(0, 4)),
        pick.choice(["", "work", "integration"]),
        pick.choice(["", "be", "eu", "non_eu"]),
        pick.choice(["fr", "nl", "ar"]),
    ]


def files(rows: int, work: Path) -> tuple[Path, Path]:
    """A persons file (rows / 12 persons) and a follow-ups file of `rows` rows naming them (fixed seed)."""
    persons_path, followups_path = work / f"persons-{rows}.csv", work / f"followups-{rows}.csv"
    if persons_path.exists() and followups_path.exists():
        return persons_path, followups_path
    from maillage.core.models import PostalCode
    from maillage.taxonomy.queries import active_categories

    def codes(scheme: str) -> list[str]:
        return [c.code for c in active_categories(scheme) if c.level == 2]

    themes, institutions, stages = codes("request-themes"), codes("institution-concerned"), codes("request-stage")
    postal = [*PostalCode.objects.filter(commune__isnull=False).values_list("code", flat=True), ""]
    pick = random.Random(19)
    work.mkdir(parents=True, exist_ok=True)
    count = max(rows // PER_PERSON, 1)
    with open(persons_path, "w", encoding="utf-8", newline="") as file:
        file.write(PERSONS_HEADER + "\n")
        for n in range(count):
            file.write(",".join([*_person_fields(pick, n, postal), "2016-01-04"]) + "\n")
    first = date(2016, 2, 1)
    with open(followups_path, "w", encoding="utf-8", newline="") as file:
        file.write(FOLLOWUPS_HEADER + "\n")
        for n in range(rows):
            second = pick.random() < 0.4
            fields = [
                f"F{n}",
                f"P{pick.randrange(count)}",
                (first + timedelta(days=pick.randrange(3000))).isoformat(),
                pick.choice(["appointment", "phone", "walk_in"]),
                str(pick.randint(5, 90)),
                pick.choice(themes),
                pick.choice(["", *institutions]),
                pick.choice(["", *stages]),
                pick.choice(themes) if second else "",
                pick.choice(institutions) if second else "",
                "",
            ]
            file.write(",".join(fields) + "\n")
    return persons_path, followups_path


def persons_file(count: int, work: Path) -> Path:
    """A persons file of `count` persons (fixed seed; the persons file's columns and values as `files`)."""
    path = work / f"persons-only-{count}.csv"
    if path.exists():
        return path
    from maillage.core.models import PostalCode

    postal = [*PostalCode.objects.filter(commune__isnull=False).values_list("code", flat=True), ""]
    pick = random.Random(count)
    work.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as file:
        file.write(PERSONS_HEADER + "\n")
        for n in range(count):
            fields = _person_fields(pick, n, postal)
            fields.append((date(2016, 1, 4) + timedelta(days=pick.randrange(3000))).isoformat())
            file.write(",".join(fields) + "\n")
    return path


class _RollBackError(Exception):
    pass


def _timed_phases() -> dict[str, float]:
    """Seconds spent in each part of the import (reading, checking, the writes, the roll-ups' counts and their
    application), accumulated by wrapping the product's functions; reset before each run."""
    from maillage.casework.imports import running, staged

    phases: dict[str, float] = {}

    def timer(owner: object, name: str, phase: object) -> None:
        original = getattr(owner, name)

        def timed(*args: object, **kwargs: object) -> object:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                key = phase(*args) if callable(phase) else phase
                phases[key] = phases.get(key, 0.0) + time.perf_counter() - started

        setattr(owner, name, timed)

    timer(running, "read_rows", "read")
    timer(running.RowChecker, "check", "check")
    # The staged follow-ups import (PostgreSQL): each row's own check, the COPYs of the chunks, then in SQL the
    # centre's persons, case files and follow-ups found, the bad lines asked, the writes.
    timer(staged.Staging, "_checked", "rows checked (Python)")
    timer(staged.Staging, "flush", "rows sent (COPY)")
    timer(staged.Staging, "resolve", "resolve (SQL)")
    timer(staged.Staging, "write", "write (SQL)")
    # The staged persons import (PostgreSQL), where there is one (a checkout before it has none).
    persons = getattr(staged, "PersonsStaging", None)
    if persons is not None:
        timer(persons, "_checked", "rows checked (Python)")
        timer(persons, "flush", "rows sent (COPY)")
        timer(persons, "resolve", "resolve (SQL)")
        timer(persons, "write", "write (SQL)")
    else:
        from maillage.casework.imports import bulk

        timer(bulk, "write_persons", "write")
    return phases


def _dump(model: Any, shifts: dict[str, int], prefixed: set[str], where: str) -> tuple[str, bytes]:
    """A COPY of these rows of the model's table back into it (ids shifted, texts prefixed with C) and its data."""
    from django.db import connection

    columns = [field.column for field in model._meta.concrete_fields]
    values = [
        f"{column} + {shifts[column]}" if column in shifts else (f"'C' || {column}" if column in prefixed else column)
        for column in columns
    ]
    table = model._meta.db_table
    query = f"COPY (SELECT {', '.join(values)} FROM {table} WHERE {where}) TO STDOUT"
    with connection.cursor() as wrapper, wrapper.cursor.copy(query) as copy:
        data = b"".join(bytes(chunk) for chunk in copy)
    return f"COPY {table} ({', '.join(columns)}) FROM STDIN", data


def _copy_into_product_tables(organisation_id: int) -> float:
    """The floor: the follow-ups and requests the import wrote, copied again (new ids, source ids prefixed) into
    the product's own tables with their indexes, keys and deferred foreign-key checks; the seconds of the COPY."""
    from django.db import connection

    from maillage.casework.models import FollowUp, Request

    with connection.cursor() as wrapper:
        wrapper.execute("SELECT coalesce(max(id), 0) FROM casework_followup")
        followup_shift = wrapper.fetchone()[0]
        wrapper.execute("SELECT coalesce(max(id), 0) FROM casework_request")
        request_shift = wrapper.fetchone()[0]
    copies = [
        _dump(FollowUp, {"id": followup_shift}, {"source_id"}, f"organisation_id = {organisation_id}"),
        _dump(
            Request,
            {"id": request_shift, "follow_up_id": followup_shift},
            set(),
            f"organisation_id = {organisation_id}",
        ),
    ]
    with connection.cursor() as wrapper:
        # As the import: its identifiers checked in bulk, the trigger's per-row lock (past the lock table's size
        # at ~15,000 rows) not taken.
        wrapper.execute("SELECT set_config('maillage.source_ids_checked', %s, true)", [str(organisation_id)])
        started = time.perf_counter()
        for statement, data in copies:
            with wrapper.cursor.copy(statement) as copy:
                copy.write(data)
        wrapper.execute("SET CONSTRAINTS ALL IMMEDIATE")
        return time.perf_counter() - started


def _copy_persons_into_product_tables(organisation_id: int, audit_since: int) -> tuple[float, float]:
    """The persons import's floors: the persons it wrote copied again (new ids, references and source ids
    prefixed) into `casework_person`; then every row it wrote (persons, case files, their workers, its audit
    entries) into the product's tables. The seconds of each COPY, the deferred foreign-key checks included."""
    from django.db import connection

    from maillage.casework.models import CaseFile, Person
    from maillage.core.models import AuditEntry

    through = CaseFile.workers.through

    def shift(table: str) -> int:
        with connection.cursor() as wrapper:
            wrapper.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
            return wrapper.fetchone()[0]

    persons, case_files = shift("casework_person"), shift("casework_casefile")
    workers, entries = shift(through._meta.db_table), shift("core_auditentry")
    centre = f"organisation_id = {organisation_id}"
    person_copy = _dump(Person, {"id": persons}, {"reference", "source_id"}, centre)
    others = [
        _dump(CaseFile, {"id": case_files, "person_id": persons}, set(), centre),
        _dump(
            through,
            {"id": workers, "casefile_id": case_files},
            set(),
            f"casefile_id IN (SELECT id FROM casework_casefile WHERE {centre})",
        ),
        _dump(AuditEntry, {"id": entries}, set(), f"id > {audit_since} AND {centre}"),
    ]
    seconds = []
    with connection.cursor() as wrapper:
        wrapper.execute("SAVEPOINT bench_floor")
        for copies in ([person_copy], [person_copy, *others]):
            started = time.perf_counter()
            for statement, data in copies:
                with wrapper.cursor.copy(statement) as copy:
                    copy.write(data)
            wrapper.execute("SET CONSTRAINTS ALL IMMEDIATE")
            seconds.append(time.perf_counter() - started)
            wrapper.execute("ROLLBACK TO SAVEPOINT bench_floor")
    return seconds[0], seconds[1]


def _timed_import(centre: Any, actor: Any, kind: str, path: Path) -> tuple[float, Any]:
    """The product's import of this file for this centre and actor, and its seconds (the foreign-key checks a
    commit would run included)."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.db import connection

    from maillage.casework.imports import running
    from maillage.casework.models import ImportRun

    stored = default_storage.save(f"bench/{path.name}", ContentFile(path.read_bytes()))
    job = ImportRun.objects.create(
        organisation=centre,
        actor=actor,
        kind=kind,
        filename=path.name,
        stored_file=stored,
        status=ImportRun.Status.RUNNING,
    )
    report = running.Report()
    started = time.perf_counter()
    running._import(job, report)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the checks a commit would run
    seconds = time.perf_counter() - started
    default_storage.delete(stored)
    return seconds, report


def measure_persons(path: Path, reimport: bool) -> dict:
    """The persons import of this file into a new centre (and again, with `reimport`), rolled back."""
    from django.db import transaction

    from maillage.casework.imports import running
    from maillage.casework.models import ImportKind
    from maillage.core.models import AuditEntry, Membership, Organisation, User

    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result: dict = {}
    phases = _timed_phases()
    try:
        with transaction.atomic():
            centre = Organisation.objects.create(short_name="Bench import", name_fr="Bench import", sector="casg")
            actor = User.objects.create(email="bench-import@example.org", full_name="Bench import")
            Membership.objects.create(user=actor, organisation=centre, role="worker")
            since = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

            def run() -> tuple[float, running.Report]:
                return _timed_import(centre, actor, ImportKind.PERSONS, path)

            seconds, report = run()
            result = {
                "persons": report.total,
                "created": report.created,
                "errors": len(report.errors),
                "warnings": len(report.warnings),
                "seconds": round(seconds, 2),
                "phases": {name: round(s, 2) for name, s in phases.items()},
            }
            if reimport:
                phases.clear()
                again, second = run()
                result.update(
                    reimport_seconds=round(again, 2),
                    reimport_updated=second.updated,
                    reimport_per_s=round(second.total / again),
                    reimport_phases={name: round(s, 2) for name, s in phases.items()},
                )
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # before the floors, which hold their rows
            persons_copy, everything_copy = _copy_persons_into_product_tables(centre.pk, since)
            result.update(
                copy_seconds=round(persons_copy, 3),
                copy_all_seconds=round(everything_copy, 3),
                per_s=round(report.total / seconds),
                copy_ratio=round(seconds / persons_copy, 1),
                copy_all_ratio=round(seconds / everything_copy, 1),
                peak_rss_mb=round(peak / 1024, 1),
                growth_mb=round((peak - baseline) / 1024, 1),
            )
            raise _RollBackError
    except _RollBackError:
        pass
    return result


def persons_main(args: argparse.Namespace) -> None:
    import subprocess

    lines = [
        f"\n### Persons import {args.label}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, database {args.database}\n",
        (
            "| persons | s | persons/s | COPY into casework_person s | × that COPY | COPY of every row written s "
            "| × that COPY | peak RSS MB (growth) | phases s | re-import (all updated) s, persons/s "
            "| load average before → after |"
        ),
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for count in args.persons:
        path = persons_file(count, args.work)
        command = [sys.executable, __file__, "--port", str(args.port), "--database", args.database]
        command += ["--output", args.output, "--persons-child", str(path)]
        command += ["--reimport"] if args.reimport else []
        before = Path("/proc/loadavg").read_text().split()[0]
        r = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
        after = Path("/proc/loadavg").read_text().split()[0]
        if r["errors"] or r["created"] != count:
            raise SystemExit(f"the import did not create every person: {r}")
        values = [
            r["persons"], r["seconds"], r["per_s"], r["copy_seconds"], r["copy_ratio"], r["copy_all_seconds"],
            r["copy_all_ratio"], f"{r['peak_rss_mb']} ({r['growth_mb']})",
            ", ".join(f"{name} {seconds}" for name, seconds in r["phases"].items()),
            f"{r['reimport_seconds']}, {r['reimport_per_s']} ({', '.join(f'{n} {s}' for n, s in r['reimport_phases'].items())})"
            if "reimport_seconds" in r else "",
            f"{before} → {after}",
        ]  # fmt: skip
        line = "| " + " | ".join(str(value) for value in values) + " |"
        print(line, flush=True)
        lines.append(line)
    with open(args.output, "a", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")


def measure(persons_path: Path, followups_path: Path, rollups_kept: bool = True) -> dict:
    from django.db import connection, transaction

    from maillage.casework.imports import running
    from maillage.casework.models import ImportKind, RollupState
    from maillage.core.models import Membership, Organisation, User

    baseline = after_persons = after_followups = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result: dict = {}
    phases = _timed_phases()
    try:
        with transaction.atomic():
            if not rollups_kept:  # as on a database whose roll-ups are not built: the import keeps none
                RollupState.objects.all().delete()
            centre = Organisation.objects.create(short_name="Bench import", name_fr="Bench import", sector="casg")
            actor = User.objects.create(email="bench-import@example.org", full_name="Bench import")
            Membership.objects.create(user=actor, organisation=centre, role="worker")

            def run(kind: str, path: Path) -> tuple[float, running.Report]:
                return _timed_import(centre, actor, kind, path)

            persons_seconds, persons = run(ImportKind.PERSONS, persons_path)
            after_persons = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            phases.clear()
            followups_seconds, followups = run(ImportKind.FOLLOWUPS, followups_path)
            # Before the floor's COPYs below, which hold the rows they copy (~30 MB at 100,000 rows).
            after_followups = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            from maillage.casework import rollups_pending

            # The recount the import queues for after its commit (here: in the same rolled-back transaction).
            started = time.perf_counter()
            recounted = rollups_pending.recount(centre.pk) if rollups_kept else False
            recount_seconds = time.perf_counter() - started
            tables_seconds = _copy_into_product_tables(centre.pk)
            with connection.cursor() as wrapper:
                columns = ", ".join(f"{name} text" for name in FOLLOWUPS_HEADER.split(","))
                wrapper.execute(f"CREATE TEMP TABLE bench_followups ({columns}) ON COMMIT DROP")
                started = time.perf_counter()
                with (
                    open(followups_path, "rb") as file,
                    wrapper.cursor.copy("COPY bench_followups FROM STDIN (FORMAT csv, HEADER true)") as copy,
                ):
                    while data := file.read(1 << 16):
                        copy.write(data)
                floor_seconds = time.perf_counter() - started
            result = {
                "persons": persons.total,
                "persons_created": persons.created,
                "persons_warnings": len(persons.warnings),
                "persons_seconds": round(persons_seconds, 2),
                "rows": followups.total,
                "created": followups.created,
                "errors": len(followups.errors),
                "seconds": round(followups_seconds, 2),
                "copy_seconds": round(floor_seconds, 3),
                "copy_tables_seconds": round(tables_seconds, 3),
                "recount_seconds": round(recount_seconds, 2) if recounted else None,
                "phases": {name: round(seconds, 2) for name, seconds in phases.items()},
            }
            raise _RollBackError
    except _RollBackError:
        pass
    peak = after_followups  # the import's, not the floor's
    result.update(
        persons_per_s=round(result["persons"] / result["persons_seconds"]),
        rows_per_s=round(result["rows"] / result["seconds"]),
        copy_ratio=round(result["seconds"] / result["copy_seconds"], 1),
        tables_ratio=round(result["seconds"] / result["copy_tables_seconds"], 1),
        peak_rss_mb=round(peak / 1024, 1),
        growth_mb=round((peak - baseline) / 1024, 1),
        followups_growth_mb=round((after_followups - after_persons) / 1024, 1),  # the follow-ups import's own
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--output", required=True, help="a Markdown file the results are appended to")
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--label", default="", help="named in the table (e.g. the commit measured)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/maillage-bench-casework-imports"))
    parser.add_argument(
        "--without-rollups", action="store_true", help="the import keeps no roll-ups (not built; rolled back)"
    )
    parser.add_argument("--persons", type=int, nargs="+", help="the persons import alone, files of these sizes")
    parser.add_argument("--reimport", action="store_true", help="with --persons: the same file again, timed apart")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--persons-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.persons_child:
        setup_django(args.port, args.database)
        print(json.dumps(measure_persons(Path(args.persons_child), args.reimport)))
        return
    if args.child:
        setup_django(args.port, args.database)
        print(json.dumps(measure(Path(args.child[0]), Path(args.child[1]), not args.without_rollups)))
        return
    ensure_database(args.port, args.database)
    setup_django(args.port, args.database)
    prepare()
    if args.persons:
        persons_main(args)
        return
    import subprocess

    lines = [
        f"\n### Case-work import {args.label}{' (roll-ups not kept)' if args.without_rollups else ''}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, database {args.database}\n",
        (
            "| follow-up rows | persons | persons/s | follow-ups s | follow-ups rows/s | COPY s | × COPY "
            "| COPY into the product's tables s | × that COPY | peak RSS MB | growth MB (follow-ups import's own) "
            "| load average before → after "
            "| phases s | centre's roll-ups recounted after, s |"
        ),
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for rows in args.rows:
        persons_path, followups_path = files(rows, args.work)
        command = [sys.executable, __file__, "--port", str(args.port), "--database", args.database]
        command += ["--output", args.output, "--child", str(persons_path), str(followups_path)]
        command += ["--without-rollups"] if args.without_rollups else []
        before = Path("/proc/loadavg").read_text().split()[0]
        r = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
        after = Path("/proc/loadavg").read_text().split()[0]
        if r["errors"] or r["created"] != rows:
            raise SystemExit(f"the import did not create every row: {r}")
        values = [
            r["rows"], f"{r['persons']} ({r['persons_created']} created)", r["persons_per_s"], r["seconds"],
            r["rows_per_s"], r["copy_seconds"], r["copy_ratio"], r["copy_tables_seconds"], r["tables_ratio"],
            r["peak_rss_mb"], f"{r['growth_mb']} ({r['followups_growth_mb']})", f"{before} → {after}",
            ", ".join(f"{name} {seconds}" for name, seconds in r["phases"].items()), r["recount_seconds"],
        ]  # fmt: skip
        line = "| " + " | ".join(str(value) for value in values) + " |"
        print(line, flush=True)
        lines.append(line)
    with open(args.output, "a", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
