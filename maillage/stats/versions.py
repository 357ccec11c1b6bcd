"""The one place the reports import the reading of categories in a version from (`taxonomy.reading`).

Readings are kept in memory while the scheme's versions stay as they are: a stats page asks for the same
reading several times (each dimension, each filter's choices), and a published version never changes.
Until `maillage.taxonomy.reading` is in the tree (issue #12 adds it), the same interface is given here
over the mappings as they are (one target per old category, so no split yet).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from maillage.taxonomy.models import SchemeVersion as _SchemeVersion
from maillage.taxonomy.models import VersionStatus as _VersionStatus

try:
    from maillage.taxonomy.reading import UNMAPPED, Reading, UnknownVersion, version_to_read
    from maillage.taxonomy.reading import reading_in as _reading_in
except ImportError:  # pragma: no cover - replaced by taxonomy.reading when it lands
    from maillage.taxonomy.models import Category, SchemeVersion, VersionStatus
    from maillage.taxonomy.queries import mapping_between

    UNMAPPED = "?"

    class UnknownVersion(ValidationError):  # type: ignore[no-redef]  # noqa: N818 - the name taxonomy.reading gives it
        pass

    def version_to_read(scheme_code: str, number: int | None) -> SchemeVersion:  # type: ignore[misc]
        versions = (
            SchemeVersion.objects.select_related("scheme")
            .filter(scheme__code=scheme_code)
            .exclude(status=VersionStatus.DRAFT)
        )
        if number:
            found = versions.filter(number=number).first()
        else:
            found = versions.filter(status=VersionStatus.PUBLISHED).order_by("-number").first()
        if found is None:
            raise UnknownVersion(
                _("There is no version %(number)s of %(scheme)s.") % {"number": number, "scheme": scheme_code}
            )
        return found

    @dataclass(frozen=True)
    class Reading:  # type: ignore[no-redef]
        version: Any
        level: int
        code_of: dict[int, str]
        labels: dict[str, str]
        order: list[str]
        splits: dict[str, tuple[str, ...]]

    def _reading_in(version: SchemeVersion, level: int) -> Reading:  # type: ignore[misc]
        in_version = {c.code: c for c in Category.objects.filter(version=version).select_related("parent")}

        def at_level(code: str | None) -> str:
            category = in_version.get(code or "")
            if category is None:
                return UNMAPPED
            return category.top.code if level == 1 else category.code

        code_of: dict[int, str] = {}
        for other in SchemeVersion.objects.filter(scheme=version.scheme).exclude(status=VersionStatus.DRAFT):
            pairs = Category.objects.filter(version=other).values_list("pk", "code")
            if other.pk == version.pk:
                code_of.update({pk: at_level(code) for pk, code in pairs})
            elif other.number < version.number:
                mapping = mapping_between(other, version)
                code_of.update({pk: at_level(mapping.get(code)) for pk, code in pairs})
            else:
                reverse: dict[str, str] = {}
                for old_code, new_code in mapping_between(version, other).items():
                    reverse.setdefault(new_code, old_code)
                code_of.update({pk: at_level(reverse.get(code)) for pk, code in pairs})
        categories = sorted(in_version.values(), key=lambda c: (c.position, c.code))
        order = [c.code for c in categories if c.level <= level and (level == 2 or c.level == 1)]
        labels = {c.code: c.label for c in categories}
        labels[UNMAPPED] = _("No equivalent in this version")
        return Reading(version, level, code_of, labels, order, {})


_CACHE: dict[tuple[Any, ...], Reading] = {}


def readings_in(version: _SchemeVersion, *levels: int) -> list[Reading]:
    """`taxonomy.reading.reading_in` at each level, remembered until a version of the scheme changes (one small
    query tells)."""
    stamp = tuple(
        _SchemeVersion.objects.filter(scheme_id=version.scheme_id)
        .exclude(status=_VersionStatus.DRAFT)
        .order_by("pk")
        .values_list("pk", "status", "created_at", "published_at")
    )
    found = []
    for level in levels:
        key = (version.pk, level, get_language(), stamp)  # labels are in the reader's language
        reading = _CACHE.get(key)
        if reading is None:
            if len(_CACHE) > 200:
                _CACHE.clear()
            reading = _CACHE[key] = _reading_in(version, level)
        found.append(reading)
    return found


def reading_in(version: _SchemeVersion, level: int) -> Reading:
    return readings_in(version, level)[0]


__all__ = ["UNMAPPED", "Reading", "UnknownVersion", "reading_in", "readings_in", "version_to_read"]
