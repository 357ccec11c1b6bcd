from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from maillage.casework import services
from maillage.casework.models import FollowUp, Request
from maillage.core.models import AuditEntry
from maillage.taxonomy import services as taxonomy_services
from maillage.taxonomy.models import Category, Scheme
from tests.casework.factories import category
from tests.conftest import assert_outsider_gets_404, client_for


def _data(worker, date=datetime.date(2024, 3, 1)):
    return services.FollowUpData(date=date, mode="phone", worker=worker, duration=20)


def test_record_follow_up_with_two_requests(case_file, worker):
    follow_up = services.record_follow_up(
        worker,
        case_file,
        _data(worker),
        [
            services.RequestData(
                category("request-themes", "FOOD.PARCEL"),
                category("institution-concerned", "PUBLIC.CPAS"),
                category("request-stage", "INFO.GENERAL"),
            ),
            services.RequestData(
                category("request-themes", "FOREIGN.RESIDENCE"), category("institution-concerned", "MIGRATION.OE")
            ),
        ],
    )
    assert [r.theme.code for r in follow_up.requests.all()] == ["FOOD.PARCEL", "FOREIGN.RESIDENCE"]
    assert follow_up.age_band == "35-44"
    assert AuditEntry.objects.filter(code="casework.followup.created").count() == 1


def test_follow_up_before_case_file_opened_is_refused(case_file, worker):
    with pytest.raises(ValidationError) as error:
        services.record_follow_up(
            worker,
            case_file,
            _data(worker, datetime.date(2023, 12, 31)),
            [services.RequestData(category("request-themes", "FOOD.PARCEL"))],
        )
    assert error.value.message_dict["date"] == ["The follow-up is dated before its case file opened (01/01/2024)."]
    assert FollowUp.objects.count() == 0


def test_theme_of_retired_version_without_mapping_is_refused(case_file, worker):
    old = category("request-themes", "FOOD.PARCEL")
    scheme = Scheme.objects.get(code="request-themes")
    draft = taxonomy_services.create_draft(None, scheme, title="v2")
    Category.objects.filter(version=draft, code="FOOD.PARCEL").delete()
    from maillage.taxonomy.models import CategoryMapping, VersionStatus

    CategoryMapping.objects.filter(source=old).delete()
    old.version.status = VersionStatus.RETIRED
    old.version.save(update_fields=["status"])
    draft.status = VersionStatus.PUBLISHED
    draft.save(update_fields=["status"])
    old.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        services.record_follow_up(worker, case_file, _data(worker), [services.RequestData(old)])
    assert error.value.messages == [
        "FOOD.PARCEL belongs to a retired version of the categories and has no equivalent in the version in force."
    ]
    mapped = category("request-themes", "FOOD.SOCIALSHOP")
    mapped_old = Category.objects.get(version=old.version, code="FOOD.MEALS")
    follow_up = services.record_follow_up(worker, case_file, _data(worker), [services.RequestData(mapped_old)])
    assert follow_up.requests.get().theme.version_id == mapped.version_id


def test_outsider_gets_404_and_coordinator_reads_the_opening(case_file, worker, coordinator, outsider_client):
    url = reverse("casework:case_file", args=[case_file.pk])
    assert_outsider_gets_404(
        outsider_client,
        url,
        reverse("casework:followup_create", args=[case_file.pk]),
        reverse("casework:person_export", args=[case_file.pk]),
    )
    response = client_for(worker).get(url)
    assert response.status_code == 200
    audit = client_for(coordinator).get(reverse("core:audit_log") + "?code=casework.casefile.read")
    entries = list(audit.context["page"].object_list)
    assert [(e.code, e.actor, e.target_id) for e in entries] == [("casework.casefile.read", worker, str(case_file.pk))]


