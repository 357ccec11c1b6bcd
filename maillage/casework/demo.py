"""Demo data for case work: the three schemes, subsidies, a few hundred coded follow-ups, collective activities."""

from __future__ import annotations

import datetime

from django.utils import timezone

from maillage.casework import rollups_rebuild
from maillage.casework.models import (
    AXES,
    Activity,
    ActivityKind,
    ActivitySession,
    CaseFile,
    CaseworkSettings,
    FollowUp,
    Household,
    IncomeSource,
    Mode,
    NationalityGroup,
    Participation,
    Person,
    Request,
    Subsidy,
    age_band_for,
)
from maillage.casework.schemes import ensure_casework_schemes
from maillage.core.demo_context import DemoContext
from maillage.core.models import PostalCode
from maillage.taxonomy.models import Category
from maillage.taxonomy.queries import active_categories

SUBSIDIES = [
    ("cocof-casg", "COCOF — agrément CASG"),
    ("pus", "Plan d'urgence sociale"),
    ("fse", "Fonds social européen"),
]
# centre → (persons, follow-ups)
CENTRES = {"CSS Sud-Est": (70, 320), "SSQ 1030": (25, 90), "Entraide Anderlecht": (25, 90)}
# Theme weights: what the seeds say centres mostly see.
THEME_WEIGHTS = {
    "INCOME": 6,
    "HOUSING": 5,
    "FOREIGN": 4,
    "ENERGY": 3,
    "FOOD": 3,
    "ADMIN": 4,
    "HEALTH": 2,
    "FAMILY": 2,
    "DIGITAL": 2,
    "MENTAL": 1,
    "SCHOOL": 1,
    "ISOLATION": 1,
    "VIOLENCE": 1,
    "OTHER": 1,
}
INSTITUTION_FOR = {
    "INCOME": ["PUBLIC.CPAS", "PUBLIC.ONEM", "UTILITIES.BAILIFF", "JUSTICE.MEDIATOR"],
    "HOUSING": ["HOUSING.LANDLORD", "HOUSING.SOCIAL", "HOUSING.AIS", "JUSTICE.COURT"],
    "FOREIGN": ["MIGRATION.OE", "MIGRATION.CGRA", "MIGRATION.POPULATION", "MIGRATION.FEDASIL", "JUSTICE.LAWYER"],
    "ENERGY": ["UTILITIES.ENERGY", "UTILITIES.WATER"],
    "FOOD": ["PUBLIC.CPAS", "OTHER.ASSOC"],
}
NAMES = [("Leila", "Haddad"), ("Jean", "Dupont"), ("Maria", "Popescu"), ("Youssef", "El Amrani"), ("Nadia", "Kabongo")]
NOTES = ["", "", "", "Rappeler la semaine prochaine.", "Documents à apporter: avertissement-extrait de rôle."]


