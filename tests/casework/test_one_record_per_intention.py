"""One record per intention: a repeated or concurrent post of a casework form answers with the first result."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from maillage.casework import services
from maillage.casework.models import Activity, ActivitySession, CaseFile, FollowUp, ImportRun, Person
from maillage.core.submission import new_key
from tests.casework.factories import CaseFileFactory, PersonFactory
from tests.conftest import client_for
from tests.factories import member

PERSON = {
    "birth_year": "1990",
    "sex": "f",
    "postal_code": "1060",
    "household": "single",
    "income_source": "work",
    "nationality_group": "be",
    "age_band": "unknown",
}


def _follow_up(worker: Any, **extra: str) -> dict[str, Any]:
    return {
        "date": "2024-03-05",
        "mode": "walk_in",
        "worker": worker.pk,
        "requests-TOTAL_FORMS": "1",
        "requests-INITIAL_FORMS": "0",
        "requests-0-theme": "FOOD.PARCEL",
        "requests-0-is_open": "on",
        **extra,
    }


def _messages(response: Any) -> list[str]:
    """The messages this response added (the first post's success message is still queued before them)."""
    return [str(message) for message in get_messages(response.wsgi_request)][-1:]


def test_saving_a_follow_up_again_with_its_key_answers_with_the_first(case_file, worker):
    """Regression: a resubmit (back, double click) of the encoding form made a second follow-up."""
    client = client_for(worker)
    url = reverse("casework:followup_create", args=[case_file.pk])
    data = _follow_up(worker, submission_key=new_key())
    first = client.post(url, data)
    again = client.post(url, data)
    assert (first.status_code, again.status_code) == (302, 302)
    assert again["Location"] == reverse("casework:case_file", args=[case_file.pk])
    assert _messages(again) == ["The follow-up of 05/03/2024 was already saved."]
    assert FollowUp.objects.count() == 1


def test_pressing_save_again_after_an_htmx_save_makes_no_second_follow_up(case_file, worker):
    """Regression: "Enregistrer le suivi" pressed again right after saving created a second follow-up."""
    client = client_for(worker)
    url = reverse("casework:followup_create", args=[case_file.pk])
    key = new_key()
    saved = client.post(url, _follow_up(worker, submission_key=key), HTTP_HX_REQUEST="true")
    fresh_key = saved.content.decode().split('name="submission_key" value="', 1)[1].split('"', 1)[0]
    assert (saved.context["saved_message"], fresh_key != key) == (
        "Follow-up of 05/03/2024 recorded with 1 request(s).",
        True,
    )
    same_key = client.post(url, _follow_up(worker, submission_key=key), HTTP_HX_REQUEST="true")
    assert same_key.context["saved_message"] == "The follow-up of 05/03/2024 was already saved."
    # The form offered again after saving, pressed again with the same content: refused until confirmed.
    pressed_again = client.post(url, _follow_up(worker, submission_key=fresh_key), HTTP_HX_REQUEST="true")
    assert pressed_again.context["form"].errors == {
        "confirm_same": [
            (
                "A follow-up of 05/03/2024 with the same requests was saved a moment ago for this person. "
                "Tick the box to save another one."
            )
        ]
    }
    assert FollowUp.objects.count() == 1
    confirmed = client.post(
        url, _follow_up(worker, submission_key=fresh_key, confirm_same="on"), HTTP_HX_REQUEST="true"
    )
    assert confirmed.context["saved_message"] == "Follow-up of 05/03/2024 recorded with 1 request(s)."
    assert FollowUp.objects.count() == 2


def test_a_new_person_posted_twice_opens_one_case_file(organisation, worker, casework_schemes):
    client = client_for(worker)
    data = {**PERSON, "submission_key": new_key()}
    first = client.post(reverse("casework:person_create"), data)
    again = client.post(reverse("casework:person_create"), data)
    case_file = CaseFile.objects.get()
    assert first["Location"] == again["Location"] == reverse("casework:followup_create", args=[case_file.pk])
    assert _messages(again) == ["The case file of P-000001 was already saved."]
    assert Person.objects.count() == 1


def test_an_activity_and_a_session_posted_twice_are_saved_once(organisation, worker, casework_schemes):
    client = client_for(worker)
    data = {"title": "Atelier budget", "kind": "workshop", "submission_key": new_key()}
    client.post(reverse("casework:activity_create"), data)
    again = client.post(reverse("casework:activity_create"), data)
    activity = Activity.objects.get()
    assert (again["Location"], _messages(again)) == (
        reverse("casework:activity", args=[activity.pk]),
        ["The activity Atelier budget was already saved."],
    )
    session = {"date": "2024-05-02", "n_f_25-34": "4", "submission_key": new_key()}
    client.post(reverse("casework:activity", args=[activity.pk]), session)
    again = client.post(reverse("casework:activity", args=[activity.pk]), session)
    assert (ActivitySession.objects.count(), _messages(again)) == (1, ["The session of 02/05/2024 was already saved."])


def test_an_import_posted_twice_starts_once(organisation, coordinator, casework_schemes):
    client = client_for(coordinator)
    key = new_key()

    def post() -> Any:
        upload = SimpleUploadedFile("p.csv", b"source_id,birth_year\nA1,1980\n")
        return client.post(reverse("casework:import"), {"kind": "persons", "file": upload, "submission_key": key})

    first, again = post(), post()
    run = ImportRun.objects.get()
    assert first["Location"] == again["Location"] == reverse("casework:import_run", args=[run.pk])
    assert (_messages(again), Person.objects.count()) == (["The import of p.csv was already started."], 1)


# Concurrent posts: threads with their own connections (PostgreSQL; SQLite's file database makes writers wait).


def _at_once(count: int, work: Callable[[int], Any]) -> tuple[list[Any], list[BaseException]]:
    results: list[Any] = []
    errors: list[BaseException] = []
    start = threading.Barrier(count)

    def run(index: int) -> None:
        try:
            start.wait()
            results.append(work(index))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_of_one_follow_up_make_one(organisation, worker):
    from maillage.casework.schemes import ensure_casework_schemes

    ensure_casework_schemes()
    case_file = CaseFileFactory(person=PersonFactory(organisation=organisation), workers=[worker])
    url = reverse("casework:followup_create", args=[case_file.pk])
    data = _follow_up(worker, submission_key=new_key())
    clients = [client_for(worker) for _ in range(4)]
    responses, errors = _at_once(4, lambda index: clients[index].post(url, data))
    assert errors == []
    assert sorted(response.status_code for response in responses) == [302, 302, 302, 302]
    assert FollowUp.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_creations_of_different_persons_get_distinct_references(organisation):
    """Regression: 6 concurrent creations by two workers of one centre gave 5 server errors (same reference)."""
    workers = [member("worker", organisation), member("worker", organisation)]

    def create(index: int) -> CaseFile:
        data = {"birth_year": 1950 + index, "sex": "f", "postal_code": "1060"}
        return services.create_person(workers[index % 2], organisation, data)

    created, errors = _at_once(6, create)
    assert errors == []
    references = sorted(Person.objects.values_list("reference", flat=True))
    assert references == [f"P-{n:06d}" for n in range(1, 7)]
    assert len(created) == 6


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_identical_persons_created_at_once_make_one_and_a_duplicate_warning(organisation):
    """Regression: the duplicate rule ran outside the writing transaction, so both identical persons slipped in."""
    workers = [member("worker", organisation), member("worker", organisation)]
    data = {"birth_year": 1975, "sex": "m", "postal_code": "1030"}
    created, errors = _at_once(2, lambda index: services.create_person(workers[index], organisation, data))
    assert (len(created), [type(error) for error in errors]) == (1, [services.DuplicatePerson])
    person = Person.objects.get()
    assert [p.pk for p in errors[0].similar] == [person.pk]  # type: ignore[attr-defined]
