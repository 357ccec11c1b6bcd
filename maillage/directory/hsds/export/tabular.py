"""The directory as the HSDS tabular datapackage: CSV tables in a zip, with their descriptor (tables.py
holds their shape)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet

from maillage.core.spreadsheet import write_csv
from maillage.directory.hsds.export.documents import SCHEME, _id, export_organizations, profile_url
from maillage.directory.hsds.tables import NUMBER_COLUMNS, RESOURCE_SCHEMA, TABLES, protect
from maillage.directory.models import Service
from maillage.taxonomy.queries import published_version


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


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    buffer = io.StringIO(newline="")
    write_csv(buffer, columns, ([protect(row.get(column)) for column in columns] for row in rows), separator="comma")
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
