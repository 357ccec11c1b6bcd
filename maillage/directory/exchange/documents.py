"""HSDS 3.0 export and import: organisation/service "full" JSON documents and the tabular datapackage.

HSDS has no translated fields, a fixed-offset `timezone` and no communes: French texts
go to `name`/`description` (Dutch to `alternate_name`), times stay Brussels wall-clock
with the current offset, and communes travel as postal codes and service areas.
Imports are all-or-nothing and idempotent on HSDS ids (our `uuid` columns).
"""

from __future__ import annotations

import csv
import io
import json
import uuid
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.core.audit import log_action
from maillage.core.models import Commune, PostalCode, User
from maillage.directory.models import (
    CrisisStatus,
    DirectoryOrganisation,
    Frequency,
    Location,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceLanguage,
    ServiceStatus,
)
from maillage.directory.opening import BRUSSELS, validate_recurrence
from maillage.directory.searchindex import refresh_search_index, refresh_services_at
from maillage.directory.services import refresh_search_text
from maillage.taxonomy.models import Category
from maillage.taxonomy.queries import active_categories, published_version

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


# --- tabular datapackage --------------------------------------------------------------------

TABLES: dict[str, list[str]] = {
    "organizations": ["id", "name", "alternate_name", "description", "email", "website"],
    "services": [
        "id",
        "organization_id",
        "name",
        "alternate_name",
        "description",
        "url",
        "email",
        "status",
        "application_process",
        "fees_description",
        "eligibility_description",
        "assured_date",
        "alert",
        "last_modified",
    ],
    "locations": ["id", "location_type", "organization_id", "name", "transportation", "latitude", "longitude"],
    "addresses": [
        "id",
        "location_id",
        "address_1",
        "city",
        "region",
        "state_province",
        "postal_code",
        "country",
        "address_type",
    ],
    "service_at_location": ["id", "service_id", "location_id"],
    "phones": ["id", "location_id", "service_id", "number", "extension", "type", "description"],
    "schedules": [
        "id",
        "service_id",
        "location_id",
        "valid_from",
        "valid_to",
        "timezone",
        "freq",
        "interval",
        "byday",
        "bymonthday",
        "opens_at",
        "closes_at",
        "description",
        "notes",
    ],
    "service_areas": ["id", "service_id", "name", "extent_type"],
    "languages": ["id", "service_id", "name", "code"],
    "taxonomies": ["id", "name", "description", "version"],
    "taxonomy_terms": ["id", "code", "name", "description", "parent_id", "taxonomy", "taxonomy_id", "language"],
    "attributes": ["id", "link_id", "taxonomy_term_id", "link_type", "link_entity"],
}
RESOURCE_SCHEMA = {
    "organizations": "organization",
    "services": "service",
    "locations": "location",
    "addresses": "address",
    "service_at_location": "service_at_location",
    "phones": "phone",
    "schedules": "schedule",
    "service_areas": "service_area",
    "languages": "language",
    "taxonomies": "taxonomy",
    "taxonomy_terms": "taxonomy_term",
    "attributes": "attribute",
}


def tabular_rows(services: QuerySet[Service]) -> dict[str, list[dict[str, Any]]]:
    """The directory flattened into HSDS tables (one dict per CSV row)."""
    tables: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
    seen: set[tuple[str, str]] = set()

    def add(table: str, row: Mapping[str, Any]) -> None:
        if (table, row["id"]) not in seen:
            seen.add((table, row["id"]))
            tables[table].append({key: row[key] for key in TABLES[table] if key in row})

    for document in export_organizations(services):
        add("organizations", document)
        for location in document.get("locations", []):
            add("locations", location)
            for address in location.get("addresses", []):
                add("addresses", address)
            for phone in location.get("phones", []):
                add("phones", phone)
            for schedule in location.get("schedules", []):
                add("schedules", schedule)
        for service in document["services"]:
            add("services", service)
            for key, table in (
                ("phones", "phones"),
                ("schedules", "schedules"),
                ("service_areas", "service_areas"),
                ("languages", "languages"),
                ("service_at_locations", "service_at_location"),
            ):
                for row in service.get(key, []):
                    add(table, row)
            for attribute in service.get("attributes", []):
                add("attributes", attribute)
                add("taxonomy_terms", attribute["taxonomy_term"])
    version = published_version(SCHEME)
    if version is not None:
        add(
            "taxonomies",
            {
                "id": _id("taxonomy", version.pk),
                "name": version.scheme.label_en or version.scheme.code,
                "description": version.scheme.label_fr,
                "version": str(version.number),
            },
        )
    return tables


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def datapackage_descriptor() -> dict[str, Any]:
    return {
        "name": "maillage-directory",
        "title": "maillage — Brussels social services directory (HSDS 3.0)",
        "profile": "tabular-data-package",
        "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/"}],
        "resources": [
            {
                "name": RESOURCE_SCHEMA[table],
                "path": f"{table}.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "profile": "tabular-data-resource",
                "schema": {"fields": [{"name": column, "type": "string"} for column in columns]},
            }
            for table, columns in TABLES.items()
        ],
    }


