"""The one place the reports import the reading of categories in a version from (`taxonomy.reading`).

Readings are kept in memory while the scheme's versions stay as they are: a stats page asks for the same
reading several times (each dimension, each filter's choices), and a published version never changes.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language

from maillage.taxonomy.models import SchemeVersion as _SchemeVersion
from maillage.taxonomy.models import VersionStatus as _VersionStatus
from maillage.taxonomy.reading import UNMAPPED, Reading, UnknownVersion, version_to_read
from maillage.taxonomy.reading import reading_in as _reading_in

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
