"""Every change to the directory: one named function each, owning its transaction and audit entry."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from maillage.core.audit import log_action
from maillage.core.mail import send_templated_mail
from maillage.core.models import Commune, Organisation, User
from maillage.directory.calendars import parse_calendars
from maillage.directory.models import (
    ChangeKind,
    CrisisStatus,
    DirectoryOrganisation,
    Location,
    Phone,
    Quartier,
    Schedule,
    ScheduleException,
    Service,
    ServiceAtLocation,
    ServiceChange,
    ServiceLanguage,
    Subscription,
    Worker,
)
from maillage.directory.queries import changes_for_subscription
from maillage.directory.rules import check_crisis_until
from maillage.directory.search.keys import refresh_opening_slots, refresh_search_index, refresh_services_at
from maillage.directory.textsearch import search_document
from maillage.taxonomy.models import Category

SERVICE_FIELDS = (
    "name_fr",
    "name_nl",
    "description_fr",
    "description_nl",
    "status",
    "modalities",
    "is_free",
    "fees_fr",
    "fees_nl",
    "eligibility_fr",
    "eligibility_nl",
    "required_documents_fr",
    "required_documents_nl",
    "email",
    "website",
    "serves_whole_region",
    "extra_postal_codes",
    "holiday_calendars",
)


def refresh_search_text(service: Service) -> None:
    """Rebuild the accent-free search document from the service's FR/NL texts and needs."""
    needs = [label for category in service.needs.all() for label in (category.label_fr, category.label_nl)]
    service.search_text = search_document(
        [
            service.name_fr,
            service.name_nl,
            service.description_fr,
            service.description_nl,
            service.organisation.name_fr,
            service.organisation.name_nl,
            *needs,
        ]
    )
    Service.objects.filter(pk=service.pk).update(search_text=service.search_text)


def set_languages(service: Service, codes: Iterable[str]) -> None:
    codes = sorted({code.strip().lower() for code in codes if code.strip()})
    service.languages = codes
    Service.objects.filter(pk=service.pk).update(languages=codes)
    service.language_rows.exclude(code__in=codes).delete()
    existing = set(service.language_rows.values_list("code", flat=True))
    ServiceLanguage.objects.bulk_create([ServiceLanguage(service=service, code=c) for c in codes if c not in existing])


def _record(service: Service, kind: str, summary: str = "", *, new_status: str = "", note: str = "") -> None:
    ServiceChange.objects.create(
        service=service,
        kind=kind,
        summary=summary[:300],
        new_status=new_status,
        note=note[:280],
        created_at=timezone.now(),
    )


def _audit(actor: User | None, code: str, target: Any, data: Mapping[str, Any] | None = None) -> None:
    service = target if isinstance(target, Service) else getattr(target, "service", None)
    directory_org = service.organisation if service is not None else getattr(target, "organisation", None)
    member = getattr(directory_org, "organisation", None)
    log_action(actor, code, target, data, organisation=member)


def save_service(
    actor: User | None,
    organisation: DirectoryOrganisation,
    data: Mapping[str, Any],
    *,
    service: Service | None = None,
    needs: Iterable[Category] = (),
    communes: Iterable[Commune] = (),
    languages: Iterable[str] = (),
    quartiers: Iterable[Quartier] | None = None,
) -> Service:
    """Create or update a service with its needs, areas, quartiers and languages; audited and traced."""
    if "holiday_calendars" in data:
        parse_calendars(data["holiday_calendars"])  # an unknown calendar is refused before anything is written
    with transaction.atomic():
        created = service is None
        # Compare with the stored row: a ModelForm has already copied the new values onto `service`.
        service = Service(organisation=organisation) if service is None else Service.objects.get(pk=service.pk)
        changed = [name for name in SERVICE_FIELDS if name in data and getattr(service, name) != data[name]]
        for name in SERVICE_FIELDS:
            if name in data:
                setattr(service, name, data[name])
        service.organisation = organisation
        service.save()
        service.needs.set(list(needs))
        service.area_communes.set(list(communes))
        if quartiers is not None:
            service.quartiers.set(list(quartiers))
        set_languages(service, languages)
        refresh_search_text(service)
        refresh_search_index(service)
        _audit(
            actor, "directory.service.created" if created else "directory.service.updated", service, {"fields": changed}
        )
        _record(service, ChangeKind.CREATED if created else ChangeKind.UPDATED)
    return service


