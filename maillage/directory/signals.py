"""Every save or delete of a row the search reads makes a new search generation, naming the
services it touches (generation.py), so each process reloads just those into its index.

Before the write, the generation row is locked (in a transaction): every directory write then
takes that lock before any directory row, so two writers never wait on each other crosswise.
Bulk writes that send no signal (QuerySet.update, bulk_create) bump it themselves: see
search.keys.refresh_search_index() and reindex_all(), which also write the weekly slots
(OpeningSlot, derived data, so not followed here: their bulk deletes stay one statement).
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

from maillage.core.models import Commune, PostalCode
from maillage.directory.models import (
    DirectoryOrganisation,
    Location,
    Phone,
    Quartier,
    Schedule,
    ScheduleException,
    Service,
    ServiceAtLocation,
    ServiceLanguage,
    Worker,
)
from maillage.directory.search.generation import bump_generation, lock_generation


def _services_of(instance: Any) -> list[int] | None:
    """The services whose search entry this row changes; None for all of them."""
    if isinstance(instance, Service):
        return [instance.pk]
    if isinstance(instance, DirectoryOrganisation):
        return list(Service.objects.filter(organisation_id=instance.pk).values_list("pk", flat=True))
    if isinstance(instance, Location):
        return _at_location(instance.pk)
    if isinstance(instance, Commune | PostalCode):
        return None  # areas and distances of every service
    ids = [instance.service_id] if getattr(instance, "service_id", None) else []
    location_id = getattr(instance, "location_id", None)
    return ids + _at_location(location_id) if location_id else ids


def _at_location(location_id: int) -> list[int]:
    return list(ServiceAtLocation.objects.filter(location_id=location_id).values_list("service_id", flat=True))


# What a search filters on or prints; communes and postal codes for areas and distances.
READ_BY_SEARCH = (
    Service,
    DirectoryOrganisation,
    Location,
    ServiceAtLocation,
    Phone,
    Schedule,
    ScheduleException,
    ServiceLanguage,
    Commune,
    PostalCode,
    Worker,  # the people index (search/people_index.py) reads the workers of the services named
)


def _before_write(sender: Any, **kwargs: Any) -> None:
    lock_generation()


def _saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    bump_generation(_services_of(instance))


def _deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    # A deleted location's services are deleted links already (their own signals name them).
    bump_generation(_services_of(instance) if not isinstance(instance, Location | DirectoryOrganisation) else [])


def _quartier_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    bump_generation(None)  # its links to workers, services and communes went with it, without a signal


def _people_links_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: Any
) -> None:
    """A worker's needs, communes or quartiers (the people index): the worker's service; a quartier's
    communes: everything (every worker or service covering it)."""
    if action.startswith("pre_"):
        lock_generation()
    elif sender is Quartier.communes.through:
        bump_generation(None)
    elif reverse:  # from a category, a commune or a quartier: pk_set holds workers (all of them on clear)
        if action == "post_clear" or pk_set is None:
            bump_generation(None)
        else:
            bump_generation(Worker.objects.filter(pk__in=pk_set).values_list("service_id", flat=True))
    else:
        bump_generation([instance.service_id])


def _links_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: Any
) -> None:
    if action.startswith("pre_"):
        lock_generation()
    elif reverse:  # from a category or a commune: pk_set holds services (all of them on clear)
        bump_generation(pk_set if action != "post_clear" else None)
    else:
        bump_generation([instance.pk])


def connect() -> None:
    for model in READ_BY_SEARCH:
        name = model.__name__
        pre_save.connect(_before_write, sender=model, dispatch_uid=f"directory-search-{name}-pre-save")
        pre_delete.connect(_before_write, sender=model, dispatch_uid=f"directory-search-{name}-pre-delete")
        post_save.connect(_saved, sender=model, dispatch_uid=f"directory-search-{name}-save")
        post_delete.connect(_deleted, sender=model, dispatch_uid=f"directory-search-{name}-delete")
    for through in (Service.needs.through, Service.area_communes.through, Service.quartiers.through):
        m2m_changed.connect(_links_changed, sender=through, dispatch_uid=f"directory-search-{through.__name__}")
    for link in (
        Worker.needs.through,
        Worker.area_communes.through,
        Worker.quartiers.through,
        Quartier.communes.through,
    ):
        m2m_changed.connect(_people_links_changed, sender=link, dispatch_uid=f"directory-people-{link.__name__}")
    pre_delete.connect(_before_write, sender=Quartier, dispatch_uid="directory-people-quartier-pre-delete")
    post_delete.connect(_quartier_deleted, sender=Quartier, dispatch_uid="directory-people-quartier-delete")
