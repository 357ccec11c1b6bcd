"""Demo data for events: the seeds' webinar, intervision cycle and workshop series, with people and notes.

Rows are written directly (no emails in a demo); the state follows the services' rules.
"""

from __future__ import annotations

import secrets
from datetime import datetime, time, timedelta

from django.utils import timezone

from maillage.core.demo_context import DemoContext
from maillage.core.models import Organisation
from maillage.events import services
from maillage.events.models import (
    Attendance,
    Audience,
    Event,
    EventKind,
    Group,
    Participant,
    Registration,
    Session,
    Status,
    Theme,
)

FIRST_NAMES = [
    "Amina",
    "Lucas",
    "Fatima",
    "Pieter",
    "Sarah",
    "Youssef",
    "Marie",
    "Koen",
    "Inès",
    "Mehdi",
    "Julie",
    "Bram",
    "Nadia",
    "Thomas",
    "Aïcha",
    "Hanne",
    "Samir",
    "Claire",
    "Emre",
    "Sofie",
    "Moussa",
    "Elise",
    "Karim",
    "Laura",
]
LAST_NAMES = [
    "Benali",
    "Dupont",
    "Peeters",
    "El Amrani",
    "Janssens",
    "Diallo",
    "Maes",
    "Lambert",
    "Yilmaz",
    "Claes",
    "Nkosi",
    "Dubois",
    "Willems",
    "Haddad",
    "Goossens",
    "Martin",
    "Bouzid",
    "De Smet",
    "Mertens",
    "Lejeune",
]
OTHER_ASSOCIATIONS = [
    "Maison médicale du Nord",
    "AMO Rythme",
    "Lire et Écrire Bruxelles",
    "Maison de Jeunes Chicago",
    "Restos du Cœur de Saint-Gilles",
    "Infirmiers de rue",
    "Le Pivot",
    "Samusocial",
    "Syndicat des Locataires",
    "Stics",
    "Centre de planning familial Marolles",
    "Maison de quartier Bonnevie",
]
FUNCTIONS = [
    "Assistant·e social·e",
    "Éducateur·rice",
    "Coordinateur·rice",
    "Psychologue",
    "Animateur·rice",
    "Infirmier·e",
]

WEBINAR_FR = (
    "On a peu fait appel, jusqu'ici, à l'expérience des actrices et des acteurs de terrain pour construire la "
    "réponse à la crise sanitaire. La FdSS, ses membres et ses partenaires rassemblent les travailleuses et "
    "travailleurs de terrain pour échanger sur les manières d'aborder, avec des publics très diversifiés, les "
    "messages de prévention et les dégâts collatéraux : précarisation, solitude, isolement.\n\n"
    "Webinaire limité à 100 participant·e·s, en deux temps : des sous-groupes avec un·e rapporteur·e, puis une "
    "mise en commun."
)
WEBINAR_NL = (
    "De ervaring van terreinwerkers werd tot nu toe weinig gebruikt om een antwoord op de gezondheidscrisis op te "
    "bouwen. De FdSS, haar leden en partners brengen terreinwerkers samen om uit te wisselen over preventie en de "
    "nevenschade: verarming, eenzaamheid, isolement. Webinar beperkt tot 100 deelnemers."
)
INTERVISION_FR = (
    "Cycle de 5 séances d'intervision pour travailleur·euse·s sociaux·ales du secteur social-santé bruxellois "
    "ayant traversé la crise COVID en première ligne. Groupes fermés de 15 personnes pour garantir la sécurité et "
    "la confidentialité ; 2 personnes maximum de la même institution par groupe ; engagement à participer à "
    "l'ensemble du cycle. Chaque groupe est animé par un binôme psy et social."
)
INTERVISION_NL = (
    "Cyclus van 5 intervisiesessies voor sociaal werkers uit de Brusselse welzijns- en gezondheidssector die de "
    "COVID-crisis in de eerste lijn hebben meegemaakt. Gesloten groepen van 15; maximaal 2 personen van dezelfde "
    "instelling per groep; engagement voor de hele cyclus."
)
ASSISES_FR = (
    "Les Assises du Logement et du Travail social rassemblent des acteur·rice·s de l'action sociale en Région "
    "bruxelloise pour coproduire des recommandations vers les futur·e·s mandataires. Trois ateliers thématiques, "
    "chacun en trois séances : diagnostic et pistes de solutions, recommandations, mise en œuvre.\n\n"
    "Participation gratuite, limitée aux 40 premier·ère·s inscrit·e·s par atelier ; deux représentant·e·s au plus "
    "d'une même association. Accès sur invitation."
)
ASSISES_NL = (
    "De Assisen van Huisvesting en Sociaal Werk brengen Brusselse sociale actoren samen om aanbevelingen voor de "
    "toekomstige beleidsmakers uit te werken. Drie thematische workshops van elk drie sessies; gratis, beperkt tot "
    "de eerste 40 inschrijvingen per workshop, maximaal twee vertegenwoordigers per vereniging."
)
THEMES = [
    (
        "L'utilisateur et son habitat au centre des préoccupations",
        "De gebruiker en zijn woning centraal",
        [(0, time(13), time(16, 30)), (18, time(9), time(12, 30)), (53, time(9), time(12, 30))],
    ),
    (
        "La formation professionnelle et continue comme levier de la transformation sociale",
        "Beroeps- en bijscholing als hefboom voor sociale transformatie",
        [(4, time(9), time(12, 30)), (20, time(13), time(16, 30)), (56, time(13), time(16, 30))],
    ),
    (
        "Travailler en réseaux pour mieux répondre à la complexité des situations sociales",
        "Netwerken om beter in te spelen op complexe sociale situaties",
        [(7, time(13), time(16, 30)), (25, time(13), time(16, 30)), (60, time(9), time(12, 30))],
    ),
]

