"""One object of each kind for the access-policy test, and the people who visit them.

Organisation A is a social-service centre (its worker in charge of the case file, a colleague who is
not, its coordinator and organiser); the federation
F runs the helpline (its responder and federation staff) and curates the directory; B is another
centre whose one member holds every ordinary role; B2 is another federation running its own line.
Objects belong to A, except the helpline's, which belong to F's line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from maillage.core.access import Visitor
from maillage.core.models import Membership, Organisation, Role, User
from tests.conftest import client_for
from tests.factories import CategoryFactory, OrganisationFactory, SchemeFactory, SchemeVersionFactory, member

# Visitors, in the order the test walks them.
VISITORS = (
    "anonymous",
    "worker",
    "colleague",
    "coordinator",
    "organiser",
    "responder",
    "staff",
    "outsider",
    "other_line",
)


@dataclass
class World:
    centre: Organisation
    federation: Organisation
    people: dict[str, User]
    # URL name -> the keyword arguments that name our objects.
    kwargs: dict[str, dict[str, Any]]
    # URL name -> a query string the page needs to show something (a picker's prefix...).
    queries: dict[str, str] = field(default_factory=dict)
    # URL name -> the person owning the object (a subscription, the case file they are in charge of).
    owners: dict[str, User] = field(default_factory=dict)
    # URL name -> the keyword arguments with a forged token (personal links).
    forged: dict[str, dict[str, Any]] = field(default_factory=dict)

    def owner_organisation(self, name: str) -> Organisation:
        """The organisation whose object the URL names: the helpline's line, else the centre."""
        if name.startswith(("helpline:", "stats:helpline_")):
            return self.federation
        return self.centre

    def visitor(self, label: str, name: str) -> Visitor:
        user = self.people.get(label)
        if user is None:
            return Visitor(authenticated=False)
        memberships = list(Membership.objects.filter(user=user, is_active=True))
        owner = self.owner_organisation(name)
        return Visitor(
            authenticated=True,
            roles_here=frozenset(m.role for m in memberships if m.organisation_id == owner.pk),
            roles_anywhere=frozenset(m.role for m in memberships),
            django_staff=user.is_staff,
            owns=self.owners.get(name) == user,
        )

    def client(self, label: str) -> Client:
        user = self.people.get(label)
        return Client() if user is None else client_for(user)


def _people(centre: Organisation, federation: Organisation, other: Organisation) -> dict[str, User]:
    other_line = OrganisationFactory(short_name="Ligne B2", sector="federation")
    outsider = member(Role.WORKER, other, full_name="Otto Outsider")
    for role in (Role.COORDINATOR, Role.RESPONDER, Role.ORGANISER):
        outsider.memberships.create(organisation=other, role=role)
    other_staff = member(Role.RESPONDER, other_line, full_name="Olga Otherline")
    other_staff.memberships.create(organisation=other_line, role=Role.FEDERATION_STAFF)
    return {
        "worker": member(Role.WORKER, centre, full_name="Awa Worker"),
        # A worker of the same centre, not in charge of the case file.
        "colleague": member(Role.WORKER, centre, full_name="Colin Colleague"),
        "coordinator": member(Role.COORDINATOR, centre, full_name="Cora Coordinator"),
        "organiser": member(Role.ORGANISER, centre, full_name="Olga Organiser"),
        "responder": member(Role.RESPONDER, federation, full_name="Rita Responder"),
        "staff": member(Role.FEDERATION_STAFF, federation, full_name="Fede Staff"),
        "outsider": outsider,
        "other_line": other_staff,
    }


def _core(world: World) -> None:
    from maillage.core import services

    invitation = services.invite_member(
        world.people["coordinator"], world.centre, email="new.colleague@example.org", role=Role.WORKER, language="fr"
    )
    membership = Membership.objects.get(user=world.people["worker"], organisation=world.centre)
    organisation = {"organisation_id": world.centre.pk}
    world.kwargs.update(
        {
            "core:members": organisation,
            "core:remove_member": {**organisation, "membership_id": membership.pk},
            "core:revoke_invitation": {**organisation, "invitation_id": invitation.pk},
            "core:accept_invitation": {"token": invitation.plain_token},  # type: ignore[attr-defined]
        }
    )
    world.forged["core:accept_invitation"] = {"token": "forged-token"}


