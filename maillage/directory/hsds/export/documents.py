"""HSDS 3.0 "full" JSON documents of organisations, services and taxonomy terms (export and API).

HSDS has no translated fields, a fixed-offset `timezone` and no communes: French texts
go to `name`/`description` (Dutch to `alternate_name`), times stay Brussels wall-clock
with the offset Europe/Brussels has on each schedule's own dates, and communes travel as
postal codes and service areas. What an exchange gave that the forms do not edit (the ids
of addresses and languages, service areas as written, a recurrence's bounds) comes back
unchanged. The Brussels profile: docs/hsds-brussels-profile.md.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import translation

from maillage.directory.calendars import CALENDARS
from maillage.directory.models import (
    CrisisStatus,
    DirectoryOrganisation,
    Location,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceStatus,
)
from maillage.directory.opening import BRUSSELS
from maillage.taxonomy.models import Category

SCHEME = "request-themes"
# The Brussels profile's taxonomy of the holidays a service closes on (codes of directory.calendars).
HOLIDAY_SCHEME = "maillage-holiday-calendars"
# The namespace for ids derived from our own keys (taxonomy terms, service areas).
NAMESPACE = uuid.UUID("6f1c6a54-0e55-4e34-9a8a-2b8c5d0f6a01")
HSDS_STATUSES = ("active", "inactive", "defunct", "temporarily closed")
LANGUAGE_NAMES = {"fr": "French", "nl": "Dutch", "en": "English", "ar": "Arabic", "es": "Spanish", "tr": "Turkish"}


def profile_url() -> str:
    """Where the Brussels profile of HSDS is published (served by the API beside the data)."""
    return settings.SITE_URL + reverse("directory:api:hsds_profile")


def _id(*parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


def brussels_offset(day: date, at: time) -> float:
    """Hours east of UTC that Europe/Brussels has on this day at this wall-clock time (1 or 2)."""
    offset = datetime.combine(day, at, tzinfo=BRUSSELS).utcoffset()
    return offset.total_seconds() / 3600 if offset else 0.0


def _anchor(schedule: Schedule) -> date | None:
    """The date a schedule's offset is read on: its first occurrence, else the start or end of its validity."""
    return schedule.dtstart or schedule.valid_from or schedule.until or schedule.valid_to


def _offset_hours(schedule: Schedule) -> float | None:
    """The offset valid on the schedule's own dates; none for an undated schedule (Brussels wall-clock, see profile)."""
    anchor = _anchor(schedule)
    return brussels_offset(anchor, schedule.opens_at) if anchor else None


def _number(value: str) -> int | float | None:
    """HSDS `extension` is a number: digits come back as one, anything else is not sent as a number."""
    text = value.strip()
    if text.isascii() and text.isdigit():
        return int(text)
    try:
        number = float(text)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def _hsds_status(service: Service) -> str:
    if service.status != ServiceStatus.PUBLISHED:
        return "inactive"
    if service.crisis_status == CrisisStatus.CLOSED:
        return "temporarily closed"
    return "active"


def _clean(document: dict[str, Any]) -> dict[str, Any]:
    """HSDS leaves unknown values out rather than sending empty strings."""
    return {key: value for key, value in document.items() if value not in ("", None)}


def _phone(phone: Phone, **links: str) -> dict[str, Any]:
    return _clean(
        {
            "id": str(phone.uuid),
            "number": phone.number,
            "extension": _number(phone.extension),
            "type": phone.kind,
            "description": phone.description,
            **links,
        }
    )


def _schedule(schedule: Schedule, **links: str) -> dict[str, Any]:
    return _clean(
        {
            "id": str(schedule.uuid),
            **links,
            "valid_from": schedule.valid_from.isoformat() if schedule.valid_from else None,
            "valid_to": schedule.valid_to.isoformat() if schedule.valid_to else None,
            "dtstart": schedule.dtstart.isoformat() if schedule.dtstart else None,
            "timezone": _offset_hours(schedule),
            "until": schedule.until.isoformat() if schedule.until else None,
            "count": schedule.count,
            "freq": schedule.freq,
            "interval": schedule.interval,
            "byday": schedule.byday,
            "bymonthday": schedule.bymonthday,
            "opens_at": schedule.opens_at.strftime("%H:%M:%S"),
            "closes_at": schedule.closes_at.strftime("%H:%M:%S"),
            "description": schedule.description or f"{schedule.rrule_text} (Europe/Brussels)",
            "notes": schedule.notes,
        }
    )


