from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from maillage.core.models import AuditEntry
from maillage.helpline import services
from maillage.helpline.models import Call, Callback, Request
from maillage.taxonomy import services as taxonomy_services
from tests.helpline.factories import call_data, log

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    with translation.override("en"):
        yield


def _errors(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return {key: [m for e in value for m in e.messages] for key, value in excinfo.value.error_dict.items()}


def test_log_call_saves_the_call_its_requests_and_the_referral(responder, themes, food_service, line):
    call = log(
        responder,
        {
            "category": "FOOD.PARCEL — Colis alimentaire",
            "action": "referral",
            "service": food_service.pk,
            "note": "famille",
        },
        {"category": "HOUSING.RENT", "action": "information"},
        comment="Appel calme",
    )
    assert call.organisation == line
    assert call.responder == responder
    assert call.caller_area == "brussels"
    assert call.commune.name_fr == "Anderlecht"
    rows = list(
        call.requests.order_by("position").values_list("category__code", "theme__code", "action", "service_id", "note")
    )
    assert rows == [
        ("FOOD.PARCEL", "FOOD", "referral", food_service.pk, "famille"),
        ("HOUSING.RENT", "HOUSING", "information", None, ""),
    ]
    entry = AuditEntry.objects.get(code="helpline.call.logged")
    assert entry.target_id == str(call.pk)
    assert entry.data["requests"][0] == {
        "category": "FOOD.PARCEL",
        "action": "referral",
        "service": food_service.pk,
        "note": "***",
        "unmet_reason": "",
    }


def test_log_call_by_label_in_dutch(responder, themes):
    call = log(responder, {"category": "Voedselpakket", "action": "information"})
    assert call.requests.get().category == themes["FOOD.PARCEL"]


def test_postal_code_outside_brussels_and_unknown(responder, themes):
    outside = log(responder, postal_code="4000")
    assert (outside.caller_area, outside.commune) == ("outside", None)
    unknown = log(responder, postal_code="")
    assert (unknown.caller_area, unknown.postal_code) == ("unknown", "")
    declared = log(responder, postal_code="", caller_area="outside")
    assert declared.caller_area == "outside"


def test_callback_request_creates_a_callback(responder, themes):
    when = timezone.now() + timedelta(days=1)
    call = log(responder, {"category": "INCOME.DEBT", "action": "callback", "callback_at": when})
    callback = Callback.objects.get()
    assert (callback.request.call, callback.due_at, callback.done_at) == (call, when, None)


@pytest.mark.parametrize(
    ("fields", "key", "message"),
    [
        ({"postal_code": "1299"}, "postal_code", "1299 is not a postal code of the Brussels-Capital Region."),
        ({"postal_code": "12a"}, "postal_code", "A Belgian postal code has four digits, e.g. 1070."),
        ({"duration_minutes": -3}, "duration_minutes", "A duration cannot be negative (-3 minutes)."),
        ({"duration_minutes": None}, "duration_minutes", "Give the duration of the call in minutes."),
        ({"duration_minutes": 900}, "duration_minutes", "A call lasts at most 600 minutes."),
        ({"requests": []}, "requests", "A call carries at least one request."),
        ({"language": "de"}, "language", "Choose one of the options."),
        (
            {"postal_code": "", "caller_area": "brussels"},
            "postal_code",
            "Give the Brussels postal code, or choose unknown.",
        ),
    ],
)
def test_bad_call_fields_are_refused_and_nothing_is_saved(responder, themes, fields, key, message, settings):
    settings.LANGUAGE_CODE = "en"
    with pytest.raises(ValidationError) as excinfo:
        services.log_call(responder, call_data(**fields))
    assert _errors(excinfo)[key] == [message]
    assert (
        Call.objects.count(),
        Request.objects.count(),
        AuditEntry.objects.filter(code__startswith="helpline").count(),
    ) == (0, 0, 0)


def test_a_service_id_beyond_the_database_integers_is_no_service(responder, themes):
    """The service is read by a plain statement: an id no bigint holds is refused before it reaches the database."""
    for service in (2**63, -(2**63) - 1, "9" * 30):
        with pytest.raises(ValidationError) as excinfo:
            log(responder, {"category": "HOUSING", "action": "referral", "service": service})
        assert _errors(excinfo) == {"requests-0-service": ["This service does not exist in the directory."]}
    assert Call.objects.count() == 0


def test_future_start_is_refused(responder, themes):
    with pytest.raises(ValidationError) as excinfo:
        log(responder, at=timezone.now() + timedelta(hours=2))
    assert _errors(excinfo) == {"started_at": ["The call cannot start in the future."]}


def test_bad_requests_name_their_row(responder, themes):
    with pytest.raises(ValidationError) as excinfo:
        log(
            responder,
            {"category": "FOOD", "action": "information"},
            {"category": "NOPE", "action": "information"},
            {"category": "HOUSING", "action": "referral", "service": 999999},
            {"category": "HOUSING", "action": "warm_transfer"},
            {"category": "", "action": "teleport"},
        )
    assert _errors(excinfo) == {
        "requests-1-category": ["NOPE is not a category of the request themes."],
        "requests-2-service": ["This service does not exist in the directory."],
        "requests-3-service": ["Choose the service you referred the caller to."],
        "requests-4-category": ["Choose the category of the request."],
        "requests-4-action": ["Say what you did for this request."],
    }
    assert Call.objects.count() == 0


def test_category_of_a_retired_version_is_refused(responder, themes, request_themes):
    old_food = themes["FOOD"]
    draft = taxonomy_services.create_draft(None, request_themes, title="v2")
    taxonomy_services.publish_version(None, draft)
    old_food.version.refresh_from_db()
    assert old_food.version.status == "retired"
    with pytest.raises(ValidationError) as excinfo:
        log(responder, {"category": old_food.pk, "action": "information"})
    assert _errors(excinfo) == {
        "requests-0-category": ["FOOD belongs to a retired version of the request themes; choose a current category."]
    }
    # The same code typed as text finds the category of the version in force.
    call = log(responder, {"category": "FOOD", "action": "information"})
    assert call.requests.get().category.version == draft


def test_inactive_category_and_other_scheme_are_refused(responder, themes):
    from tests.factories import CategoryFactory

    themes["ISOLATION"].is_active = False
    themes["ISOLATION"].save()
    foreign = CategoryFactory(code="X1")
    with pytest.raises(ValidationError) as excinfo:
        log(
            responder,
            {"category": themes["ISOLATION"], "action": "other"},
            {"category": foreign, "action": "other"},
            {"category": 0, "action": "other"},
        )
    assert _errors(excinfo) == {
        "requests-0-category": ["ISOLATION is no longer in use; choose a current category."],
        "requests-1-category": ["X1 is not a category of the request themes."],
        "requests-2-category": ["This category does not exist."],
    }


def test_old_code_typed_is_reported_as_retired(responder, themes, request_themes):
    from maillage.taxonomy.models import Category

    draft = taxonomy_services.create_draft(None, request_themes, title="v2")
    Category.objects.filter(version=draft, code="OTHER.OTHER").delete()
    taxonomy_services.record_mapping(None, themes["OTHER.OTHER"], Category.objects.get(version=draft, code="OTHER"))
    taxonomy_services.publish_version(None, draft)
    with pytest.raises(ValidationError) as excinfo:
        log(responder, {"category": "OTHER.OTHER", "action": "other"})
    assert _errors(excinfo) == {
        "requests-0-category": [
            "OTHER.OTHER belongs to a retired version of the request themes; choose a current category."
        ]
    }


def _tables_read(captured: CaptureQueriesContext) -> list[str]:
    return [
        re.findall(r'FROM "?([a-z_]+)', query["sql"])[-1]
        for query in captured.captured_queries
        if query["sql"].startswith("SELECT")
    ]


def test_categories_and_postal_codes_are_read_once_per_process(responder, themes):
    log(responder, {"category": "FOOD.PARCEL", "action": "information"})
    with CaptureQueriesContext(connection) as captured:
        call = log(
            responder,
            {"category": "food.parcel", "action": "information"},
            {"category": "Logement insalubre", "action": "information"},
            {"category": "Voedselpakket", "action": "information"},
        )
    assert "taxonomy_category" not in _tables_read(captured)
    assert "core_postalcode" not in _tables_read(captured)
    assert list(call.requests.order_by("position").values_list("category__code", "theme__code")) == [
        ("FOOD.PARCEL", "FOOD"),
        ("HOUSING.CONDITION", "HOUSING"),
        ("FOOD.PARCEL", "FOOD"),
    ]
    assert call.commune.name_fr == "Anderlecht"
    # A bad code is still refused, every time.
    for _attempt in range(2):
        with pytest.raises(ValidationError) as excinfo:
            log(responder, postal_code="1299")
        assert _errors(excinfo) == {"postal_code": ["1299 is not a postal code of the Brussels-Capital Region."]}


def test_a_version_published_by_another_process_is_used_at_once(responder, themes, request_themes):
    """The index is keyed by the version in force, read on every call: no signal needs to reach this process."""
    from maillage.taxonomy.models import Category, SchemeVersion

    draft = taxonomy_services.create_draft(None, request_themes, title="v2")
    Category.objects.filter(version=draft, code="OTHER.OTHER").delete()
    taxonomy_services.record_mapping(None, themes["OTHER.OTHER"], Category.objects.get(version=draft, code="OTHER"))
    before = log(responder, {"category": "OTHER.OTHER", "action": "other"})  # builds the index of version 1
    assert before.requests.get().category == themes["OTHER.OTHER"]
    # Published elsewhere: plain UPDATEs, no signal in this process.
    SchemeVersion.objects.filter(pk=themes["FOOD"].version_id).update(status="retired")
    SchemeVersion.objects.filter(pk=draft.pk).update(status="published", published_at=timezone.now())
    with pytest.raises(ValidationError) as excinfo:
        log(responder, {"category": "OTHER.OTHER", "action": "other"})
    assert _errors(excinfo) == {
        "requests-0-category": [
            "OTHER.OTHER belongs to a retired version of the request themes; choose a current category."
        ]
    }
    after = log(responder, {"category": "FOOD.PARCEL", "action": "information"})
    assert after.requests.get().category == Category.objects.get(version=draft, code="FOOD.PARCEL")
    assert after.requests.get().theme == Category.objects.get(version=draft, code="FOOD")


def test_a_category_saved_in_this_process_is_seen_at_once(responder, themes):
    log(responder, {"category": "FOOD.PARCEL", "action": "information"})
    parcel = themes["FOOD.PARCEL"]
    parcel.label_fr = "Colis de vivres"
    parcel.save(update_fields=["label_fr"])  # a shell edit: taxonomy services never change a published version
    call = log(responder, {"category": "colis de vivres", "action": "information"})
    assert call.requests.get().category == parcel
    parcel.is_active = False
    parcel.save(update_fields=["is_active"])
    with pytest.raises(ValidationError) as excinfo:
        log(responder, {"category": "FOOD.PARCEL", "action": "information"})
    assert _errors(excinfo) == {"requests-0-category": ["FOOD.PARCEL is no longer in use; choose a current category."]}


def test_no_published_scheme(responder, db):
    with pytest.raises(ValidationError) as excinfo:
        log(responder, {"category": "FOOD", "action": "other"})
    assert _errors(excinfo) == {"requests-0-category": ["No version of the request themes is published yet."]}


def test_someone_without_line_cannot_log(worker, themes):
    with pytest.raises(ValidationError):
        log(worker)


def test_log_for_a_line_one_does_not_answer_is_refused(responder, other_line_responder, themes, line):
    with pytest.raises(PermissionError):
        services.log_call(other_line_responder, call_data(), organisation=line)


def test_call_is_attached_to_the_shift(responder, federation_staff, line, themes):
    now = timezone.now()
    shift = services.create_shift(
        federation_staff, line, now - timedelta(hours=1), now + timedelta(hours=2), ["fr"], [responder]
    )
    call = log(responder)
    assert call.shift == shift


def test_call_prefers_the_responders_own_shift(responder, other_responder, federation_staff, line, themes):
    now = timezone.now()
    services.create_shift(
        federation_staff, line, now - timedelta(hours=2), now + timedelta(hours=2), ["fr"], [other_responder]
    )
    own = services.create_shift(
        federation_staff, line, now - timedelta(hours=1), now + timedelta(hours=1), ["nl"], [responder]
    )
    assert log(responder).shift == own
    assert log(federation_staff).shift.responders.get() == other_responder
