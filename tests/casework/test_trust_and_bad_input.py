"""Every read of a person's data audited once, private notes kept to their author and the coordinator,
and bad input answered with a message instead of a server error."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse

from maillage.casework.forms import FollowUpForm
from maillage.casework.models import Activity, FollowUp
from maillage.core.models import AuditEntry, Role
from tests.casework.factories import FollowUpFactory, RequestFactory
from tests.conftest import client_for
from tests.factories import member

READ_CODES = ("casework.casefile.read", "casework.person.read")


def _reads_during(request: Any) -> list[tuple[str, dict[str, Any]]]:
    before = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = request()
    assert response.status_code == 200
    return list(
        AuditEntry.objects.filter(id__gt=before, code__in=READ_CODES).order_by("id").values_list("code", "data")
    )


# (view name, who opens it, the read entry it writes): every page or file with a person's identifying data.
READING_VIEWS = [
    ("casework:case_file", "worker", ("casework.casefile.read", {"page": "case_file"})),
    ("casework:person_edit", "worker", ("casework.person.read", {"page": "person_edit"})),
    ("casework:followup_create", "worker", ("casework.casefile.read", {"page": "followup_form"})),
    ("casework:person_erase", "coordinator", ("casework.person.read", {"page": "person_erase"})),
    ("casework:person_export", "worker", ("casework.person.read", {"page": "data_subject_export"})),
]


@pytest.mark.parametrize(("name", "who", "entry"), READING_VIEWS)
def test_each_page_showing_a_person_writes_exactly_one_read_entry(case_file, worker, coordinator, name, who, entry):
    """Regression: the person edit page, the follow-up encoding page and the erase page wrote none."""
    client = client_for(worker if who == "worker" else coordinator)
    assert _reads_during(lambda: client.get(reverse(name, args=[case_file.pk]))) == [entry]


def test_the_encoding_form_shown_again_with_its_errors_writes_one_read_entry(case_file, worker):
    client = client_for(worker)
    url = reverse("casework:followup_create", args=[case_file.pk])
    bad = {"date": "", "mode": "walk_in", "requests-TOTAL_FORMS": "1", "requests-INITIAL_FORMS": "0"}
    assert _reads_during(lambda: client.post(url, bad, HTTP_HX_REQUEST="true")) == [
        ("casework.casefile.read", {"page": "followup_form"})
    ]


def test_the_data_subject_export_keeps_other_authors_private_notes_out(case_file, worker, coordinator, organisation):
    """Regression: the worker in charge received every author's private notes in the export."""
    colleague = member(Role.WORKER, organisation)
    RequestFactory(follow_up=FollowUpFactory(case_file=case_file, worker=colleague, note="the colleague's note"))
    RequestFactory(follow_up=FollowUpFactory(case_file=case_file, worker=worker, note="my note"))
    url = reverse("casework:person_export", args=[case_file.pk])

    def notes(user: Any) -> list[Any]:
        data = json.loads(client_for(user).get(url).content)
        return sorted(str(f["note"]) for f in data["case_files"][0]["follow_ups"])

    assert notes(worker) == ["None", "my note"]
    assert notes(coordinator) == ["my note", "the colleague's note"]


# Bad input


@pytest.mark.parametrize("day", ["9999-12-31", "0000-00-00", "2026-02-30", "20226-01-01"])
def test_impossible_dates_get_a_message_next_to_the_field(case_file, worker, day):
    client = client_for(worker)
    follow_up = client.post(
        reverse("casework:followup_create", args=[case_file.pk]),
        {
            "date": day,
            "mode": "walk_in",
            "worker": worker.pk,
            "requests-TOTAL_FORMS": "1",
            "requests-INITIAL_FORMS": "0",
            "requests-0-theme": "FOOD.PARCEL",
        },
    )
    assert (follow_up.status_code, list(follow_up.context["form"].errors)) == (200, ["date"])
    activity = Activity.objects.create(organisation=case_file.organisation, title="Atelier", kind="workshop")
    session = client.post(reverse("casework:activity", args=[activity.pk]), {"date": day})
    assert (session.status_code, list(session.context["form"].errors)) == (200, ["date"])
    close = client.post(reverse("casework:case_file_close", args=[case_file.pk]), {"closed_on": day, "reason": "moved"})
    assert close.status_code == 302
    assert FollowUp.objects.count() == 0


def test_huge_numbers_in_multi_selects_are_refused_as_invalid_choices(case_file, worker, coordinator):
    """Regression: on SQLite a huge id in a multi-select overflowed the query (a server error)."""
    huge = "9" * 30
    client = client_for(worker)
    activity = client.post(reverse("casework:activity_create"), {"title": "A", "kind": "workshop", "themes": [huge]})
    assert (activity.status_code, list(activity.context["form"].errors)) == (200, ["themes"])
    workers = client_for(coordinator).post(
        reverse("casework:case_file_workers", args=[case_file.pk]), {"workers": [huge]}, follow=True
    )
    assert [str(m) for m in workers.context["messages"]] == ["Choose at least one worker in charge."]
    follow_up = client.post(
        reverse("casework:followup_create", args=[case_file.pk]),
        {"date": "2024-03-05", "mode": "walk_in", "worker": huge, "subsidy": huge, "referred_service": huge},
    )
    assert sorted(follow_up.context["form"].errors) == ["referred_service", "subsidy", "worker"]


def test_bad_query_values_answer_400_and_long_text_is_refused_next_to_the_field(case_file, worker):
    client = client_for(worker)
    assert client.get(reverse("casework:case_files"), {"q": "P-0\x01"}).status_code == 400
    assert client.get(reverse("casework:request_row", args=[case_file.pk]), {"index": "9" * 40}).status_code == 400
    # The form refuses control characters itself (the edge middleware answers 400 before it for a post).
    long_text = FollowUpForm(
        {"date": "2024-03-05", "mode": "walk_in", "worker": worker.pk, "referred_to": "x" * 201, "note": "a\x07b"},
        organisation=case_file.organisation,
    )
    assert long_text.errors == {
        "referred_to": ["Ensure this value has at most 200 characters (it has 201)."],
        "note": ["The text contains characters that are not allowed."],
    }
