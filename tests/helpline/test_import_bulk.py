# ruff: noqa: F811
"""The journal's bulk checker answers as services.clean_call_data does, call by call, for what a journal carries;
and it looks the version, categories and postal codes up once per file, not once per call."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from maillage.helpline.importer_checking import Lookups, already_imported, clean_journal_call
from maillage.helpline.services import clean_call_data
from tests.helpline.conftest import line, themes  # noqa: F401

pytestmark = pytest.mark.django_db

GOOD = {
    "duration_minutes": "8",
    "language": "fr",
    "caller_sex": "woman",
    "postal_code": "1070",
    "caller_type": "concerned",
    "heard_via": "media",
    "urgency": "low",
    "comment": " calme ",
}
WHEN = datetime(2021, 1, 4, 9, 15)
FOOD = {"category": "FOOD.PARCEL", "action": "information", "note": " x "}

CASES: list[tuple[dict[str, str], list[dict[str, str]], datetime]] = [
    (GOOD, [FOOD, {"category": "Logement et sans-abrisme", "action": "callback", "note": ""}], WHEN),
    ({**GOOD, "postal_code": "4000", "heard_via": "", "caller_sex": "", "urgency": ""}, [FOOD], WHEN),
    ({**GOOD, "postal_code": ""}, [FOOD], WHEN),
    ({**GOOD, "duration_minutes": "-3"}, [FOOD], WHEN),
    ({**GOOD, "duration_minutes": "huit"}, [FOOD], WHEN),
    ({**GOOD, "duration_minutes": ""}, [FOOD], WHEN),
    ({**GOOD, "duration_minutes": "601"}, [FOOD], WHEN),
    (
        {**GOOD, "language": "de", "caller_sex": "x", "caller_type": "", "heard_via": "tv", "urgency": "max"},
        [FOOD],
        WHEN,
    ),
    ({**GOOD, "postal_code": "0999"}, [FOOD], WHEN),
    ({**GOOD, "postal_code": "1O70"}, [FOOD], WHEN),
    (GOOD, [{"category": "NOT.A.CODE", "action": "jump", "note": ""}, {**FOOD, "action": "no_service"}], WHEN),
    (GOOD, [{"category": "", "action": "", "note": ""}], WHEN),
    (GOOD, [FOOD], datetime.now() + timedelta(days=2)),  # noqa: DTZ005 - naive like a journal's cell
]


def _by_clean_call_data(line, values: dict[str, str], requests: list[dict[str, str]], started: datetime) -> Any:
    data = {**values, "started_at": started, "caller_area": "unknown", "requests": requests}
    try:
        return clean_call_data(line, data, require_service=False), {}
    except ValidationError as error:
        return None, error.message_dict


@pytest.mark.parametrize("case", range(len(CASES)))
def test_the_bulk_checker_answers_as_clean_call_data(line, themes, case):
    values, requests, started = CASES[case]
    expected, expected_errors = _by_clean_call_data(line, values, requests, started)
    clean, errors = clean_journal_call(Lookups.for_file(), started, values, iter(requests))
    assert errors == expected_errors
    if expected is None:
        assert clean is None
        return
    assert clean is not None
    for name in ("started_at", "duration_minutes", "language", "caller_sex", "caller_area", "postal_code"):
        assert getattr(clean, name) == getattr(expected, name), name
    for name in ("commune", "caller_type", "heard_via", "urgency", "comment"):
        assert getattr(clean, name) == getattr(expected, name), name
    assert [(r.category.pk, r.note, r.action, r.service, r.callback_at, r.unmet_reason) for r in clean.requests] == [
        (r.category.pk, r.note, r.action, r.service, r.callback_at, r.unmet_reason) for r in expected.requests
    ]


def test_lookups_are_made_once_per_file(line, themes, django_assert_num_queries):
    lookups = Lookups.for_file()
    clean_journal_call(lookups, WHEN, GOOD, iter([FOOD, {**FOOD, "category": "NOT.A.CODE"}]))  # first lookups
    with django_assert_num_queries(0):
        for _ in range(50):
            clean, errors = clean_journal_call(lookups, WHEN, GOOD, iter([FOOD, {**FOOD, "category": "NOT.A.CODE"}]))
            assert (clean, list(errors)) == (None, ["requests-1-category"])


def test_calls_imported_before_are_asked_by_batches():
    asked: list[list[str]] = []

    def find(batch: list[str]) -> list[str]:
        asked.append(batch)
        return [call_id for call_id in batch if call_id.endswith("7")]

    found = already_imported(find, (f"C{number}" for number in range(12)), batch=5)
    assert found == {"C7"}
    assert [len(batch) for batch in asked] == [5, 5, 2]


def test_an_aware_start_is_kept(line, themes):
    started = timezone.make_aware(WHEN)
    clean, _errors = clean_journal_call(Lookups.for_file(), started, GOOD, iter([FOOD]))
    assert clean is not None
    assert clean.started_at == started


def test_calls_are_written_a_batch_at_a_time_all_in_order(line, themes, monkeypatch):
    from maillage.helpline import importer
    from maillage.helpline.models import Call, Callback, Request

    monkeypatch.setattr(importer, "WRITE_BATCH", 2)
    rows = [
        importer.Row(2 + n, {**GOOD, "call_id": f"C{n // 2}", "started_at": "2021-01-04 09:15", **FOOD})
        for n in range(5)
    ]
    rows[3].values["action"] = "callback"
    good, errors = importer.validate(line, rows)
    assert errors == []
    assert importer.write(line, good) == (3, 5)
    assert list(Call.objects.filter(organisation=line).order_by("external_ref").values_list("external_ref")) == [
        ("C0",),
        ("C1",),
        ("C2",),
    ]
    positions = Request.objects.filter(organisation=line).order_by("call__external_ref", "position")
    assert [(r.call.external_ref, r.position) for r in positions] == [
        ("C0", 0),
        ("C0", 1),
        ("C1", 0),
        ("C1", 1),
        ("C2", 0),
    ]
    assert list(Callback.objects.filter(organisation=line).values_list("request__call__external_ref")) == [("C1",)]


def test_copy_writes_the_rows_the_orm_writes(line, themes):
    """On PostgreSQL the import writes by COPY; the ORM path (SQLite's) is the reference."""
    from django.db import connection

    from maillage.core.models import Organisation
    from maillage.helpline import importer, importer_copy
    from maillage.helpline.models import Call, Callback, Request

    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    other = Organisation.objects.create(short_name="Other line", name_fr="Other line", sector="federation")
    rows = [
        importer.Row(2 + n, {**GOOD, "call_id": f"C{n // 2}", "started_at": "2021-01-04 09:15", **FOOD})
        for n in range(5)
    ]
    rows[3].values.update(action="callback", postal_code="4000", comment="")
    good, _errors = importer.validate(line, rows)
    assert importer._write_batch(line, good) == importer_copy.write_batch(other, good) == (3, 5)

    def written(organisation):
        calls = Call.objects.filter(organisation=organisation).order_by("external_ref")
        requests = Request.objects.filter(organisation=organisation).order_by("call__external_ref", "position")
        callbacks = Callback.objects.filter(organisation=organisation)
        return (
            list(
                calls.values_list(
                    *[
                        c
                        for c in importer_copy.CALL_COLUMNS
                        if c not in ("id", "organisation_id", "created_at", "updated_at")
                    ],
                    "responder_id",
                    "reference_id",
                )
            ),
            list(
                requests.values_list(
                    "call__external_ref",
                    "position",
                    "category_id",
                    "theme_id",
                    "note",
                    "action",
                    "service_id",
                    "unmet_reason",
                    "started_at",
                )
            ),
            list(
                callbacks.values_list("request__call__external_ref", "due_at", "outcome", "outcome_note", "done_by_id")
            ),
        )

    assert written(other) == written(line)
    assert [len(part) for part in written(other)] == [3, 5, 1]
