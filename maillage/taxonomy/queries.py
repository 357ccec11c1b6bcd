"""The read side of taxonomy, used by the helpline, case files and the directory."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from maillage.taxonomy.models import Category, CategoryMapping, SchemeVersion, VersionStatus


def published_version(scheme_code: str) -> SchemeVersion | None:
    """The version in force: the newest published one."""
    return (
        SchemeVersion.objects.select_related("scheme")
        .filter(scheme__code=scheme_code, status=VersionStatus.PUBLISHED)
        .order_by("-number")
        .first()
    )


def active_categories(scheme_code: str) -> QuerySet[Category]:
    version = published_version(scheme_code)
    if version is None:
        return Category.objects.none()
    return Category.objects.filter(version=version, is_active=True).select_related("parent")


def search_categories(scheme_code: str, text: str, limit: int = 15) -> list[Category]:
    """Autocomplete: by code prefix or by words of the FR/NL/EN label."""
    categories = active_categories(scheme_code)
    text = text.strip()
    if text:
        condition = Q(code__istartswith=text)
        for word in text.split():
            condition |= Q(label_fr__icontains=word) | Q(label_nl__icontains=word) | Q(label_en__icontains=word)
        categories = categories.filter(condition)
    return list(categories.order_by("position", "code")[:limit])


def mapping_between(old: SchemeVersion, new: SchemeVersion) -> dict[str, str]:
    """Old code → new code, following the recorded mappings version by version."""
    chain: list[SchemeVersion] = []
    version: SchemeVersion | None = new
    while version is not None and version.pk != old.pk:
        chain.append(version)
        version = version.previous
    if version is None:
        raise ValueError(f"{new} does not descend from {old}.")
    result = {code: code for code in Category.objects.filter(version=old).values_list("code", flat=True)}
    for step in reversed(chain):
        step_map = dict(
            CategoryMapping.objects.filter(target__version=step).values_list("source__code", "target__code")
        )
        result = {old_code: step_map.get(code, code) for old_code, code in result.items()}
    return result


def descendants_and_self(category: Category) -> list[int]:
    """Ids to match when searching for a need: a level-1 category finds its level-2 children too."""
    return [category.pk, *category.children.values_list("pk", flat=True)]
