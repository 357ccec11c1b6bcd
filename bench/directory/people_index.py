"""The people index (maillage/directory/search/people_index.py): how long a process takes to build it, and to
follow one change to a worker's card (read again: the workers of its service, and the name order). The change
is made in a transaction rolled back at the end: the database is left as it was.

    flock /tmp/bench.lock .venv/bin/python bench/directory/people_index.py --port 5432 \\
        --database maillage_bench_directory --output /tmp/people_index.txt --repeat 5

Every printed line is appended to --output.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import bench_options

os.environ.setdefault("MAILLAGE_DEBUG", "false")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench_options.add_options(parser)
    parser.add_argument("--repeat", type=int, default=5)
    return parser.parse_args()


ARGS = _arguments()
bench_options.setup_django(ARGS.port, ARGS.database)

from django.db import transaction  # noqa: E402

from maillage.directory.models import Worker  # noqa: E402
from maillage.directory.search import people_index  # noqa: E402
from maillage.directory.search.generation import current_generation  # noqa: E402
from maillage.directory.search.people_index import PeopleIndex, current_people_index  # noqa: E402


class RollbackError(Exception):
    """Leaves the bench database as it was."""


def main(args: argparse.Namespace) -> None:
    builds, follows = [], []
    for _ in range(args.repeat):
        started = time.perf_counter()
        index = PeopleIndex.build(current_generation())
        builds.append((time.perf_counter() - started) * 1000)
    people_index._KEPT.index = index
    workers = len(index.service_of)
    tokens = len(index.by_token)
    for pk in list(index.service_of)[: args.repeat]:
        try:
            with transaction.atomic():
                worker = Worker.objects.get(pk=pk)
                worker.languages = (worker.languages + " de").strip()
                worker.save()
                started = time.perf_counter()
                followed = current_people_index()
                follows.append((time.perf_counter() - started) * 1000)
                assert followed is not index
                assert "l:de" in followed.tokens_of[pk]
                raise RollbackError
        except RollbackError:
            people_index._KEPT.index = index
    print(
        f"people index: {workers} listed workers, {tokens} tokens; build median {statistics.median(builds):.0f} ms "
        f"(max {max(builds):.0f}); following one card's change median {statistics.median(follows):.1f} ms "
        f"(max {max(follows):.1f})"
    )


if __name__ == "__main__":
    with bench_options.recording(ARGS.output, f"directory people_index.py, database {ARGS.database}"):
        main(ARGS)