def _taxonomy(world: World) -> None:
    scheme = SchemeFactory(code="access-scheme")
    SchemeVersionFactory(scheme=scheme, number=1)
    draft = SchemeVersionFactory(scheme=scheme, number=2, status="draft")
    category = CategoryFactory(version=draft, code="A1")
    version = {"scheme_code": scheme.code, "number": draft.number}
    world.kwargs.update(
        {
            "taxonomy:search": {"scheme_code": scheme.code},
            "taxonomy:create_draft": {"scheme_code": scheme.code},
            "taxonomy:version": version,
            "taxonomy:upload": version,
            "taxonomy:download": version,
            "taxonomy:mapping": version,
            "taxonomy:changes": version,
            "taxonomy:publish": version,
            "taxonomy:discard": version,
            "taxonomy:edit_category": {**version, "category_id": category.pk},
        }
    )


def _directory(world: World, need: Any, other: Organisation) -> None:
    from maillage.directory import services
    from maillage.directory.models import DirectoryOrganisation, Schedule, Worker
    from tests.directory.factories import location_in, make_service

    entry = DirectoryOrganisation.objects.create(name_fr="CSS A", name_nl="CMW A", organisation=world.centre)
    # The other centre's coordinator has an entry of their own, so that adding a service is open to them too.
    DirectoryOrganisation.objects.create(name_fr="Centre B", organisation=other)
    service = make_service(organisation=entry, postal_code="1060", hours=[("MO", time(9), time(12))])
    schedule = service.schedules.get()
    worker = Worker.objects.create(service=service, full_name="Wim Worker", function_fr="Assistant social")
    location = location_in("1060", entry)
    location_schedule = Schedule.objects.create(location=location, byday="TU", opens_at=time(9), closes_at=time(12))
    subscription = services.subscribe(world.people["worker"], None, need)
    # The people of the network (issue 15): a listed card, a network, a correction suggestion.
    from maillage.directory.models import CorrectionSuggestion, Network

    listed = Worker.objects.create(service=service, full_name="Lia Listed", function_fr="Médiatrice", consent=True)
    network = Network.objects.create(name_fr="Contrat local social-santé A")
    network.services.add(service)
    network.workers.add(listed)
    suggestion = CorrectionSuggestion.objects.create(service=service, text="Le numéro a changé.")
    from maillage.directory.reverification import confirmation_token

    unkept = DirectoryOrganisation.objects.create(name_fr="Entrée importée", claimed_by=other)
    world.forged["directory:confirm"] = {"token": "forged"}
    pk = {"pk": service.pk}
    world.kwargs.update(
        {
            "directory:service": pk,
            "directory:service_edit": pk,
            "directory:hours": pk,
            "directory:schedule_delete": {**pk, "schedule_pk": schedule.pk},
            "directory:closure_add": pk,
            "directory:contacts": pk,
            "directory:status": pk,
            "directory:verify": pk,
            "directory:worker_new": pk,
            "directory:worker_edit": {**pk, "worker_pk": worker.pk},
            "directory:history": pk,
            "directory:location_hours": {"pk": location.pk},
            "directory:location_schedule_delete": {"pk": location.pk, "schedule_pk": location_schedule.pk},
            "directory:location_closure_add": {"pk": location.pk},
            "directory:unsubscribe": {"pk": subscription.pk},
            "directory:organisation_edit": {"pk": entry.pk},
            "directory:worker_card": {"pk": listed.pk},
            "directory:network": {"pk": network.pk},
            "directory:suggest": pk,
            "directory:suggestions": pk,
            "directory:moderate": {**pk, "suggestion_pk": suggestion.pk},
            "directory:confirm": {"token": confirmation_token(service, timezone.now())},
            "directory:claim": {"pk": unkept.pk},
            "directory:approve_claim": {"pk": unkept.pk},
            "directory:api:get_service": {"service_id": str(service.uuid)},
            "directory:api:get_organization": {"organization_id": str(entry.uuid)},
        }
    )
    world.owners["directory:unsubscribe"] = world.people["worker"]