def test_encode_without_javascript(case_file, worker):
    client = client_for(worker)
    url = reverse("casework:followup_create", args=[case_file.pk])
    base = {
        "date": "2024-03-05",
        "mode": "walk_in",
        "worker": worker.pk,
        "requests-TOTAL_FORMS": "1",
        "requests-INITIAL_FORMS": "0",
        "requests-0-theme": "FOOD.PARCEL",
        "requests-0-is_open": "on",
    }
    more = client.post(url, {**base, "add_request": "1"})
    assert more.status_code == 200
    assert more.context["formset"].total_form_count() == 2
    response = client.post(
        url,
        {
            **base,
            "requests-TOTAL_FORMS": "2",
            "requests-1-theme": "HOUSING.RENT — Loyer impayé / expulsion",
            "requests-1-institution": "HOUSING.LANDLORD",
        },
    )
    assert response.status_code == 302
    follow_up = FollowUp.objects.get()
    assert sorted(r.theme.code for r in follow_up.requests.all()) == ["FOOD.PARCEL", "HOUSING.RENT"]
    page = client.get(url)
    # Only the request left open is offered again; recently used categories come first.
    assert [f.initial["theme"] for f in page.context["formset"].initial_forms] == ["FOOD.PARCEL — Food parcel"]
    recent_group, recent = page.context["datalists"]["theme"][0]
    assert (recent_group, sorted(label for _pk, label in recent)) == (
        "Recently used",
        ["FOOD.PARCEL — Food parcel", "HOUSING.RENT — Unpaid rent / eviction"],
    )


def test_unknown_category_is_reported_next_to_the_field(case_file, worker):
    client = client_for(worker)
    response = client.post(
        reverse("casework:followup_create", args=[case_file.pk]),
        {
            "date": "2024-03-05",
            "mode": "walk_in",
            "worker": worker.pk,
            "requests-TOTAL_FORMS": "1",
            "requests-INITIAL_FORMS": "0",
            "requests-0-theme": "NOPE",
        },
    )
    assert response.status_code == 200
    assert response.context["formset"].forms[0].errors["theme"] == [
        "NOPE is not a category in force; type a code from the list."
    ]
    assert Request.objects.count() == 0


def test_referral_to_a_directory_service(case_file, worker):
    from tests.directory.factories import ServiceFactory

    service = ServiceFactory(name_fr="Service de médiation de dettes", status="published")
    client = client_for(worker)
    url = reverse("casework:followup_create", args=[case_file.pk])
    base = {
        "date": "2024-03-05",
        "mode": "walk_in",
        "worker": worker.pk,
        "requests-TOTAL_FORMS": "1",
        "requests-INITIAL_FORMS": "0",
        "requests-0-theme": "FOOD.PARCEL",
        "actions": ["referral"],
    }
    missing = client.post(url, base)
    assert missing.context["form"].errors["referred_to"] == ["Say to which service the person was referred."]
    response = client.post(url, {**base, "referred_service": service.pk})
    assert response.status_code == 302, response.context["form"].errors
    assert FollowUp.objects.get().referred_service == service
    assert response.status_code == 302
    assert client.get(reverse("casework:case_file", args=[case_file.pk])).context["followups"][0].action_labels == [
        "Referral to another service"
    ]


def test_htmx_encoding_and_request_row(case_file, worker):
    client = client_for(worker)
    row = client.get(reverse("casework:request_row", args=[case_file.pk]), {"index": "3"}, HTTP_HX_REQUEST="true")
    assert row.context["request_form"].prefix == "requests-3"
    assert (
        'name="requests-TOTAL_FORMS" id="id_requests-TOTAL_FORMS" value="4" hx-swap-oob="true"' in row.content.decode()
    )
    saved = client.post(
        reverse("casework:followup_create", args=[case_file.pk]),
        {
            "date": "2024-03-05",
            "mode": "walk_in",
            "worker": worker.pk,
            "requests-TOTAL_FORMS": "1",
            "requests-INITIAL_FORMS": "0",
            "requests-0-theme": "FOOD.PARCEL",
            "requests-0-is_open": "on",
        },
        HTTP_HX_REQUEST="true",
    )
    assert saved.templates[0].name == "casework/_followup_encoding.html"
    assert saved.context["saved_message"] == "Follow-up of 05/03/2024 recorded with 1 request(s)."
    assert [f.initial["theme"] for f in saved.context["formset"].initial_forms] == ["FOOD.PARCEL — Food parcel"]