def datapackage_files(services: QuerySet[Service]) -> dict[str, str]:
    tables = tabular_rows(services)
    files = {f"{table}.csv": _csv(tables[table], columns) for table, columns in TABLES.items()}
    files["datapackage.json"] = json.dumps(datapackage_descriptor(), indent=1)
    return files


def datapackage_zip(services: QuerySet[Service]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in datapackage_files(services).items():
            archive.writestr(name, content)
    return buffer.getvalue()


# --- import ---------------------------------------------------------------------------------


@dataclass
class ImportReport:
    organisations: int = 0
    services: int = 0
    locations: int = 0
    schedules: int = 0
    schedules_removed: int = 0


class _Importer:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.report = ImportReport()
        self.postal = {p.code: p for p in PostalCode.objects.select_related("commune")}
        self.communes = {c.name_fr.lower(): c for c in Commune.objects.all()}
        self.categories = {c.code: c for c in active_categories(SCHEME)}
        # Locations whose own schedules were imported: the services there may take their hours.
        self.locations_with_hours: set[int] = set()
        # Owners whose document lists their schedules (even none), by level, and every schedule id
        # the import names: afterwards those owners keep only named schedules, so a re-import drops
        # the hours a document no longer gives. Ids, not owners: the official examples share one
        # schedule id between a service, its link and its location.
        self.listed_for: dict[str, set[int]] = {"service": set(), "link": set(), "location": set()}
        self.named_schedules: set[uuid.UUID] = set()

    def error(self, path: str, message: str) -> None:
        self.errors.append(f"{path}: {message}")

    def uuid(self, value: Any, path: str) -> uuid.UUID | None:
        try:
            return uuid.UUID(str(value))
        except ValueError:
            self.error(f"{path}.id", _("not a UUID: %(value)s") % {"value": value})
            return None

    def organisation(self, data: Mapping[str, Any], path: str) -> DirectoryOrganisation | None:
        key = self.uuid(data.get("id"), path)
        if key is None:
            return None
        if not data.get("name"):
            self.error(f"{path}.name", _("a name is required"))
            return None
        organisation, _created = DirectoryOrganisation.objects.update_or_create(
            uuid=key,
            defaults={
                "name_fr": str(data["name"])[:200],
                "name_nl": str(data.get("alternate_name") or "")[:200],
                "description_fr": data.get("description") or "",
                "email": data.get("email") or "",
                "website": data.get("website") or "",
            },
        )
        self.report.organisations += 1
        for index, location in enumerate(data.get("locations") or []):
            self.location(location, organisation, f"{path}.locations[{index}]")
        for index, service in enumerate(data.get("services") or []):
            self.service(service, organisation, f"{path}.services[{index}]")
        return organisation

    def location(self, data: Mapping[str, Any], organisation: DirectoryOrganisation, path: str) -> Location | None:
        key = self.uuid(data.get("id"), path)
        if key is None:
            return None
        addresses = data.get("addresses") or [{}]
        address = addresses[0]
        postal_code = str(address.get("postal_code") or "")[:10]
        postal = self.postal.get(postal_code)
        lat, lon = data.get("latitude"), data.get("longitude")
        valid = (
            isinstance(lat, int | float) and isinstance(lon, int | float) and -90 <= lat <= 90 and -180 <= lon <= 180
        )
        location, _created = Location.objects.update_or_create(
            uuid=key,
            defaults={
                "organisation": organisation,
                "name": str(data.get("name") or "")[:200],
                "address": str(address.get("address_1") or "")[:200],
                "postal_code": postal_code,
                "city": str(address.get("city") or "")[:100],
                "commune": postal.commune if postal else None,
                "latitude": round(float(lat), 6) if valid and lat is not None else None,
                "longitude": round(float(lon), 6) if valid and lon is not None else None,
                "transportation": data.get("transportation") or "",
                "accessibility": "\n".join(a.get("description") or "" for a in data.get("accessibility") or []),
            },
        )
        self.report.locations += 1
        for index, phone in enumerate(data.get("phones") or []):
            self.phone(phone, f"{path}.phones[{index}]", location=location)
        if "schedules" in data:
            self.listed_for["location"].add(location.pk)
        for index, schedule in enumerate(data.get("schedules") or []):
            self.schedule(schedule, f"{path}.schedules[{index}]", location=location)
        return location

    def phone(self, data: Mapping[str, Any], path: str, **owner: Any) -> None:
        key = self.uuid(data.get("id"), path)
        if key is None:
            return
        number = str(data.get("number") or "").strip('"')
        if not number:
            self.error(f"{path}.number", _("a phone number is required"))
            return
        Phone.objects.update_or_create(
            uuid=key,
            defaults={
                "number": number[:30],
                "extension": str(data.get("extension") or "")[:10],
                "kind": str(data.get("type") or "voice")[:20],
                "description": str(data.get("description") or "")[:200],
                **owner,
            },
        )

    def _time(self, value: Any, path: str) -> time | None:
        text = str(value or "")
        for suffix in ("Z", "+", "-"):
            if suffix in text[5:]:
                text = text[: 5 + text[5:].index(suffix)]
        try:
            return time.fromisoformat(text)
        except ValueError:
            self.error(path, _("not a time (HH:MM): %(value)s") % {"value": value})
            return None

    def _date(self, value: Any, path: str) -> date | None:
        if not value:
            return None
        try:
            return date.fromisoformat(str(value)[:10])
        except ValueError:
            self.error(path, _("not a date (YYYY-MM-DD): %(value)s") % {"value": value})
            return None

    def schedule(self, data: Mapping[str, Any], path: str, **owner: Any) -> None:
        key = self.uuid(data.get("id"), path)
        if key is None:
            return
        self.named_schedules.add(key)
        if not data.get("opens_at") or not data.get("closes_at"):
            return  # a schedule described only in words: nothing to compute with
        opens = self._time(data.get("opens_at"), f"{path}.opens_at")
        closes = self._time(data.get("closes_at"), f"{path}.closes_at")
        freq = str(data.get("freq") or Frequency.WEEKLY).upper()
        if freq not in Frequency.values:
            self.error(f"{path}.freq", _("only WEEKLY and MONTHLY recurrences are supported"))
            return
        fields = {
            "freq": freq,
            "interval": int(data.get("interval") or 1),
            "byday": str(data.get("byday") or "").upper().replace(" ", ""),
            "bymonthday": str(data.get("bymonthday") or "").replace(" ", ""),
        }
        probe = Schedule(opens_at=time(9), closes_at=time(10), **fields)
        try:
            validate_recurrence(probe.rrule_text)
        except ValidationError as error:
            self.error(f"{path}.byday", error.messages[0])
            return
        if opens is None or closes is None:
            return
        Schedule.objects.update_or_create(
            uuid=key,
            defaults={
                **fields,
                "opens_at": opens,
                "closes_at": closes,
                "valid_from": self._date(data.get("valid_from"), f"{path}.valid_from"),
                "valid_to": self._date(data.get("valid_to"), f"{path}.valid_to"),
                "description": str(data.get("description") or "")[:200],
                "notes": data.get("notes") or "",
                **owner,
            },
        )
        self.report.schedules += 1
        if set(owner) == {"location"}:
            self.locations_with_hours.add(owner["location"].pk)

    def service(self, data: Mapping[str, Any], organisation: DirectoryOrganisation | None, path: str) -> None:
        key = self.uuid(data.get("id"), path)
        if key is None:
            return
        if organisation is None:
            nested = data.get("organization")
            if isinstance(nested, Mapping):
                organisation = self.organisation(nested, f"{path}.organization")
            elif data.get("organization_id"):
                organisation = DirectoryOrganisation.objects.filter(uuid=data["organization_id"]).first()
        if organisation is None:
            self.error(f"{path}.organization_id", _("the service's organisation is unknown"))
            return
        if not data.get("name"):
            self.error(f"{path}.name", _("a name is required"))
            return
        status = data.get("status")
        if status not in HSDS_STATUSES:
            self.error(f"{path}.status", _("must be one of %(values)s") % {"values": ", ".join(HSDS_STATUSES)})
            return
        service, _created = Service.objects.update_or_create(
            uuid=key,
            defaults={
                "organisation": organisation,
                "name_fr": str(data["name"])[:200],
                "name_nl": str(data.get("alternate_name") or "")[:200],
                "description_fr": data.get("description") or "",
                "status": ServiceStatus.PUBLISHED
                if status in ("active", "temporarily closed")
                else ServiceStatus.DRAFT,
                "crisis_status": CrisisStatus.CLOSED if status == "temporarily closed" else CrisisStatus.USUAL,
                "crisis_note": data.get("alert") or "",
                "website": data.get("url") or "",
                "email": data.get("email") or "",
                "fees_fr": data.get("fees_description") or "",
                "is_free": not data.get("fees_description")
                or str(data.get("fees_description")).lower() in ("free", "gratuit"),
                "eligibility_fr": data.get("eligibility_description") or "",
            },
        )
        self.report.services += 1
        for index, phone in enumerate(data.get("phones") or []):
            self.phone(phone, f"{path}.phones[{index}]", service=service)
        if "schedules" in data:
            self.listed_for["service"].add(service.pk)
        for index, schedule in enumerate(data.get("schedules") or []):
            self.schedule(schedule, f"{path}.schedules[{index}]", service=service)
        for index, link in enumerate(data.get("service_at_locations") or []):
            self.service_at_location(link, service, organisation, f"{path}.service_at_locations[{index}]")
        codes = {str(lang.get("code") or "").lower()[:10] for lang in data.get("languages") or [] if lang.get("code")}
        for code in codes:
            ServiceLanguage.objects.get_or_create(service=service, code=code)
        service.languages = sorted(set(service.languages) | codes)
        needs = []
        for attribute in data.get("attributes") or []:
            term = attribute.get("taxonomy_term") or {}
            category = self.categories.get(str(term.get("code") or ""))
            if category is not None:
                needs.append(category)
        if needs:
            service.needs.add(*needs)
        communes = []
        for area in data.get("service_areas") or []:
            name = str(area.get("name") or "")
            if name in self.postal:
                communes.append(self.postal[name].commune)
            elif name.lower() in self.communes:
                communes.append(self.communes[name.lower()])
            elif area.get("extent_type") == "region" and "brussels" in name.lower():
                service.serves_whole_region = True
        if communes:
            service.area_communes.add(*communes)
        service.save(update_fields=["languages", "serves_whole_region"])
        refresh_search_text(service)
        refresh_search_index(service)

    def service_at_location(
        self, data: Mapping[str, Any], service: Service, organisation: DirectoryOrganisation, path: str
    ) -> None:
        key = self.uuid(data.get("id"), path)
        if key is None:
            return
        location: Location | None = None
        if isinstance(data.get("location"), Mapping):
            location = self.location(data["location"], organisation, f"{path}.location")
        elif data.get("location_id"):
            location = Location.objects.filter(uuid=data["location_id"]).first()
        if location is None:
            self.error(f"{path}.location_id", _("unknown location"))
            return
        link, _created = ServiceAtLocation.objects.update_or_create(
            uuid=key, defaults={"service": service, "location": location, "description": data.get("description") or ""}
        )
        if "schedules" in data:
            self.listed_for["link"].add(link.pk)
        for index, schedule in enumerate(data.get("schedules") or []):
            self.schedule(schedule, f"{path}.schedules[{index}]", service=service, service_at_location=link)

    def remove_unnamed_schedules(self) -> None:
        """The schedules of listed owners that the import did not name, deleted; their services reindexed."""
        listed = self.listed_for
        owned = (
            Q(service_id__in=listed["service"], service_at_location=None)
            | Q(service_at_location_id__in=listed["link"])
            | Q(location_id__in=listed["location"], service=None)
        )
        stale = [
            (pk, service_id, location_id)
            for pk, key, service_id, location_id in Schedule.objects.filter(owned).values_list(
                "pk", "uuid", "service_id", "location_id"
            )
            if key not in self.named_schedules
        ]
        for start in range(0, len(stale), 500):
            Schedule.objects.filter(pk__in=[pk for pk, _service, _location in stale[start : start + 500]]).delete()
        self.report.schedules_removed = len(stale)
        for service in Service.objects.filter(pk__in={service for _pk, service, _location in stale if service}):
            refresh_search_index(service)
        self.locations_with_hours.update(location for _pk, service, location in stale if location and not service)


def _documents(payload: Any) -> list[Any]:
    if isinstance(payload, Mapping) and isinstance(payload.get("contents"), list):
        return list(payload["contents"])
    if isinstance(payload, list):
        return payload
    return [payload]


def import_documents(actor: User | None, payload: Any) -> ImportReport:
    """Import HSDS organisation or service documents (one, a list, or a paginated list); all or nothing."""
    importer = _Importer()
    with transaction.atomic():
        for index, document in enumerate(_documents(payload)):
            path = f"[{index}]"
            if not isinstance(document, Mapping):
                importer.error(path, _("an HSDS document must be a JSON object"))
            elif "status" in document:
                importer.service(document, None, path)
            else:
                importer.organisation(document, path)
        if importer.errors:
            transaction.set_rollback(True)
            raise ValidationError(importer.errors)
        importer.remove_unnamed_schedules()
        # A location's hours may come after a service there was indexed (or in another document).
        refresh_services_at(importer.locations_with_hours)
        log_action(actor, "directory.import.completed", None, importer.report.__dict__)
    return importer.report


def _read_csv(text: str) -> list[dict[str, str]]:
    return [dict(row) for row in csv.DictReader(io.StringIO(text.lstrip("\ufeff")))]


def import_tabular(actor: User | None, files: Mapping[str, str]) -> ImportReport:
    """Import a tabular datapackage (file name → CSV text) by rebuilding nested documents."""
    tables = {
        name.rsplit("/", 1)[-1].removesuffix(".csv"): _read_csv(text)
        for name, text in files.items()
        if name.endswith(".csv")
    }

    def by(table: str, key: str) -> dict[str, list[dict[str, Any]]]:
        grouped: dict[str, list[dict[str, Any]]] = {}
        for row in tables.get(table, []):
            if row.get(key):
                grouped.setdefault(row[key], []).append(row)
        return grouped

    def numbers(row: dict[str, Any]) -> dict[str, Any]:
        result = dict(row)
        for field in ("latitude", "longitude"):
            try:
                result[field] = float(row[field]) if row.get(field) else None
            except ValueError:
                result[field] = None
        return result

    addresses = by("addresses", "location_id")
    location_phones = by("phones", "location_id")
    service_phones = by("phones", "service_id")
    location_schedules = by("schedules", "location_id")
    service_schedules = by("schedules", "service_id")
    languages = by("languages", "service_id")
    areas = by("service_areas", "service_id")
    links = by("service_at_location", "service_id")
    terms = {row["id"]: row for row in tables.get("taxonomy_terms", [])}
    attributes = by("attributes", "link_id")
    locations = {row["id"]: row for row in tables.get("locations", [])}
    services = by("services", "organization_id")

    def location_doc(row: dict[str, Any]) -> dict[str, Any]:
        return {
            **numbers(row),
            "addresses": addresses.get(row["id"], []),
            "phones": location_phones.get(row["id"], []),
            "schedules": [s for s in location_schedules.get(row["id"], []) if not s.get("service_id")],
        }

    documents = []
    for organisation in tables.get("organizations", []):
        org_id = organisation["id"]
        documents.append(
            {
                **organisation,
                "locations": [location_doc(row) for row in locations.values() if row.get("organization_id") == org_id],
                "services": [
                    {
                        **service,
                        "phones": service_phones.get(service["id"], []),
                        "schedules": service_schedules.get(service["id"], []),
                        "languages": languages.get(service["id"], []),
                        "service_areas": areas.get(service["id"], []),
                        "service_at_locations": [
                            {**link, "location": location_doc(locations[link["location_id"]])}
                            if link.get("location_id") in locations
                            else link
                            for link in links.get(service["id"], [])
                        ],
                        "attributes": [
                            {**attribute, "taxonomy_term": terms.get(attribute.get("taxonomy_term_id", ""), {})}
                            for attribute in attributes.get(service["id"], [])
                        ],
                    }
                    for service in services.get(org_id, [])
                ],
            }
        )
    orphans = [
        s
        for org_id, rows in services.items()
        if org_id not in {o["id"] for o in tables.get("organizations", [])}
        for s in rows
    ]
    if orphans:
        raise ValidationError(
            [
                _("services.csv: service %(id)s: unknown organization_id %(org)s")
                % {"id": s["id"], "org": s["organization_id"]}
                for s in orphans
            ]
        )
    return import_documents(actor, documents)


def import_upload(actor: User | None, name: str, content: bytes) -> ImportReport:
    """An uploaded file: HSDS JSON, or a ZIP of a tabular datapackage."""
    if name.lower().endswith(".zip"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                files = {n: archive.read(n).decode("utf-8-sig") for n in archive.namelist() if n.endswith(".csv")}
        except (zipfile.BadZipFile, UnicodeDecodeError):
            raise ValidationError(_("This file is not a ZIP of UTF-8 CSV files.")) from None
        return import_tabular(actor, files)
    try:
        payload = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValidationError(_("This file is not valid JSON: %(error)s") % {"error": error}) from None
    return import_documents(actor, payload)
