"""One record per intention and a clear answer to bad input, on the helpline's forms and pages."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from maillage.core.models import AuditEntry, User
from maillage.core.submission import new_key
from maillage.helpline.models import Call, Shift, ShiftDebriefing
from tests.conftest import client_for
from tests.helpline.factories import log
from tests.helpline.test_views import _post_data


def _concurrent_posts(clients: list[Client], url: str, data: dict[str, Any]) -> list[Any]:
    """Each client posts the same data at once from its own thread (and its own connection)."""
    barrier = threading.Barrier(len(clients))
    answers: list[Any] = []
    errors: list[BaseException] = []

    def post(client: Client) -> None:
        try:
            barrier.wait()
            answers.append(client.post(url, data))
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
    return answers


def _check_one_call_from_concurrent_posts(responder: User) -> None:
    data = _post_data(submission_key=new_key())
    answers = _concurrent_posts([client_for(responder) for _ in range(3)], reverse("helpline:call_new"), data)
    call = Call.objects.get()
    assert sorted(answer["Location"] for answer in answers) == sorted(
        [reverse("helpline:call_new")] + [reverse("helpline:call_detail", args=[call.pk])] * 2
    )
    assert AuditEntry.objects.filter(code="helpline.call.logged").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_of_the_call_form_make_one_call_sqlite(responder, themes):
    if connection.vendor != "sqlite":
        pytest.skip("the PostgreSQL variant runs below")
    _check_one_call_from_concurrent_posts(responder)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_of_the_call_form_make_one_call_postgres(responder, themes):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    _check_one_call_from_concurrent_posts(responder)


@pytest.mark.django_db
def test_resubmitting_the_call_form_says_the_call_was_saved_and_adds_none(responder, responder_client, themes):
    responder.language = "en"
    responder.save()
    data = _post_data(submission_key=new_key())
    responder_client.post(reverse("helpline:call_new"), data, follow=True)
    call = Call.objects.get()
    again = responder_client.post(reverse("helpline:call_new"), data, follow=True)
    assert again.redirect_chain == [(reverse("helpline:call_detail", args=[call.pk]), 302)]
    assert [str(m) for m in again.context["messages"]] == [f"Call #{call.pk} was already saved."]
    assert Call.objects.count() == 1


@pytest.mark.django_db
def test_a_double_click_through_htmx_answers_with_a_fresh_form_naming_the_first_call(
    responder, responder_client, themes
):
    responder.language = "en"
    responder.save()
    data = _post_data(submission_key=new_key())
    first = responder_client.post(reverse("helpline:call_new"), data, headers={"HX-Request": "true"})
    second = responder_client.post(reverse("helpline:call_new"), data, headers={"HX-Request": "true"})
    call = Call.objects.get()
    html = second.content.decode()
    url = reverse("helpline:call_detail", args=[call.pk])
    assert f'id="call-saved">Call #{call.pk} was already saved. <a href="{url}">See it</a>' in html
    # Each fresh form carries a new key of its own, so the next call is not taken for a repeat.
    keys = [part.split('"')[0] for part in (first.content.decode() + html).split('name="submission_key" value="')[1:]]
    assert len(keys) == 2
    assert len(set(keys) | {data["submission_key"]}) == 3


@pytest.mark.django_db
def test_resubmitting_the_shift_and_debriefing_forms_adds_nothing(staff_client, responder, line, responder_client):
    start = timezone.localtime() + timedelta(days=1)
    shift_data = {
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "languages": ["fr"],
        "responders": [str(responder.pk)],
        "submission_key": new_key(),
    }
    for _ in range(2):
        assert staff_client.post(reverse("helpline:shifts"), shift_data)["Location"] == reverse("helpline:shifts")
    shift = Shift.objects.get()
    debriefing_data = {"stood_out": "Calme", "submission_key": new_key()}
    for _ in range(2):
        answer = responder_client.post(reverse("helpline:debriefing", args=[shift.pk]), debriefing_data)
        assert answer["Location"] == reverse("helpline:my_shift")
    assert ShiftDebriefing.objects.count() == 1
    assert AuditEntry.objects.filter(code__startswith="helpline.debriefing.").count() == 1
    assert AuditEntry.objects.filter(code="helpline.shift.created").count() == 1


@pytest.mark.django_db
def test_only_the_responders_of_a_shift_and_the_staff_write_its_debriefing(
    responder, other_responder, staff_client, other_line_responder, line
):
    now = timezone.now()
    shift = Shift.objects.create(organisation=line, starts_at=now - timedelta(hours=2), ends_at=now, languages=["fr"])
    shift.responders.add(responder)
    url = reverse("helpline:debriefing", args=[shift.pk])
    assert client_for(responder).get(url).status_code == 200
    assert staff_client.get(url).status_code == 200
    assert client_for(other_responder).get(url).status_code == 404
    assert client_for(other_responder).post(url, {"stood_out": "x"}).status_code == 404
    assert client_for(other_line_responder).get(url).status_code == 404
    assert ShiftDebriefing.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("day", ["9999-12-31", "0000-00-00", "2026-02-30", "yesterday", "2026-1-1"])
def test_bad_days_in_the_call_list_give_a_400_page(responder_client, themes, day):
    answer = responder_client.get(reverse("helpline:calls"), {"day": day})
    assert answer.status_code == 400
    assert answer.context["error"].name == "day"


@pytest.mark.django_db
@pytest.mark.parametrize("week", ["9999-W01", "2026-W54", "0000-00-00", "2026-02-30", "W", "2026-W"])
def test_bad_weeks_in_the_debriefings_give_a_400_page(staff_client, week):
    answer = staff_client.get(reverse("helpline:debriefings"), {"week": week})
    assert answer.status_code == 400
    assert answer.context["error"].name == "week"


@pytest.mark.django_db
def test_an_iso_week_opens_the_debriefings_of_that_week(staff_client):
    answer = staff_client.get(reverse("helpline:debriefings"), {"week": "2026-W05"})
    assert answer.status_code == 200
    assert answer.context["monday"].isoformat() == "2026-01-26"


@pytest.mark.django_db
def test_a_huge_page_or_total_or_service_never_gives_a_server_error(responder_client, responder, themes):
    log(responder)
    assert responder_client.get(reverse("helpline:calls"), {"page": "9" * 40}).context["page"].number == 1
    row = responder_client.get(reverse("helpline:request_row"), {"requests-TOTAL_FORMS": "9" * 40})
    assert row.status_code == 200
    picker = responder_client.get(
        reverse("helpline:referral_options"),
        {"prefix": "requests-0", "requests-0-service": "9" * 30, "started_at": "2026-02-30T10:00"},
    )
    assert picker.status_code == 200
    for extra in ({"requests-TOTAL_FORMS": "abc", "add_request": "1"}, {"started_at": "2026-02-30T10:00"}):
        answer = responder_client.post(reverse("helpline:call_new"), _post_data(**extra))
        assert answer.status_code == 200
    assert Call.objects.count() == 1


@pytest.mark.django_db
def test_long_texts_and_control_characters_are_refused_next_to_the_field(responder, responder_client, themes):
    responder.language = "en"
    responder.save()
    answer = responder_client.post(reverse("helpline:call_new"), _post_data(comment="x" * 2001))
    assert answer.context["form"].errors["comment"] == ["Ensure this value has at most 2000 characters (it has 2001)."]
    # Control characters are refused at the edge (core), before the form; the form refuses them too.
    assert responder_client.post(reverse("helpline:call_new"), _post_data(comment="bell\x07")).status_code == 400
    from maillage.helpline.forms import RequestForm

    row = RequestForm({"category": "FOOD", "note": "bell\x07"})
    assert row.errors["note"] == ["The text contains characters that are not allowed."]
    long_search = responder_client.get(reverse("helpline:category_options"), {"q": "a" * 1500})
    assert long_search.status_code == 200
    control = responder_client.get(reverse("helpline:postal_options"), {"q": "10\x01"})
    assert control.status_code == 400
    far = responder_client.post(reverse("helpline:call_new"), _post_data(started_at="0001-01-01T10:00"))
    assert far.context["form"].errors["started_at"] == ["The year must be between 1900 and 2100."]
    assert Call.objects.count() == 0


@pytest.mark.django_db
def test_reading_a_call_with_a_comment_is_audited(responder, responder_client, other_line_responder, themes):
    call = log(responder, comment="Appelle pour sa voisine")
    url = reverse("helpline:call_detail", args=[call.pk])
    assert responder_client.get(url).status_code == 200
    assert list(AuditEntry.objects.filter(code="helpline.call.read").values_list("actor", "target_id")) == [
        (responder.pk, str(call.pk))
    ]
    assert client_for(other_line_responder).get(url).status_code == 404
    assert AuditEntry.objects.filter(code="helpline.call.read").count() == 1
    assert responder_client.get(reverse("helpline:call_edit", args=[call.pk])).status_code == 200
    assert AuditEntry.objects.filter(code="helpline.call.read").count() == 2
    without_comment = log(responder)
    responder_client.get(reverse("helpline:call_detail", args=[without_comment.pk]))
    assert AuditEntry.objects.filter(code="helpline.call.read").count() == 2


@pytest.mark.django_db
def test_ids_too_large_for_a_column_are_404_not_server_errors(staff_client):
    huge = 10**20
    for name in ("call_detail", "call_edit", "debriefing", "import_status"):
        assert staff_client.get(reverse(f"helpline:{name}", args=[huge])).status_code == 404
    for name in ("callback_done", "import_restart"):
        assert staff_client.post(reverse(f"helpline:{name}", args=[huge])).status_code == 404