def load(context: DemoContext) -> None:
    ensure_casework_schemes()
    subsidies = [Subsidy.objects.get_or_create(code=code, defaults={"name": name})[0] for code, name in SUBSIDIES]
    rng = context.rng
    today = timezone.localdate()
    themes = list(active_categories(AXES["theme"]).filter(level=2))
    institutions = {c.code: c for c in active_categories(AXES["institution"])}
    stages = list(active_categories(AXES["stage"]).filter(level=2))
    themes_by_top: dict[str, list[Category]] = {}
    for theme in themes:
        themes_by_top.setdefault(theme.parent.code if theme.parent else theme.code, []).append(theme)
    tops = [top for top in THEME_WEIGHTS if top in themes_by_top]
    weights = [THEME_WEIGHTS[top] for top in tops]
    postal_codes = list(PostalCode.objects.values_list("code", "commune_id"))
    for short, (n_persons, n_followups) in CENTRES.items():
        centre = context.organisations.get(short)
        if centre is None:
            continue
        CaseworkSettings.objects.get_or_create(
            organisation=centre, defaults={"store_identities": short == "CSS Sud-Est"}
        )
        workers = list(centre.memberships.filter(role__in=["worker", "coordinator"]).select_related("user"))
        staff = [m.user for m in workers]
        if not staff:
            continue
        near = [pc for pc in postal_codes if pc[0] == centre.postal_code] or postal_codes
        persons = []
        for index in range(n_persons):
            birth_year = rng.choice([None, *range(1945, 2006)])
            postal, commune_id = rng.choice(near if rng.random() < 0.6 else postal_codes)
            persons.append(
                Person(
                    organisation=centre,
                    reference=f"P-{index + 1:06d}",
                    birth_year=birth_year,
                    age_band=age_band_for(birth_year, today.year),
                    sex=rng.choice("fffmmx" if index % 7 else "fmu"),
                    postal_code=postal,
                    commune_id=commune_id,
                    household=rng.choice(Household.values),
                    children=rng.choice([None, 0, 0, 1, 2, 3, 4]),
                    income_source=rng.choice(IncomeSource.values),
                    nationality_group=rng.choice(NationalityGroup.values),
                    language=rng.choice(["fr", "fr", "nl", "ar", "en", "es"]),
                )
            )
        if short == "CSS Sud-Est":  # this centre stores names: a few persons gave theirs
            for person, (first, last) in zip(persons, NAMES, strict=False):
                person.first_name, person.last_name = first, last
        Person.objects.bulk_create(persons)
        persons = list(Person.objects.filter(organisation=centre).order_by("reference"))
        files = []
        for person in persons:
            opened = today - datetime.timedelta(days=rng.randint(30, 900))
            closed = opened + datetime.timedelta(days=rng.randint(20, 300)) if rng.random() < 0.25 else None
            if closed and closed > today:
                closed = None
            files.append(
                CaseFile(
                    organisation=centre,
                    person=person,
                    opened_on=opened,
                    closed_on=closed,
                    closing_reason=rng.choice(["resolved", "referred", "no_contact"]) if closed else "",
                )
            )
        CaseFile.objects.bulk_create(files)
        files = list(CaseFile.objects.filter(organisation=centre).select_related("person"))
        for case_file in files:
            case_file.workers.add(rng.choice(staff))
        followups = []
        for _ in range(n_followups):
            case_file = rng.choice(files)
            end = case_file.closed_on or today
            span = max((end - case_file.opened_on).days, 0)
            date = case_file.opened_on + datetime.timedelta(days=rng.randint(0, span))
            person = case_file.person
            followups.append(
                FollowUp(
                    organisation=centre,
                    case_file=case_file,
                    person=case_file.person,
                    date=date,
                    mode=rng.choice(Mode.values),
                    duration=rng.choice([15, 20, 30, 45, 60, 90]),
                    worker=rng.choice(staff),
                    subsidy=rng.choice([*subsidies[:2], None]),
                    age_band=age_band_for(person.birth_year, date.year) if person.birth_year else person.age_band,
                    actions=rng.sample(
                        ["information", "admin_help", "accompaniment", "referral", "listening"], rng.randint(1, 2)
                    ),
                    note=rng.choice(NOTES),
                )
            )
        for follow_up in followups:
            if "referral" in follow_up.actions:
                follow_up.referred_to = rng.choice(
                    ["CPAS", "Maison médicale", "Service de médiation de dettes", "Avocat pro deo"]
                )
        FollowUp.objects.bulk_create(followups)
        requests = []
        for follow_up in FollowUp.objects.filter(organisation=centre):
            for _ in range(rng.choice([1, 1, 1, 2, 2, 3])):
                top = rng.choices(tops, weights)[0]
                theme = rng.choice(themes_by_top[top])
                institution = institutions.get(rng.choice(INSTITUTION_FOR.get(top, ["OTHER.NONE"])))
                requests.append(
                    Request(
                        follow_up=follow_up,
                        organisation=centre,
                        date=follow_up.date,
                        theme=theme,
                        institution=institution,
                        stage=rng.choice(stages),
                        is_open=rng.random() < 0.4,
                    )
                )
        Request.objects.bulk_create(requests)
        _activities(context, centre, staff, themes_by_top, subsidies, today)
    rollups_rebuild.rebuild()  # rows were bulk-created: count the statistics roll-ups once (PostgreSQL only)
    context.notes.append(
        "Case files: sign in as amina.benali@demo.maillage.be → Case files; statistics under /stats/casework/."
    )


def _activities(context: DemoContext, centre, staff, themes_by_top, subsidies, today) -> None:  # type: ignore[no-untyped-def]
    rng = context.rng
    specs = [
        ("Atelier budget", ActivityKind.WORKSHOP, ["INCOME"], "CPAS, Infor GazElec"),
        ("Séance d'information: droit de séjour", ActivityKind.INFO_SESSION, ["FOREIGN"], "ADDE, Ciré"),
        ("Potager collectif", ActivityKind.COMMUNITY_PROJECT, ["FOOD", "ISOLATION"], "Maison de quartier"),
    ]
    for title, kind, tops, partners in specs:
        activity = Activity.objects.create(
            organisation=centre, title=title, kind=kind, partners=partners, subsidy=rng.choice(subsidies)
        )
        activity.themes.set([themes_by_top[top][0].parent for top in tops if top in themes_by_top])
        activity.workers.set(rng.sample(staff, min(2, len(staff))))
        for week in range(rng.randint(2, 5)):
            session = ActivitySession.objects.create(
                activity=activity,
                organisation=centre,
                date=today - datetime.timedelta(days=14 * week + rng.randint(1, 10)),
                duration=rng.choice([90, 120, 180]),
            )
            Participation.objects.bulk_create(
                Participation(session=session, sex=sex, age_band=band, count=rng.randint(1, 8))
                for sex in ("f", "m")
                for band in rng.sample(["18-24", "25-34", "35-44", "45-54", "55-64", "65+"], 3)
            )