def _address(location: Location) -> dict[str, Any]:
    return _clean(
        {
            "id": str(location.address_uuid or _id("address", location.uuid)),
            "location_id": str(location.uuid),
            "address_1": location.address or "-",
            "city": location.city or (location.commune.name_fr if location.commune else "Bruxelles"),
            "region": location.commune.name_fr if location.commune else None,
            "state_province": "Brussels-Capital Region",
            "postal_code": location.postal_code or "-",
            "country": "BE",
            "address_type": "physical",
        }
    )


def _location(location: Location) -> dict[str, Any]:
    return _clean(
        {
            "id": str(location.uuid),
            "location_type": "physical",
            "organization_id": str(location.organisation.uuid),
            "name": location.name or location.address,
            "transportation": location.transportation,
            "latitude": float(location.latitude) if location.latitude is not None else None,
            "longitude": float(location.longitude) if location.longitude is not None else None,
            "addresses": [_address(location)],
            "accessibility": (
                [
                    {
                        "id": _id("accessibility", location.uuid),
                        "location_id": str(location.uuid),
                        "description": location.accessibility,
                    }
                ]
                if location.accessibility
                else None
            ),
            "phones": [_phone(p, location_id=str(location.uuid)) for p in location.phones.all()],
            "schedules": [_schedule(s, location_id=str(location.uuid)) for s in location.schedules.all()],
        }
    )


def taxonomy_document(category: Category) -> dict[str, Any]:
    return _clean(
        {
            "id": _id("term", category.version_id, category.code),
            "code": category.code,
            "name": category.label_en or category.label_fr,
            "description": category.description or category.label_fr,
            "parent_id": _id("term", category.version_id, category.parent.code) if category.parent else None,
            "taxonomy": SCHEME,
            "taxonomy_id": _id("taxonomy", category.version_id),
            "language": "en",
        }
    )


def _stored_area(area: ServiceArea, service_id: str) -> dict[str, Any]:
    return _clean(
        {
            "id": str(area.uuid),
            "service_id": service_id,
            "name": area.name,
            "description": area.description,
            "extent": area.extent,
            "extent_type": area.extent_type,
            "uri": area.uri,
        }
    )


def service_areas(service: Service) -> list[dict[str, Any]]:
    """The areas as an exchange gave them (while the service still serves them), then what the forms added."""
    service_id = str(service.uuid)
    communes = {c.pk: c for c in service.area_communes.all()}
    postal_codes = set(service.postal_code_list)
    areas: list[dict[str, Any]] = []
    region_given = False
    quartier_codes = {q.code for q in service.quartiers.all()}
    quartiers_given: set[str] = set()
    for area in service.hsds_areas.all():
        if area.extent_type == "quartier":
            if area.extent not in quartier_codes:
                continue  # the quartier was removed in the form since
            quartiers_given.add(area.extent)
        if area.region:
            if not service.serves_whole_region:
                continue  # the region was removed in the form since
            region_given = True
        elif area.commune_id is not None and communes.pop(area.commune_id, None) is None:
            continue  # the commune was removed in the form since
        postal_codes.discard(area.name)
        areas.append(_stored_area(area, service_id))
    if service.serves_whole_region and not region_given:
        areas.append(
            {
                "id": _id("area", service_id, "region"),
                "service_id": service_id,
                "name": "Brussels-Capital Region",
                "extent_type": "region",
            }
        )
    areas += [
        _clean(
            {
                "id": _id("area", service_id, c.nis_code),
                "service_id": service_id,
                "name": c.name_fr,
                "description": c.name_nl,
                "extent": c.nis_code,
                "extent_type": "commune",
            }
        )
        for c in communes.values()
    ]
    areas += [
        _clean(
            {
                "id": _id("area", service_id, "quartier", q.code),
                "service_id": service_id,
                "name": q.name_fr,
                "description": q.name_nl,
                "extent": q.code,
                "extent_type": "quartier",
            }
        )
        for q in service.quartiers.all()
        if q.code not in quartiers_given
    ]
    areas += [
        {"id": _id("area", service_id, code), "service_id": service_id, "name": code, "extent_type": "postal_code"}
        for code in service.postal_code_list
        if code in postal_codes
    ]
    return areas


