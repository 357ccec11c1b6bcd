"""Bad input and less common paths: every message exact, nothing half-saved."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from maillage.casework import imports, services
from maillage.casework.models import CaseworkSettings, FollowUp, ImportRun, Person
from maillage.core.models import Role
from maillage.taxonomy import services as taxonomy
from maillage.taxonomy.models import Category, Scheme
from tests.casework.factories import category
from tests.conftest import assert_outsider_gets_404, client_for
from tests.factories import member


def _upload(client, kind, name, content):  # type: ignore[no-untyped-def]
    return client.post(reverse("casework:import"), {"kind": kind, "file": SimpleUploadedFile(name, content)})


def test_import_row_problems_are_each_reported(organisation, coordinator, casework_schemes):
    client = client_for(coordinator)
    _upload(client, "persons", "p.csv", b"source_id,birth_year,children,opened_on\nA,19x0,two,31/02/2024\nA,1980,1,\n")
    assert ImportRun.objects.first().errors == [
        [2, "birth_year: 19x0 is not a year; children: two is not a number; opened_on: 31/02/2024 is not a date."],
        [3, "identifier A already appears on line 2."],
    ]
    _upload(client, "persons", "p.csv", b"source_id\n")
    assert ImportRun.objects.first().errors == [[1, "The file holds no row."]]
    _upload(client, "persons", "p.csv", "source_id\n\xe9".encode("latin-1"))
    assert ImportRun.objects.first().failure_reason == "The file is not UTF-8 text (byte 10). Save it as 'CSV UTF-8'."
    with pytest.raises(ValidationError) as error:
        imports.read_rows("p.csv", io.BytesIO(b""))
    assert error.value.messages == ["The file is empty."]


def test_import_follow_ups_bad_values_then_update(organisation, coordinator, casework_schemes):
    client = client_for(coordinator)
    _upload(client, "persons", "p.csv", b"source_id,opened_on\nA,2020-01-01\n")
    _upload(
        client,
        "followups",
        "f.csv",
        b"source_id,person_source_id,date,mode,duration,theme\nF,A,2999-01-01,,long,\nG,A,soon,bus,,FOOD\n",
    )
    assert ImportRun.objects.first().errors == [
        [
            2,
            (
                "mode is required; duration: long is not a number; theme is required; "
                "date: The follow-up date is in the future."
            ),
        ],
        [3, "date: soon is not a date; mode: unknown value bus."],
    ]
    _upload(client, "followups", "f.csv", b"source_id,person_source_id,date,mode,theme\nF,A,2019-06-01,phone,FOOD\n")
    assert ImportRun.objects.first().errors == [
        [2, "date: The follow-up is dated before its case file opened (01/01/2020)."]
    ]
    _upload(client, "followups", "f.csv", b"source_id,person_source_id,date,mode,theme\nF,A,2021-06-01,phone,FOOD\n")
    _upload(
        client,
        "followups",
        "f.csv",
        b"source_id,person_source_id,date,mode,theme,stage\nF,A,2021-07-01,email,HOUSING,INFO\n",
    )
    run = ImportRun.objects.first()
    assert (run.status, run.created, run.updated) == ("succeeded", 0, 1)
    follow_up = FollowUp.objects.get()
    assert (
        follow_up.date,
        follow_up.mode,
        [(r.theme.code, r.stage.code, r.date) for r in follow_up.requests.all()],
    ) == (datetime.date(2021, 7, 1), "email", [("HOUSING", "INFO", datetime.date(2021, 7, 1))])
    imports.run_import.call(run.pk)  # a second run of a finished import does nothing
    assert ImportRun.objects.first().status == "succeeded"


def test_import_code_of_a_retired_version_is_mapped_or_refused(organisation, coordinator, casework_schemes):
    old_parcel = category("request-themes", "FOOD.PARCEL")
    draft = taxonomy.create_draft(None, Scheme.objects.get(code="request-themes"), title="v2")
    Category.objects.get(version=draft, code="FOOD.PARCEL").delete()
    Category.objects.get(version=draft, code="FOOD.MEALS").delete()
    taxonomy.record_mapping(None, old_parcel, Category.objects.get(version=draft, code="FOOD.SOCIALSHOP"))
    taxonomy.record_mapping(
        None,
        Category.objects.get(version=old_parcel.version, code="FOOD.MEALS"),
        Category.objects.get(version=draft, code="FOOD"),
    )
    taxonomy.publish_version(None, draft)
    client = client_for(coordinator)
    _upload(client, "persons", "p.csv", b"source_id,opened_on\nA,2020-01-01\n")
    _upload(
        client, "followups", "f.csv", b"source_id,person_source_id,date,mode,theme\nF,A,2021-06-01,phone,FOOD.PARCEL\n"
    )
    assert FollowUp.objects.get().requests.get().theme == Category.objects.get(version=draft, code="FOOD.SOCIALSHOP")


def test_import_pages_are_for_coordinators(organisation, worker, coordinator, outsider_client):
    assert client_for(worker).get(reverse("casework:import")).status_code == 404
    assert client_for(coordinator).get(reverse("casework:import_mapping", args=["nope"])).status_code == 404
    page = client_for(coordinator).get(reverse("casework:import_mapping", args=["followups"]))
    assert page.context["form"].initial["theme_2"] == "theme_2"
    assert client_for(coordinator).get(reverse("casework:import")).status_code == 200


def test_service_level_checks(case_file, worker, coordinator, organisation):
    with pytest.raises(ValidationError) as error:
        services.clean_person_data({"birth_year": 1850, "postal_code": ""}, datetime.date(2024, 1, 1))
    assert error.value.message_dict == {"birth_year": ["The year of birth 1850 is too far back."]}
    with pytest.raises(ValidationError) as error:
        services.close_case_file(worker, case_file, datetime.date(2999, 1, 1), "resolved")
    assert error.value.message_dict == {"closed_on": ["The closing date is in the future."]}
    with pytest.raises(ValidationError) as error:
        services.current_category(category("request-stage", "INFO"), "theme")
    assert error.value.messages == ["INFO is not a category of this axis."]
    with pytest.raises(ValidationError) as error:
        services.record_follow_up(
            worker, case_file, services.FollowUpData(datetime.date(2999, 1, 1), "phone", worker), []
        )
    assert error.value.message_dict == {
        "date": ["The follow-up date is in the future."],
        "__all__": ["Code at least one request."],
    }
    colleague = member(Role.WORKER, organisation)
    services.set_workers(coordinator, case_file, [worker, colleague])
    assert sorted(u.pk for u in case_file.workers.all()) == sorted([worker.pk, colleague.pk])
    CaseworkSettings.objects.create(organisation=organisation, store_identities=True)
    services.update_person(worker, case_file.person, {"sex": "m", "postal_code": "1000", "first_name": " Ana "})
    assert (Person.objects.get().first_name, Person.objects.get().commune.nis_code) == ("Ana", "21004")
    report = services.save_report(worker, organisation, " Mon rapport ", {"measure": "followups"})
    assert report.name == "Mon rapport"
    with pytest.raises(ValidationError):
        services.save_report(worker, organisation, " ", {})
    services.delete_report(worker, report)
    assert organisation.saved_reports.count() == 0


def test_pages_for_activities_erase_and_close(case_file, worker, coordinator, outsider_client):
    from tests.casework.factories import category as cat

    client = client_for(worker)
    client.post(
        reverse("casework:activity_create"),
        {"title": "Potager", "kind": "community_project", "themes": [cat("request-themes", "FOOD").pk]},
    )
    activity = worker.memberships.first().organisation.casework_activities.get()
    edit = reverse("casework:activity_edit", args=[activity.pk])
    assert client.get(edit).status_code == 200
    client.post(edit, {"title": "Potager collectif", "kind": "community_project"})
    activity.refresh_from_db()
    assert activity.title == "Potager collectif"
    bad = client.post(reverse("casework:activity", args=[activity.pk]), {"date": "2999-01-01"})
    assert bad.context["form"].errors == {"date": ["The year must be between 1900 and 2100."]}
    later = client.post(reverse("casework:activity", args=[activity.pk]), {"date": "2099-01-01"})
    assert later.context["form"].errors == {"date": ["The session date is too far in the future."]}
    close = client.post(reverse("casework:case_file_close", args=[case_file.pk]), {"closed_on": ""}, follow=True)
    assert [str(m) for m in close.context["messages"]] == ["Give a closing date and a reason."]
    assert client_for(coordinator).get(reverse("casework:person_erase", args=[case_file.pk])).status_code == 200
    assert (
        client.get(reverse("casework:case_files"), {"q": "P-000001", "open": "1"}, HTTP_HX_REQUEST="true")
        .templates[0]
        .name
        == "casework/_case_file_rows.html"
    )
    assert client.get(reverse("casework:person_edit", args=[case_file.pk])).status_code == 200
    assert client.get(reverse("casework:request_row", args=[case_file.pk]), {"index": "x"}).status_code == 400
    assert client.get(reverse("casework:request_row", args=[case_file.pk]), {"index": "3"}).context["index"] == 3
    assert_outsider_gets_404(
        outsider_client,
        reverse("casework:person_edit", args=[case_file.pk]),
        reverse("casework:request_row", args=[case_file.pk]),
    )
    assert_outsider_gets_404(
        outsider_client,
        reverse("casework:case_file_close", args=[case_file.pk]),
        reverse("casework:case_file_reopen", args=[case_file.pk]),
        method="post",
    )


def test_workers_in_charge_are_changed_by_coordinator(case_file, worker, coordinator, organisation, outsider_client):
    colleague = member(Role.WORKER, organisation, language="en")
    url = reverse("casework:case_file_workers", args=[case_file.pk])
    assert client_for(colleague).post(url, {"workers": [colleague.pk]}).status_code == 404
    client_for(coordinator).post(url, {"workers": [worker.pk, colleague.pk]})
    assert sorted(case_file.workers.values_list("pk", flat=True)) == sorted([worker.pk, colleague.pk])
    refused = client_for(worker).post(url, {"workers": []}, follow=True)
    assert [str(m) for m in refused.context["messages"]] == ["Choose at least one worker in charge."]
    assert_outsider_gets_404(outsider_client, url, method="post")


@pytest.mark.parametrize("count", [1, 5])
def test_activity_list_queries_do_not_grow(
    organisation, worker, casework_schemes, django_assert_max_num_queries, count
):
    from maillage.casework.models import Activity

    for index in range(count):
        activity = Activity.objects.create(organisation=organisation, title=f"Atelier {index}", kind="workshop")
        activity.workers.add(worker)
        activity.themes.add(category("request-themes", "FOOD"))
    client = client_for(worker)
    with django_assert_max_num_queries(13):
        response = client.get(reverse("casework:activities"))
    assert len(response.context["activities"]) == count


def test_worker_subsidy_tags_their_follow_ups(case_file, worker, coordinator, organisation):
    from tests.casework.factories import SubsidyFactory

    subsidy = SubsidyFactory(code="cocof", name="COCOF")
    url = reverse("casework:settings", args=[organisation.pk])
    assert client_for(coordinator).get(url).context["subsidies_form"].fields[f"worker_{worker.pk}"].initial == ""
    client_for(coordinator).post(url, {"subsidies": "1", f"worker_{worker.pk}": str(subsidy.pk)})
    follow_up = services.record_follow_up(
        worker,
        case_file,
        services.FollowUpData(datetime.date(2024, 3, 1), "phone", worker),
        [services.RequestData(category("request-themes", "FOOD"))],
    )
    assert follow_up.subsidy == subsidy
    client_for(coordinator).post(url, {"subsidies": "1", f"worker_{worker.pk}": ""})
    from maillage.casework.models import WorkerSubsidy

    assert WorkerSubsidy.objects.count() == 0