def _helpline(world: World) -> None:
    from maillage.helpline import services
    from maillage.helpline.models import Callback, JournalImport
    from tests.helpline.factories import log

    responder, staff = world.people["responder"], world.people["staff"]
    now = timezone.now()
    shift = services.create_shift(
        staff, world.federation, now - timedelta(hours=1), now + timedelta(hours=3), ["fr"], [responder]
    )
    call = log(
        responder,
        {"category": "FOOD.PARCEL", "action": "callback", "note": "", "callback_at": now + timedelta(hours=2)},
        organisation=world.federation,
    )
    callback = Callback.objects.get(request__call=call)
    journal = JournalImport.objects.create(organisation=world.federation, uploaded_by=staff, filename="journal.csv")
    world.kwargs.update(
        {
            "helpline:call_detail": {"pk": call.pk},
            "helpline:call_edit": {"pk": call.pk},
            "helpline:callback_done": {"pk": callback.pk},
            "helpline:debriefing": {"pk": shift.pk},
            "helpline:import_status": {"pk": journal.pk},
            "helpline:import_restart": {"pk": journal.pk},
        }
    )
    world.queries["helpline:referral_options"] = "prefix=requests-0"
    from maillage.helpline.services import rota

    feed = rota.new_feed(responder, world.federation)
    world.kwargs.update(
        {
            "helpline:reference_give": {"pk": call.pk},
            "helpline:rota_month": {"month": "2027-05"},
            "helpline:rota_coverage": {"month": "2027-05"},
            "helpline:rota_feed": {"token": feed.token},
            "helpline:rota_feed_revoke": {"pk": feed.pk},
        }
    )
    world.forged["helpline:rota_feed"] = {"token": "forged-token"}
    world.owners["helpline:rota_feed_revoke"] = responder
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from maillage.stats.models import ExportRun

    export = ExportRun.objects.create(
        organisation=world.federation,
        actor=staff,
        export_format="csv",
        period_first=now.date(),
        period_last=now.date(),
        filename="helpline-calls.csv",
        status=ExportRun.Status.SUCCEEDED,
        stored_file=default_storage.save("stats/exports/access-test.csv", ContentFile(b"call\r\n")),
        expires_at=now + timedelta(hours=1),
    )
    world.kwargs["stats:helpline_export_run"] = {"run_id": export.pk}
    world.kwargs["stats:helpline_export_download"] = {"run_id": export.pk}


def _casework(world: World) -> None:
    from maillage.casework.models import Activity, ImportRun, SavedReport
    from tests.casework.factories import CaseFileFactory, FollowUpFactory, PersonFactory

    worker = world.people["worker"]
    person = PersonFactory(organisation=world.centre, first_name="Amina", last_name="Diallo")
    case_file = CaseFileFactory(person=person, workers=[worker])
    FollowUpFactory(case_file=case_file, worker=worker, note="Private note of the worker")
    activity = Activity.objects.create(organisation=world.centre, title="Atelier budget", kind="workshop")
    run = ImportRun.objects.create(
        organisation=world.centre, actor=world.people["coordinator"], kind="persons", filename="p.csv"
    )
    report = SavedReport.objects.create(organisation=world.centre, owner=worker, name="Mon rapport", params={})
    case = {"case_file_id": case_file.pk}
    for name in (
        "case_file",
        "person_edit",
        "followup_create",
        "request_row",
        "case_file_close",
        "case_file_workers",
        "case_file_reopen",
        "person_export",
        "person_erase",
    ):
        world.kwargs[f"casework:{name}"] = case
        world.owners[f"casework:{name}"] = worker
    world.kwargs.update(
        {
            "casework:settings": {"organisation_id": world.centre.pk},
            "casework:activity": {"activity_id": activity.pk},
            "casework:activity_edit": {"activity_id": activity.pk},
            "casework:import_mapping": {"kind": "persons"},
            "casework:import_run": {"run_id": run.pk},
            "casework:import_start_again": {"run_id": run.pk},
            "stats:casework_report_delete": {"report_id": report.pk},
        }
    )