# The webinar's rapporteurs' notes (seed 000), per question, per breakout group.
NOTES = {
    0: {
        "Sous-groupe 1": [
            "Augmentation des demandes adressées au CPAS",
            "Augmentation et aggravation des problèmes de santé mentale, notamment par perte de suivi",
        ],
        "Sous-groupe 2": [
            "Hausse des demandes au CPAS",
            "École : familles démunies pour comprendre les infos, décrochage dû à la fracture numérique",
        ],
        "Sous-groupe 3": [
            "Démarches administratives : tout par Internet et téléphone, ce n'est pas adapté à tous les usagers",
            "Perte de suivi à cause du télétravail et de la fracture numérique",
        ],
    },
    1: {
        "Sous-groupe 1": ["Une partie de la petite classe moyenne a sombré dans la pauvreté"],
        "Sous-groupe 4": ["Les jeunes ont été touchés de manière générale, pas que les plus pauvres"],
    },
    2: {
        "Sous-groupe 2": [
            "Maintien du lien social par des chaînes téléphoniques et des promenades en binôme",
            "Mise à contribution de différents publics pour la création de masques",
        ],
        "Sous-groupe 4": ["Les réseaux sociaux ont aidé à garder le contact avec les jeunes"],
    },
    3: {
        "Sous-groupe 1": ["Le numérique a pris une place trop importante par rapport à la formation reçue"],
        "Sous-groupe 3": ["Faire réseau entre associations alors que le matériel informatique fait défaut"],
    },
    4: {
        "Sous-groupe 1": ["Simplifier l'accès aux aides"],
        "Sous-groupe 2": [
            "Créer une base de données des travailleurs sociaux présents sur un même quartier",
            "Simplifier l'accès aux aides sociales",
        ],
        "Sous-groupe 3": ["Maintenir des points de contact physiques dans les services publics"],
        "Sous-groupe 4": ["Poursuivre le numéro vert au-delà de la crise"],
    },
}


def _at(day: datetime, clock: time) -> datetime:
    return timezone.make_aware(datetime.combine(day.date(), clock))


def _people(context: DemoContext, count: int, organisations: list[Organisation], per_organisation: int) -> list[dict]:
    """Distinct people, at most `per_organisation` from any one organisation (listed or typed)."""
    rng = context.rng
    sources: list[tuple[Organisation | None, str]] = [(o, o.short_name) for o in organisations]
    sources += [(None, name) for name in OTHER_ASSOCIATIONS]
    people: list[dict] = []
    used: dict[str, int] = {}
    while len(people) < count:
        organisation, label = rng.choice(sources)
        key = services.organisation_key(organisation, label)
        if used.get(key, 0) >= per_organisation:
            if len(used) >= len(sources) and all(v >= per_organisation for v in used.values()):
                break
            continue
        used[key] = used.get(key, 0) + 1
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        n = len(people)
        people.append(
            {
                "full_name": f"{first} {last}",
                "email": f"{first}.{last}.{n}@demo-participant.be".lower()
                .replace(" ", "")
                .replace("ï", "i")
                .replace("è", "e"),
                "organisation": organisation,
                "organisation_name": label,
                "organisation_key": key,
                "function": rng.choice(FUNCTIONS),
                "sector": organisation.sector if organisation else "other",
                "language": "nl"
                if organisation and organisation.languages[:1] == ["nl"]
                else rng.choice(["fr", "fr", "nl"]),
            }
        )
    return people


