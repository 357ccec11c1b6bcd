from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from maillage.core.geography import resolve_postal_code
from maillage.core.models import Commune, PostalCode


@pytest.mark.django_db
def test_reference_geography_has_the_19_communes_and_their_postal_codes() -> None:
    assert Commune.objects.count() == 19
    assert PostalCode.objects.count() == 22
    assert PostalCode.objects.get(code="1070").commune.name_nl == "Anderlecht"
    assert PostalCode.objects.get(code="1020").commune.name_fr == "Bruxelles"
    assert Commune.objects.get(nis_code="21009").name_nl == "Elsene"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "region", "commune", "province"),
    [
        ("1070", "brussels", "Anderlecht", None),
        ("1130", "brussels", "Bruxelles", None),
        ("5000", "wallonia", None, "Namur"),
        ("7500", "wallonia", None, "Hainaut"),
        ("1348", "wallonia", None, "Brabant wallon"),
        ("9000", "flanders", None, "Flandre orientale"),
    ],
)
def test_resolve_postal_code(code: str, region: str, commune: str | None, province: str | None) -> None:
    location = resolve_postal_code(code)
    assert location.region == region
    assert (location.commune.name_fr if location.commune else None) == commune
    assert (location.province.name_fr if location.province else None) == province
    assert location.in_brussels is (region == "brussels")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("107", "A Belgian postal code has four digits, e.g. 1070."),
        ("10a0", "A Belgian postal code has four digits, e.g. 1070."),
        ("1099", "1099 is not a postal code of the Brussels-Capital Region."),
        ("0999", "0999 is not a Belgian postal code."),
    ],
)
def test_resolve_postal_code_refuses_unknown_codes(code: str, message: str) -> None:
    with translation.override("en"):
        with pytest.raises(ValidationError) as error:
            resolve_postal_code(code)
        assert error.value.messages == [message]


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["9999", "9993", "8999", "5999", "4999"])
def test_codes_beyond_the_last_one_in_use_are_not_belgian(code: str) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as error:
        resolve_postal_code(code)
    assert error.value.messages == [f"{code} is not a Belgian postal code."]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "province"), [("9992", "oost-vlaanderen"), ("8980", "west-vlaanderen"), ("5680", "namur")]
)
def test_the_last_codes_in_use_still_resolve(code: str, province: str) -> None:
    assert resolve_postal_code(code).province.code == province
