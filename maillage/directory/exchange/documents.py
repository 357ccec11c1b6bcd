"""HSDS 3.0 "full" JSON documents of organisations, services and taxonomy terms (export and API).

HSDS has no translated fields, a fixed-offset `timezone` and no communes: French texts
go to `name`/`description` (Dutch to `alternate_name`), times stay Brussels wall-clock
with the current offset, and communes travel as postal codes and service areas.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from maillage.directory.models import (
    CrisisStatus,
    DirectoryOrganisation,
    Location,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceStatus,
)
from maillage.directory.opening import BRUSSELS
from maillage.taxonomy.models import Category

SCHEME = "request-themes"
# The namespace for ids derived from our own keys (taxonomy terms, service areas).
NAMESPACE = uuid.UUID("6f1c6a54-0e55-4e34-9a8a-2b8c5d0f6a01")
HSDS_STATUSES = ("active", "inactive", "defunct", "temporarily closed")
LANGUAGE_NAMES = {"fr": "French", "nl": "Dutch", "en": "English", "ar": "Arabic", "es": "Spanish", "tr": "Turkish"}


def _id(*parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


def _offset_hours() -> float:
    offset = timezone.now().astimezone(BRUSSELS).utcoffset()
    return offset.total_seconds() / 3600 if offset else 0.0


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
            "extension": phone.extension or None,
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
            "timezone": _offset_hours(),
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
            "id": _id("address", location.uuid),
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


def service_document(service: Service, *, with_organisation: bool = True) -> dict[str, Any]:
    """An HSDS 3.0 service "full" document."""
    service_id = str(service.uuid)
    areas: list[dict[str, Any]] = []
    if service.serves_whole_region:
        areas.append(
            {
                "id": _id("area", service_id, "region"),
                "service_id": service_id,
                "name": "Brussels-Capital Region",
                "extent_type": "region",
            }
        )
    areas += [
        {
            "id": _id("area", service_id, c.nis_code),
            "service_id": service_id,
            "name": c.name_fr,
            "extent_type": "commune",
        }
        for c in service.area_communes.all()
    ]
    areas += [
        {"id": _id("area", service_id, code), "service_id": service_id, "name": code, "extent_type": "postal_code"}
        for code in service.postal_code_list
    ]
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
            "assured_date": service.verified_at.date().isoformat() if service.verified_at else None,
            "alert": service.crisis_note,
            "last_modified": service.updated_at.isoformat(),
            "phones": [_phone(p, service_id=service_id) for p in service.phones.all()],
            "schedules": [_schedule(s, service_id=service_id) for s in service.schedules.all()],
            "service_areas": areas,
            "service_at_locations": [
                {
                    "id": str(link.uuid),
                    "service_id": service_id,
                    "location_id": str(link.location.uuid),
                    "location": _location(link.location),
                }
                for link in service.service_at_locations.all()
            ],
            "languages": [
                {
                    "id": str(row.uuid),
                    "service_id": service_id,
                    "code": row.code,
                    "name": LANGUAGE_NAMES.get(row.code, row.code),
                }
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
            ],
        }
    )
    if with_organisation:
        document["organization"] = _organisation_core(service.organisation)
    return document


def _organisation_core(organisation: DirectoryOrganisation) -> dict[str, Any]:
    return _clean(
        {
            "id": str(organisation.uuid),
            "name": organisation.name_fr,
            "alternate_name": organisation.name_nl,
            "description": organisation.description_fr or organisation.description_nl or organisation.name_fr,
            "email": organisation.email,
            "website": organisation.website,
        }
    )


def _prefetched(services: QuerySet[Service]) -> QuerySet[Service]:
    return services.select_related("organisation").prefetch_related(
        "phones",
        "schedules",
        "area_communes",
        "language_rows",
        Prefetch("needs", queryset=Category.objects.select_related("parent")),
        Prefetch(
            "service_at_locations",
            queryset=ServiceAtLocation.objects.select_related("location__organisation", "location__commune")
            .prefetch_related("location__phones", "location__schedules")
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
