"""What the case-work benches share: their arguments and database, a printer that also appends every line to --output,
and the bench's centres."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable


def bench_parser(
    doc: str | None, output: str = "a text file every printed line is appended to"
) -> argparse.ArgumentParser:
    """The arguments every case-work bench takes: its database (port and name) and the file its lines go to."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--output", required=True, help=output)
    return parser


def use_database(port: int | None = None, database: str | None = None) -> None:
    """Django set up on the bench's database (when given), the repository importable: before any model import."""
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")
    if port is not None:
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:{port}/{database}"
    import django

    django.setup()


def printer(path: str) -> Callable[[str], None]:
    """Print a line and append it to `path` at once (a partial run keeps what it measured)."""
    output = open(path, "a", encoding="utf-8")  # noqa: SIM115 - open for the whole run

    def say(line: str) -> None:
        print(line, flush=True)
        output.write(line + "\n")
        output.flush()

    return say


def bench_centres() -> list[int]:
    """The generator's centres, in name order (after django.setup())."""
    from maillage.core.models import Organisation

    return list(
        Organisation.objects.filter(short_name__startswith="Bench").order_by("short_name").values_list("pk", flat=True)
    )
