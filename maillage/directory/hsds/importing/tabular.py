"""An HSDS tabular datapackage into the directory: its CSV tables made back into nested documents, then
imported as documents are (documents.py), all or nothing."""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from maillage.core.models import User
from maillage.core.uploads import csv_rows
from maillage.directory.hsds.importing.documents import ImportReport, import_documents
from maillage.directory.hsds.tables import restore


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
