"""A small scheme in two published versions with a merge, a split, a rename and a retirement (no services).

Version 1: INCOME, HEALTH, MENTAL, HOUSING (HOUSING.RENT, HOUSING.SHELTER), LEGAL.
Version 2: MENTAL merged into HEALTH; INCOME split into INCOME and DEBT; LEGAL renamed; HOUSING.SHELTER
retired (kept for past records, no longer offered).
"""

from __future__ import annotations

from maillage.taxonomy.models import Category, CategoryMapping, Scheme, SchemeVersion, VersionStatus

V1 = [
    ("INCOME", "", "Revenus", "Inkomen", "Income", True),
    ("HEALTH", "", "Santé", "Gezondheid", "Health", True),
    ("MENTAL", "", "Santé mentale", "Geestelijke gezondheid", "Mental health", True),
    ("HOUSING", "", "Logement", "Huisvesting", "Housing", True),
    ("HOUSING.RENT", "HOUSING", "Loyer", "Huur", "Rent", True),
    ("HOUSING.SHELTER", "HOUSING", "Hébergement", "Opvang", "Shelter", True),
    ("LEGAL", "", "Juridique", "Juridisch", "Legal", True),
]
V2 = [
    ("INCOME", "", "Revenus", "Inkomen", "Income", True),
    ("DEBT", "", "Dettes", "Schulden", "Debt", True),
    ("HEALTH", "", "Santé", "Gezondheid", "Health", True),
    ("HOUSING", "", "Logement", "Huisvesting", "Housing", True),
    ("HOUSING.RENT", "HOUSING", "Loyer", "Huur", "Rent", True),
    ("HOUSING.SHELTER", "HOUSING", "Hébergement", "Opvang", "Shelter", False),
    ("LEGAL", "", "Aide juridique", "Juridische hulp", "Legal aid", True),
]
# Old code → new codes (every old code mapped; INCOME splits, MENTAL merges into HEALTH).
MAPPING = {
    "INCOME": ["INCOME", "DEBT"],
    "HEALTH": ["HEALTH"],
    "MENTAL": ["HEALTH"],
    "HOUSING": ["HOUSING"],
    "HOUSING.RENT": ["HOUSING.RENT"],
    "HOUSING.SHELTER": ["HOUSING.SHELTER"],
    "LEGAL": ["LEGAL"],
}


def make_categories(version: SchemeVersion, rows: list[tuple[str, str, str, str, str, bool]]) -> dict[str, Category]:
    made: dict[str, Category] = {}
    for position, (code, parent, fr, nl, en, active) in enumerate(rows):
        made[code] = Category.objects.create(
            version=version,
            code=code,
            parent=made[parent] if parent else None,
            level=2 if parent else 1,
            label_fr=fr,
            label_nl=nl,
            label_en=en,
            is_active=active,
            position=position,
        )
    return made


def published_v1(scheme: Scheme) -> SchemeVersion:
    version = SchemeVersion.objects.create(scheme=scheme, number=1, status=VersionStatus.PUBLISHED)
    make_categories(version, V1)
    return version


def draft_v2(v1: SchemeVersion, mapping: dict[str, list[str]] | None = None) -> SchemeVersion:
    """Version 2 as a draft with its mappings (publish it through the service)."""
    version = SchemeVersion.objects.create(scheme=v1.scheme, number=2, previous=v1)
    new = make_categories(version, V2)
    old = {category.code: category for category in v1.categories.all()}
    CategoryMapping.objects.bulk_create(
        CategoryMapping(source=old[source], target=new[target])
        for source, targets in (mapping or MAPPING).items()
        for target in targets
    )
    return version
