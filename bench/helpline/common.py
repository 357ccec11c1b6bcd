"""Shared set-up of the helpline benchmarks: Django on the bench database, the line and its people."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import bench_options  # bench/ put on the path just above
from bench_options import ROOT  # noqa: F401 - the scripts' too


def setup_django(port: int, database: str) -> None:
    """Django on --port/--database (bench_options), with the helpline benches' defaults: no debug (no query log
    growing over a million rows), their own var directory."""
    os.environ.setdefault("MAILLAGE_DEBUG", "false")
    os.environ.setdefault("MAILLAGE_VAR_DIR", "/tmp/maillage-bench-helpline")
    bench_options.setup_django(port, database)


def measure_in_children(
    script: str, args: object, runs: Iterable[tuple[str, str]], columns: Callable[[dict], list[object]]
) -> list[str]:
    """Run each (way, target) in a fresh process of `script` (its peak memory is its own) and give one
    Markdown table row per run, the load average at its start in the last column."""
    lines = []
    for way, target in runs:
        command = [sys.executable, script, "--port", str(args.port), "--database", args.database]  # type: ignore[attr-defined]
        command += ["--output", str(args.output), "--child", way, target]  # type: ignore[attr-defined]
        load = Path("/proc/loadavg").read_text().split()[:3]
        result = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
        line = "| " + " | ".join(str(value) for value in [*columns(result), " ".join(load)]) + " |"
        print(line, flush=True)
        lines.append(line)
    return lines
