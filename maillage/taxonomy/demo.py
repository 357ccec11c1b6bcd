"""Demo data for taxonomy: the starter request-themes scheme, published."""

from __future__ import annotations

from pathlib import Path

from django.db import transaction

from maillage.core.demo_context import DemoContext
from maillage.taxonomy import services
from maillage.taxonomy.models import Scheme

DATA = Path(__file__).resolve().parent / "data"

# scheme code, labels fr/nl/en, CSV file
STARTER_SCHEMES = [
    ("request-themes", "Thèmes des demandes", "Thema's van de vragen", "Request themes", "request_themes.csv"),
]


def ensure_scheme(code: str, label_fr: str, label_nl: str, label_en: str, filename: str) -> Scheme:
    """Create and publish a starter scheme from its CSV, once (all or nothing)."""
    with transaction.atomic():
        scheme, created = Scheme.objects.get_or_create(
            code=code, defaults={"label_fr": label_fr, "label_nl": label_nl, "label_en": label_en}
        )
        if created or not scheme.versions.exists():
            version = services.create_draft(None, scheme, title="Version 1")
            parsed = services.import_categories_csv(None, version, (DATA / filename).read_text(encoding="utf-8"))
            if parsed.errors:
                raise ValueError(f"Starter scheme {code} has errors: {parsed.errors}")
            services.publish_version(None, version)
    return scheme


def load(context: DemoContext) -> None:
    for spec in STARTER_SCHEMES:
        ensure_scheme(*spec)
    staff = context.accounts.get("federation_staff")
    context.notes.append(
        "Categories: /categories/ for federation staff and administrators"
        + (f" ({staff.email})" if staff else "")
        + " — start a draft of the request themes, upload a CSV, map retired codes, publish."
    )
