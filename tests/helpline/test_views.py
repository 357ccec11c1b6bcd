from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains

from maillage.core.models import AuditEntry
from maillage.helpline import services
from maillage.helpline.models import Call, Callback, OpeningHours, Shift, ShiftDebriefing, WeeklyNote
from tests.conftest import assert_outsider_gets_404, client_for
from tests.helpline.factories import log

pytestmark = pytest.mark.django_db


NO_SERVICE_VALUES = ["none:none_open", "none:none_in_area", "none:none_in_language", "none:none_at_all"]


def _post_data(**overrides):
    data = {
        "started_at": (timezone.localtime() - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "6",
        "language": "fr",
        "caller_sex": "man",
        "postal_code": "1060",
        "caller_area": "",
        "caller_type": "concerned",
        "heard_via": "",
        "urgency": "medium",
        "comment": "",
        "requests-TOTAL_FORMS": "2",
        "requests-INITIAL_FORMS": "0",
        "requests-MIN_NUM_FORMS": "0",
        "requests-MAX_NUM_FORMS": "1000",
        "requests-0-category": "FOOD.PARCEL — Colis alimentaire",
        "requests-0-note": "",
        "requests-0-action": "information",
        "requests-0-service": "",
        "requests-0-callback_at": "",
        "requests-1-category": "",
        "requests-1-note": "",
        "requests-1-action": "",
        "requests-1-service": "",
        "requests-1-callback_at": "",
        "save": "1",
    }
    data.update(overrides)
    if "add_request" in overrides or "propose" in overrides:  # a browser sends only the button pressed
        del data["save"]
    return data


def test_call_form_renders_for_a_responder(responder_client, themes):
    response = responder_client.get(reverse("helpline:call_new"))
    assert response.status_code == 200
    assert response.context["form"].initial["started_at"].tzinfo is not None
    assert (
        b"Never write names" in response.content
        or b"Ne jamais" in response.content
        or b"comment-warning" in response.content
    )


def test_post_without_javascript_saves_and_redirects(responder_client, responder, themes, food_service):
    data = _post_data(
        **{
            "requests-1-category": "HOUSING.RENT",
            "requests-1-action": "referral",
            "requests-1-service": str(food_service.pk),
        }
    )
    response = responder_client.post(reverse("helpline:call_new"), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("helpline:call_new")
    call = Call.objects.get()
    assert list(call.requests.values_list("category__code", "action", "service_id")) == [
        ("FOOD.PARCEL", "information", None),
        ("HOUSING.RENT", "referral", food_service.pk),
    ]
    assert (call.responder, call.urgency, call.commune.nis_code) == (responder, "medium", "21013")


def _input_names(html: str) -> list[str]:
    start = html.index('<form id="call-form"')
    return re.findall(r'name="([^"]+)"', html[start : html.index("</form>", start)])


def _value_of(html: str, name: str) -> str:
    tag = re.search(rf'<(?:input|textarea)[^>]*name="{re.escape(name)}"[^>]*>', html)
    assert tag is not None, name
    value = re.search(r'value="([^"]*)"', tag.group(0))
    return value.group(1) if value else ""


def test_htmx_post_answers_the_saved_call_inside_a_fresh_form(responder, themes):
    responder.language = "en"
    responder.save()
    client = Client(enforce_csrf_checks=True)
    client.force_login(responder)
    page = client.get(reverse("helpline:call_new"), headers={"Accept-Language": "en"})
    token = _value_of(page.content.decode(), "csrfmiddlewaretoken")
    headers = {"HX-Request": "true", "Accept-Language": "en"}
    with time_machine.travel(timezone.make_aware(datetime(2026, 11, 23, 15, 4, 31)), tick=False):
        first = client.post(
            reverse("helpline:call_new"),
            _post_data(csrfmiddlewaretoken=token, language="nl", started_at="2026-11-23T14:50"),
            headers=headers,
        )
    assert first.status_code == 200
    call = Call.objects.get()
    html = first.content.decode()
    assertContains(
        first,
        f'<p>Call #{call.pk} saved. <a href="{reverse("helpline:call_detail", args=[call.pk])}">See it</a></p>',
        html=True,
    )
    # The next call starts blank: now as its start, the language of the last call, one empty request.
    assert _value_of(html, "started_at") == "2026-11-23 15:04"
    assert _value_of(html, "duration_minutes") == ""
    assert _value_of(html, "requests-TOTAL_FORMS") == "1"
    assert _value_of(html, "requests-0-category") == ""
    assertContains(first, '<option value="nl" selected>Dutch</option>', html=True)
    assert "helpline-" not in html.replace('id="helpline-', "")  # no placeholder left behind
    # The token in the fresh form is good for the next call, and the answer names that call.
    second = client.post(
        reverse("helpline:call_new"),
        _post_data(csrfmiddlewaretoken=_value_of(html, "csrfmiddlewaretoken")),
        headers=headers,
    )
    assert second.status_code == 200
    latest = Call.objects.latest("pk")
    assert latest.pk != call.pk
    assert f"Call #{latest.pk} saved." in second.content.decode()
    assert f"Call #{call.pk} saved." not in second.content.decode()
    assertContains(second, '<option value="fr" selected>French</option>', html=True)


def test_the_fresh_form_from_parts_kept_per_process_equals_the_whole_form_rendered_anew(responder_client, themes):
    """Speed work pinned to the obvious path: the saved-call answer, built around the empty fields kept per
    process, is byte for byte the form rendered whole (same token, key, start time and saved call)."""
    from django.template.loader import render_to_string
    from django.utils.html import format_html

    from maillage.helpline.forms import CallForm, RequestFormSet
    from maillage.helpline.views.calls import _fill_service_choices

    for language in ("nl", "fr", "nl"):  # the second Dutch answer comes from the kept parts
        with time_machine.travel(timezone.make_aware(datetime(2026, 11, 23, 15, 4)), tick=False):
            answer = responder_client.post(
                reverse("helpline:call_new"), _post_data(language=language), headers={"HX-Request": "true"}
            )
            html = answer.content.decode()
            formset = RequestFormSet(prefix="requests")
            _fill_service_choices({"language": language}, formset)
            whole = render_to_string(
                "helpline/_call_form.html",
                {
                    "form": CallForm(initial={"language": language}),
                    "formset": formset,
                    "action_url": reverse("helpline:call_new"),
                    "submission_key_slot": format_html(
                        '<input type="hidden" name="submission_key" value="{}">', _value_of(html, "submission_key")
                    ),
                    "csrf_token": _value_of(html, "csrfmiddlewaretoken"),
                    "saved_call": Call.objects.latest("pk"),
                },
            )
        assert html == whole


def test_fresh_form_after_a_save_has_the_fields_of_the_page_form(responder_client, themes):
    page = responder_client.get(reverse("helpline:call_new")).content.decode()
    saved = responder_client.post(reverse("helpline:call_new"), _post_data(), headers={"HX-Request": "true"})
    assert _input_names(saved.content.decode()) == _input_names(page)


def test_fresh_form_after_a_save_speaks_the_responders_language(responder, other_responder, themes):
    other_responder.language = "nl"
    other_responder.save()
    for user, label, saved in (
        (responder, "Durée (minutes)", "Appel n° "),
        (other_responder, "Duur (minuten)", "Oproep nr. "),
    ):
        answer = client_for(user).post(reverse("helpline:call_new"), _post_data(), headers={"HX-Request": "true"})
        html = answer.content.decode()
        assert f'<label for="id_duration_minutes">{label}</label>' in html
        assert f'id="call-saved">\n  <p>{saved}{Call.objects.latest("pk").pk} ' in html


def test_logging_a_call_through_htmx_reads_little(responder_client, themes, food_service):
    data = _post_data(
        **{
            "requests-1-category": "HOUSING.RENT",
            "requests-1-action": "referral",
            "requests-1-service": str(food_service.pk),
        }
    )
    responder_client.post(reverse("helpline:call_new"), data, headers={"HX-Request": "true"})  # warm the lookups
    with CaptureQueriesContext(connection) as captured:
        responder_client.post(reverse("helpline:call_new"), data, headers={"HX-Request": "true"})
    tables = [
        # the main table comes after any subquery; a WITH statement is named by the tables it writes
        "+".join(re.findall(r'INTO "([a-z_]+)"', query["sql"]))
        if query["sql"].startswith("WITH")
        else re.findall(r'(?:FROM|INTO) "?([a-z_]+)', query["sql"])[-1]
        for query in captured.captured_queries
        if query["sql"].startswith(("SELECT", "INSERT", "UPDATE", "DELETE", "WITH"))
    ]
    # PostgreSQL writes the call, its requests and callbacks (none here) in one statement that picks the shift.
    writes = (
        ["helpline_call+helpline_request+helpline_callback"]
        if connection.vendor == "postgresql"
        else ["helpline_shift", "helpline_call", "helpline_request"]
    )
    assert tables == [
        "django_session",
        "core_user",
        "core_membership",  # two-factor check (core)
        "core_membership",  # the helpline roles and their lines, once
        "taxonomy_schemeversion",  # the version in force; its categories come from the process index
        "directory_service",
        *writes,
        "core_auditentry",
    ]


def test_errors_are_shown_next_to_fields_and_nothing_saved(responder_client, responder, themes):
    responder.language = "en"
    responder.save()
    data = _post_data(
        duration_minutes="-3",
        postal_code="0999",
        **{"requests-0-category": "HOUSING", "requests-0-action": "referral", "requests-0-service": "424242"},
    )
    response = responder_client.post(reverse("helpline:call_new"), data, headers={"Accept-Language": "en"})
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["duration_minutes"] == ["A duration cannot be negative (-3 minutes)."]
    assert form.errors["postal_code"] == ["0999 is not a Belgian postal code."]
    assert response.context["formset"].forms[0].errors["service"] == ["This service does not exist in the directory."]
    assert Call.objects.count() == 0


def test_no_request_is_reported(responder_client, responder, themes):
    responder.language = "en"
    responder.save()
    response = responder_client.post(
        reverse("helpline:call_new"), _post_data(**{"requests-0-category": "", "requests-0-action": ""})
    )
    assert response.context["form"].non_field_errors() == ["A call carries at least one request."]
    assert Call.objects.count() == 0


def test_messages_are_translated(responder_client, responder, themes):
    responder.language = "nl"
    responder.save()
    response = responder_client.post(reverse("helpline:call_new"), _post_data(duration_minutes="-3"))
    assert response.context["form"].errors["duration_minutes"] == ["Een duur kan niet negatief zijn (-3 minuten)."]


def test_add_request_without_javascript_adds_a_row(responder_client, themes):
    response = responder_client.post(reverse("helpline:call_new"), _post_data(add_request="1"))
    assert len(response.context["formset"].forms) == 3
    assert response.context["formset"].forms[0].initial["category"] == "FOOD.PARCEL — Colis alimentaire"
    assert Call.objects.count() == 0


def test_propose_services_without_javascript(responder_client, themes, food_service):
    response = responder_client.post(reverse("helpline:call_new"), _post_data(propose="1"))
    choices = response.context["formset"].forms[0].fields["service"].widget.choices
    assert [value for value, _label in choices] == ["", str(food_service.pk), *NO_SERVICE_VALUES]
    assert Call.objects.count() == 0


def test_request_row_fragment(responder_client, themes):
    response = responder_client.get(reverse("helpline:request_row"), {"requests-TOTAL_FORMS": "2"})
    assert response.context["request_form"].prefix == "requests-2"
    assert b'name="requests-TOTAL_FORMS" value="3"' in response.content
    assert (
        responder_client.get(reverse("helpline:request_row"), {"requests-TOTAL_FORMS": "x"}).context["new_total"] == 2
    )


def test_category_autocomplete_by_code_and_label(responder_client, themes):
    by_code = responder_client.get(reverse("helpline:category_options"), {"requests-0-category": "HOUSING.R"})
    assert [c.code for c in by_code.context["categories"]] == ["HOUSING.RENT"]
    by_label = responder_client.get(reverse("helpline:category_options"), {"q": "Voedselpakket"})
    assert [c.code for c in by_label.context["categories"]] == ["FOOD.PARCEL"]


def test_postal_code_autocomplete(responder_client, themes):
    response = responder_client.get(reverse("helpline:postal_options"), {"postal_code": "Anderl"})
    assert [p.code for p in response.context["postal_codes"]] == ["1070"]


def test_referral_options_propose_matching_services(responder_client, themes, food_service):
    response = responder_client.get(
        reverse("helpline:referral_options"),
        {"prefix": "requests-0", "requests-0-category": "FOOD.PARCEL", "postal_code": "1070", "language": "fr"},
    )
    choices = response.context["request_form"].fields["service"].widget.choices
    assert choices[1][0] == str(food_service.pk)
    assert choices[1][1].startswith("Épicerie sociale du Midi — ")
    assert responder_client.get(reverse("helpline:referral_options"), {"prefix": "evil"}).status_code == 404


def test_outsiders_and_people_without_role_get_404(
    responder, themes, outsider, other_line_responder, no_role_user, worker, food_service
):
    call = log(responder)
    callback_call = log(responder, {"category": "FOOD", "action": "callback"})
    callback = Callback.objects.get(request__call=callback_call)
    shift = Shift.objects.create(
        organisation=call.organisation,
        starts_at=timezone.now(),
        ends_at=timezone.now() + timedelta(hours=3),
        languages=["fr"],
    )
    urls = [
        reverse("helpline:call_new"),
        reverse("helpline:calls"),
        reverse("helpline:call_detail", args=[call.pk]),
        reverse("helpline:call_edit", args=[call.pk]),
        reverse("helpline:request_row"),
        reverse("helpline:category_options"),
        reverse("helpline:postal_options"),
        reverse("helpline:referral_options") + "?prefix=requests-0",
        reverse("helpline:callbacks"),
        reverse("helpline:shifts"),
        reverse("helpline:my_shift"),
        reverse("helpline:debriefing", args=[shift.pk]),
        reverse("helpline:debriefings"),
        reverse("helpline:hours"),
        reverse("helpline:import"),
        reverse("helpline:home"),
    ]
    for user in (other_line_responder, outsider, no_role_user, worker):
        client = client_for(user)
        if user in (other_line_responder, outsider):
            # Another line's people see their own (empty) pages, never our objects.
            assert_outsider_gets_404(client, urls[2], urls[3], urls[11])
            assert_outsider_gets_404(client, reverse("helpline:callback_done", args=[callback.pk]), method="post")
            assert client.get(reverse("helpline:calls")).context["page"].paginator.count == 0
        else:
            assert_outsider_gets_404(client, *urls)


def test_call_list_query_count(responder_client, responder, themes, food_service, django_assert_max_num_queries):
    log(responder)
    with django_assert_max_num_queries(13):
        response = responder_client.get(reverse("helpline:calls"))
    assert response.context["page"].paginator.count == 1
    for _ in range(6):
        log(
            responder,
            {"category": "FOOD", "action": "referral", "service": food_service.pk},
            {"category": "HOUSING", "action": "information"},
        )
    with django_assert_max_num_queries(13):
        response = responder_client.get(reverse("helpline:calls"))
    assert response.context["page"].paginator.count == 7


def test_call_list_filters(responder_client, responder, other_responder, themes):
    mine = log(responder)
    log(other_responder)
    day = timezone.localtime(mine.started_at).date()  # the call's own day: logged minutes ago, maybe before midnight
    response = responder_client.get(reverse("helpline:calls"), {"mine": "1", "day": day.isoformat()})
    assert list(response.context["page"].object_list) == [mine]


def test_responder_edits_own_call_for_24_hours(responder_client, responder, themes):
    call = log(responder)
    assert responder_client.get(reverse("helpline:call_edit", args=[call.pk])).status_code == 200
    response = responder_client.post(
        reverse("helpline:call_edit", args=[call.pk]),
        _post_data(duration_minutes="12", **{"requests-TOTAL_FORMS": "1", "requests-0-category": "HOUSING.SEARCH"}),
    )
    assert response.status_code == 302
    call.refresh_from_db()
    assert call.duration_minutes == 12
    assert list(call.requests.values_list("category__code", flat=True)) == ["HOUSING.SEARCH"]
    entry = AuditEntry.objects.get(code="helpline.call.corrected")
    assert entry.data["fields"] == [
        "started_at",
        "duration_minutes",
        "caller_sex",
        "postal_code",
        "commune",
        "urgency",
        "requests",
    ]
    Call.objects.filter(pk=call.pk).update(created_at=timezone.now() - timedelta(hours=25))
    late = responder_client.post(reverse("helpline:call_edit", args=[call.pk]), _post_data())
    assert late.status_code == 302
    assert late["Location"] == reverse("helpline:call_detail", args=[call.pk])
    call.refresh_from_db()
    assert call.duration_minutes == 12


def test_a_corrected_start_moves_the_requests_the_reports_count(responder, themes):
    """Only the time changes: the requests keep their rows but follow the call's new start."""
    from tests.helpline.factories import call_data

    first = timezone.make_aware(datetime(2025, 3, 10, 9, 30))
    call = log(responder, at=first)
    corrected = first - timedelta(days=3)
    services.update_call(responder, call, call_data(started_at=corrected))
    call.refresh_from_db()
    assert call.started_at == corrected
    assert list(call.requests.values_list("started_at", flat=True)) == [corrected]
    assert AuditEntry.objects.get(code="helpline.call.corrected").data["fields"] == ["started_at"]


def test_other_responder_cannot_edit_but_staff_can(responder, other_responder, federation_staff, staff_client, themes):
    call = log(responder)
    other = client_for(other_responder)
    assert other.get(reverse("helpline:call_edit", args=[call.pk])).status_code == 302
    Call.objects.filter(pk=call.pk).update(created_at=timezone.now() - timedelta(days=30))
    response = staff_client.post(
        reverse("helpline:call_edit", args=[call.pk]), _post_data(duration_minutes="3", **{"requests-TOTAL_FORMS": "1"})
    )
    assert response.status_code == 302
    call.refresh_from_db()
    assert call.duration_minutes == 3
    assert AuditEntry.objects.get(code="helpline.call.corrected").actor == federation_staff
    with pytest.raises(PermissionError):
        services.update_call(other_responder, call, {})


def test_call_detail(responder_client, responder, themes, food_service):
    call = log(responder, {"category": "FOOD", "action": "referral", "service": food_service.pk}, comment="Détresse")
    response = responder_client.get(reverse("helpline:call_detail", args=[call.pk]))
    assert response.context["can_edit"] is True
    assert "Épicerie sociale du Midi" in response.content.decode()


def test_callbacks_list_and_done(responder_client, responder, themes, django_assert_max_num_queries):
    log(responder, {"category": "FOOD", "action": "callback"})
    log(responder, {"category": "HOUSING", "action": "callback"}, {"category": "INCOME", "action": "callback"})
    with django_assert_max_num_queries(13):
        response = responder_client.get(reverse("helpline:callbacks"))
    assert len(response.context["pending"]) == 3
    callback = response.context["pending"][0]
    bad = responder_client.post(reverse("helpline:callback_done", args=[callback.pk]), {"outcome": "??"})
    assert bad.status_code == 302
    responder_client.post(
        reverse("helpline:callback_done", args=[callback.pk]), {"outcome": "reached", "outcome_note": "ok"}
    )
    callback.refresh_from_db()
    assert (callback.outcome, callback.done_by, callback.done_at is not None) == ("reached", responder, True)
    response = responder_client.get(reverse("helpline:callbacks"))
    assert (len(response.context["pending"]), len(response.context["done"])) == (2, 1)


def test_staff_plans_shifts_and_responder_sees_my_shift(
    staff_client, responder, responder_client, line, themes, django_assert_max_num_queries
):
    now = timezone.localtime()
    data = {
        "starts_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (now + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "languages": ["fr", "nl"],
        "responders": [str(responder.pk)],
    }
    assert staff_client.post(reverse("helpline:shifts"), data).status_code == 302
    shift = Shift.objects.get()
    assert (shift.languages, list(shift.responders.all())) == (["fr", "nl"], [responder])
    wrong = staff_client.post(reverse("helpline:shifts"), {**data, "ends_at": data["starts_at"]})
    assert len(wrong.context["form"].errors["ends_at"]) == 1
    with django_assert_max_num_queries(15):
        listing = responder_client.get(reverse("helpline:shifts"))
    assert list(listing.context["shifts"]) == [shift]
    assert responder_client.post(reverse("helpline:shifts"), data).status_code == 404
    log(responder)
    mine = responder_client.get(reverse("helpline:my_shift"))
    assert (mine.context["current"], len(mine.context["calls"])) == (shift, 1)
    home = responder_client.get(reverse("core:home"))
    assert home.status_code == 200


def test_debriefing_and_weekly_view(responder_client, responder, staff_client, line, themes):
    now = timezone.now()
    shift = Shift.objects.create(organisation=line, starts_at=now - timedelta(hours=2), ends_at=now, languages=["fr"])
    shift.responders.add(responder)
    empty = responder_client.post(reverse("helpline:debriefing", args=[shift.pk]), {})
    assert empty.status_code == 200
    response = responder_client.post(
        reverse("helpline:debriefing", args=[shift.pk]),
        {"stood_out": "Beaucoup de demandes alimentaires", "signals": "CPAS fermé", "calls_felt_heavy": "on"},
    )
    assert response.status_code == 302
    debriefing = ShiftDebriefing.objects.get()
    assert (debriefing.author, debriefing.calls_felt_heavy) == (responder, True)
    assert (
        responder_client.get(reverse("helpline:debriefing", args=[shift.pk])).context["form"].initial["signals"]
        == "CPAS fermé"
    )
    assert responder_client.get(reverse("helpline:debriefings")).status_code == 404
    week = staff_client.get(reverse("helpline:debriefings"), {"week": timezone.localdate().isoformat()})
    assert list(week.context["debriefings"]) == [debriefing]
    saved = staff_client.post(
        reverse("helpline:debriefings") + f"?week={timezone.localdate().isoformat()}",
        {"text": "Hausse des demandes de logement"},
    )
    assert saved.status_code == 302
    assert WeeklyNote.objects.get().week_start.weekday() == 0


def test_opening_hours_change_over_time(staff_client, responder_client, line, federation_staff):
    from datetime import date, time

    response = staff_client.post(
        reverse("helpline:hours"),
        {
            "valid_from": "2020-03-30",
            **{f"opens_{d}": "08:00" for d in range(5)},
            **{f"closes_{d}": "20:00" for d in range(5)},
            "opens_5": "10:00",
            "closes_5": "18:00",
            "opens_6": "10:00",
            "closes_6": "18:00",
        },
    )
    assert response.status_code == 302
    services.set_opening_hours(federation_staff, line, date(2020, 9, 1), [(d, time(9), time(17)) for d in range(5)])
    from maillage.helpline.queries import hours_in_force, is_line_open

    assert len(hours_in_force(line.pk, date(2020, 5, 2))) == 7
    assert [(h.weekday, h.opens, h.closes) for h in hours_in_force(line.pk, date(2020, 9, 5))] == [
        (d, time(9), time(17)) for d in range(5)
    ]
    saturday_noon = timezone.make_aware(timezone.datetime(2020, 5, 2, 12, 0))
    assert is_line_open(line.pk, saturday_noon) is True
    assert is_line_open(line.pk, saturday_noon.replace(month=9, day=5)) is False
    assert OpeningHours.objects.count() == 12
    half = staff_client.post(reverse("helpline:hours"), {"valid_from": "2021-01-01", "opens_0": "09:00"})
    assert half.status_code == 200
    assert responder_client.post(reverse("helpline:hours"), {"valid_from": "2021-01-01"}).status_code == 404
    assert responder_client.get(reverse("helpline:hours")).context["form"] is None
