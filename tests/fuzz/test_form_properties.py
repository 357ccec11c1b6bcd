"""Every form of our apps that can be built from data alone: any nasty data gives is_valid() True or False, never an exception."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator

import pytest
from django import forms
from django.conf import settings as django_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.crawler import NASTY

HUGE = ["99999999999999999999", "-99999999999999999999", "2147483648", "9223372036854775808", "1e309", "0x10"]


def our_forms() -> Iterator[type[forms.BaseForm]]:
    for app in django_settings.MAILLAGE_APPS:
        for name in (f"maillage.{app}.forms",):
            try:
                module = importlib.import_module(name)
            except ModuleNotFoundError:
                continue
            for _name, value in inspect.getmembers(module, inspect.isclass):
                if issubclass(value, forms.BaseForm) and value.__module__ == name and value.base_fields:
                    yield value


def built(form_class: type[forms.BaseForm], data: dict[str, object]) -> forms.BaseForm | None:
    """The form bound to `data`, or None when it needs more than data (an event, a user...)."""
    try:
        return form_class(data)
    except TypeError:
        return None


FORMS = sorted(our_forms(), key=lambda cls: f"{cls.__module__}.{cls.__name__}")
values = st.one_of(st.sampled_from(NASTY + HUGE), st.text(max_size=30))


@pytest.mark.django_db
@pytest.mark.parametrize("form_class", FORMS, ids=lambda cls: f"{cls.__module__.split('.')[1]}.{cls.__name__}")
def test_any_data_gives_a_valid_or_invalid_form(form_class: type[forms.BaseForm]) -> None:
    names = list(form_class.base_fields)
    if built(form_class, {}) is None:
        pytest.skip("needs more than data")

    @settings(
        max_examples=15,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(st.dictionaries(st.sampled_from(names), values, min_size=1))
    def check(data: dict[str, str]) -> None:
        form = built(form_class, data)
        assert form is not None
        assert form.is_valid() in {True, False}

    check()
