"""Demo data for the directory: about forty realistic Brussels services with hours, needs and workers."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal

from django.utils import timezone

from maillage.core.demo_context import DemoContext
from maillage.core.models import PostalCode
from maillage.directory import services
from maillage.directory.models import (
    CrisisStatus,
    DirectoryOrganisation,
    Location,
    Phone,
    Schedule,
    ScheduleException,
    Service,
    ServiceAtLocation,
    ServiceStatus,
    Worker,
)
from maillage.directory.search.keys import refresh_search_index
from maillage.taxonomy.queries import active_categories

WEEKDAYS = "MO,TU,WE,TH,FR"
# Providers that are not (or not only) federation members: name FR, name NL.
OTHER_PROVIDERS = {
    "Restos": ("Les Restos du Cœur de Bruxelles", "Restos du Cœur Brussel"),
    "Croix-Rouge": ("Croix-Rouge de Belgique — Bruxelles", "Rode Kruis — Brussel"),
    "Infor GazElec": ("Infor GazElec", "Infor GazElec"),
    "Médecins du Monde": ("Médecins du Monde", "Dokters van de Wereld"),
    "Ciré": (
        "Coordination et Initiatives pour Réfugiés et Étrangers",
        "Coördinatie voor Vluchtelingen en Vreemdelingen",
    ),
    "Samusocial": ("Samusocial", "Samusocial"),
    "Infor Jeunes": ("Infor Jeunes Bruxelles", "Infor Jeunes Brussel"),
    "Rassemblement Droit au Logement": (
        "Rassemblement Bruxellois pour le Droit à l'Habitat",
        "Brusselse Bond voor het Recht op Wonen",
    ),
}

# key, provider, name FR, name NL, needs, postal code, street, hours [(byday, opens, closes)],
# modalities, languages, areas (postal codes; "region" for the whole region), free
SERVICES: list[tuple] = [  # type: ignore[type-arg]
    (
        "colis-anderlecht",
        "Entraide Anderlecht",
        "Colis alimentaires d'Anderlecht",
        "Voedselpakketten Anderlecht",
        ["FOOD.PARCEL"],
        "1070",
        "Rue Wayez 54",
        [(WEEKDAYS, "09:00", "17:00")],
        "walk_in",
        ["fr", "nl", "ar"],
        ["1070"],
        True,
    ),
    (
        "epicerie-anderlecht",
        "CPAS Anderlecht",
        "Épicerie sociale de Cureghem",
        "Sociale kruidenier Kuregem",
        ["FOOD.SOCIALSHOP"],
        "1070",
        "Rue de la Clinique 21",
        [("TU,TH", "13:00", "17:00"), ("SA", "09:30", "12:30")],
        "referral",
        ["fr", "nl"],
        ["1070"],
        False,
    ),
    (
        "restos-midi",
        "Restos",
        "Restaurant social du Midi",
        "Sociaal restaurant Zuid",
        ["FOOD.MEALS"],
        "1060",
        "Rue de Mérode 60",
        [(WEEKDAYS, "11:30", "14:00")],
        "walk_in",
        ["fr"],
        ["region"],
        True,
    ),
    (
        "restos-colis",
        "Restos",
        "Distribution de colis — Saint-Gilles",
        "Pakketbedeling — Sint-Gillis",
        ["FOOD.PARCEL"],
        "1060",
        "Rue de Mérode 60",
        [("WE", "14:00", "17:00")],
        "walk_in appointment",
        ["fr", "en"],
        ["1060", "1190"],
        True,
    ),
    (
        "croix-rouge-colis",
        "Croix-Rouge",
        "Aide alimentaire Croix-Rouge Schaerbeek",
        "Voedselhulp Rode Kruis Schaarbeek",
        ["FOOD.PARCEL"],
        "1030",
        "Rue Josaphat 100",
        [("MO,WE,FR", "09:00", "12:00")],
        "walk_in",
        ["fr", "nl"],
        ["1030", "1210"],
        True,
    ),
    (
        "ssq-epicerie",
        "SSQ 1030",
        "Épicerie solidaire des Quartiers",
        "Solidaire kruidenier van de Wijken",
        ["FOOD.SOCIALSHOP"],
        "1030",
        "Chaussée de Haecht 201",
        [("TU,FR", "10:00", "16:00")],
        "appointment",
        ["fr", "nl", "tr"],
        ["1030"],
        False,
    ),
    (
        "css-permanence",
        "CSS Sud-Est",
        "Permanence sociale générale",
        "Algemene sociale permanentie",
        ["INCOME.BENEFITS", "ADMIN.PAPERS"],
        "1050",
        "Avenue de la Couronne 12",
        [("MO,TH", "09:00", "12:00"), ("TU", "14:00", "18:00")],
        "walk_in",
        ["fr"],
        ["1050", "1040", "1160"],
        True,
    ),
    (
        "css-dettes",
        "CSS Sud-Est",
        "Service de médiation de dettes",
        "Schuldbemiddeling",
        ["INCOME.DEBT"],
        "1050",
        "Avenue de la Couronne 12",
        [("WE", "09:00", "16:00")],
        "appointment",
        ["fr", "nl"],
        ["region"],
        True,
    ),
    (
        "ssj-accueil",
        "SSJ",
        "Accueil social et administratif",
        "Sociaal en administratief onthaal",
        ["ADMIN.PAPERS", "INCOME.BENEFITS"],
        "1060",
        "Avenue Ducpétiaux 68",
        [(WEEKDAYS, "09:30", "12:30")],
        "walk_in phone",
        ["fr", "en"],
        ["1060", "1050", "1180"],
        True,
    ),
    (
        "csp-logement",
        "CSP",
        "Aide à la recherche de logement",
        "Hulp bij het zoeken naar huisvesting",
        ["HOUSING.SEARCH"],
        "1060",
        "Rue Cans 12",
        [("MO,WE", "13:30", "17:00")],
        "appointment",
        ["fr"],
        ["region"],
        True,
    ),
    (
        "csp-exil",
        "CSP",
        "Accompagnement des personnes exilées",
        "Begeleiding van ontheemden",
        ["FOREIGN.ASYLUM", "FOREIGN.RESIDENCE"],
        "1060",
        "Rue Cans 12",
        [("TU,TH", "09:00", "12:30")],
        "walk_in",
        ["fr", "en", "ar"],
        ["region"],
        True,
    ),
    (
        "ssds-accueil",
        "SSdS",
        "Permanence d'accueil des Marolles",
        "Onthaalpermanentie Marollen",
        ["INCOME.BENEFITS", "HOUSING.RENT"],
        "1000",
        "Rue Haute 298",
        [(WEEKDAYS, "09:00", "12:00")],
        "walk_in",
        ["fr", "nl"],
        ["1000"],
        True,
    ),
    (
        "ssds-energie",
        "SSdS",
        "Cellule énergie",
        "Energiecel",
        ["ENERGY.BILLS", "ENERGY.CUTOFF"],
        "1000",
        "Rue Haute 298",
        [("TH", "13:00", "16:30")],
        "appointment phone",
        ["fr"],
        ["1000", "1020", "1120", "1130"],
        True,
    ),
    (
        "tele-service",
        "Télé-Service",
        "Service social polyvalent",
        "Polyvalente sociale dienst",
        ["INCOME.BENEFITS", "FAMILY.CHILDCARE"],
        "1000",
        "Boulevard de l'Abattoir 27",
        [("MO,TU,TH", "09:00", "12:00")],
        "walk_in",
        ["fr", "nl"],
        ["1000"],
        True,
    ),
    (
        "tele-vestiaire",
        "Télé-Service",
        "Vestiaire et mobilier",
        "Kledij en meubelen",
        ["HOUSING.CONDITION"],
        "1000",
        "Boulevard de l'Abattoir 27",
        [("WE,SA", "09:30", "12:30")],
        "walk_in",
        ["fr"],
        ["region"],
        False,
    ),
    (
        "froidure-accueil",
        "Abbé Froidure",
        "Accueil de jour",
        "Dagonthaal",
        ["ISOLATION.SOCIAL", "FOOD.MEALS"],
        "1060",
        "Rue de la Victoire 26",
        [(WEEKDAYS, "08:30", "16:00")],
        "walk_in",
        ["fr"],
        ["1060"],
        True,
    ),
    (
        "ssq-permanence",
        "SSQ 1030",
        "Permanence sociale de Schaerbeek",
        "Sociale permanentie Schaarbeek",
        ["INCOME.BENEFITS", "HOUSING.RENT"],
        "1030",
        "Chaussée de Haecht 201",
        [("MO,WE,TH", "09:00", "12:00")],
        "walk_in",
        ["fr", "nl", "tr", "ar"],
        ["1030", "1140"],
        True,
    ),
    (
        "ssq-numerique",
        "SSQ 1030",
        "Espace public numérique",
        "Openbare computerruimte",
        ["DIGITAL.ONLINE", "DIGITAL.EQUIPMENT"],
        "1030",
        "Rue Royale Sainte-Marie 80",
        [("TU,TH", "13:00", "17:00")],
        "walk_in",
        ["fr", "nl"],
        ["1030"],
        True,
    ),
    (
        "cap-migrants",
        "Cap Migrants",
        "Permanence juridique droit des étrangers",
        "Juridische permanentie vreemdelingenrecht",
        ["FOREIGN.RESIDENCE", "FOREIGN.UNDOCUMENTED"],
        "1080",
        "Rue de Ribaucourt 40",
        [("MO,WE", "14:00", "17:00")],
        "walk_in",
        ["fr", "en", "es", "ar"],
        ["region"],
        True,
    ),
    (
        "cap-cours",
        "Cap Migrants",
        "Cours de français langue étrangère",
        "Frans als vreemde taal",
        ["FOREIGN.RESIDENCE"],
        "1080",
        "Rue de Ribaucourt 40",
        [("TU,TH", "09:00", "12:00")],
        "appointment",
        ["fr", "en"],
        ["1080", "1081"],
        True,
    ),
    (
        "caw-onthaal",
        "CAW Brussel",
        "Accueil social CAW",
        "Onthaal CAW",
        ["INCOME.BENEFITS", "VIOLENCE.DOMESTIC"],
        "1000",
        "Rue Fossé aux Loups 40",
        [(WEEKDAYS, "09:00", "12:30"), ("MO,TH", "13:30", "16:30")],
        "walk_in phone",
        ["nl", "fr", "en"],
        ["region"],
        True,
    ),
    (
        "caw-jongeren",
        "CAW Brussel",
        "JAC — point d'accueil jeunes",
        "JAC — jongerenonthaal",
        ["SCHOOL.DROPOUT", "FAMILY.SEPARATION"],
        "1000",
        "Rue Fossé aux Loups 40",
        [("WE", "13:00", "18:00")],
        "walk_in",
        ["nl", "fr"],
        ["region"],
        True,
    ),
    (
        "entraide-permanence",
        "Entraide Anderlecht",
        "Permanence sociale d'Anderlecht",
        "Sociale permanentie Anderlecht",
        ["INCOME.BENEFITS", "INCOME.DEBT"],
        "1070",
        "Rue Wayez 54",
        [("MO,TU,TH", "13:30", "16:30")],
        "walk_in",
        ["fr", "nl", "ar"],
        ["1070"],
        True,
    ),
    (
        "entraide-energie",
        "Entraide Anderlecht",
        "Guidance énergie",
        "Energiebegeleiding",
        ["ENERGY.BILLS"],
        "1070",
        "Rue Wayez 54",
        [("FR", "09:00", "12:00")],
        "appointment",
        ["fr", "ar"],
        ["1070", "1080"],
        True,
    ),
    (
        "cpas-anderlecht",
        "CPAS Anderlecht",
        "Accueil du CPAS d'Anderlecht",
        "Onthaal OCMW Anderlecht",
        ["INCOME.BENEFITS", "HEALTH.ACCESS"],
        "1070",
        "Avenue Raymond Vander Bruggen 62",
        [(WEEKDAYS, "08:30", "12:00")],
        "walk_in",
        ["fr", "nl"],
        ["1070"],
        True,
    ),
    (
        "gazelec",
        "Infor GazElec",
        "Conseil énergie Infor GazElec",
        "Energieadvies Infor GazElec",
        ["ENERGY.BILLS", "ENERGY.CUTOFF"],
        "1060",
        "Chaussée de Forest 68",
        [("MO,TU,TH", "09:30", "12:30")],
        "phone appointment",
        ["fr", "nl"],
        ["region"],
        True,
    ),
    (
        "mdm-centre",
        "Médecins du Monde",
        "Centre d'accueil, de soins et d'orientation",
        "Centrum voor onthaal, zorg en oriëntatie",
        ["HEALTH.ACCESS"],
        "1000",
        "Rue Botanique 75",
        [("MO,WE,FR", "09:00", "13:00")],
        "walk_in",
        ["fr", "en", "ar", "ro"],
        ["region"],
        True,
    ),
    (
        "mdm-mutuelle",
        "Médecins du Monde",
        "Aide à l'affiliation mutuelle",
        "Hulp bij aansluiting ziekenfonds",
        ["HEALTH.INSURANCE"],
        "1000",
        "Rue Botanique 75",
        [("TU", "14:00", "17:00")],
        "appointment",
        ["fr", "en"],
        ["region"],
        True,
    ),
    (
        "cire-permanence",
        "Ciré",
        "Permanence logement des personnes étrangères",
        "Huisvestingspermanentie voor vreemdelingen",
        ["FOREIGN.RESIDENCE", "HOUSING.SEARCH"],
        "1050",
        "Rue du Vivier 80",
        [("TH", "09:30", "12:30")],
        "phone",
        ["fr", "en"],
        ["region"],
        True,
    ),
    (
        "samusocial-hebergement",
        "Samusocial",
        "Hébergement d'urgence",
        "Noodopvang",
        ["HOUSING.SHELTER"],
        "1000",
        "Rue du Petit Rempart 5",
        [("MO,TU,WE,TH,FR,SA,SU", "18:00", "08:00")],
        "walk_in phone",
        ["fr", "nl", "en"],
        ["region"],
        True,
    ),
    (
        "samusocial-maraude",
        "Samusocial",
        "Équipes mobiles de rue",
        "Mobiele straatteams",
        ["HOUSING.SHELTER", "ISOLATION.SOCIAL"],
        "1000",
        "Rue du Petit Rempart 5",
        [("MO,TU,WE,TH,FR,SA,SU", "20:00", "02:00")],
        "outreach",
        ["fr", "nl"],
        ["region"],
        True,
    ),
    (
        "infor-jeunes",
        "Infor Jeunes",
        "Info et droits des jeunes",
        "Info en rechten voor jongeren",
        ["SCHOOL.COSTS", "FAMILY.SEPARATION"],
        "1000",
        "Rue du Marché aux Herbes 27",
        [("TU,WE,TH", "12:00", "17:00")],
        "walk_in phone",
        ["fr"],
        ["region"],
        True,
    ),
    (
        "rbdh-permanence",
        "Rassemblement Droit au Logement",
        "Permanence droit au logement",
        "Permanentie recht op wonen",
        ["HOUSING.RENT", "HOUSING.CONDITION"],
        "1030",
        "Quai des Charbonnages 30",
        [("WE", "09:30", "12:30")],
        "phone appointment",
        ["fr", "nl"],
        ["region"],
        True,
    ),
    (
        "fdss-ligne",
        "FdSS",
        "Ligne d'écoute et d'orientation sociale",
        "Luister- en doorverwijslijn",
        ["OTHER.OTHER", "ISOLATION.SOCIAL"],
        "1060",
        "Rue Gheude 49",
        [(WEEKDAYS, "09:00", "17:00")],
        "phone",
        ["fr", "nl"],
        ["region"],
        True,
    ),
    (
        "css-violence",
        "CSS Sud-Est",
        "Écoute violences conjugales",
        "Luisterlijn partnergeweld",
        ["VIOLENCE.DOMESTIC"],
        "1050",
        "Avenue de la Couronne 12",
        [("TU,TH", "10:00", "16:00")],
        "phone appointment",
        ["fr", "nl", "en"],
        ["region"],
        True,
    ),
    (
        "ssj-psy",
        "SSJ",
        "Soutien psychosocial",
        "Psychosociale steun",
        ["MENTAL.DISTRESS"],
        "1060",
        "Avenue Ducpétiaux 68",
        [("MO,WE", "14:00", "18:00")],
        "appointment",
        ["fr", "en"],
        ["1060", "1050", "1190"],
        False,
    ),
    (
        "froidure-assuetudes",
        "Abbé Froidure",
        "Accompagnement assuétudes",
        "Begeleiding verslaving",
        ["MENTAL.ADDICTION"],
        "1060",
        "Rue de la Victoire 26",
        [("FR", "09:00", "12:00")],
        "referral",
        ["fr"],
        ["1060"],
        True,
    ),
    (
        "croix-rouge-vestiaire",
        "Croix-Rouge",
        "Vestiboutique de Forest",
        "Vestiboutique Vorst",
        ["HOUSING.CONDITION", "FAMILY.CHILDCARE"],
        "1190",
        "Chaussée de Neerstalle 30",
        [("TU,SA", "10:00", "16:00")],
        "walk_in",
        ["fr", "nl"],
        ["1190", "1180"],
        False,
    ),
    (
        "tele-ecrivain",
        "Télé-Service",
        "Écrivain public",
        "Openbare schrijver",
        ["ADMIN.PAPERS", "DIGITAL.ONLINE"],
        "1000",
        "Boulevard de l'Abattoir 27",
        [("FR", "13:30", "16:30")],
        "walk_in",
        ["fr", "ar", "es"],
        ["1000"],
        True,
    ),
    (
        "cap-femmes",
        "Cap Migrants",
        "Groupe de parole femmes migrantes",
        "Praatgroep migrantenvrouwen",
        ["ISOLATION.SOCIAL", "FOREIGN.RESIDENCE"],
        "1080",
        "Rue de Ribaucourt 40",
        [("MONTHLY:1TH", "14:00", "16:00")],
        "appointment",
        ["fr", "ar"],
        ["1080"],
        True,
    ),
]
FIRST_NAMES = [
    "Sarah",
    "Youssef",
    "Marie",
    "Koen",
    "Leila",
    "Pierre",
    "Inès",
    "Bram",
    "Aïcha",
    "Thomas",
    "Elif",
    "Hugo",
]
LAST_NAMES = ["Dupont", "El Amrani", "Claes", "Yilmaz", "Lemaire", "Peeters", "Diop", "Vermeulen", "Haddad", "Renard"]
FUNCTIONS = [
    ("Assistant·e social·e", "Maatschappelijk werker"),
    ("Coordinateur·rice", "Coördinator"),
    ("Juriste", "Jurist"),
    ("Accueillant·e", "Onthaalmedewerker"),
    ("Médiateur·rice de dettes", "Schuldbemiddelaar"),
]


def _time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def load(context: DemoContext) -> None:
    if Service.objects.exists():
        return
    categories = {c.code: c for c in active_categories("request-themes")}
    postal = {p.code: p for p in PostalCode.objects.select_related("commune")}
    providers: dict[str, DirectoryOrganisation] = {}
    for short, organisation in context.organisations.items():
        providers[short] = DirectoryOrganisation.objects.create(
            organisation=organisation,
            name_fr=organisation.name_fr,
            name_nl=organisation.name_nl,
            website=f"https://{short.lower().replace(' ', '-').replace('é', 'e')}.example.be",
        )
    for short, (name_fr, name_nl) in OTHER_PROVIDERS.items():
        providers[short] = DirectoryOrganisation.objects.create(name_fr=name_fr, name_nl=name_nl)
    staff = context.accounts.get("federation_staff")
    locations: dict[tuple[str, str], Location] = {}
    now = timezone.now()
    rng = context.rng
    for index, (
        _key,
        provider_key,
        name_fr,
        name_nl,
        needs,
        code,
        street,
        hours,
        modalities,
        languages,
        areas,
        free,
    ) in enumerate(SERVICES):
        provider = providers[provider_key]
        regional = "region" in areas
        service = services.save_service(
            None,
            provider,
            {
                "name_fr": name_fr,
                "name_nl": name_nl,
                "description_fr": f"{name_fr} : accueil, information et accompagnement.",
                "description_nl": f"{name_nl}: onthaal, informatie en begeleiding.",
                "status": ServiceStatus.PUBLISHED,
                "modalities": modalities,
                "is_free": free,
                "fees_fr": "" if free else "Participation symbolique selon les revenus.",
                "fees_nl": "" if free else "Symbolische bijdrage volgens inkomen.",
                "eligibility_fr": "Toute personne, sans condition."
                if regional
                else "Habitants des communes desservies.",
                "eligibility_nl": "Iedereen, zonder voorwaarden."
                if regional
                else "Inwoners van de bediende gemeenten.",
                "required_documents_fr": "Carte d'identité ou tout document d'identité, si vous en avez un.",
                "serves_whole_region": regional,
            },
            needs=[categories[c] for c in needs if c in categories],
            communes=[postal[c].commune for c in areas if c in postal],
            languages=languages,
        )
        location = locations.get((provider_key, street))
        if location is None:
            commune = postal[code].commune
            location = Location.objects.create(
                organisation=provider,
                address=street,
                postal_code=code,
                city=postal[code].locality_fr,
                commune=commune,
                latitude=commune.latitude + Decimal(rng.randint(-80, 80)) / 10000,
                longitude=commune.longitude + Decimal(rng.randint(-80, 80)) / 10000,
                accessibility=rng.choice(["", "Accessible en chaise roulante.", "Rez-de-chaussée, une marche."]),
            )
            locations[(provider_key, street)] = location
        ServiceAtLocation.objects.create(service=service, location=location)
        for byday, opens, closes in hours:
            if byday.startswith("MONTHLY:"):
                Schedule.objects.create(
                    service=service, freq="MONTHLY", byday=byday[8:], opens_at=_time(opens), closes_at=_time(closes)
                )
            else:
                Schedule.objects.create(service=service, byday=byday, opens_at=_time(opens), closes_at=_time(closes))
        refresh_search_index(service)
        Phone.objects.create(
            service=service, number=f"02 5{index % 10}{rng.randint(0, 9)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
        )
        if index % 3 == 0:
            for _number in range(rng.randint(1, 2)):
                function_fr, function_nl = rng.choice(FUNCTIONS)
                Worker.objects.create(
                    service=service,
                    full_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                    function_fr=function_fr,
                    function_nl=function_nl,
                    phone=f"02 6{rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
                    email=f"contact{index}@example.be",
                    consent=True,
                    consent_at=now,
                )
        if index % 4 == 1 and staff is not None:
            services.confirm_still_accurate(staff, service)
    # A few crisis statuses and closures, as during the 2020 lockdown.
    by_key = {row[0]: Service.objects.get(name_fr=row[2]) for row in SERVICES}
    # The worker follows food aid by email: `maillage directory_digest` sends her the status changes below.
    follower = context.accounts.get("worker")
    if follower is not None and "FOOD" in categories:
        services.subscribe(follower, None, categories["FOOD"])
    today = timezone.localdate()
    services.set_crisis_status(
        staff,
        by_key["restos-colis"],
        CrisisStatus.REDUCED,
        "Distribution sur rendez-vous uniquement.",
        today + timedelta(days=30),
    )
    services.set_crisis_status(
        staff, by_key["tele-vestiaire"], CrisisStatus.CLOSED, "Fermé pour travaux.", today + timedelta(days=10)
    )
    services.set_crisis_status(
        staff, by_key["css-permanence"], CrisisStatus.CHANGED, "Permanence déplacée au 1er étage.", None
    )
    ScheduleException.objects.create(
        service=by_key["ssq-epicerie"],
        start_date=date(today.year, 12, 24),
        end_date=date(today.year + 1, 1, 1),
        reason="Congés de fin d'année",
    )
    from maillage.directory.demo_network import load_network

    load_network(context)
    context.notes.append(
        "Directory: /directory/ (public search for phones), /directory/pro/ (with workers, signed in), "
        "/directory/sheet/ (printable sheet), /directory/api/services (HSDS API), /directory/organisations/ "
        "(coordinators and staff edit directory entries); `maillage directory_digest` emails followers of "
        "a commune or a need (the worker follows food aid)."
    )
