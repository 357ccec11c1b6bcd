"""Bounded parsing of request values: every bad value is a BadParameter with a translated message."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django import forms
from django.test import RequestFactory
from django.utils import timezone, translation
from hypothesis import given, settings
from hypothesis import strategies as st

from maillage.core.parsing import (
    BadParameter,
    BoundedCharField,
    BoundedDateField,
    bad_parameters_answer_400,
    clean_query_text,
    parse_date,
    parse_datetime_local,
    parse_id_list,
    parse_int,
    parse_iso_week,
    parse_page,
    parse_period,
)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages are compared in the source language unless a test says otherwise."""
    with translation.override("en"):
        yield


@pytest.mark.parametrize("raw", ["9999-12-31", "0000-00-00", "1899-12-31", "2101-01-01"])
def test_parse_date_refuses_years_out_of_range(raw: str) -> None:
    with pytest.raises(BadParameter) as caught:
        parse_date(raw, name="day")
    assert caught.value.name == "day"
    assert caught.value.message == "The year must be between 1900 and 2100."


@pytest.mark.parametrize("raw", ["2026-02-30", "2026-13-01", "2026-04-31"])
def test_parse_date_refuses_days_that_do_not_exist(raw: str) -> None:
    with pytest.raises(BadParameter) as caught:
        parse_date(raw, name="at")
    assert caught.value.message == "This date does not exist."


@pytest.mark.parametrize("raw", ["2026-1-1", "26-01-01", "2026/01/01", "２０２６-01-01", "x", "2026-01-01T00:00"])
def test_parse_date_refuses_other_shapes(raw: str) -> None:
    with pytest.raises(BadParameter) as caught:
        parse_date(raw, name="at")
    assert caught.value.message == "Enter a date as YYYY-MM-DD."


def test_parse_date_reads_iso_and_gives_default_when_blank() -> None:
    assert parse_date(" 2026-02-28 ", name="at") == dt.date(2026, 2, 28)
    assert parse_date("", name="at", default=dt.date(2026, 1, 1)) == dt.date(2026, 1, 1)
    assert parse_date(None, name="at") is None


def test_parse_date_message_is_translated() -> None:
    with translation.override("fr"), pytest.raises(BadParameter) as caught_fr:
        parse_date("2026-02-30", name="at")
    with translation.override("nl"), pytest.raises(BadParameter) as caught_nl:
        parse_date("2026-02-30", name="at")
    assert caught_fr.value.message == "Cette date n'existe pas."
    assert caught_nl.value.message == "Deze datum bestaat niet."


def test_parse_datetime_local_is_aware_in_brussels() -> None:
    moment = parse_datetime_local("2026-03-02T14:30", name="start")
    assert moment == timezone.make_aware(dt.datetime(2026, 3, 2, 14, 30))
    assert moment is not None
    assert moment.utcoffset() == dt.timedelta(hours=1)
    with pytest.raises(BadParameter):
        parse_datetime_local("2026-03-02T25:00", name="start")
    with pytest.raises(BadParameter):
        parse_datetime_local("9999-03-02T10:00", name="start")


def test_parse_iso_week_gives_the_monday() -> None:
    assert parse_iso_week("2026-W05") == dt.date(2026, 1, 26)
    assert parse_iso_week("2026W5") == dt.date(2026, 1, 26)
    for raw in ("2026-W54", "2026-W00", "2025-W53", "9999-W01", "W05", "2026-05"):
        with pytest.raises(BadParameter):
            parse_iso_week(raw)


def test_parse_period_checks_order_and_length() -> None:
    assert parse_period("2026-01-01", "2026-01-31") == (dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    with pytest.raises(BadParameter) as caught:
        parse_period("2026-02-01", "2026-01-31")
    assert (caught.value.name, caught.value.message) == ("end", "The end date must not be before the start date.")
    with pytest.raises(BadParameter) as too_long:
        parse_period("2020-01-01", "2026-01-31", max_days=366)
    assert too_long.value.message == "The period may not be longer than 366 days."
    with pytest.raises(BadParameter) as missing:
        parse_period("", "2026-01-31")
    assert missing.value.name == "start"


def test_parse_int_bounds_and_shapes() -> None:
    assert parse_int("42", name="n", minimum=1, maximum=100) == 42
    assert parse_int("", name="n", default=7) == 7
    for raw in ("101", "0", "1e3", "4.2", "9" * 400, "٣"):
        with pytest.raises(BadParameter):
            parse_int(raw, name="n", minimum=1, maximum=100)


@pytest.mark.parametrize(
    ("raw", "page"),
    [
        ("3", 3),
        ("", 1),
        (None, 1),
        ("0", 1),
        ("-5", 1),
        ("abc", 1),
        ("9" * 5000, 10_000),
        ("10001", 10_000),
        ("last", 10_000),
    ],
)
def test_parse_page_never_fails(raw: str | None, page: int) -> None:
    assert parse_page(raw) == page


def test_parse_id_list_refuses_huge_integers() -> None:
    assert parse_id_list(["3", "1", "3", ""]) == [3, 1]
    with pytest.raises(BadParameter):
        parse_id_list(["1", str(2**63)])
    with pytest.raises(BadParameter):
        parse_id_list(["1", "x"])


def test_clean_query_text_refuses_nul_and_cuts_long_text() -> None:
    assert clean_query_text("  aide\talimentaire ") == "aide\talimentaire"
    assert clean_query_text("a" * 100_000) == "a" * 200
    for raw in ("soup\x00", "x\x1bq", "\x7f"):
        with pytest.raises(BadParameter):
            clean_query_text(raw)
    with pytest.raises(BadParameter):
        clean_query_text("a" * 201, truncate=False)


@given(st.text(max_size=40))
@settings(max_examples=300, deadline=None)
def test_parsers_answer_a_value_or_bad_parameter_for_any_text(raw: str) -> None:
    for parse in (
        lambda: parse_date(raw, name="d"),
        lambda: parse_iso_week(raw),
        lambda: parse_int(raw, name="n"),
        lambda: parse_id_list([raw]),
        lambda: clean_query_text(raw),
        lambda: parse_datetime_local(raw, name="t"),
    ):
        try:
            parse()
        except BadParameter:
            pass
    assert 1 <= parse_page(raw) <= 10_000


class _Form(forms.Form):
    day = BoundedDateField()
    name = BoundedCharField(max_length=20)


def test_form_fields_share_the_rules() -> None:
    with translation.override("en"):
        form = _Form(data={"day": "9999-12-31", "name": "a\x00b"})
        assert not form.is_valid()
        assert form.errors == {
            "day": ["The year must be between 1900 and 2100."],
            "name": ["The text contains characters that are not allowed."],
        }
        form = _Form(data={"day": "2026-01-05", "name": "a\x01b"})
        assert form.errors == {"name": ["The text contains characters that are not allowed."]}
        assert _Form(data={"day": "2026-01-05", "name": "ok"}).is_valid()


def test_decorator_turns_bad_parameter_into_a_400_page() -> None:
    @bad_parameters_answer_400
    def view(request):  # type: ignore[no-untyped-def]
        parse_date(request.GET.get("day"), name="day")
        raise AssertionError("not reached")

    request = RequestFactory().get("/x/", {"day": "2026-02-30"})
    with translation.override("nl"):
        response = view(request)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Deze datum bestaat niet." in body
    assert "Traceback" not in body
