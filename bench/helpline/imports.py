"""The journal import at growing sizes: rows/s and peak memory of reading, checking and writing a journal,
before and after issue 19, beside a raw PostgreSQL COPY of the same file (the floor).

    flock /tmp/bench.lock .venv/bin/python bench/helpline/imports.py --port 5432 \
        --database maillage_bench_helpline --rows 10000 100000 --output /tmp/imports.md

Ways: `floor` = COPY of the file into a temporary text table; `tables` = COPY of the very rows the product
writes (its calls, requests and callbacks, taken from an untimed staged import that is then rolled back to a
savepoint) into the product's tables, with their indexes and the commit's key checks — the floor any import
into these tables pays, the "COPY of the same rows" the ratio is taken against; `tables-replica` = the same
COPY in replica role (no per-row foreign-key trigger, the ENABLE ALWAYS ones fire): the floor of the method the
product now uses (its keys checked set-based first, core/bulk_keys.py); `staged` = the product on PostgreSQL
(importer_staging: the file streamed into a temporary table, calls grouped and checked in SQL, INSERT …
SELECT); `python` = the product's Python path (SQLite's: the whole file in memory, checked call by call with
lookups made once per file, written by COPY); `before` = the importer at 90652a0 (read from git).

Each measure runs in a fresh process (its own peak RSS) inside one transaction that is rolled back at the
end: the calls it writes, and the organisation it writes them for, are never kept. The deferred foreign-key
checks a commit would run are forced inside the timed part (SET CONSTRAINTS ALL IMMEDIATE), so a way is not
faster for leaving them to a commit that never comes. The journal files are written under --work (default
/tmp/maillage-bench-imports), one per size, and reused.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
import types
from datetime import datetime, timedelta
from pathlib import Path

from common import ROOT, bench_options, measure_in_children, setup_django

BEFORE = "90652a0"  # the last commit with the call-by-call checking
HEADER = "call_id,started_at,duration_minutes,language,caller_sex,postal_code,caller_type,heard_via,urgency,category,action,note,comment"


def journal_file(rows: int, work: Path) -> Path:
    """A journal of about `rows` rows: 1 to 3 requests per call, real categories and postal codes (fixed seed)."""
    path = work / f"journal-{rows}.csv"
    if path.exists():
        return path
    from maillage.core.models import PostalCode
    from maillage.taxonomy.queries import active_categories

    categories = [c.code for c in active_categories("request-themes") if c.level == 2]
    codes = [*list(PostalCode.objects.values_list("code", flat=True)), "4000", ""]
    pick = random.Random(19)
    start = datetime(2021, 1, 4, 8, 0)
    step = 7 if rows <= 200_000 else 2  # minutes between calls: a million rows still end in the past
    work.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as file:
        file.write(HEADER + "\n")
        written, call = 0, 0
        while written < rows:
            call += 1
            at = start + timedelta(minutes=step * call)
            fields = [
                f"{at:%Y-%m-%d %H:%M}",
                str(pick.randint(1, 40)),
                pick.choice(["fr", "fr", "fr", "nl", "en"]),
                pick.choice(["woman", "man", "unknown"]),
                pick.choice(codes),
                pick.choice(["concerned", "relative", "professional"]),
                pick.choice(["", "media", "poster"]),
                pick.choice(["low", "medium", "high"]),
            ]
            for position in range(pick.choice([1, 1, 1, 2, 3])):
                action = pick.choice(["information", "referral", "callback", "nothing"])
                comment = "appel calme" if position == 0 else ""
                file.write(",".join([f"C{call}", *fields, pick.choice(categories), action, "", comment]) + "\n")
                written += 1
    return path


def _importer(way: str):  # type: ignore[no-untyped-def]
    if way == "python":
        from maillage.helpline import importer

        return importer
    source = subprocess.run(
        ["git", "show", f"{BEFORE}:maillage/helpline/importer.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    module = types.ModuleType("before_issue_19_importer")
    sys.modules[module.__name__] = module
    exec(compile(source, module.__name__, "exec"), module.__dict__)  # our own code, from git
    return module


class _RollBackError(Exception):
    pass


def _copy_into_tables(organisation, path: Path, replica: bool = False) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    """COPY the rows the product writes for `path` into the product's tables (timed by the caller from before
    the untimed part returns: the clock restarts here), in replica role if `replica` (no per-row RI check; the
    ALWAYS triggers fire). Returns (rows, calls, errors)."""
    from django.db import connection, transaction

    from maillage.helpline import importer
    from maillage.helpline.importer_staging import Staging
    from maillage.helpline.models import Call, Callback, Request

    tables = [Call._meta.db_table, Request._meta.db_table, Callback._meta.db_table]
    dumps: dict[str, bytes] = {}
    point = transaction.savepoint()
    with open(path, "rb") as file, Staging(organisation) as staging:
        rows = staging.load(importer.open_journal(path.name, file))
        calls, _requests = staging.write()
    with connection.cursor() as wrapper:
        for table in tables:
            buffer = bytearray()
            query = f"COPY (SELECT * FROM {table} WHERE organisation_id = {organisation.pk}) TO STDOUT"
            with wrapper.cursor.copy(query) as copy:
                for data in copy:
                    buffer += data
            dumps[table] = bytes(buffer)
    transaction.savepoint_rollback(point)
    measure.restart = time.perf_counter()  # type: ignore[attr-defined]
    with connection.cursor() as wrapper:
        if replica:
            wrapper.execute("SET LOCAL session_replication_role = replica")
        for table in tables:
            with wrapper.cursor.copy(f"COPY {table} FROM STDIN") as copy:
                copy.write(dumps[table])
        wrapper.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the checks a commit would run
    return rows, calls, 0


def measure(way: str, path: Path, port: int, database: str) -> dict:
    setup_django(port, database)
    from django.db import connection, transaction

    from maillage.core.models import Organisation

    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result: dict = {}
    try:
        with transaction.atomic():
            organisation = Organisation.objects.create(short_name="Bench import", name_fr="Bench import")
            phases: dict[str, float] = {}
            started = time.perf_counter()
            if way in ("tables", "tables-replica"):
                rows, calls, errors = _copy_into_tables(organisation, path, replica=way == "tables-replica")
            elif way == "floor":
                with connection.cursor() as wrapper:
                    columns = ", ".join(f"{name} text" for name in HEADER.split(","))
                    wrapper.execute(f"CREATE TEMP TABLE bench_journal ({columns}) ON COMMIT DROP")
                    with (
                        open(path, "rb") as file,
                        wrapper.cursor.copy("COPY bench_journal FROM STDIN (FORMAT csv, HEADER true)") as copy,
                    ):
                        while data := file.read(1 << 16):
                            copy.write(data)
                    wrapper.execute("SELECT count(*) FROM bench_journal")
                    rows, calls, errors = wrapper.fetchone()[0], 0, 0
            elif way == "staged":
                from maillage.helpline import importer
                from maillage.helpline.importer_staging import Staging

                with open(path, "rb") as file, Staging(organisation) as staging:
                    rows = staging.load(importer.open_journal(path.name, file))
                    phases["read+check+group"] = time.perf_counter()
                    errors = len(staging.problems(importer.MAX_REPORTED))
                    phases["report"] = time.perf_counter()
                    calls, _requests = staging.write()
                    phases["write"] = time.perf_counter()
            else:
                importer = _importer(way)
                with open(path, "rb") as file:
                    journal = importer.read_journal(path.name, file)
                phases["read"] = time.perf_counter()
                good, found = importer.validate(organisation, journal.rows)
                phases["check"] = time.perf_counter()
                calls, _requests = importer.write(organisation, good)
                phases["write"] = time.perf_counter()
                rows, errors = len(journal.rows), len(found)
            if way not in ("floor", "tables", "tables-replica"):
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the checks a commit would run
                phases["fk checks"] = time.perf_counter()
            started = getattr(measure, "restart", started)  # `tables`: only its COPY is timed
            seconds = time.perf_counter() - started
            marks = [started, *phases.values()]
            split = " / ".join(
                f"{name} {end - begin:.2f}" for name, begin, end in zip(phases, marks, marks[1:], strict=False)
            )
            result = {
                "way": way,
                "rows": rows,
                "calls": calls,
                "errors": errors,
                "seconds": round(seconds, 2),
                "phases": split,
            }
            raise _RollBackError
    except _RollBackError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result.update(
        rows_per_s=round(result["rows"] / result["seconds"]),
        peak_rss_mb=round(peak / 1024, 1),
        growth_mb=round((peak - baseline) / 1024, 1),
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench_options.add_options(parser)
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--ways", nargs="+", default=["floor", "tables", "staged", "python", "before"])
    parser.add_argument("--work", type=Path, default=Path("/tmp/maillage-bench-imports"))
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child[0], Path(args.child[1]), args.port, args.database)))
        return
    setup_django(args.port, args.database)
    lines = [
        f"\n### Journal import, {bench_options.stamp()}, database {args.database}\n",
        "| way | rows | calls | errors | seconds | rows/s | peak RSS MB | growth MB | phases (s) | load average |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    runs = [(way, str(journal_file(rows, args.work))) for rows in args.rows for way in args.ways]
    lines += measure_in_children(
        __file__,
        args,
        runs,
        lambda r: [
            r["way"],
            r["rows"],
            r["calls"],
            r["errors"],
            r["seconds"],
            r["rows_per_s"],
            r["peak_rss_mb"],
            r["growth_mb"],
            r["phases"],
        ],
    )
    with open(args.output, "a", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
