"""Postal codes: Brussels ones map to a commune, other Belgian ones to a province."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from maillage.core.models import Commune, PostalCode, PostalRange, Province, Region


@dataclass(frozen=True)
class PostalLocation:
    code: str
    region: str
    commune: Commune | None
    province: Province | None

    @property
    def in_brussels(self) -> bool:
        return self.region == Region.BRUSSELS


def resolve_postal_code(code: str) -> PostalLocation:
    """Where a Belgian postal code lies; a clear ValidationError if it is not one."""
    code = (code or "").strip()
    if not (len(code) == 4 and code.isdigit()):
        raise ValidationError(_("A Belgian postal code has four digits, e.g. 1070."), code="postal_code_format")
    postal = PostalCode.objects.select_related("commune").filter(code=code).first()
    if postal is not None:
        return PostalLocation(code, Region.BRUSSELS, postal.commune, None)
    number = int(code)
    if 1000 <= number <= 1299:
        raise ValidationError(
            _("%(code)s is not a postal code of the Brussels-Capital Region.") % {"code": code},
            code="postal_code_unknown",
        )
    postal_range = PostalRange.objects.select_related("province").filter(first__lte=number, last__gte=number).first()
    if postal_range is None:
        raise ValidationError(_("%(code)s is not a Belgian postal code.") % {"code": code}, code="postal_code_unknown")
    return PostalLocation(code, postal_range.province.region, None, postal_range.province)


# Postal code → where it lies, per process: the forms of several apps resolve one on every submission.
# The geography is reference data written by migrations only (a deployment restarts the processes);
# saving a postal code, range, commune or province in this process drops it all the same
# (CoreConfig.ready). Only valid codes are kept (fewer than 10,000); errors are raised afresh.
_cached_locations: dict[str, PostalLocation] = {}


def forget_postal_locations(**_signal: Any) -> None:
    _cached_locations.clear()


def cached_postal_location(code: str) -> PostalLocation:
    """resolve_postal_code(code), read once per process for a valid code."""
    location = _cached_locations.get(code)
    if location is None:
        location = resolve_postal_code(code)
        _cached_locations[location.code] = location
    return location


def brussels_postal_codes() -> list[PostalCode]:
    return list(PostalCode.objects.select_related("commune"))
