"""Every save or delete of a row the search reads changes the search generation (searchmemory.py, generation.py).

Bulk writes that send no signal (QuerySet.update, bulk_create) bump it themselves: see
searchindex.refresh_search_index() and reindex_all().
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save

from maillage.core.models import Commune, PostalCode
from maillage.directory.generation import bump_generation
from maillage.directory.models import (
    DirectoryOrganisation,
    Location,
    OpeningSlot,
    Phone,
    Schedule,
    ScheduleException,
    Service,
    ServiceAtLocation,
    ServiceLanguage,
)

# What a search filters on or prints; communes and postal codes for areas and distances.
READ_BY_SEARCH = (
    Service,
    DirectoryOrganisation,
    Location,
    ServiceAtLocation,
    Phone,
    Schedule,
    ScheduleException,
    OpeningSlot,
    ServiceLanguage,
    Commune,
    PostalCode,
)


def _changed(sender: Any, **kwargs: Any) -> None:
    bump_generation()


def _m2m_changed(sender: Any, action: str, **kwargs: Any) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        bump_generation()


def connect() -> None:
    for model in READ_BY_SEARCH:
        post_save.connect(_changed, sender=model, dispatch_uid=f"directory-search-{model.__name__}-save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"directory-search-{model.__name__}-delete")
    for through in (Service.needs.through, Service.area_communes.through):
        m2m_changed.connect(_m2m_changed, sender=through, dispatch_uid=f"directory-search-{through.__name__}")
