"""Time the taxonomy operations at a few sizes, on a throw-away database.

    flock /tmp/bench.lock .venv/bin/python bench/taxonomy/run.py --port 5432 --database maillage_bench_taxonomy \
        --output /tmp/taxonomy.md [--sizes 45,1000,5000] [--repeat 5]

Creates the database --database itself (refused if it exists: an existing database is never touched), migrates
it, runs the scenarios, prints a Markdown table (appended to --output with the time, commit and load) and drops
the database it created.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import bench_options


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench_options.add_options(parser)
    parser.add_argument("--sizes", default="45,1000,5000")
    parser.add_argument("--repeat", type=int, default=5)
    return parser.parse_args()


ARGS = _arguments()
bench_options.setup_django(ARGS.port, ARGS.database)

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from maillage.taxonomy import queries, services  # noqa: E402
from maillage.taxonomy.csv_format import parse_categories  # noqa: E402
from maillage.taxonomy.models import Scheme  # noqa: E402


def make_csv(size: int) -> str:
    """`size` categories: one level-1 per ten, nine level-2 under each."""
    lines = ["code,parent_code,label_fr,label_nl,label_en,description,active"]
    top = ""
    for n in range(size):
        if n % 10 == 0:
            top = f"T{n:05}"
            lines.append(f"{top},,Thème {n} alimentaire,Thema {n} voedsel,Theme {n} food,,yes")
        else:
            lines.append(f"{top}.S{n:05},{top},Sous-thème {n} épicerie,Subthema {n} kruidenier,Sub-theme {n},,yes")
    return "\n".join(lines) + "\n"


def timed(function: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Median wall time in milliseconds over `repeat` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def scenario(size: int, repeat: int) -> list[tuple[str, float]]:
    text = make_csv(size)
    scheme = Scheme.objects.create(code=f"bench-{size}", label_fr="Banc", label_nl="Bank")
    rows: list[tuple[str, float]] = []
    parse_ms, _ = timed(lambda: parse_categories(text), repeat)
    rows.append(("parse CSV", parse_ms))
    draft = services.create_draft(None, scheme)
    import_ms, parsed = timed(lambda: services.import_categories_csv(None, draft, text), repeat)
    assert not parsed.errors  # type: ignore[union-attr]
    rows.append(("import CSV into a draft (replace)", import_ms))
    services.publish_version(None, draft)
    export_ms, _ = timed(lambda: services.export_categories_csv(draft), repeat)
    rows.append(("export CSV", export_ms))
    versions = [draft]
    copy_times = []
    for _ in range(4):  # five versions in a chain, each a copy of the one before
        start = time.perf_counter()
        version = services.create_draft(None, scheme)
        copy_times.append((time.perf_counter() - start) * 1000)
        services.publish_version(None, version)
        versions.append(version)
    rows.append(("create draft (copy + same-code mappings)", statistics.median(copy_times)))
    tree_ms, _ = timed(lambda: queries.version_tree(versions[-1]), repeat)
    rows.append(("version tree (one query)", tree_ms))
    search_ms, _ = timed(lambda: queries.search_categories(scheme.code, "kruidenier 5"), repeat)
    rows.append(("search_categories (one call)", search_ms))
    mapping_ms, mapping = timed(lambda: queries.mapping_between(versions[0], versions[-1]), repeat)
    assert len(mapping) == size  # type: ignore[arg-type]
    rows.append(("mapping_between across 5 versions", mapping_ms))
    return rows


def main(args: argparse.Namespace) -> None:
    sizes = [int(size) for size in args.sizes.split(",")]
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    # Django's test-database machinery creates (and at the end drops) exactly --database: no "test_" prefix.
    connection.settings_dict["TEST"]["NAME"] = test_name = args.database
    with connection._nodb_cursor() as cursor:  # never drop a database this run did not create
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [test_name])
        exists = cursor.fetchone() is not None
    if exists:
        sys.exit(f"database {test_name} already exists: not touched (drop it yourself, or another --database)")
    connection.creation.create_test_db(verbosity=0, autoclobber=False)
    try:
        results = {size: scenario(size, args.repeat) for size in sizes}
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(f"| operation (median ms, {connection.vendor}) | " + " | ".join(f"{s} categories" for s in sizes) + " |")
    print("|---|" + "---:|" * len(sizes))
    for index, (label, _ms) in enumerate(results[sizes[0]]):
        print(f"| {label} | " + " | ".join(f"{results[s][index][1]:.1f}" for s in sizes) + " |")


if __name__ == "__main__":
    with bench_options.recording(ARGS.output, f"taxonomy run.py, sizes {ARGS.sizes}, repeat {ARGS.repeat}"):
        main(ARGS)
