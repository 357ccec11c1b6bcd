"""The read side of taxonomy, used by the helpline, case files and the directory.

Categories are reference data shared by the whole network (no organisation owns them):
anyone signed in may read the published versions; only federation staff see drafts.
"""

from __future__ import annotations

import datetime
import unicodedata
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from maillage.taxonomy.models import Category, CategoryMapping, Scheme, SchemeVersion, VersionStatus


def published_version(scheme_code: str) -> SchemeVersion | None:
    """The version in force: the newest published one."""
    return (
        SchemeVersion.objects.select_related("scheme")
        .filter(scheme__code=scheme_code, status=VersionStatus.PUBLISHED)
        .order_by("-number")
        .first()
    )


def published_version_stamp(scheme_code: str) -> tuple[int, str, str] | None:
    """Which version is in force, as (id, created at, published at), for what is cached per version
    (a published version never changes). One plain statement: for the search form, read on every
    search, building the ORM query cost more than running it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT v.id, v.created_at, v.published_at FROM taxonomy_schemeversion v "
            "JOIN taxonomy_scheme s ON s.id = v.scheme_id WHERE s.code = %s AND v.status = %s "
            "ORDER BY v.number DESC LIMIT 1",
            [scheme_code, VersionStatus.PUBLISHED],
        )
        row = cursor.fetchone()
    return None if row is None else (row[0], str(row[1]), str(row[2]))


def active_categories(scheme_code: str) -> QuerySet[Category]:
    """What a picker offers: the published version's active categories (not those under a retired parent)."""
    version = published_version(scheme_code)
    if version is None:
        return Category.objects.none()
    return (
        Category.objects.filter(version=version, is_active=True)
        .exclude(parent__is_active=False)
        .select_related("parent")
    )


def _folded(text: str) -> str:
    """Lower case without accents, so 'epicerie' finds 'Épicerie' on SQLite and PostgreSQL alike."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def search_categories(scheme_code: str, text: str, limit: int = 15) -> list[Category]:
    """Autocomplete: by code prefix or by words of the FR/NL/EN label (every word must match).

    A scheme holds tens to a few hundred categories, so matching is done in Python after one
    query: accent- and case-insensitive on every database.
    """
    categories = list(active_categories(scheme_code).order_by("position", "code"))
    words = _folded(text).split()
    if not words:
        return categories[:limit]
    prefix = _folded(text.strip())
    by_code: list[Category] = []
    by_label: list[Category] = []
    for category in categories:
        if _folded(category.code).startswith(prefix):
            by_code.append(category)
            continue
        haystack = _folded(" ".join((category.code, category.label_fr, category.label_nl, category.label_en)))
        if all(word in haystack for word in words):
            by_label.append(category)
    return (by_code + by_label)[:limit]


def mapping_between(old: SchemeVersion, new: SchemeVersion) -> dict[str, str]:
    """Old code → new code, following the recorded mappings version by version.

    A code split into several has no single new code: it maps to "" (see `reading.reading_in`, which
    reads it under a joined key, and `reading.successors`, which gives every target)."""
    chain: list[SchemeVersion] = []
    version: SchemeVersion | None = new
    while version is not None and version.pk != old.pk:
        chain.append(version)
        version = version.previous
    if version is None:
        raise ValueError(f"{new} does not descend from {old}.")
    result = {code: code for code in Category.objects.filter(version=old).values_list("code", flat=True)}
    for step in reversed(chain):
        targets: dict[str, set[str]] = {}
        for source, target in CategoryMapping.objects.filter(target__version=step).values_list(
            "source__code", "target__code"
        ):
            targets.setdefault(source, set()).add(target)
        step_map = {source: next(iter(codes)) if len(codes) == 1 else "" for source, codes in targets.items()}
        result = {old_code: step_map.get(code, code) if code else "" for old_code, code in result.items()}
    return result


def descendants_and_self(category: Category) -> list[int]:
    """Ids to match when searching for a need: a level-1 category finds its level-2 children too."""
    return [category.pk, *category.children.values_list("pk", flat=True)]


# --- for the pages of federation staff ---


def schemes_with_versions() -> QuerySet[Scheme]:
    """Every scheme with its versions (newest first) and their category counts: two queries."""
    versions = SchemeVersion.objects.annotate(category_count=Count("categories")).order_by("-number")
    return Scheme.objects.prefetch_related(Prefetch("versions", queryset=versions)).order_by("code")


def get_version(scheme_code: str, number: int) -> SchemeVersion:
    """One version by its scheme code and number (raises SchemeVersion.DoesNotExist)."""
    return SchemeVersion.objects.select_related("scheme", "previous").get(scheme__code=scheme_code, number=number)


@dataclass
class TreeNode:
    category: Category
    children: list[Category] = field(default_factory=list)


def version_tree(version: SchemeVersion) -> list[TreeNode]:
    """Level 1 with its level-2 categories under it, in file order: one query."""
    nodes: dict[int, TreeNode] = {}
    children: list[Category] = []
    for category in version.categories.order_by("position", "code"):
        if category.parent_id is None:
            nodes[category.pk] = TreeNode(category)
        else:
            children.append(category)
    for child in children:
        nodes[child.parent_id].children.append(child)  # type: ignore[index]
    return list(nodes.values())


def mapping_target_lists(version: SchemeVersion) -> dict[int, list[Category]]:
    """For the previous version's categories: old category id → every category it goes to (a split: several)."""
    mappings = CategoryMapping.objects.filter(target__version=version).select_related("target")
    result: dict[int, list[Category]] = {}
    for mapping in mappings.order_by("target__position", "target__code"):
        result.setdefault(mapping.source_id, []).append(mapping.target)
    return result


def mapping_targets(version: SchemeVersion) -> dict[int, Category]:
    """For the previous version's categories: old category id → where it goes in `version`."""
    mappings = CategoryMapping.objects.filter(target__version=version).select_related("target")
    return {mapping.source_id: mapping.target for mapping in mappings}


@dataclass(frozen=True)
class Publication:
    """The version of a scheme in force, when it was published, and whether it changed a previous one."""

    version: SchemeVersion
    scheme: Scheme
    published_at: datetime.datetime | None
    replaces: int | None  # the number of the version it replaced


def latest_publications(days: int | None = None) -> list[Publication]:
    """The version in force of every scheme that has replaced an earlier one (published within `days` if
    given), newest first: what the modules show as "Categories version N in force since …"."""
    versions = (
        SchemeVersion.objects.select_related("scheme", "previous")
        .filter(status=VersionStatus.PUBLISHED, previous__isnull=False)
        .order_by("-published_at", "scheme__code")
    )
    if days is not None:
        versions = versions.filter(published_at__gte=timezone.now() - datetime.timedelta(days=days))
    return [
        Publication(
            version, version.scheme, version.published_at, version.previous.number if version.previous else None
        )
        for version in versions
    ]
