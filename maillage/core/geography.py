"""Postal codes: Brussels ones map to a commune, other Belgian ones to a province."""

from __future__ import annotations

from dataclasses import dataclass

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


def brussels_postal_codes() -> list[PostalCode]:
    return list(PostalCode.objects.select_related("commune"))