def _participant(event: Event, person: dict, now: datetime, confirmed: bool) -> Participant:
    return Participant.objects.create(
        event=event,
        full_name=person["full_name"],
        email=person["email"],
        organisation=person["organisation"],
        organisation_name=person["organisation_name"],
        organisation_key=person["organisation_key"],
        function=person["function"],
        sector=person["sector"],
        language=person["language"],
        token=secrets.token_urlsafe(32),
        email_confirmed_at=now if confirmed else None,
        created_at=now,
    )


def _webinar(context: DemoContext, fdss: Organisation, partners: list[Organisation], now: datetime) -> Event:
    held = now - timedelta(days=14)
    event = Event.objects.create(
        organisation=fdss,
        slug="covid-reponses-locales",
        kind=EventKind.WEBINAR,
        title_fr="COVID : préparer des réponses locales à une crise globale",
        title_nl="COVID: lokale antwoorden voorbereiden op een wereldwijde crisis",
        description_fr=WEBINAR_FR,
        description_nl=WEBINAR_NL,
        online_link="https://zoom.example.org/j/covid-reponses-locales",
        practical_details="Le lien Zoom est personnel ; merci de vous connecter dix minutes avant le début.",
        contact_email="soumaya.khayat@fdss.be",
        closes_at=held - timedelta(days=2),
        capacity=100,
        audience=Audience.FRONTLINE,
        is_published=True,
    )
    event.organisers.add(fdss, *partners)
    session = Session.objects.create(event=event, starts_at=_at(held, time(9, 30)), ends_at=_at(held, time(12)))
    organiser = context.accounts["organiser"]
    people = _people(context, 100, list(context.organisations.values()), per_organisation=12)
    for index, person in enumerate(people):
        participant = _participant(event, person, held - timedelta(days=10), confirmed=True)
        registration = Registration.objects.create(
            event=event,
            participant=participant,
            status=Status.CONFIRMED,
            confirmed_at=held - timedelta(days=10),
            created_at=held - timedelta(days=10),
            invited_at=held - timedelta(days=1),
        )
        if index % 5:
            Attendance.objects.create(
                session=session,
                registration=registration,
                method=Attendance.Method.NAME,
                checked_in_at=session.starts_at,
                checked_in_by=organiser,
            )
    questions = services.ensure_questions(event)
    breakouts = {
        name: services.add_breakout(organiser, event, name, rapporteur=context.rng.choice(people)["full_name"])
        for name in ("Sous-groupe 1", "Sous-groupe 2", "Sous-groupe 3", "Sous-groupe 4")
    }
    for question_index, by_group in NOTES.items():
        for group_name, points in by_group.items():
            services.add_points(organiser, breakouts[group_name], questions[question_index], "\n".join(points))
    # The organisers merged the obvious duplicates.
    cpas = list(event.questions.get(pk=questions[0].pk).points.filter(text__icontains="CPAS").order_by("pk"))
    services.merge_points(organiser, cpas[0], cpas[1:])
    services.edit_synthesis_point(organiser, cpas[0], "Augmentation des demandes adressées aux CPAS")
    access = list(questions[4].points.filter(text__startswith="Simplifier").order_by("pk"))
    services.merge_points(organiser, access[0], access[1:])
    services.save_recommendation(
        organiser,
        event,
        {
            "position": 1,
            "diagnosis": "Les démarches passent par Internet et le téléphone ; une partie du public décroche.",
            "recommendation": "Maintenir des points de contact physiques dans chaque service public",
            "implementation": "Une permanence d'accueil sans rendez-vous par commune, au moins trois demi-jours par semaine.",
            "addressed_to": "Communes, CPAS, Région bruxelloise",
            "sources": list(questions[4].points.filter(text__icontains="contact physiques")) + access[:1],
        },
    )
    services.save_recommendation(
        organiser,
        event,
        {
            "position": 2,
            "diagnosis": "Les travailleurs d'un même quartier ne savent pas qui fait quoi.",
            "recommendation": "Créer un répertoire des travailleurs sociaux par quartier",
            "implementation": "S'appuyer sur les contrats locaux social-santé ; mise à jour continue par les services.",
            "addressed_to": "Fédérations, COCOM",
            "sources": list(questions[4].points.filter(text__icontains="base de données")),
        },
    )
    return event


