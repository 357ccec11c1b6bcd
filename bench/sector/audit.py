"""The cost of the disclosure engine per table size: protect() (primary, secondary, LP checks) and audit().

Random sector-like tables (many small counts, some large), rows × columns from 5×5 to 30×12, three seeds each;
the median times are printed with the load average, and appended to the file given by --output (a file of
its own: the committed RESULTS.md is updated by hand). Run by hand, never in CI:

    flock /tmp/bench.lock .venv/bin/python bench/sector/audit.py --output /tmp/audit.md

It computes in memory and touches no database: it takes no --port/--database.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import bench_options


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench_options.add_output(parser)
    return parser.parse_args()


ARGS = _arguments()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")  # for the engine's imports; no database read

import django  # noqa: E402

django.setup()

from maillage.stats import disclosure  # noqa: E402

SIZES = [(5, 5), (10, 5), (10, 10), (20, 10), (30, 12)]
SEEDS = (1, 2, 3)
MARK = "## Suppression audit per table size (bench/sector/audit.py)"


def table(rows: int, cols: int, seed: int) -> dict[tuple[str, str], int]:
    rng = random.Random(seed)
    weights = [0.25, 0.25, 0.2, 0.2, 0.1]  # zero, 1..4, 5..20, 20..100, 100..500
    out = {}
    for r in range(rows):
        for c in range(cols):
            band = rng.choices(range(5), weights)[0]
            out[(f"r{r:02d}", f"c{c:02d}")] = [
                0,
                rng.randint(1, 4),
                rng.randint(5, 20),
                rng.randint(20, 100),
                rng.randint(100, 500),
            ][band]
    return out


def main(output: Path) -> None:
    rule = disclosure.Rule(k=5)
    lines = [
        MARK,
        "",
        f"{bench_options.stamp()}.",
        (
            f"Load average before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} "
            f"(2 cores shared). k = 5, protection ±5; median of {len(SEEDS)} random tables per size "
            "(25% zeros, 25% 1..4, the rest 5..500)."
        ),
        "",
        "| rows × cols | cells with margins | hidden (<5 + x) | protect() s | audit() s | LPs in audit |",
        "|---|---|---|---|---|---|",
    ]
    for rows, cols in SIZES:
        protect_times, audit_times, hidden, primary = [], [], [], []
        for seed in SEEDS:
            cells = table(rows, cols, seed)
            start = time.perf_counter()
            protected = disclosure.protect(cells, dims=["r", "c"], rule=rule, check=False)
            protect_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            intervals = disclosure.audit(protected, rule)
            audit_times.append(time.perf_counter() - start)
            hidden.append(len(intervals))
            primary.append(sum(1 for key in protected.hidden_cells if protected.kind(key) == disclosure.SMALL))
        n = (rows + 1) * (cols + 1)
        line = (
            f"| {rows} × {cols} | {n} | {statistics.median(primary):.0f} + "
            f"{statistics.median(hidden) - statistics.median(primary):.0f} | {statistics.median(protect_times):.2f} | "
            f"{statistics.median(audit_times):.2f} | "
            f"{2 * statistics.median(hidden) + 2 * statistics.median(primary):.0f} |"
        )
        print(line, flush=True)
        lines.append(line)
    load = os.getloadavg()
    lines += ["", f"Load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}.", ""]
    print("\n".join(lines[-2:]))
    with output.open("a", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(ARGS.output)
