"""Demo data for core: the organisations named in the seeds, fictional people, one account per role."""

from __future__ import annotations

from allauth.account.models import EmailAddress

from maillage.core.demo_context import DEMO_PASSWORD, DemoContext
from maillage.core.models import Membership, Organisation, PostalCode, Role, Sector, User

# short name, French name, Dutch name, sector, postal code, languages, member
ORGANISATIONS = [
    (
        "FdSS",
        "Fédération des Services Sociaux",
        "Federatie van de Maatschappelijke Diensten",
        Sector.FEDERATION,
        "1060",
        ["fr", "nl"],
        True,
    ),
    (
        "CSS Sud-Est",
        "Centre de Service Social de Bruxelles Sud-Est",
        "Centrum voor Maatschappelijk Werk Brussel Zuid-Oost",
        Sector.CASG,
        "1050",
        ["fr"],
        True,
    ),
    ("SSJ", "Service Social Juif", "Joodse Sociale Dienst", Sector.CASG, "1060", ["fr", "en"], True),
    ("CSP", "Centre Social Protestant", "Protestants Sociaal Centrum", Sector.CASG, "1060", ["fr"], True),
    ("SSdS", "Service Social des Solidarités", "Sociale Dienst van de Solidariteit", Sector.CASG, "1000", ["fr"], True),
    (
        "Télé-Service",
        "Espace Social Télé-Service",
        "Sociale Ruimte Télé-Service",
        Sector.CASG,
        "1000",
        ["fr", "nl"],
        True,
    ),
    (
        "Abbé Froidure",
        "Centre d'Accueil Social Abbé Froidure",
        "Sociaal Onthaalcentrum Abbé Froidure",
        Sector.CASG,
        "1060",
        ["fr"],
        True,
    ),
    (
        "SSQ 1030",
        "Services Sociaux des Quartiers 1030",
        "Sociale Wijkdiensten 1030",
        Sector.CASG,
        "1030",
        ["fr", "nl"],
        True,
    ),
    ("Cap Migrants", "Cap Migrants", "Cap Migrants", Sector.CAP, "1080", ["fr", "en"], True),
    ("CAW Brussel", "CAW Bruxelles", "CAW Brussel", Sector.CAW, "1000", ["nl", "fr"], True),
    (
        "Entraide Anderlecht",
        "Entraide d'Anderlecht",
        "Onderlinge Hulp Anderlecht",
        Sector.CASG,
        "1070",
        ["fr", "nl", "ar"],
        True,
    ),
    ("CPAS Anderlecht", "CPAS d'Anderlecht", "OCMW Anderlecht", Sector.CPAS, "1070", ["fr", "nl"], False),
]

# key, full name, email, [(organisation short name, role)]
ACCOUNTS = [
    ("worker", "Amina Benali", "amina.benali@demo.maillage.be", [("CSS Sud-Est", Role.WORKER)]),
    ("coordinator", "Marc Dubois", "marc.dubois@demo.maillage.be", [("CSS Sud-Est", Role.COORDINATOR)]),
    (
        "responder",
        "Lotte Peeters",
        "lotte.peeters@demo.maillage.be",
        [("CAW Brussel", Role.WORKER), ("FdSS", Role.RESPONDER)],
    ),
    ("organiser", "Sophie Lambert", "sophie.lambert@demo.maillage.be", [("FdSS", Role.ORGANISER)]),
    ("federation_staff", "Julien Martin", "julien.martin@demo.maillage.be", [("FdSS", Role.FEDERATION_STAFF)]),
    ("administrator", "Nadia El Idrissi", "nadia.elidrissi@demo.maillage.be", [("FdSS", Role.ADMINISTRATOR)]),
    ("worker_other_centre", "Tom Janssens", "tom.janssens@demo.maillage.be", [("SSQ 1030", Role.WORKER)]),
    (
        "worker_anderlecht",
        "Fatou Diallo",
        "fatou.diallo@demo.maillage.be",
        [("Entraide Anderlecht", Role.WORKER), ("FdSS", Role.RESPONDER)],
    ),
]

STREETS = [
    "Rue Haute",
    "Chaussée de Mons",
    "Rue de la Victoire",
    "Avenue Brugmann",
    "Rue Royale",
    "Chaussée de Haecht",
    "Rue Brogniez",
]


def load(context: DemoContext) -> None:
    communes = {postal.code: postal.commune for postal in PostalCode.objects.select_related("commune")}
    for index, (short, name_fr, name_nl, sector, postal, languages, member) in enumerate(ORGANISATIONS):
        organisation, _created = Organisation.objects.get_or_create(
            short_name=short,
            defaults={
                "name_fr": name_fr,
                "name_nl": name_nl,
                "sector": sector,
                "postal_code": postal,
                "commune": communes.get(postal),
                "languages": languages,
                "is_member": member,
                "street": f"{STREETS[index % len(STREETS)]} {10 + index * 7}",
            },
        )
        context.organisations[short] = organisation
    for key, full_name, email, roles in ACCOUNTS:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email, DEMO_PASSWORD, full_name=full_name)
            EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
        for short, role in roles:
            Membership.objects.get_or_create(user=user, organisation=context.organisations[short], role=role)
        context.accounts[key] = user
    admin = context.accounts["administrator"]
    if not admin.is_staff:
        admin.is_staff = admin.is_superuser = True
        admin.save(update_fields=["is_staff", "is_superuser"])
