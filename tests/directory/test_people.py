"""The people of the network: cards, the people search by each criterion, own card, networks,
quartiers, stale cards; signed-in professionals only, reads audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from maillage.core.models import AuditEntry, Commune, Role
from maillage.directory.models import DirectoryOrganisation, Network, NetworkKind, Quartier, Worker
from maillage.directory.people import PeopleCriteria, search_people
from maillage.directory.quartiers import SAMPLE, load_quartiers, parse_quartiers
from tests.conftest import client_for
from tests.directory.factories import make_service
from tests.factories import OrganisationFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def quartiers() -> dict[str, Quartier]:
    load_quartiers(parse_quartiers(SAMPLE.read_bytes()))
    return {q.code: q for q in Quartier.objects.all()}


@pytest.fixture
def people(themes, quartiers):  # type: ignore[no-untyped-def]
    food = make_service(name_fr="Colis du Midi", needs=[themes["FOOD"]], postal_code="1060", serves=["1060"])
    housing = make_service(name_fr="Logement Ixelles", needs=[themes["HOUSING"]], postal_code="1050")
    housing.organisation.name_fr = "Habitat et Solidarité"
    housing.organisation.save()
    amina = Worker.objects.create(
        service=food, full_name="Amina Diallo", function_fr="Assistante sociale", consent=True,
        languages="fr ar", email="amina@example.org", phone="0470 11 22 33", show_phone=False,
        confirmed_at=timezone.now(),
    )  # fmt: skip
    amina.quartiers.set([quartiers["S02"]])
    bart = Worker.objects.create(
        service=housing, full_name="Bart Peeters", function_fr="Éducateur de rue", function_nl="Straathoekwerker",
        consent=True, languages="nl", email="bart@example.org", show_email=False, confirmed_at=None,
    )  # fmt: skip
    bart.needs.set([themes["HOUSING"]])
    bart.quartiers.set([quartiers["S03"]])
    Worker.objects.create(service=food, full_name="Nina Hidden", function_fr="Stagiaire", consent=False)
    return {"food": food, "housing": housing, "amina": amina, "bart": bart}


def _names(workers: list[Worker]) -> list[str]:
    return [w.full_name for w in workers]


def test_people_search_by_each_criterion(people, themes, quartiers) -> None:  # type: ignore[no-untyped-def]
    ixelles = Commune.objects.get(nis_code="21009")
    anderlecht = Commune.objects.get(nis_code="21001")
    assert _names(search_people(PeopleCriteria(text="amina"))) == ["Amina Diallo"]
    assert _names(search_people(PeopleCriteria(text="straathoek"))) == ["Bart Peeters"]
    assert _names(search_people(PeopleCriteria(need=themes["FOOD"]))) == ["Amina Diallo"]  # through her service
    assert _names(search_people(PeopleCriteria(need=themes["HOUSING"]))) == ["Bart Peeters"]
    assert _names(search_people(PeopleCriteria(organisation="solidarité"))) == ["Bart Peeters"]
    assert _names(search_people(PeopleCriteria(commune=ixelles))) == ["Bart Peeters"]
    # Gare du Midi crosses Anderlecht and Saint-Gilles: Amina covers it.
    assert _names(search_people(PeopleCriteria(commune=anderlecht))) == ["Amina Diallo"]
    assert _names(search_people(PeopleCriteria(quartier=quartiers["S03"]))) == ["Bart Peeters"]
    assert _names(search_people(PeopleCriteria(language="ar"))) == ["Amina Diallo"]
    assert _names(search_people(PeopleCriteria(language="fr"))) == ["Amina Diallo"]
    assert _names(search_people(PeopleCriteria(language="nl", text="bart"))) == ["Bart Peeters"]
    assert _names(search_people(PeopleCriteria(text="nina"))) == []  # no consent, never listed


def test_people_pages_for_professionals_only(people) -> None:  # type: ignore[no-untyped-def]
    url = reverse("directory:people") + "?q=amina"
    assert Client().get(url).status_code == 302
    loner = Client()
    from tests.factories import UserFactory

    loner.force_login(UserFactory())
    assert loner.get(url).status_code == 404
    assert loner.get(reverse("directory:worker_card", args=[people["amina"].pk])).status_code == 404


def test_people_search_page_shows_chosen_contacts_and_audits(people) -> None:  # type: ignore[no-untyped-def]
    user = member(Role.WORKER)
    client = client_for(user)
    response = client.get(reverse("directory:people"), {"language": "", "q": "a"})
    assert response["Location"] == "/directory/people/?q=a"
    before = AuditEntry.objects.filter(code="directory.worker.read").count()
    html = client.get("/directory/people/?q=a").content.decode()
    assert [w.full_name for w in client.get("/directory/people/?q=a").context["workers"]] == [
        "Amina Diallo",
        "Bart Peeters",
    ]
    assert "amina@example.org" in html
    assert "0470 11 22 33" not in html  # she chose not to show her phone
    assert "bart@example.org" not in html
    assert "Card not confirmed recently" in html or "Fiche non confirmée récemment" in html
    assert AuditEntry.objects.filter(code="directory.worker.read").count() == before + 2
    entry = AuditEntry.objects.filter(code="directory.worker.read").latest("pk")
    assert entry.actor == user
    assert entry.data["results"] == 2


def test_worker_card_audited_and_hidden_worker_404(people) -> None:  # type: ignore[no-untyped-def]
    user = member(Role.WORKER)
    client = client_for(user)
    response = client.get(reverse("directory:worker_card", args=[people["amina"].pk]))
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]
    entry = AuditEntry.objects.filter(code="directory.worker.read").latest("pk")
    assert (entry.actor, entry.target_id, entry.data["what"]) == (user, str(people["amina"].pk), "card")
    hidden = Worker.objects.get(full_name="Nina Hidden")
    assert client.get(reverse("directory:worker_card", args=[hidden.pk])).status_code == 404


def test_worker_creates_and_keeps_their_own_card(people, themes, quartiers) -> None:  # type: ignore[no-untyped-def]
    organisation = OrganisationFactory()
    entry = DirectoryOrganisation.objects.create(name_fr="Mon centre", organisation=organisation)
    service = make_service(name_fr="Permanence", organisation=entry, postal_code="1080")
    user = member(Role.WORKER, organisation, full_name="Chloé Martin", email="chloe@example.org")
    client = client_for(user)
    page = client.get(reverse("directory:my_card"))
    assert page.status_code == 200
    assert page.context["form"]["full_name"].value() == "Chloé Martin"
    data = {
        "service": service.pk,
        "full_name": "Chloé Martin",
        "function_fr": "Médiatrice",
        "email": "chloe@example.org",
        "show_email": "on",
        "phone": "0470 99 88 77",
        "consent": "on",
        "languages_list": ["fr", "es"],
        "needs": [themes["FOOD"].pk],
        "area_communes": [Commune.objects.get(nis_code="21012").pk],
        "quartiers": [quartiers["S04"].pk],
    }
    assert client.post(reverse("directory:my_card"), data).status_code == 302
    card = Worker.objects.get(user=user)
    assert (card.service, card.languages, card.show_phone, card.consent) == (service, "fr es", False, True)
    assert card.consent_at is not None
    assert card.confirmed_at is not None
    assert list(card.quartiers.all()) == [quartiers["S04"]]
    # Flagged once unconfirmed for 12 months, then confirmed in one click.
    Worker.objects.filter(pk=card.pk).update(confirmed_at=timezone.now() - timedelta(days=400))
    assert client.get(reverse("directory:my_card")).context["stale"] is True
    client.post(reverse("directory:my_card"), {"confirm": "1"})
    assert client.get(reverse("directory:my_card")).context["stale"] is False
    # Another organisation's service cannot be chosen.
    data["service"] = people["food"].pk
    response = client.post(reverse("directory:my_card"), data)
    assert response.status_code == 200
    assert "service" in response.context["form"].errors


def test_networks_with_whom(people) -> None:  # type: ignore[no-untyped-def]
    network = Network.objects.create(name_fr="Contrat local social-santé Midi", kind=NetworkKind.CONTRACT)
    network.services.add(people["food"])
    network.workers.add(people["bart"])
    client = client_for(member(Role.WORKER))
    card = client.get(reverse("directory:worker_card", args=[people["amina"].pk]))
    assert [n.name_fr for n in card.context["networks"]] == ["Contrat local social-santé Midi"]  # via her service
    page = client.get(reverse("directory:network", args=[network.pk]))
    assert [s.name_fr for s in page.context["services"]] == ["Colis du Midi"]
    assert [w.full_name for w in page.context["workers"]] == ["Bart Peeters"]
    detail = client.get(reverse("directory:service", args=[people["food"].pk]))
    assert [n.pk for n in detail.context["networks"]] == [network.pk]
    assert Client().get(reverse("directory:service", args=[people["food"].pk])).context["networks"] == []


def test_who_is_present_in_my_quartier(people, quartiers) -> None:  # type: ignore[no-untyped-def]
    people["housing"].quartiers.set([quartiers["S03"]])
    client = client_for(member(Role.WORKER))
    page = client.get(reverse("directory:quartier"), {"quartier": quartiers["S03"].pk})
    assert [s.name_fr for s in page.context["services"]] == ["Logement Ixelles"]
    assert [w.full_name for w in page.context["workers"]] == ["Bart Peeters"]
    unknown = client.get(reverse("directory:quartier"), {"quartier": 999999})
    assert unknown.status_code == 200
    assert unknown.context["form"].errors["quartier"] == ["Ce quartier n’existe pas."]


def test_stale_cards_for_federation(people) -> None:  # type: ignore[no-untyped-def]
    staff = client_for(member(Role.FEDERATION_STAFF))
    assert [w.full_name for w in staff.get(reverse("directory:stale_cards")).context["workers"]] == ["Bart Peeters"]
    assert client_for(member(Role.WORKER)).get(reverse("directory:stale_cards")).status_code == 404


@pytest.mark.parametrize("language", ["fr", "nl"])
def test_people_lines_are_the_worker_line_template_golden(people, language: str) -> None:  # type: ignore[no-untyped-def]
    """search/cards.people_lines() writes the people search's lines by hand (speed): the same HTML as
    directory/_worker_line.html, escaping, shown phone and email, and the stale badge included."""
    from django.template.loader import render_to_string
    from django.utils import translation

    from maillage.directory.search.cards import people_lines

    amina, bart = people["amina"], people["bart"]
    amina.full_name, amina.phone, amina.show_phone = 'Amina "A" <Diallo> & Co', "0470 11 22 33", True
    amina.save()
    workers = search_people(PeopleCriteria(text="a"))
    assert _names(workers) == ['Amina "A" <Diallo> & Co', "Bart Peeters"]
    stale = {bart.pk}
    with translation.override(language):
        by_hand = people_lines(workers, stale)
        by_template = "".join(  # less the newline ending the template file (blank space between <li>)
            render_to_string("directory/_worker_line.html", {"worker": worker, "stale": stale}).removesuffix("\n")
            for worker in workers
        )
        assert by_hand == by_template
        expected_bart = (
            f'<li class="directory-person"><a class="directory-person-name" href="{reverse("directory:worker_card", args=[bart.pk])}">'
            "Bart Peeters</a> — "
            + ("Straathoekwerker" if language == "nl" else "Éducateur de rue")
            + f" · {people['housing'].name} ({people['housing'].organisation.name})"
        )
    assert "Amina &quot;A&quot; &lt;Diallo&gt; &amp; Co" in by_hand
    assert '<a href="tel:0470112233">0470 11 22 33</a> · <a href="mailto:amina@example.org">' in by_hand
    amina_line, bart_line = by_hand.split("</li>")[:2]
    assert ("badge--warn" in amina_line, "badge--warn" in bart_line) == (False, True)
    assert expected_bart in by_hand