def set_crisis_status(actor: User | None, service: Service, status: str, note: str = "", until: Any = None) -> Service:
    """A temporary status (open with changes, reduced, closed) with a note and an end date; counts as verified.
    An end date in the past is refused (ValidationError), nothing written."""
    check_crisis_until(status, until)
    with transaction.atomic():
        previous = service.crisis_status
        service.crisis_status = status
        service.crisis_note = note
        service.crisis_until = until
        service.verified_at = timezone.now()
        service.verified_by = actor if actor is not None and actor.is_authenticated else None
        service.save(
            update_fields=["crisis_status", "crisis_note", "crisis_until", "verified_at", "verified_by", "updated_at"]
        )
        _audit(
            actor,
            "directory.service.status_changed",
            service,
            {"from": previous, "to": status, "until": until.isoformat() if until else None},
        )
        _record(
            service,
            ChangeKind.STATUS,
            str(CrisisStatus(status).label) + (f" — {note}" if note else ""),
            new_status=status,
            note=note,
        )
    return service


def confirm_still_accurate(actor: User, service: Service) -> Service:
    with transaction.atomic():
        service.verified_at = timezone.now()
        service.verified_by = actor
        service.save(update_fields=["verified_at", "verified_by", "updated_at"])
        _audit(actor, "directory.service.verified", service)
        _record(service, ChangeKind.VERIFIED)
    return service


def add_schedule(actor: User | None, service: Service, data: Mapping[str, Any]) -> Schedule:
    with transaction.atomic():
        schedule = Schedule.objects.create(service=service, **data)
        refresh_opening_slots(service)
        _audit(actor, "directory.schedule.created", service, {"schedule": schedule.pk, "rule": schedule.rrule_text})
        _record(service, ChangeKind.UPDATED)
    return schedule


def add_location_schedule(actor: User | None, location: Location, data: Mapping[str, Any]) -> Schedule:
    """Hours of the location itself (HSDS): those of every service there that gives none of its own."""
    with transaction.atomic():
        schedule = Schedule.objects.create(location=location, **data)
        _audit(actor, "directory.schedule.created", location, {"schedule": schedule.pk, "rule": schedule.rrule_text})
        _location_hours_changed(location)
    return schedule


def delete_schedule(actor: User | None, schedule: Schedule) -> None:
    service = schedule.service
    with transaction.atomic():
        location = schedule.location if service is None else None
        _audit(
            actor,
            "directory.schedule.deleted",
            location or service,
            {"schedule": schedule.pk, "rule": schedule.rrule_text},
        )
        schedule.delete()
        if location is not None:
            _location_hours_changed(location)
        if service is not None:
            refresh_opening_slots(service)
            _record(service, ChangeKind.UPDATED)


def add_location_exception(actor: User | None, location: Location, data: Mapping[str, Any]) -> ScheduleException:
    """A closure or special hours of the location: it applies to the services that take the location's hours."""
    with transaction.atomic():
        exception = ScheduleException.objects.create(location=location, **data)
        _audit_closure(actor, location, exception)
        _location_hours_changed(location)
    return exception


def _audit_closure(actor: User | None, target: Service | Location, exception: ScheduleException) -> None:
    data = {"from": exception.start_date.isoformat(), "to": exception.end_date.isoformat(), "closed": exception.closed}
    _audit(actor, "directory.closure.created", target, data)


def _location_hours_changed(location: Location) -> None:
    """Rebuild the slots of the services at the location and trace the change on those that take its
    hours (in the caller's transaction)."""
    refresh_services_at([location.pk])
    for service in Service.objects.filter(service_at_locations__location=location, schedules__isnull=True).distinct():
        _record(service, ChangeKind.UPDATED)


def add_exception(actor: User | None, service: Service, data: Mapping[str, Any]) -> ScheduleException:
    with transaction.atomic():
        exception = ScheduleException.objects.create(service=service, **data)
        _audit_closure(actor, service, exception)
        _record(service, ChangeKind.UPDATED)
    return exception


def add_location(
    actor: User | None, service: Service, address: str, postal_code: str, commune: Commune | None, city: str
) -> ServiceAtLocation:
    """Link the service to an address of its organisation (reusing the same address if it exists)."""
    with transaction.atomic():
        location, _created = Location.objects.get_or_create(
            organisation=service.organisation,
            address=address,
            postal_code=postal_code,
            defaults={"commune": commune, "city": city},
        )
        link, _created = ServiceAtLocation.objects.get_or_create(service=service, location=location)
        refresh_search_index(service)  # it may take the hours of this location
        _audit(actor, "directory.location.added", service, {"location": location.pk, "postal_code": postal_code})
        _record(service, ChangeKind.UPDATED)
    return link


def remove_location(actor: User | None, link: ServiceAtLocation) -> None:
    with transaction.atomic():
        _audit(actor, "directory.location.removed", link.service, {"location": link.location_id})
        _record(link.service, ChangeKind.UPDATED)
        link.delete()
        refresh_search_index(link.service)  # it may have taken the hours of this location


def add_phone(actor: User | None, service: Service, number: str, description: str = "") -> Phone:
    with transaction.atomic():
        phone = Phone.objects.create(service=service, number=number, description=description)
        _audit(actor, "directory.phone.added", service, {"phone_id": phone.pk})
        _record(service, ChangeKind.UPDATED)
    return phone


