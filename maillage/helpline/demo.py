"""Demo data for the helpline: opening hours, shifts, a few hundred calls, callbacks, debriefings.

The distribution follows the seed's bilans roughly: about one call in four about food aid,
income and debt close behind, housing around 12%; 1.27 requests per call.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from maillage.core.audit import log_action
from maillage.core.demo_context import DEMO_PASSWORD, DemoContext
from maillage.core.models import Membership, PostalCode, Role, User
from maillage.helpline.models import (
    Action,
    Call,
    Callback,
    CallbackOutcome,
    CallerArea,
    OpeningHours,
    Request,
    Shift,
    ShiftDebriefing,
    WeeklyNote,
)
from maillage.taxonomy.models import Category
from maillage.taxonomy.queries import active_categories

DAYS = 245
CALLS_PER_OPEN_DAY = (1, 3)
# Weights of the level-1 themes among requests.
THEME_WEIGHTS = {
    "FOOD": 20,
    "INCOME": 19,
    "HOUSING": 12,
    "HEALTH": 8,
    "ADMIN": 8,
    "MENTAL": 8,
    "FOREIGN": 7,
    "ENERGY": 6,
    "FAMILY": 3,
    "VIOLENCE": 2,
    "ISOLATION": 2,
    "DIGITAL": 1,
    "SCHOOL": 1,
}
ACTION_WEIGHTS = {
    Action.INFORMATION: 40,
    Action.REFERRAL: 35,
    Action.WARM_TRANSFER: 8,
    Action.CALLBACK: 7,
    Action.NOTHING: 6,
    Action.OTHER: 4,
}
EXTRA_RESPONDERS = [
    ("Karim Haddad", "karim.haddad@demo.maillage.be", "SSdS"),
    ("Els Vermeulen", "els.vermeulen@demo.maillage.be", "CAW Brussel"),
    ("Claire Renard", "claire.renard@demo.maillage.be", "Télé-Service"),
]
STOOD_OUT = [
    "Beaucoup d'appels pour des colis alimentaires en fin de mois.",
    "Plusieurs étudiants sans revenus depuis la perte de leur job.",
    "Des personnes âgées isolées qui appellent surtout pour parler.",
    "Questions sur les primes énergie et les compteurs à budget.",
    "Veel vragen over huurachterstand en uithuiszetting.",
]
DIFFICULT = [
    "Une maman seule avec trois enfants, sans solution pour ce soir.",
    "Un appel en grande détresse psychologique, relais vers un service de santé mentale.",
    "",
    "Beller zonder papieren, weinig diensten open op zaterdag.",
]
SIGNALS = [
    "Le CPAS de la commune ne répond plus au téléphone le vendredi.",
    "Les épiceries sociales du centre sont saturées.",
    "",
    "Nieuwe voedselbank geopend in Anderlecht, nog niet in de gids.",
]
WEEKLY_NOTES = [
    "Hausse des demandes liées au logement ; à relayer au GT Numéro vert.",
    "Semaine calme, mais beaucoup de rappels non aboutis. Revoir la procédure de rappel.",
    "Signal : délais très longs pour un rendez-vous au CPAS. À porter aux administrations.",
    "Toename van vragen in het Nederlands op dinsdag; extra NL-permanentie voorzien.",
]


def _weighted(rng, weights: dict) -> object:  # type: ignore[no-untyped-def]
    keys = list(weights)
    return rng.choices(keys, weights=[weights[key] for key in keys])[0]


def _responders(context: DemoContext) -> list[User]:
    line = context.organisations["FdSS"]
    people = [context.accounts["responder"], context.accounts["worker_anderlecht"]]
    for full_name, email, home in EXTRA_RESPONDERS:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email, DEMO_PASSWORD, full_name=full_name)
        Membership.objects.get_or_create(user=user, organisation=context.organisations[home], role=Role.WORKER)
        Membership.objects.get_or_create(user=user, organisation=line, role=Role.RESPONDER)
        people.append(user)
    return people


def _opening_hours(line, today) -> None:  # type: ignore[no-untyped-def]
    first = today - timedelta(days=365)
    later = today - timedelta(days=60)
    rows = [
        OpeningHours(organisation=line, valid_from=first, weekday=d, opens=time(8), closes=time(20)) for d in range(5)
    ]
    rows += [
        OpeningHours(organisation=line, valid_from=first, weekday=d, opens=time(10), closes=time(18)) for d in (5, 6)
    ]
    rows += [
        OpeningHours(organisation=line, valid_from=later, weekday=d, opens=time(9), closes=time(17)) for d in range(5)
    ]
    OpeningHours.objects.bulk_create(rows)


def _day_slots(day, today) -> list[tuple[time, time]]:  # type: ignore[no-untyped-def]
    """Shifts of a day, following the opening hours in force then."""
    if day >= today - timedelta(days=60):
        return [(time(9), time(13)), (time(13), time(17))] if day.weekday() < 5 else []
    if day.weekday() < 5:
        return [(time(8), time(14)), (time(14), time(20))]
    return [(time(10), time(18))]


def load(context: DemoContext) -> None:
    line = context.organisations.get("FdSS")
    if line is None or Call.objects.filter(organisation=line).exists():
        return
    rng = context.rng
    now = timezone.now()
    today = timezone.localdate()
    responders = _responders(context)
    _opening_hours(line, today)
    categories = list(active_categories("request-themes"))
    if not categories:
        return
    children: dict[str, list[Category]] = {}
    for category in categories:
        if category.level == 2 and category.parent is not None:
            children.setdefault(category.parent.code, []).append(category)
    services_by_theme: dict[str, list[int]] = {}
    try:
        from maillage.directory.models import Service, ServiceStatus

        for published in Service.objects.filter(status=ServiceStatus.PUBLISHED).prefetch_related("needs"):
            for need in published.needs.all():
                theme = need.parent.code if need.parent_id and need.parent else need.code
                services_by_theme.setdefault(theme, []).append(published.pk)
    except ImportError:  # pragma: no cover - the directory is installed with the project
        pass
    postal_codes = list(PostalCode.objects.values_list("code", "commune_id"))
    outside_codes = ["1400", "1300", "1930", "3000", "4000", "6000", "9000"]

    shifts: list[tuple[Shift, list[User]]] = []
    for offset in range(DAYS, -8, -1):
        day = today - timedelta(days=offset)
        for opens, closes in _day_slots(day, today):
            start = timezone.make_aware(datetime.combine(day, opens))
            end = timezone.make_aware(datetime.combine(day, closes))
            languages = ["fr", "nl"] if rng.random() < 0.6 else ["fr"]
            team = rng.sample(responders, 2)
            shift = Shift.objects.create(organisation=line, starts_at=start, ends_at=end, languages=languages)
            shift.responders.set(team)
            shifts.append((shift, team))
    # "My shift" works in the demo: the responder account is on the line right now.
    current = Shift.objects.create(
        organisation=line, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=3), languages=["fr", "nl"]
    )
    current.responders.set([context.accounts["responder"], responders[2]])

    calls: list[Call] = []
    planned_requests: list[list[tuple[Category, str, int | None]]] = []
    debriefings: list[ShiftDebriefing] = []
    for shift, team in shifts:
        if shift.ends_at > now:
            continue
        length = int((shift.ends_at - shift.starts_at).total_seconds() // 60)
        for _ in range(rng.randint(*CALLS_PER_OPEN_DAY)):
            started = shift.starts_at + timedelta(minutes=rng.randrange(0, length - 5))
            roll = rng.random()
            if roll < 0.82:
                code, commune_id = rng.choice(postal_codes)
                area = CallerArea.BRUSSELS
            elif roll < 0.88:
                code, commune_id, area = rng.choice(outside_codes), None, CallerArea.OUTSIDE
            else:
                code, commune_id, area = "", None, CallerArea.UNKNOWN
            language = "fr" if rng.random() < 0.8 or "nl" not in shift.languages else "nl"
            if rng.random() < 0.03:
                language = "en"
            call = Call(
                organisation=line,
                responder=rng.choice(team),
                shift=shift,
                started_at=started,
                duration_minutes=max(1, int(rng.gauss(9, 5))),
                language=language,
                caller_sex=rng.choices(["woman", "man", "other", "unknown"], weights=[58, 36, 1, 5])[0],
                caller_area=area,
                postal_code=code,
                commune_id=commune_id,
                caller_type=rng.choices(["concerned", "relative", "professional", "other"], weights=[78, 12, 8, 2])[0],
                heard_via=rng.choice(["", "", "media", "social_media", "poster", "service", "relative", "internet"]),
                urgency=rng.choices(["low", "medium", "high"], weights=[60, 30, 10])[0],
                comment=rng.choice(
                    ["", "", "", "Rappeler si pas de solution.", "Appel difficile, personne en pleurs."]
                ),
                created_at=started + timedelta(minutes=10),
                updated_at=started + timedelta(minutes=10),
            )
            count = rng.choices([1, 2, 3], weights=[76, 21, 3])[0]
            themes: list[str] = []
            while len(themes) < count:
                theme = str(_weighted(rng, THEME_WEIGHTS))
                if theme not in themes:
                    themes.append(theme)
            items: list[tuple[Category, str, int | None]] = []
            for theme in themes:
                category = rng.choice(children.get(theme) or [c for c in categories if c.code == theme])
                action = str(_weighted(rng, ACTION_WEIGHTS))
                service: int | None = None
                if action in (Action.REFERRAL, Action.WARM_TRANSFER):
                    options = services_by_theme.get(theme)
                    if options:
                        service = rng.choice(options)
                    else:
                        action = Action.INFORMATION
                items.append((category, action, service))
            calls.append(call)
            planned_requests.append(items)
        if rng.random() < 0.45:
            debriefings.append(
                ShiftDebriefing(
                    organisation=line,
                    shift=shift,
                    author=team[0],
                    stood_out=rng.choice(STOOD_OUT),
                    difficult_situations=rng.choice(DIFFICULT),
                    signals=rng.choice(SIGNALS),
                    calls_felt_heavy=rng.random() < 0.25,
                    created_at=shift.ends_at,
                )
            )
    Call.objects.bulk_create(calls, batch_size=500)
    requests: list[Request] = []
    for call, items in zip(calls, planned_requests, strict=True):
        for position, (category, action, service) in enumerate(items):
            requests.append(
                Request(
                    organisation=line,
                    call=call,
                    position=position,
                    category=category,
                    theme=category.top,
                    action=action,
                    service_id=service,
                    started_at=call.started_at,
                )
            )
    Request.objects.bulk_create(requests, batch_size=500)
    callbacks = []
    for request in requests:
        if request.action != Action.CALLBACK:
            continue
        due = request.started_at + timedelta(days=1)
        done = due < now - timedelta(days=2)
        callbacks.append(
            Callback(
                organisation=line,
                request=request,
                due_at=due,
                done_at=due if done else None,
                done_by=request.call.responder if done else None,
                outcome=rng.choice(CallbackOutcome.values) if done else "",
            )
        )
    Callback.objects.bulk_create(callbacks, batch_size=500)
    ShiftDebriefing.objects.bulk_create(debriefings, batch_size=500)
    staff = context.accounts["federation_staff"]
    monday = today - timedelta(days=today.weekday())
    for week in range(1, DAYS // 7):
        WeeklyNote.objects.create(
            organisation=line, week_start=monday - timedelta(weeks=week), author=staff, text=rng.choice(WEEKLY_NOTES)
        )
    log_action(None, "helpline.demo.loaded", line, {"calls": len(calls), "requests": len(requests)})
    context.notes.append(
        f"Helpline: {len(calls)} calls / {len(requests)} requests over {DAYS} days — "
        f"log calls as {context.accounts['responder'].email} (/helpline/calls/new/), "
        f"read the bilan as {staff.email} (/stats/helpline/bilan/)."
    )
