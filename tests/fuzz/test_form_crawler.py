"""Walk the site as each role, submit every form with nasty values: never a 500, never a half-written refusal."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from django.test import Client

from maillage.core.models import User
from tests.conftest import give_totp
from tests.fuzz.crawler import Crawl

ROLES = {
    "worker": "amina.benali@demo.maillage.be",
    "coordinator": "marc.dubois@demo.maillage.be",
    "responder": "lotte.peeters@demo.maillage.be",
    "organiser": "sophie.lambert@demo.maillage.be",
    "federation_staff": "julien.martin@demo.maillage.be",
}
MAX_PAGES = 80  # distinct page shapes walked per role (each shape is fuzzed once, by the first role reaching it)
PER_FIELD = 1  # nasty values per form field (chosen by a seeded generator)
PER_PARAMETER = 1
FINDINGS = Path("/tmp/fuzz_findings.md")


def signed_in(user: User) -> Client:
    give_totp(user)
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.mark.slow(seconds=200)
@pytest.mark.django_db
def test_no_form_or_page_gives_a_server_error_or_writes_half() -> None:
    from maillage.core.management.commands.demo import load_demo_data

    load_demo_data()
    failures: list[str] = []
    tried = 0
    forms_seen: set[tuple[str, str, tuple[str, ...]]] = set()
    fuzzed_shapes: set[str] = set()
    for role, email in ROLES.items():
        crawl = Crawl(signed_in(User.objects.get(email=email)), role, random.Random(f"maillage-{role}"))
        pages = list(crawl.walk("/", MAX_PAGES, fuzzed_shapes))
        for path, parser in pages:
            crawl.fuzz_query(path, parser, PER_PARAMETER)
            for form in parser.forms:
                key = (form.method, form.action.split("?")[0], tuple(sorted(n for n, _ in form.fields)))
                if key in forms_seen or form.has_file:
                    continue
                forms_seen.add(key)
                crawl.fuzz_form(form, PER_FIELD)
        failures += crawl.failures
        tried += crawl.tried
    summary = f"inputs tried: {tried}, server errors: {sum(': 5' in f for f in failures)}"
    print(summary)  # noqa: T201 - shown with pytest -s
    write_board(summary, failures)
    assert failures == [], summary + "\n" + "\n".join(failures)


def write_board(summary: str, failures: list[str]) -> None:
    """The findings board: the top line and the crawler's current findings per app; lines written by hand are kept."""
    try:
        kept = FINDINGS.read_text().splitlines()[1:] if FINDINGS.exists() else []
    except OSError:
        kept = []
    kept = [line for line in kept if not line.startswith(("- crawler:", "For ")) or (line.startswith("For ") and False)]
    by_app: dict[str, list[str]] = {}
    for failure in failures:
        path = failure.split(" ", 3)[2]
        by_app.setdefault(path.strip("/").split("/")[0] or "core", []).append(failure)
    lines = [summary]
    for app, found in sorted(by_app.items()):
        lines += [f"For {app}:", *(f"- crawler: {f}" for f in found)]
    try:
        FINDINGS.write_text("\n".join([*lines, *kept]) + "\n")
    except OSError:
        pass