def _intervision(context: DemoContext, organiser_org: Organisation, now: datetime) -> Event:
    event = Event.objects.create(
        organisation=organiser_org,
        slug="intervisions-covid",
        kind=EventKind.INTERVISION,
        title_fr="Comment avons-nous traversé la crise COVID ? Cycle d'intervisions",
        title_nl="Hoe zijn we door de COVID-crisis gekomen? Intervisiecyclus",
        description_fr=INTERVISION_FR,
        description_nl=INTERVISION_NL,
        place="Ligue Bruxelloise pour la Santé Mentale",
        street="Rue du Président 53",
        postal_code="1050",
        city="Ixelles",
        closes_at=now + timedelta(days=12),
        capacity=150,
        audience=Audience.FRONTLINE,
        ask_sector=True,
        is_published=True,
    )
    event.organisers.add(organiser_org)
    start = now + timedelta(days=20)
    groups = []
    for number in range(1, 11):
        group = Group.objects.create(
            event=event,
            position=number,
            name=f"Groupe {number}",
            capacity=15,
            per_organisation=2,
            facilitators=f"{context.rng.choice(FIRST_NAMES)} (psy) et {context.rng.choice(FIRST_NAMES)} (social)",
        )
        groups.append(group)
        for month in range(5):
            day = start + timedelta(days=30 * month + number % 5)
            Session.objects.create(
                event=event,
                group=group,
                title=f"Séance {month + 1}",
                starts_at=_at(day, time(9, 30)),
                ends_at=_at(day, time(11, 30)),
            )
    people = _people(context, 48, list(context.organisations.values()), per_organisation=6)
    for index, person in enumerate(people):
        confirmed = index < 42
        participant = _participant(event, person, now - timedelta(days=3), confirmed=confirmed)
        Registration.objects.create(
            event=event,
            participant=participant,
            status=Status.CONFIRMED if confirmed else Status.PENDING,
            preferred_group=groups[index % 3] if index % 2 else None,
            confirmed_at=now - timedelta(days=2) if confirmed else None,
            expires_at=None if confirmed else now + timedelta(hours=40),
            created_at=now - timedelta(days=3),
        )
    services.place_in_groups(context.accounts["organiser"], event)
    return event


def _assises(context: DemoContext, lead: Organisation, partners: list[Organisation], now: datetime) -> Event:
    event = Event.objects.create(
        organisation=lead,
        slug="assises-logement-travail-social",
        kind=EventKind.WORKSHOP_SERIES,
        title_fr="Assises du Logement et du Travail social",
        title_nl="Assisen van Huisvesting en Sociaal Werk",
        description_fr=ASSISES_FR,
        description_nl=ASSISES_NL,
        place="COOP",
        street="Quai Fernand Demets 23",
        postal_code="1070",
        city="Anderlecht",
        closes_at=now + timedelta(days=9),
        per_organisation=2,
        invitation_only=True,
        requires_approval=False,
        is_published=True,
    )
    event.organisers.add(lead, *partners)
    start = now + timedelta(days=10)
    themes = []
    for position, (title_fr, title_nl, dates) in enumerate(THEMES, start=1):
        theme = Theme.objects.create(event=event, position=position, title_fr=title_fr, title_nl=title_nl, capacity=40)
        themes.append(theme)
        for number, (offset, begins, ends) in enumerate(dates, start=1):
            day = start + timedelta(days=offset)
            Session.objects.create(
                event=event,
                theme=theme,
                title=f"Atelier {position}.{number}",
                starts_at=_at(day, begins),
                ends_at=_at(day, ends),
            )
    people = _people(context, 30, list(context.organisations.values()), per_organisation=2)
    for index, person in enumerate(people):
        participant = _participant(event, person, now - timedelta(days=2), confirmed=True)
        chosen = [themes[index % 3]] + ([themes[(index + 1) % 3]] if index % 4 == 0 else [])
        for theme in chosen:
            Registration.objects.create(
                event=event,
                participant=participant,
                theme=theme,
                status=Status.CONFIRMED,
                confirmed_at=now - timedelta(days=2),
                created_at=now - timedelta(days=2),
            )
    return event


def load(context: DemoContext) -> None:
    organisations = context.organisations
    fdss = organisations["FdSS"]
    now = timezone.now().replace(second=0, microsecond=0)
    webinar = _webinar(context, fdss, [organisations["CSS Sud-Est"], organisations["Télé-Service"]], now)
    intervision = _intervision(context, fdss, now)
    assises = _assises(context, fdss, [organisations["Entraide Anderlecht"], organisations["CPAS Anderlecht"]], now)
    context.notes.append(
        f"Events: public pages /events/{assises.slug}/ and /events/{intervision.slug}/; organisers (sophie.lambert@…) "
        f"manage them under /events/manage/ — the webinar /events/manage/{webinar.pk}/synthesis/ shows the notes' synthesis."
    )