def _events(world: World) -> None:
    from maillage.events import services
    from maillage.events.models import EventKind, Recommendation
    from tests.events.factories import EventFactory, GroupFactory, SessionFactory

    organiser = world.people["organiser"]
    event = EventFactory(organisation=world.centre, capacity=100, per_organisation=None)
    session = SessionFactory(event=event, starts_at=timezone.now() - timedelta(hours=1))
    result = services.register(
        event,
        services.RegistrationData(full_name="Paula Participant", email="paula@example.org", organisation_name="Asbl"),
    )
    participant = services.confirm_email(services.confirmation_token(result.registrations[0].participant))
    registration = participant.registrations.get()
    services.check_in_by_name(organiser, session, registration)
    breakout = services.add_breakout(organiser, event, "Sous-groupe 1", rapporteur="Rita")
    question = services.ensure_questions(event)[0]
    point = services.add_points(None, breakout, question, "- Simplifier l'accès")[0]
    recommendation = Recommendation.objects.create(event=event, diagnosis="D", recommendation="R", position=1)
    services.publish_book(organiser, event)
    scheduled = services.schedule_message(organiser, event, "S", "B", timezone.now() + timedelta(days=1))
    intervision = EventFactory(organisation=world.centre, kind=EventKind.INTERVISION)
    group = GroupFactory(event=intervision)
    event_id = {"event_id": event.pk}
    token = {"token": participant.token}
    world.kwargs.update(
        {
            "events:confirm": {"token": services.confirmation_token(participant)},
            "events:participant": token,
            "events:participant_register": token,
            "events:participant_cancel": {**token, "registration_id": registration.pk},
            "events:participant_accept": {**token, "registration_id": registration.pk},
            "events:certificate": {**token, "registration_id": registration.pk},
            "events:checkin_scan": {"token": services.checkin_token(registration, session)},
            "events:rapporteur": {"token": services.rapporteur_token(breakout)},
            "events:manage_event": event_id,
            "events:edit_event": event_id,
            "events:edit_part": {**event_id, "kind": "session", "part_id": session.pk},
            "events:remove_part": {"event_id": intervision.pk, "kind": "group", "part_id": group.pk},
            "events:manage_registration": {**event_id, "registration_id": registration.pk, "action": "cancel"},
            "events:manage_groups": {"event_id": intervision.pk},
            "events:move_registration": {**event_id, "registration_id": registration.pk},
            "events:door": {**event_id, "session_id": session.pk},
            "events:attendance_csv": event_id,
            "events:manage_certificate": {**event_id, "registration_id": registration.pk},
            "events:message": event_id,
            "events:send_invitations": event_id,
            "events:notes": event_id,
            "events:synthesis": event_id,
            "events:synthesis_point": {**event_id, "point_id": point.pk},
            "events:recommendations": event_id,
            "events:recommendation": {**event_id, "recommendation_id": recommendation.pk},
            "events:book": event_id,
            "events:book_pdf": event_id,
            "events:attendance": event_id,
            "events:publish_book": event_id,
            "events:follow_up": {**event_id, "recommendation_id": recommendation.pk},
            "events:move_session": {**event_id, "session_id": session.pk},
            "events:cancel_session": {**event_id, "session_id": session.pk},
            "events:cancel_scheduled": {**event_id, "message_id": scheduled.pk},
            "events:public_book": {"slug": event.slug},
            "events:public_book_pdf": {"slug": event.slug},
            "events:public_follow_up": {"slug": event.slug},
            "events:event": {"slug": event.slug},
            "events:registered": {"slug": event.slug},
        }
    )
    for name in (
        "events:participant",
        "events:participant_cancel",
        "events:certificate",
        "events:rapporteur",
        "events:confirm",
    ):
        world.forged[name] = {**world.kwargs[name], "token": "forged-token"}


def _sector(world: World) -> None:
    from maillage.sector.links import annex_url
    from maillage.sector.models import AnnexLink, ReportRun

    run = ReportRun.objects.create(
        year=2025, actor=world.people["staff"], status="succeeded", html="<p>r</p>", pdf=b"%PDF"
    )
    link = AnnexLink.objects.create(report=run, organisation=world.centre, nonce="access-test-annex-nonce")
    token = annex_url(link).rstrip("/").rsplit("/", 1)[-1]
    world.kwargs.update(
        {
            "sector:annex": {"token": token},
            "sector:report": {"run_id": run.pk},
            "sector:report_pdf": {"run_id": run.pk},
            "sector:annex_revoke": {"link_id": link.pk},
        }
    )


