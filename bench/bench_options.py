"""The options every bench takes, and what they set up, so that anyone can run a bench on a database of their own.

    --port N         PostgreSQL's port on 127.0.0.1 (user postgres, trust auth)  required
    --database NAME  the database the bench reads or fills                        required
    --output FILE    a file every printed line is appended to, after a heading with the UTC time, the commit
                     and the load average; never a file named RESULTS.md (the committed RESULTS.md is updated
                     by hand)
    --http-port N    for the benches that start gunicorn: where it listens (default: a free port, printed)

A script imports this module before Django (it puts the repository on sys.path), parses its arguments, and only
then calls `setup_django` (Django reads DATABASE_URL once, at setup): a missing option stops on argparse's
usage line, before anything is opened.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def database_url(port: int, database: str) -> str:
    return f"postgres://postgres@127.0.0.1:{port}/{database}"


def output_path(text: str) -> Path:
    """argparse type of --output: any file but a RESULTS.md (a run appending to it would mix with the reviewed
    record, and two runs at once would interleave)."""
    path = Path(text)
    if path.name.lower() == "results.md":
        raise argparse.ArgumentTypeError(f"{text}: not a RESULTS.md (give a file of your own, copy figures by hand)")
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a directory")
    return path


def add_database(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, required=True, help="PostgreSQL's port on 127.0.0.1")
    parser.add_argument("--database", required=True, help="the PostgreSQL database to use")


def add_output(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    what = "a file the figures are appended to" if required else "a file the timings are appended to (optional)"
    parser.add_argument("--output", type=output_path, required=required, help=f"{what}; never RESULTS.md")


def add_http_port(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--http-port",
        type=int,
        default=0,
        help="where the gunicorn it starts listens on 127.0.0.1 (default: a free port)",
    )


def add_options(parser: argparse.ArgumentParser, *, output: bool = True, http: bool = False) -> None:
    """--port and --database, --output (required unless output=False: then optional), --http-port if http."""
    add_database(parser)
    add_output(parser, required=output)
    if http:
        add_http_port(parser)


def setup_django(port: int, database: str) -> None:
    """Django on this database (DATABASE_URL is set whatever the environment held)."""
    os.environ["DATABASE_URL"] = database_url(port, database)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")
    import django

    django.setup()


def ensure_database(port: int, database: str) -> bool:
    """Create the database if missing (for the generators; through the `postgres` maintenance database); True
    if this call created it. An existing one is left as it is: the generator decides what it may empty."""
    import psycopg

    with psycopg.connect(database_url(port, "postgres"), autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{database}"')
    return not exists


def parse(parser: argparse.ArgumentParser, argv: list[str] | None = None) -> argparse.Namespace:
    """The arguments, then Django on --port/--database."""
    args = parser.parse_args(argv)
    setup_django(args.port, args.database)
    return args


def free_port() -> int:
    """A port nobody listens on now (the kernel's choice for port 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def http_port(chosen: int) -> int:
    """--http-port, or a free port (printed) when it is 0."""
    if chosen:
        return chosen
    port = free_port()
    print(f"gunicorn on 127.0.0.1:{port} (a free port; --http-port to choose)", flush=True)
    return port


def commit() -> str:
    found = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return found.stdout.strip() or "unknown"


def load() -> str:
    """The load average over 1, 5 and 15 minutes."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def stamp() -> str:
    return f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC, commit {commit()}, load {load()}"


class _Tee:
    """sys.stdout that also appends to the output file."""

    def __init__(self, screen: TextIO, file: TextIO) -> None:
        self.screen, self.file = screen, file

    def write(self, text: str) -> int:
        self.file.write(text)
        return self.screen.write(text)

    def flush(self) -> None:
        self.file.flush()
        self.screen.flush()

    def __getattr__(self, name: str) -> object:
        return getattr(self.screen, name)


@contextlib.contextmanager
def recording(output: Path | None, title: str) -> Iterator[None]:
    """Everything printed inside is appended to `output` too (when given), between a heading (the title, the UTC
    time, the commit, the load average and the command) and the load average at the end."""
    if output is None:
        yield
        return
    command = shlex.join([".venv/bin/python", os.path.relpath(sys.argv[0], ROOT), *sys.argv[1:]])
    with output.open("a", encoding="utf-8") as file:
        screen = sys.stdout
        sys.stdout = _Tee(screen, file)  # type: ignore[assignment]
        try:
            print(f"\n## {title}\n\n{stamp()}\n`{command}`\n", flush=True)
            yield
            print(f"\n(load at the end: {load()})", flush=True)
        finally:
            sys.stdout.flush()
            sys.stdout = screen
