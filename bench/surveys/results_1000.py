"""The results page of a survey with 1,000 answer sheets (and its filtered view), through Django's test client.

    flock /tmp/bench.lock .venv/bin/python bench/surveys/results_1000.py --port 5432 \
        --database maillage_newsletters_bench --output /tmp/results_1000.md   # a migrated database

Eight questions of every kind; the first request draws the charts (kept by their figures), the next ones
read them from the cache. Figures (median of 10 warm requests, and the cold one) are printed and appended to --output (the committed
RESULTS.md is updated by hand). It replaces only its own survey ("Bench 1000"); it adds (once) an organisation
BENCH-FED and a user bench-staff@example.org.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import bench_options

os.environ.setdefault("MAILLAGE_REQUIRE_2FA", "false")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench_options.add_options(parser)
    return parser.parse_args()


ARGS = _arguments()
bench_options.setup_django(ARGS.port, ARGS.database)

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from maillage.core.models import Membership, Organisation, Role, User  # noqa: E402
from maillage.surveys import services  # noqa: E402
from maillage.surveys.models import Kind, Response, Survey  # noqa: E402

ANSWERS = 1000


def items(*labels: str) -> list[dict[str, str]]:
    return [{"value": str(n + 1), "fr": label, "nl": label} for n, label in enumerate(labels)]


def build() -> tuple[User, Survey]:
    staff_org, _ = Organisation.objects.get_or_create(
        short_name="BENCH-FED", defaults={"name_fr": "Fédération bench", "sector": "federation"}
    )
    staff, _ = User.objects.get_or_create(email="bench-staff@example.org", defaults={"full_name": "Bench"})
    Membership.objects.get_or_create(user=staff, organisation=staff_org, role=Role.FEDERATION_STAFF)
    Survey.objects.filter(title_fr="Bench 1000").delete()
    now = timezone.now()
    survey = services.create_survey(
        staff,
        {
            "title_fr": "Bench 1000",
            "audience": "public",
            "opens_at": now - dt.timedelta(days=1),
            "closes_at": now + dt.timedelta(days=1),
        },
    )
    for fields in (
        {"kind": Kind.SINGLE, "text_fr": "Masques ?", "choices": items("Oui", "Non", "Ne sait pas")},
        {"kind": Kind.MULTIPLE, "text_fr": "Besoins", "choices": items(*[f"Besoin {n}" for n in range(8)])},
        {"kind": Kind.NUMBER, "text_fr": "Demandes", "minimum": 0},
        {"kind": Kind.SCALE, "text_fr": "Tension"},
        {"kind": Kind.DATE, "text_fr": "Depuis"},
        {
            "kind": Kind.GRID,
            "text_fr": "Stock",
            "choices": items("Assez", "Peu", "Rien"),
            "rows": items("Gants", "Gel", "Masques"),
        },
        {"kind": Kind.SHORT_TEXT, "text_fr": "Mot"},
        {"kind": Kind.LONG_TEXT, "text_fr": "Commentaire"},
    ):
        services.add_question(staff, survey, fields)
    rng = random.Random(7)
    sectors = ["casg", "cpas", "css", "cap"]
    Response.objects.bulk_create(
        Response(
            survey=survey, submitted_at=now, sector=rng.choice(sectors), region=rng.choice(["brussels", "wallonia"]),
            resume_token=f"bench-{n}",
            answers={
                "q1": str(rng.randint(1, 3)), "q2": [str(v) for v in rng.sample(range(1, 9), 3)], "q3": rng.randint(0, 500),
                "q4": rng.randint(1, 5), "q5": f"2026-{rng.randint(1, 12):02d}-01",
                "q6": {"1": str(rng.randint(1, 3)), "2": str(rng.randint(1, 3)), "3": str(rng.randint(1, 3))},
                "q7": f"mot {n}", "q8": "Un commentaire un peu plus long " * 3,
            },
        )
        for n in range(ANSWERS)
    )  # fmt: skip
    return staff, survey


def timed(client: Client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.status_code
    return elapsed


def main(output: Path) -> None:
    settings.ALLOWED_HOSTS = ["*"]
    staff, survey = build()
    client = Client()
    client.force_login(staff)
    url = f"/surveys/manage/{survey.pk}/results/"
    cold = timed(client, url)
    warm = [timed(client, url) for _ in range(10)]
    filtered = [timed(client, url + "?sector=casg&region=brussels") for _ in range(5)]
    load = os.getloadavg()
    lines = [
        f"## {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} — survey results page, {ANSWERS} answer sheets, 8 questions",
        "",
        f"- {bench_options.stamp()}, database {ARGS.database}",
        f"- load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (`uptime`: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()})",
        f"- first request (charts drawn): {cold:.0f} ms; warm median of 10: {statistics.median(warm):.0f} ms (max {max(warm):.0f} ms)",
        f"- filtered by sector and region (first draws its charts): median of 5: {statistics.median(filtered):.0f} ms",
        "",
    ]
    print("\n".join(lines))
    with output.open("a") as results:
        results.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(ARGS.output)
