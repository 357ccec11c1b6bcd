"""Factories for the directory: organisations, services, locations, schedules."""

from __future__ import annotations

from datetime import time
from typing import Any

import factory

from maillage.core.models import PostalCode
from maillage.directory import services as directory_services
from maillage.directory.models import (
    DirectoryOrganisation,
    Location,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceStatus,
)
from maillage.directory.search.keys import refresh_search_index


class DirectoryOrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DirectoryOrganisation

    name_fr = factory.Sequence(lambda n: f"Association {n}")
    name_nl = factory.Sequence(lambda n: f"Vereniging {n}")


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        skip_postgeneration_save = True

    organisation = factory.SubFactory(DirectoryOrganisationFactory)
    name_fr = factory.Sequence(lambda n: f"Service {n}")
    name_nl = factory.Sequence(lambda n: f"Dienst {n}")
    status = ServiceStatus.PUBLISHED
    modalities = "walk_in"


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    organisation = factory.SubFactory(DirectoryOrganisationFactory)
    address = "Rue Wayez 1"
    postal_code = "1070"
    city = "Anderlecht"


def location_in(postal_code: str, organisation: DirectoryOrganisation, **fields: Any) -> Location:
    postal = PostalCode.objects.select_related("commune").get(code=postal_code)
    return LocationFactory(
        organisation=organisation, postal_code=postal_code, city=postal.locality_fr, commune=postal.commune, **fields
    )


def make_service(
    *,
    needs: list[Any] = (),  # type: ignore[assignment]
    postal_code: str | None = None,
    serves: list[str] = (),  # type: ignore[assignment]
    languages: list[str] = ("fr",),  # type: ignore[assignment]
    hours: list[tuple[str, time, time]] = (),  # type: ignore[assignment]
    phone: str = "",
    **fields: Any,
) -> Service:
    """A published service with needs, a location, areas served (postal codes), languages and weekly hours."""
    service = ServiceFactory(**fields)
    if needs:
        service.needs.set(needs)
    if postal_code:
        location = location_in(postal_code, service.organisation)
        ServiceAtLocation.objects.create(service=service, location=location)
    if serves:
        communes = [PostalCode.objects.get(code=code).commune for code in serves]
        service.area_communes.set(communes)
    directory_services.set_languages(service, languages)
    for byday, opens, closes in hours:
        Schedule.objects.create(service=service, byday=byday, opens_at=opens, closes_at=closes)
    if phone:
        Phone.objects.create(service=service, number=phone)
    directory_services.refresh_search_text(service)
    refresh_search_index(service)
    return service
