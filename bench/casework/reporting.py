"""What the case-work benches share: a printer that also appends every line to --output, and the bench's centres."""

from __future__ import annotations

from collections.abc import Callable


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