def service_document(service: Service, *, with_organisation: bool = True) -> dict[str, Any]:
    """An HSDS 3.0 service "full" document."""
    service_id = str(service.uuid)
    areas = service_areas(service)
    document = _clean(
        {
            "id": service_id,
            "organization_id": str(service.organisation.uuid),
            "name": service.name_fr,
            "alternate_name": service.name_nl,
            "description": service.description_fr or service.description_nl,
            "url": service.website,
            "email": service.email,
            "status": _hsds_status(service),
            "application_process": ", ".join(service.modality_list),
            "fees_description": service.fees_fr or ("Gratuit" if service.is_free else None),
            "eligibility_description": service.eligibility_fr,
            "assured_date": service.verified_at.astimezone(BRUSSELS).date().isoformat()
            if service.verified_at
            else None,
            "alert": service.crisis_note,
            "last_modified": service.updated_at.isoformat(),
            "phones": [_phone(p, service_id=service_id) for p in service.phones.all()],
            "schedules": [_schedule(s, service_id=service_id) for s in service.schedules.all()],
            "service_areas": areas,
            "service_at_locations": [
                _clean(
                    {
                        "id": str(link.uuid),
                        "service_id": service_id,
                        "location_id": str(link.location.uuid),
                        "description": link.description,
                        "schedules": [
                            _schedule(s, service_at_location_id=str(link.uuid)) for s in link.schedules.all()
                        ],
                        "location": _location(link.location),
                    }
                )
                for link in service.service_at_locations.all()
            ],
            "languages": [
                _clean(
                    {
                        "id": str(row.uuid),
                        "service_id": service_id,
                        "code": row.code,
                        "name": row.name or LANGUAGE_NAMES.get(row.code, row.code),
                        "note": row.note,
                    }
                )
                for row in service.language_rows.all()
            ],
            "required_documents": (
                [
                    {
                        "id": _id("documents", service_id),
                        "service_id": service_id,
                        "document": service.required_documents_fr,
                    }
                ]
                if service.required_documents_fr
                else None
            ),
            "attributes": [
                {
                    "id": _id("attribute", service_id, category.pk),
                    "link_id": service_id,
                    "link_type": "service",
                    "link_entity": "service",
                    "taxonomy_term_id": _id("term", category.version_id, category.code),
                    "taxonomy_term": taxonomy_document(category),
                }
                for category in service.needs.all()
            ]
            + holiday_attributes(service),
        }
    )
    if with_organisation:
        document["organization"] = _organisation_core(service.organisation)
    return document


def _english(label: Any) -> str:
    with translation.override("en"):
        return str(label)


def holiday_term(code: str) -> dict[str, Any]:
    return {
        "id": _id("holidays", code),
        "code": code,
        "name": _english(CALENDARS[code]),
        "description": _english(CALENDARS[code]),
        "taxonomy": HOLIDAY_SCHEME,
        "language": "en",
    }


def holiday_attributes(service: Service) -> list[dict[str, Any]]:
    """The holidays a service closes on, as attributes of the profile's "holiday calendars" taxonomy."""
    service_id = str(service.uuid)
    return [
        {
            "id": _id("holiday-attribute", service_id, code),
            "link_id": service_id,
            "link_type": "closed_on_holidays",
            "link_entity": "service",
            "taxonomy_term_id": _id("holidays", code),
            "taxonomy_term": holiday_term(code),
        }
        for code in service.holiday_calendars.split()
        if code in CALENDARS
    ]


def _organisation_core(organisation: DirectoryOrganisation) -> dict[str, Any]:
    return _clean(
        {
            "id": str(organisation.uuid),
            "name": organisation.name_fr,
            "alternate_name": organisation.name_nl,
            "description": organisation.description_fr or organisation.description_nl or organisation.name_fr,
            "email": organisation.email,
            "website": organisation.website,
            "phones": [_phone(p, organization_id=str(organisation.uuid)) for p in organisation.phones.all()],
        }
    )


def _prefetched(services: QuerySet[Service]) -> QuerySet[Service]:
    return services.select_related("organisation").prefetch_related(
        "organisation__phones",
        "phones",
        "schedules",
        "area_communes",
        "hsds_areas",
        "quartiers",
        "language_rows",
        Prefetch("needs", queryset=Category.objects.select_related("parent")),
        Prefetch(
            "service_at_locations",
            queryset=ServiceAtLocation.objects.select_related("location__organisation", "location__commune")
            .prefetch_related("location__phones", "location__schedules", "schedules")
            .order_by("id"),
        ),
    )


def export_services(services: QuerySet[Service]) -> list[dict[str, Any]]:
    return [service_document(s) for s in _prefetched(services)]


def export_organizations(services: QuerySet[Service]) -> list[dict[str, Any]]:
    """HSDS organisation "full" documents, each with its services and locations."""
    by_org: dict[int, list[Service]] = {}
    organisations: dict[int, DirectoryOrganisation] = {}
    for service in _prefetched(services.order_by("organisation_id", "id")):
        by_org.setdefault(service.organisation_id, []).append(service)
        organisations[service.organisation_id] = service.organisation
    documents = []
    for org_id, org_services in by_org.items():
        locations = {link.location.pk: link.location for s in org_services for link in s.service_at_locations.all()}
        document = _organisation_core(organisations[org_id])
        document["locations"] = [_location(location) for location in locations.values()]
        document["services"] = [service_document(s, with_organisation=False) for s in org_services]
        documents.append(document)
    return documents
