"""The shape of the HSDS tabular datapackage, both ways: its tables and columns, the columns typed as
numbers, the schema each table follows, and the quoting rule that lets a text survive export and import.

The CSVs are a machine exchange format, so they keep the comma HSDS tools expect (no BOM), but
they are written by the one spreadsheet writer (core.spreadsheet): a text that a spreadsheet
would run as a formula gets a leading `'`. So that a re-import gives back the original text,
a text that already starts with quotes before a formula character gets one more quote on export,
and the import removes exactly one quote when quotes precede a formula character.
"""

from __future__ import annotations

import re
from typing import Any

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


# Quotes before a formula character: the writer's own neutralising quote, or quotes of the text itself.
_QUOTED_FORMULA = re.compile(r"'+[=+\-@\t\r]")


def protect(value: Any) -> Any:
    """A text already written like a neutralised formula gets one more quote, so the import's strip is exact."""
    if isinstance(value, str) and _QUOTED_FORMULA.match(value):
        return "'" + value
    return value


def restore(value: str) -> str:
    """The text as it was before export: one quote less when quotes precede a formula character."""
    return value[1:] if _QUOTED_FORMULA.match(value) else value