def _surveys(world: World) -> None:
    from maillage.surveys import services
    from maillage.surveys.models import Audience, Cadence, Kind

    staff = world.people["staff"]
    now = timezone.now()
    dates = {"opens_at": now - timedelta(days=1), "closes_at": now + timedelta(days=7)}
    survey = services.create_survey(
        staff, {"title_fr": "Besoins", "audience": Audience.ORGANISATIONS, **dates}, cadence=Cadence.MONTHLY,
        wave=now.date().replace(day=1),
    )  # fmt: skip
    question = services.add_question(staff, survey, {"kind": Kind.NUMBER, "text_fr": "Combien ?"})
    invitation = services.invite_organisations(staff, survey, [world.centre])[0]
    public = services.create_survey(staff, {"title_fr": "Public", "audience": Audience.PUBLIC, **dates})
    sheet = services.public_sheet(public)
    workers = services.create_survey(staff, {"title_fr": "Travailleurs", "audience": Audience.WORKERS, **dates})
    survey_id = {"survey_id": survey.pk}
    world.kwargs.update(
        {
            "surveys:manage_survey": survey_id,
            "surveys:edit_question": {**survey_id, "question_id": question.pk},
            "surveys:move_question": {**survey_id, "question_id": question.pk},
            "surveys:delete_question": {**survey_id, "question_id": question.pk},
            "surveys:invite": survey_id,
            "surveys:remind": survey_id,
            "surveys:new_wave": survey_id,
            "surveys:results": survey_id,
            "surveys:organisation_answers": survey_id,
            "surveys:export": {**survey_id, "fmt": "csv"},
            "surveys:trend": {"series_id": survey.series_id},
            "surveys:answer_organisation": {"token": invitation.token},
            "surveys:shared_results": {"token": invitation.token},
            "surveys:answer_public": {"token": public.public_token},
            "surveys:resume_public": {"token": public.public_token, "resume": sheet.resume_token},
            "surveys:answer_worker": {"survey_id": workers.pk},
        }
    )
    for name in ("surveys:answer_organisation", "surveys:shared_results", "surveys:answer_public"):
        world.forged[name] = {"token": "forged-token"}
    world.forged["surveys:resume_public"] = {"token": public.public_token, "resume": "forged-token"}


def _newsletters(world: World) -> None:
    from maillage.newsletters.models import Edition, EditionStatus, NewsletterList, Subscriber

    newsletter = NewsletterList.objects.create(name_fr="Lettre", name_nl="Brief")
    subscriber = Subscriber.objects.create(email="lecteur@example.org", language="fr", confirmed_at=timezone.now())
    subscriber.lists.add(newsletter)
    edition = Edition.objects.create(
        newsletter=newsletter, subject_fr="Numéro 1", subject_nl="Nummer 1", body_fr="Bonjour", body_nl="Dag",
        status=EditionStatus.SENT, finished_at=timezone.now(),
    )  # fmt: skip
    token = {"token": subscriber.token}
    world.kwargs.update(
        {
            "newsletters:archived_edition": {"edition_id": edition.pk},
            "newsletters:confirm": token,
            "newsletters:preferences": token,
            "newsletters:unsubscribe": token,
            "newsletters:edition": {"edition_id": edition.pk},
            "newsletters:preview": {"edition_id": edition.pk, "language": "fr"},
            "newsletters:import": {"list_id": newsletter.pk},
        }
    )
    for name in ("newsletters:confirm", "newsletters:preferences", "newsletters:unsubscribe"):
        world.forged[name] = {"token": "forged-token"}


def build_world() -> World:
    """Everything the access test visits, built once per test function (a second or so)."""
    from maillage.casework.schemes import ensure_casework_schemes
    from maillage.taxonomy.models import Category
    from maillage.taxonomy.queries import published_version

    ensure_casework_schemes()
    centre = OrganisationFactory(short_name="CSS A", postal_code="1060")
    federation = OrganisationFactory(short_name="FdSS", sector="federation")
    other = OrganisationFactory(short_name="Centre B", postal_code="1030")
    world = World(centre=centre, federation=federation, people=_people(centre, federation, other), kwargs={})
    food = Category.objects.get(version=published_version("request-themes"), code="FOOD")
    _core(world)
    _taxonomy(world)
    _directory(world, food, other)
    _helpline(world)
    _casework(world)
    _events(world)
    _surveys(world)
    _newsletters(world)
    _sector(world)
    return world