def remove_phone(actor: User | None, phone: Phone) -> None:
    service = phone.service
    with transaction.atomic():
        if service is not None:
            _audit(actor, "directory.phone.removed", service, {"phone_id": phone.pk})
            _record(service, ChangeKind.UPDATED)
        phone.delete()


def save_worker(
    actor: User | None, service: Service, data: Mapping[str, Any], *, worker: Worker | None = None
) -> Worker:
    with transaction.atomic():
        created = worker is None
        if worker is None:
            worker = Worker(service=service)
        for name in ("full_name", "function_fr", "function_nl", "email", "phone", "consent", "is_active"):
            if name in data:
                setattr(worker, name, data[name])
        if worker.consent and worker.consent_at is None:
            worker.consent_at = timezone.now()
        if not worker.consent:
            worker.consent_at = None
        worker.save()
        _audit(
            actor,
            "directory.worker.created" if created else "directory.worker.updated",
            worker,
            {"service": service.pk},
        )
    return worker


def delete_worker(actor: User | None, worker: Worker) -> None:
    with transaction.atomic():
        _audit(actor, "directory.worker.deleted", worker, {"service": worker.service_id})
        worker.delete()


ORGANISATION_FIELDS = ("name_fr", "name_nl", "description_fr", "description_nl", "email", "website")


def save_directory_organisation(
    actor: User,
    data: Mapping[str, Any],
    *,
    entry: DirectoryOrganisation | None = None,
    member: Organisation | None = None,
    phone: str = "",
) -> DirectoryOrganisation:
    """Create or update a directory organisation, its main phone and its link to a member organisation."""
    with transaction.atomic():
        created = entry is None
        # Compare with the stored row: a ModelForm has already copied the new values onto `entry`.
        entry = DirectoryOrganisation() if entry is None else DirectoryOrganisation.objects.get(pk=entry.pk)
        changed = [name for name in ORGANISATION_FIELDS if name in data and getattr(entry, name) != data[name]]
        for name in ORGANISATION_FIELDS:
            if name in data:
                setattr(entry, name, data[name])
        if not created and entry.organisation_id != (member.pk if member else None):
            changed.append("organisation")
        entry.organisation = member
        entry.save()
        main_phone = entry.phones.filter(service__isnull=True, location__isnull=True).first()
        if phone and main_phone is None:
            Phone.objects.create(organisation=entry, number=phone)
            changed.append("phone")
        elif phone and main_phone is not None and main_phone.number != phone:
            main_phone.number = phone
            main_phone.save(update_fields=["number"])
            changed.append("phone")
        elif not phone and main_phone is not None:
            main_phone.delete()
            changed.append("phone")
        if not created and {"name_fr", "name_nl"} & set(changed):
            for service in entry.services.all():
                refresh_search_text(service)
        log_action(
            actor,
            "directory.organisation.created" if created else "directory.organisation.updated",
            entry,
            {"fields": changed},
            organisation=member,
        )
    return entry


def subscribe(user: User, commune: Commune | None, need: Category | None) -> Subscription:
    """Follow the changes of a commune and/or a need by email (the same follow twice is one subscription)."""
    with transaction.atomic():
        subscription, created = Subscription.objects.get_or_create(
            user=user, commune=commune, need=need, defaults={"last_sent_at": timezone.now()}
        )
        if created:
            log_action(
                user,
                "directory.subscription.created",
                subscription,
                {"commune": commune.pk if commune else None, "need": need.pk if need else None},
            )
    return subscription


def unsubscribe(user: User, subscription: Subscription) -> None:
    with transaction.atomic():
        log_action(user, "directory.subscription.deleted", subscription)
        subscription.delete()


def send_digest(user: User, base_url: str) -> int:
    """One email with the changes since the user's last digest; returns how many changes it listed.

    The subscriptions are locked and moved forward in the same transaction, so running
    the digest twice never sends the same change twice.
    """
    with transaction.atomic():
        subscriptions = list(
            Subscription.objects.select_for_update(of=("self",))
            .filter(user=user)
            .select_related("commune", "need")
            .order_by("id")
        )
        until = timezone.now()
        changes: dict[int, ServiceChange] = {}
        for subscription in subscriptions:
            for change in changes_for_subscription(subscription, until):
                changes[change.pk] = change
        for subscription in subscriptions:
            subscription.last_sent_at = until
        Subscription.objects.bulk_update(subscriptions, ["last_sent_at"])
        if not changes:
            return 0
        ordered = sorted(changes.values(), key=lambda change: (change.created_at, change.pk))
        send_templated_mail(
            "directory/emails/digest",
            [user.email],
            {"user": user, "changes": ordered, "subscriptions": subscriptions, "base_url": base_url},
            language=user.language,
        )
    return len(ordered)
