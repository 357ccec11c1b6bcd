"""Server errors the fuzz tests found, each pinned by the input that caused it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from maillage.events.forms import RegistrationForm
from maillage.helpline.services import find_category
from tests.events.factories import GroupFactory, ThemeFactory

HUGE_ID = "99999999999999999999"


@pytest.mark.django_db
def test_a_huge_theme_id_in_a_registration_is_refused_not_an_overflow() -> None:
    theme = ThemeFactory()
    form = RegistrationForm({"themes": [HUGE_ID]}, event=theme.event)
    assert form.is_valid() is False
    assert [error.code for error in form.errors.as_data()["themes"]] == ["invalid_pk_value"]


@pytest.mark.django_db
def test_a_huge_preferred_group_id_is_refused_not_an_overflow() -> None:
    group = GroupFactory()
    form = RegistrationForm({"preferred_group": HUGE_ID}, event=group.event)
    assert form.is_valid() is False
    assert [error.code for error in form.errors.as_data()["preferred_group"]] == ["invalid_choice"]


def test_a_huge_category_text_in_a_call_is_an_unknown_category(request_themes: object) -> None:
    with pytest.raises(ValidationError) as caught:
        find_category("x" * 100_000)
    assert caught.value.code == "unknown_category"


@pytest.mark.django_db
def test_a_huge_need_or_commune_id_on_the_printed_sheet_is_refused_not_an_overflow(request_themes: object) -> None:
    from maillage.directory.forms import SheetForm

    form = SheetForm({"commune": HUGE_ID, "needs": [HUGE_ID]})
    assert form.is_valid() is False
    codes = {name: [error.code for error in errors] for name, errors in form.errors.as_data().items()}
    assert codes == {"commune": ["invalid_choice"], "needs": ["invalid_pk_value"]}
