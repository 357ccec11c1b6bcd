"""Property tests of maillage/core/parsing.py: any text gives a value in bounds or BadParameter, nothing else."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maillage.core import parsing
from maillage.core.parsing import MAX_ID, MAX_YEAR, MIN_YEAR, BadParameter
from tests.fuzz.crawler import NASTY as CRAWLER_NASTY

FAST = settings(max_examples=150, deadline=None, derandomize=True)

# The crawler's nasty values, and a few only the parsers care about.
NASTY = [
    *CRAWLER_NASTY,
    "2026-W53",
    "2026-W00",
    "１２３",  # full-width digits: str.isdigit() is true, int() accepts them
    "٣",
    "\x00",
    "\x1b[31m",
]
texts = st.one_of(st.text(), st.sampled_from(NASTY), st.from_regex(r"\A[+-]?\d{1,30}\Z"))
date_like = st.one_of(texts, st.from_regex(r"\A\d{1,5}-\d{1,3}-\d{1,3}\Z"))
week_like = st.one_of(texts, st.from_regex(r"\A\d{1,5}-?[Ww]\d{1,3}\Z"))


@FAST
@given(date_like)
def test_parse_date_gives_a_date_in_bounds_or_bad_parameter(raw: str) -> None:
    try:
        value = parsing.parse_date(raw, name="day")
    except BadParameter as error:
        name = error.name
        assert name == "day"
        return
    assert value is None or MIN_YEAR <= value.year <= MAX_YEAR


@FAST
@given(st.one_of(texts, st.from_regex(r"\A\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{1,2}(:\d{1,2})?\Z")))
def test_parse_datetime_local_gives_an_aware_moment_or_bad_parameter(raw: str) -> None:
    try:
        value = parsing.parse_datetime_local(raw, name="at")
    except BadParameter:
        return
    assert value is None or (value.tzinfo is not None and MIN_YEAR <= value.year <= MAX_YEAR)


@FAST
@given(week_like)
def test_parse_iso_week_gives_a_monday_or_bad_parameter(raw: str) -> None:
    try:
        value = parsing.parse_iso_week(raw)
    except BadParameter:
        return
    assert value is None or value.isoweekday() == 1


@FAST
@given(date_like, date_like)
def test_parse_period_is_ordered_and_bounded_or_bad_parameter(start: str, end: str) -> None:
    try:
        first, last = parsing.parse_period(start, end, max_days=400)
    except BadParameter:
        return
    assert first <= last
    assert (last - first).days + 1 <= 400


@FAST
@given(texts)
def test_parse_int_is_in_bounds_or_bad_parameter(raw: str) -> None:
    try:
        value = parsing.parse_int(raw, name="n", minimum=-5, maximum=MAX_ID)
    except BadParameter:
        return
    assert value is None or -5 <= value <= MAX_ID


@FAST
@given(texts)
def test_parse_page_always_gives_a_page_in_range(raw: str) -> None:
    page = parsing.parse_page(raw, max_page=50)
    assert 1 <= page <= 50


@FAST
@given(st.lists(texts, max_size=5))
def test_parse_id_list_gives_positive_distinct_ids_or_bad_parameter(raws: list[str]) -> None:
    try:
        ids = parsing.parse_id_list(raws)
    except BadParameter:
        return
    assert all(1 <= i <= MAX_ID for i in ids)
    assert len(ids) == len(set(ids))


@FAST
@given(texts)
def test_clean_query_text_is_short_and_has_no_control_characters(raw: str) -> None:
    try:
        text = parsing.clean_query_text(raw, max_length=200)
    except BadParameter:
        return
    assert len(text) <= 200
    assert not parsing.has_control_characters(text, allow_newlines=True)


@FAST
@given(st.dates(min_value=dt.date(MIN_YEAR, 1, 1), max_value=dt.date(MAX_YEAR, 12, 31)))
def test_dates_round_trip(day: dt.date) -> None:
    assert parsing.parse_date(day.isoformat(), name="day") == day


@FAST
@given(st.dates(min_value=dt.date(MIN_YEAR, 1, 8), max_value=dt.date(MAX_YEAR, 12, 24)))
def test_weeks_round_trip(day: dt.date) -> None:
    year, week, _ = day.isocalendar()
    monday = day - dt.timedelta(days=day.weekday())
    assert parsing.parse_iso_week(f"{year}-W{week:02d}") == monday


@FAST
@given(st.integers(min_value=-(10**40), max_value=10**40))
def test_huge_integers_are_refused_not_overflowed(number: int) -> None:
    try:
        value = parsing.parse_int(str(number), name="n")
    except BadParameter:
        assert not 0 <= number <= MAX_ID
        return
    assert value == number


@FAST
@given(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=31) | st.just("\x7f"), min_size=1))
def test_control_characters_are_refused_in_search_text(raw: str) -> None:
    stripped = raw.strip()
    if not parsing.has_control_characters(stripped, allow_newlines=True):
        return  # only whitespace controls left after stripping
    with pytest.raises(BadParameter):
        parsing.clean_query_text(raw)


@FAST
@given(st.dictionaries(st.sampled_from(["day", "text", "number", "moment"]), texts))
def test_bounded_form_fields_never_raise(data: dict[str, str]) -> None:
    from django import forms

    class Probe(forms.Form):
        day = parsing.BoundedDateField(required=False)
        moment = parsing.BoundedDateTimeField(required=False)
        text = parsing.BoundedCharField(required=False)
        number = parsing.BoundedIntegerField(required=False)

    form = Probe(data)
    if form.is_valid():
        day, number, text = form.cleaned_data["day"], form.cleaned_data["number"], form.cleaned_data["text"]
        assert day is None or MIN_YEAR <= day.year <= MAX_YEAR
        assert number is None or -MAX_ID <= number <= MAX_ID
        assert len(text) <= 200
