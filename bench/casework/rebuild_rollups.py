"""Rebuild the statistics roll-ups of a bench database after a bulk load.

DATABASE_URL=postgres://postgres@127.0.0.1:5432/maillage_bench_casework .venv/bin/python bench/casework/rebuild_rollups.py
(no writer may run meanwhile: the bench databases have none)

With MAILLAGE_ROLLUP_ENGINE=duckdb (the product's default) one `rollups_rebuild.rebuild()`: DuckDB uses every
core itself; ROLLUP_KINDS=13,14,15 counts only these kinds (the others kept) and declares them built. With MAILLAGE_ROLLUP_ENGINE=postgresql the kinds are split over two connections (one core each).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")

import logging

import django

django.setup()
logging.getLogger("maillage.casework.rollups_rebuild").setLevel(
    logging.DEBUG if os.environ.get("ROLLUP_DEBUG") else logging.INFO
)
logging.getLogger("maillage.casework.rollups_rebuild").addHandler(logging.StreamHandler(sys.stdout))

from django.conf import settings  # noqa: E402

from maillage.casework import rollups, rollups_rebuild  # noqa: E402
from maillage.casework.models import RollupState  # noqa: E402

# By-code cells for these axes only (e.g. ROLLUP_AXES=theme); the others are read from the rows.
AXES = os.environ["ROLLUP_AXES"].split(",") if os.environ.get("ROLLUP_AXES") else None

if __name__ == "__main__":
    if len(sys.argv) > 1:  # a worker: these kinds only
        kinds = [int(k) for k in sys.argv[1].split(",")]
        rollups_rebuild.rebuild(kinds=kinds, mark_built=False, work_mem="512MB", axes=AXES)
        sys.exit(0)
    started = time.monotonic()
    if settings.MAILLAGE_ROLLUP_ENGINE == "duckdb":
        if os.environ.get("ROLLUP_KINDS"):  # these kinds only (DuckDB uses both cores: one part), then built
            some = sorted({int(kind) for part in os.environ["ROLLUP_KINDS"].split("/") for kind in part.split(",")})
            rollups_rebuild.rebuild(kinds=some, axes=AXES)
            print(f"kinds {some} counted in {time.monotonic() - started:.0f} s", flush=True)
        else:
            rollups_rebuild.rebuild(axes=AXES)
        print(f"roll-ups rebuilt in {time.monotonic() - started:.0f} s: {rollups.cells_total()} cells", flush=True)
        sys.exit(0)
    # About half the work each (1M follow-ups, load 3-6: kinds 1, 2, 5, 8 took 5.5 min, the others 10 min; 9 and
    # 10 took 1.5 min of those).
    first = [
        rollups.REQUESTS,
        rollups.FOLLOWUPS,
        rollups.FOLLOWUPS_BY_CODE,
        rollups.REQUESTS_YEAR_PAIRS,
        rollups.FOLLOWUPS_YEAR_PAIRS,
        rollups.FOLLOWUPS_BY_CODE_PAIRS,
    ]
    parts = [",".join(map(str, first)), ",".join(str(kind) for kind in rollups.KINDS if kind not in first)]
    # Only these kinds (e.g. ROLLUP_KINDS=8,9/10,11,12 after adding them: one connection per part), the
    # others kept; they are read once all are rebuilt.
    partial = bool(os.environ.get("ROLLUP_KINDS"))
    if partial:
        parts = os.environ["ROLLUP_KINDS"].split("/")
    else:
        RollupState.objects.all().delete()
    workers = [subprocess.Popen([sys.executable, __file__, part]) for part in parts]
    codes = [worker.wait() for worker in workers]
    assert set(codes) == {0}, codes
    if partial:
        rollups_rebuild.add_built(int(kind) for part in parts for kind in part.split(","))
    else:
        rollups_rebuild.mark_built(AXES)
    print(f"roll-ups rebuilt in {time.monotonic() - started:.0f} s: {rollups.cells_total()} cells", flush=True)
