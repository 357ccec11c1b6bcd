"""The recount an import queues for its centre after its commit (`rollups_pending.count_cells`): one centre's
roll-up cells deleted and counted again from its rows, timed on a database of any size, then rolled back.

    flock /tmp/bench.lock .venv/bin/python bench/casework/recount_centre.py --port 5432 \
        --database maillage_bench_5m --output /tmp/recount.md

Nothing is kept: the recount runs in a transaction rolled back at the end, after checking that it gave exactly
the cells the database held (the cells are compared both ways, EXCEPT). The database is not migrated (its
schema is used as it is); the centre is the one with the most follow-ups unless --organisation names one.
While it runs, the centre's writers wait (its advisory lock, held exclusive as by the product's recount).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


class _RollBackError(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--output", required=True, help="a Markdown file the result line is appended to")
    parser.add_argument("--organisation", type=int, default=None)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:{args.port}/{args.database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")
    os.environ.setdefault("MAILLAGE_DEBUG", "false")
    import django

    django.setup()
    from django.db import connection, transaction

    from maillage.casework import rollups, rollups_pending

    state = rollups.built_state()
    if state is None:
        raise SystemExit("the roll-ups of this database are not built")
    with connection.cursor() as cursor:
        if args.organisation is None:
            cursor.execute(
                "SELECT organisation_id, count(*) FROM casework_followup GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1"
            )
        else:
            cursor.execute(
                "SELECT %s, count(*) FROM casework_followup WHERE organisation_id = %s",
                [args.organisation, args.organisation],
            )
        organisation, follow_ups = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM casework_request WHERE organisation_id = %s", [organisation])
        requests = cursor.fetchone()[0]
    load = Path("/proc/loadavg").read_text().split()[0]
    result: dict[str, Any] = {}
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMPORARY TABLE recount_before ON COMMIT DROP AS"
                " SELECT kind, gset, period, a, b, n FROM casework_statcell WHERE organisation_id = %s AND n <> 0",
                [organisation],
            )
            started = time.perf_counter()
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s::integer, %s::integer)",
                [rollups_pending.LOCK_SPACE, organisation % 2**31],
            )
            moments: dict[str, float] = {}
            rollups_pending.count_cells(
                cursor,
                organisation,
                state,
                rows_read=lambda: moments.setdefault("read", time.perf_counter()),
                before_writing=lambda: moments.setdefault("counted", time.perf_counter()),
            )
            ended = time.perf_counter()
            result["seconds"] = round(ended - started, 1)
            # The product's recount holds the centre's lock while it reads and while it writes, not while it counts.
            result["phases"] = (
                f"read {moments['read'] - started:.1f} (locked), count {moments['counted'] - moments['read']:.1f},"
                f" write {ended - moments['counted']:.1f} (locked)"
            )
            after = "SELECT kind, gset, period, a, b, n FROM casework_statcell WHERE organisation_id = %s AND n <> 0"
            cursor.execute(f"SELECT count(*) FROM ({after}) a", [organisation])
            result["cells"] = cursor.fetchone()[0]
            cursor.execute(f"SELECT count(*) FROM (SELECT * FROM recount_before EXCEPT {after}) d", [organisation])
            missing = cursor.fetchone()[0]
            cursor.execute(f"SELECT count(*) FROM ({after} EXCEPT SELECT * FROM recount_before) d", [organisation])
            extra = cursor.fetchone()[0]
            result["identical"] = missing == 0 and extra == 0
            raise _RollBackError
    except _RollBackError:
        pass
    after_load = Path("/proc/loadavg").read_text().split()[0]
    line = (
        f"| {args.database} | {organisation} | {follow_ups:,} | {requests:,} | kinds {len(state.kinds)} "
        f"| {result['seconds']} | {result['phases']} | {result['cells']:,} | {'yes' if result['identical'] else 'NO'} "
        f"| {load} → {after_load} | {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} |"
    )
    print(line, flush=True)
    with open(args.output, "a", encoding="utf-8") as file:
        file.write(line + "\n")


if __name__ == "__main__":
    main()
