"""The HSDS tabular datapackage: the directory as CSV tables in a zip, and back.

The CSVs are a machine exchange format, so they keep the comma HSDS tools expect (no BOM), but
they are written by the one spreadsheet writer (core.spreadsheet): a text that a spreadsheet
would run as a formula gets a leading `'`. So that a re-import gives back the original text,
a text that already starts with quotes before a formula character gets one more quote on export,
and the import removes exactly one quote when quotes precede a formula character.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from maillage.core.models import User
from maillage.core.spreadsheet import write_csv
from maillage.core.uploads import csv_rows
from maillage.directory.exchange.documents import SCHEME, _id, export_organizations, profile_url
from maillage.directory.exchange.importing import ImportReport, import_documents
from maillage.directory.models import Service
from maillage.taxonomy.queries import published_version

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
    "service_at_location": ["id", "service_id", "location_id", "description"],
    "phones": ["id", "location_id", "service_id", "number", "extension", "type", "description", "organization_id"],
    "schedules": [
        "id",
        "service_id",
        "location_id",
        "service_at_location_id",
        "valid_from",
        "valid_to",
        "dtstart",
        "timezone",
        "until",
        "count",
        "freq",
        "interval",
        "byday",
        "bymonthday",
        "opens_at",
        "closes_at",
        "description",
        "notes",
    ],
    "service_areas": ["id", "service_id", "name", "description", "extent", "extent_type", "uri"],
    "languages": ["id", "service_id", "name", "code", "note"],
    "taxonomies": ["id", "name", "description", "version"],
    "taxonomy_terms": ["id", "code", "name", "description", "parent_id", "taxonomy", "taxonomy_id", "language"],
    "attributes": ["id", "link_id", "taxonomy_term_id", "link_type", "link_entity"],
}
# Columns HSDS types as numbers (the rest are strings).
NUMBER_COLUMNS = frozenset({"latitude", "longitude", "extension", "timezone", "count", "interval"})
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
    seen: dict[tuple[str, str], dict[str, Any]] = {}

    def add(table: str, row: Mapping[str, Any]) -> None:
        """One row per id; a row met again (a phone or schedule shared by a location and a service)
        adds the links it carries, so no owner is dropped."""
        key = (table, row["id"])
        if key not in seen:
            seen[key] = {column: row[column] for column in TABLES[table] if column in row}
            tables[table].append(seen[key])
        else:
            for column in TABLES[table]:
                if column in row and seen[key].get(column) in (None, ""):
                    seen[key][column] = row[column]

    for document in export_organizations(services):
        add("organizations", document)
        for phone in document.get("phones", []):
            add("phones", phone)
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
            for link in service.get("service_at_locations", []):
                for schedule in link.get("schedules", []):
                    add("schedules", schedule)
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


# Quotes before a formula character: the writer's own neutralising quote, or quotes of the text itself.
_QUOTED_FORMULA = re.compile(r"'+[=+\-@\t\r]")


def _protect(value: Any) -> Any:
    """A text already written like a neutralised formula gets one more quote, so the import's strip is exact."""
    if isinstance(value, str) and _QUOTED_FORMULA.match(value):
        return "'" + value
    return value


def restore(value: str) -> str:
    """The text as it was before export: one quote less when quotes precede a formula character."""
    return value[1:] if _QUOTED_FORMULA.match(value) else value


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    buffer = io.StringIO(newline="")
    write_csv(buffer, columns, ([_protect(row.get(column)) for column in columns] for row in rows), separator="comma")
    return buffer.getvalue()


def datapackage_descriptor() -> dict[str, Any]:
    return {
        "name": "maillage-directory",
        "title": "maillage — Brussels social services directory (HSDS 3.0)",
        "profile": "tabular-data-package",
        "hsds_version": "3.0",
        "hsds_profile": profile_url(),
        "sources": [{"title": "HSDS 3.0 — Brussels profile (maillage)", "path": profile_url()}],
        "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/"}],
        "resources": [
            {
                "name": RESOURCE_SCHEMA[table],
                "path": f"{table}.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "profile": "tabular-data-resource",
                "schema": {
                    "fields": [
                        {"name": column, "type": "number" if column in NUMBER_COLUMNS else "string"}
                        for column in columns
                    ]
                },
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


def _read_csv(name: str, text: str) -> list[dict[str, str]]:
    """The rows of one CSV member as dicts by header; an over-long field or broken CSV names the file and line."""
    rows: Iterator[list[str]] = csv_rows(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        header = next(rows, [])
        width = len(header)
        return [
            {column: restore(value) for column, value in zip(header, row + [""] * (width - len(row)), strict=False)}
            for row in rows
            if any(row)
        ]
    except ValidationError as error:
        raise ValidationError([f"{name}: {message}" for message in error.messages]) from None


def import_tabular(actor: User | None, files: Mapping[str, str]) -> ImportReport:
    """Import a tabular datapackage (file name → CSV text) by rebuilding nested documents."""
    tables = {
        name.rsplit("/", 1)[-1].removesuffix(".csv"): _read_csv(name, text)
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
    link_schedules = by("schedules", "service_at_location_id")
    organisation_phones = by("phones", "organization_id")
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
            "schedules": location_schedules.get(row["id"], []),
        }

    if not tables.get("organizations"):
        # Locations or taxonomy terms alone would be read as nothing (or, before, as organisations).
        present = sorted(f"{name}.csv" for name, rows in tables.items() if rows)
        raise ValidationError(
            _(
                "The datapackage has no organisation in organizations.csv, so nothing can be imported "
                "(it holds: %(tables)s). Export the organisations with their services and locations."
            )
            % {"tables": ", ".join(present) or _("no rows")},
            code="no_organisations",
        )
    documents = []
    for organisation in tables.get("organizations", []):
        org_id = organisation["id"]
        documents.append(
            {
                **organisation,
                "phones": organisation_phones.get(org_id, []),
                "locations": [location_doc(row) for row in locations.values() if row.get("organization_id") == org_id],
                "services": [
                    {
                        **service,
                        "phones": service_phones.get(service["id"], []),
                        "schedules": service_schedules.get(service["id"], []),
                        "languages": languages.get(service["id"], []),
                        "service_areas": areas.get(service["id"], []),
                        "service_at_locations": [
                            {
                                **link,
                                "schedules": link_schedules.get(link["id"], []),
                                **(
                                    {"location": location_doc(locations[link["location_id"]])}
                                    if link.get("location_id") in locations
                                    else {}
                                ),
                            }
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
