"""Creating forms of taxonomy carry a one-time key: a double click or a resubmit makes one record."""

from __future__ import annotations

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from pytest_django.asserts import assertRedirects

from maillage.core.models import AuditEntry, User
from maillage.core.submission import new_key
from maillage.taxonomy import services
from maillage.taxonomy.models import CategoryMapping, Scheme, SchemeVersion
from tests.conftest import client_for
from tests.taxonomy.conftest import V1_CSV


def messages_of(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(message) for message in response.context["messages"]]


def _upload(content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("categories.csv", content, content_type="text/csv")


@pytest.mark.django_db
def test_the_creating_forms_carry_a_key(staff_client: Client, v2_draft: SchemeVersion) -> None:
    for url in ("/categories/", "/categories/themes/v2/upload/", "/categories/themes/v2/mapping/"):
        assert '<input type="hidden" name="submission_key" value="' in staff_client.get(url).content.decode(), url


@pytest.mark.django_db
def test_a_repeated_new_draft_answers_with_the_first(staff_client: Client, v1: SchemeVersion) -> None:
    key = new_key()
    first = staff_client.post("/categories/themes/new-draft/", {"title": "2027", "submission_key": key})
    assertRedirects(first, "/categories/themes/v2/")
    again = staff_client.post("/categories/themes/new-draft/", {"title": "2027", "submission_key": key}, follow=True)
    assertRedirects(again, "/categories/themes/v2/")
    assert messages_of(again) == ["Draft themes v2 was already created."]  # assertRedirects read the first
    assert list(v1.scheme.versions.order_by("number").values_list("number", flat=True)) == [1, 2]
    assert AuditEntry.objects.filter(code="taxonomy.version.created").count() == 2  # v1 and v2


@pytest.mark.django_db
def test_a_repeated_upload_imports_once(staff_client: Client, v2_draft: SchemeVersion) -> None:
    key = new_key()
    url = "/categories/themes/v2/upload/"
    staff_client.post(url, {"file": _upload(V1_CSV.encode()), "submission_key": key})
    again = staff_client.post(url, {"file": _upload(V1_CSV.encode()), "submission_key": key}, follow=True)
    assertRedirects(again, "/categories/themes/v2/")
    assert messages_of(again) == [
        "5 categories imported into themes v2.",
        "This file was already imported into themes v2.",
    ]
    assert AuditEntry.objects.filter(code="taxonomy.version.imported", target_id=str(v2_draft.pk)).count() == 2
    # twice: the fixture's import and this one — the repeat wrote nothing


@pytest.mark.django_db
def test_an_upload_with_row_errors_keeps_the_key_for_the_corrected_file(
    staff_client: Client, v2_draft: SchemeVersion
) -> None:
    key = new_key()
    url = "/categories/themes/v2/upload/"
    bad = staff_client.post(
        url, {"file": _upload(b"code,parent_code,label_fr,label_nl\nA,,,\n"), "submission_key": key}
    )
    assert bad.context["row_errors"] == [(2, "the French and Dutch labels are required.")]
    assert f'<input type="hidden" name="submission_key" value="{key}">' in bad.content.decode()
    fixed = staff_client.post(url, {"file": _upload(V1_CSV.encode()), "submission_key": key}, follow=True)
    assert messages_of(fixed) == ["5 categories imported into themes v2."]
    assert v2_draft.categories.count() == 5


@pytest.mark.django_db
def test_a_repeated_mapping_is_recorded_once(staff_client: Client, v2_draft: SchemeVersion) -> None:
    old = v2_draft.previous
    parcel, shop = old.categories.get(code="FOOD.PARCEL"), old.categories.get(code="FOOD.SHOP")
    aid = v2_draft.categories.get(code="FOOD.AID")
    data = {f"map_{parcel.pk}": str(aid.pk), f"map_{shop.pk}": str(aid.pk), "submission_key": new_key()}
    staff_client.post("/categories/themes/v2/mapping/", data)
    again = staff_client.post("/categories/themes/v2/mapping/", data, follow=True)
    assert messages_of(again) == ["2 mappings recorded.", "These mappings were already recorded."]
    assert AuditEntry.objects.filter(code="taxonomy.mapping.recorded").count() == 2
    assert CategoryMapping.objects.filter(target=aid).count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_new_draft_posts_of_one_key_make_one_draft(staff: User, v1: SchemeVersion) -> None:
    """Four tabs post the same form at once (SQLite waits its turn on the file; PostgreSQL on the key)."""
    key = new_key()
    clients = [client_for(staff) for _ in range(4)]
    barrier = threading.Barrier(len(clients))
    answers: list[tuple[int, str]] = []
    errors: list[BaseException] = []

    def post(client: Client) -> None:
        try:
            barrier.wait()
            response = client.post("/categories/themes/new-draft/", {"submission_key": key})
            answers.append((response.status_code, response["Location"]))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert answers == [(302, "/categories/themes/v2/")] * 4
    assert list(Scheme.objects.get(code="themes").versions.order_by("number").values_list("number", "status")) == [
        (1, "published"),
        (2, "draft"),
    ]


@pytest.mark.django_db
def test_a_service_refusal_leaves_no_key_behind(staff_client: Client, v2_draft: SchemeVersion) -> None:
    key = new_key()
    response = staff_client.post("/categories/themes/new-draft/", {"submission_key": key}, follow=True)
    assert messages_of(response) == ["Version themes v2 is still a draft: publish it before starting another one."]
    services.discard_draft(None, v2_draft)
    response = staff_client.post("/categories/themes/new-draft/", {"submission_key": key}, follow=True)
    assertRedirects(response, "/categories/themes/v2/")
    assert messages_of(response) == ["Draft themes v2 created as a copy of the newest version."]
