"""Every URL of the README's "Where things are" table answers for the role it names.

The table is read from README.md itself, so a URL added there (or a page moved) is checked
without touching this file; a row whose role this file does not know fails loudly. Each
role also follows the links of its home page and navigation: none may lead to a 404.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client

from maillage.core.models import Organisation, Role, User
from tests.conftest import client_for
from tests.factories import member

README = Path(__file__).resolve().parent.parent / "README.md"
_URL = re.compile(r"`(/[^`\s]*)`")


def readme_table() -> list[tuple[str, list[str]]]:
    """(who, [urls]) for each row of the table under "## Where things are"."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Where things are", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 2 or cells[0] in {"who", ""} or set(cells[0]) <= {"-"}:
            continue
        rows.append((cells[0], _URL.findall(cells[1])))
    return rows


class World:
    """One organisation of each kind and a person of each role of the table, with objects to name in URLs."""

    def __init__(self, organisation: Organisation, federation: Organisation) -> None:
        from tests.events.factories import EventFactory

        self.organisation = organisation
        self.users: dict[str, User] = {
            "social worker": member(Role.WORKER, organisation, full_name="Wendy Worker"),
            "coordinator": member(Role.COORDINATOR, organisation, full_name="Cora Coordinator"),
            "helpline responder": member(Role.RESPONDER, federation, full_name="Rita Responder"),
            "federation staff": member(Role.FEDERATION_STAFF, federation, full_name="Fede Staff"),
            "event organiser": member(Role.ORGANISER, organisation, full_name="Olivia Organiser"),
        }
        self.event = EventFactory(organisation=organisation, slug="rencontre-2026")
        self.token = secrets.token_urlsafe(24)
        self.event.participants.create(
            full_name="Paula Participant",
            email="paula@example.org",
            organisation_key="example.org",
            token=self.token,
        )

    def client(self, who: str) -> Client:
        if who.startswith("anyone") or who == "event participant":
            return Client()
        return client_for(self.users[who])

    def fill(self, url: str) -> str:
        """The URL with its placeholders replaced by objects of the role's organisation."""
        values: dict[str, Callable[[], str]] = {
            "<id>": lambda: str(self.organisation.pk),
            "<slug>": lambda: self.event.slug,
            "<token>": lambda: self.token,
        }
        for placeholder, value in values.items():
            url = url.replace(placeholder, value())
        assert "<" not in url, f"unknown placeholder in {url}"
        return url


@pytest.fixture
def world(organisation: Organisation, federation: Organisation) -> World:
    from maillage.taxonomy.demo import STARTER_SCHEMES, ensure_scheme

    for scheme in STARTER_SCHEMES:
        ensure_scheme(*scheme)
    return World(organisation, federation)


def test_the_table_is_read_and_names_the_pages_we_know() -> None:
    rows = dict(readme_table())
    assert list(rows) == [
        "anyone, on a phone",
        "social worker",
        "helpline responder",
        "coordinator",
        "federation staff",
        "event organiser",
        "event participant",
    ]
    assert rows["coordinator"] == [
        "/organisations/<id>/members/",
        "/audit/",
        "/stats/casework/",
        "/casework/import/",
        "/sector/",
        "/sector/year/",
    ]
    assert rows["federation staff"] == [
        "/stats/helpline/",
        "/stats/casework/sector/",
        "/sector/cycle/",
        "/sector/reports/",
        "/categories/",
        "/directory/import/",
        "/admin/",
    ]


CASES = [(who, url) for who, urls in readme_table() for url in urls]


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "url"), CASES, ids=[f"{who}: {url}" for who, url in CASES])
def test_each_url_of_the_table_answers_for_its_role(world: World, who: str, url: str) -> None:
    client = world.client(who)
    address = world.fill(url)
    response = client.get(address, follow=True)
    assert (address, response.status_code) == (address, 200)
    final = response.redirect_chain[-1][0] if response.redirect_chain else address
    # A redirect may only lead further into the same page (a chosen default, a canonical form), never to sign-in.
    assert "/accounts/login/" not in final, f"{who} was sent to sign in from {address}"
    assert "/admin/login/" not in final, f"{who} was sent to the admin's sign-in from {address}"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href") if tag == "a" else None
        if href and href.startswith("/") and not href.startswith(("/static/", "//")):
            self.hrefs.append(href)


def test_imports_are_named_in_the_row_of_the_role_that_reaches_them() -> None:
    """The table once gave imports to social workers, who get 404 there: case-file imports are the coordinator's."""
    rows = dict(readme_table())
    assert [who for who, urls in rows.items() if "/casework/import/" in urls] == ["coordinator"]
    section = README.read_text(encoding="utf-8").split("## Where things are", 1)[1].split("\n## ", 1)[0]
    worker_row = next(line for line in section.splitlines() if line.startswith("| social worker |"))
    assert "import" not in worker_row


@pytest.mark.django_db
def test_a_worker_is_not_offered_the_imports_a_coordinator_runs(world: World) -> None:
    worker, coordinator = world.client("social worker"), world.client("coordinator")
    assert (worker.get("/casework/import/").status_code, coordinator.get("/casework/import/").status_code) == (404, 200)
    assert 'href="/casework/import/"' not in worker.get("/casework/").content.decode()
    assert 'href="/casework/import/"' in coordinator.get("/casework/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["social worker", "coordinator", "helpline responder", "federation staff"])
def test_no_link_of_the_home_page_leads_to_a_404(world: World, who: str) -> None:
    client = world.client(who)
    home = client.get("/")
    assert home.status_code == 200
    parser = _Links()
    parser.feed(home.content.decode())
    broken = [href for href in dict.fromkeys(parser.hrefs) if client.get(href).status_code == 404]
    assert broken == []


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "url"), CASES, ids=[f"{who}: {url}" for who, url in CASES])
def test_no_link_of_a_table_page_leads_to_a_404(world: World, who: str, url: str) -> None:
    client = world.client(who)
    response = client.get(world.fill(url), follow=True)
    parser = _Links()
    parser.feed(response.content.decode(errors="replace"))
    broken = [
        href
        for href in dict.fromkeys(parser.hrefs)
        if not href.startswith(("/admin/", "/accounts/logout")) and client.get(href).status_code == 404
    ]
    assert broken == []
