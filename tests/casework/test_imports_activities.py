from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from maillage.casework.models import Activity, FollowUp, ImportProfile, ImportRun, Participation, Person
from tests.conftest import assert_outsider_gets_404, client_for

PERSONS = "id;naissance;sexe;cp;revenu;ouverture\nA1;1980;Woman;1060;CPAS;01/01/2020\nA2;1975;m;1030;;2020-01-01\n"


def _upload(client, kind, name, content):  # type: ignore[no-untyped-def]
    return client.post(reverse("casework:import"), {"kind": kind, "file": SimpleUploadedFile(name, content)})


def test_import_with_saved_mapping_then_reimport_updates(organisation, coordinator, casework_schemes, outsider_client):
    client = client_for(coordinator)
    client.post(
        reverse("casework:import_mapping", args=["persons"]),
        {
            "source_id": "id",
            "birth_year": "naissance",
            "sex": "sexe",
            "postal_code": "cp",
            "income_source": "revenu",
            "opened_on": "ouverture",
        },
    )
    assert ImportProfile.objects.get().columns["birth_year"] == "naissance"
    response = _upload(client, "persons", "persons.csv", PERSONS.replace("CPAS", "integration").encode())
    run = ImportRun.objects.get()
    assert response["Location"] == reverse("casework:import_run", args=[run.pk])
    assert (run.status, run.created, run.updated, run.errors) == ("succeeded", 2, 0, [])
    assert_outsider_gets_404(outsider_client, reverse("casework:import_run", args=[run.pk]))
    _upload(client, "persons", "persons.csv", PERSONS.replace("CPAS", "integration").replace("1975", "1976").encode())
    assert (ImportRun.objects.first().created, ImportRun.objects.first().updated) == (0, 2)
    assert sorted(Person.objects.values_list("source_id", "birth_year")) == [("A1", 1980), ("A2", 1976)]
    client.post(
        reverse("casework:import_mapping", args=["followups"]),
        {
            "source_id": "id",
            "person_source_id": "personne",
            "date": "date",
            "mode": "mode",
            "theme": "theme",
            "institution": "institution",
            "theme_2": "theme2",
        },
    )
    followups = "id,personne,date,mode,theme,institution,theme2\nF1,A1,2024-02-01,Phone,FOOD.PARCEL,PUBLIC.CPAS,Recherche de logement\n"
    _upload(client, "followups", "f.csv", followups.encode())
    follow_up = FollowUp.objects.get()
    assert sorted(r.theme.code for r in follow_up.requests.all()) == ["FOOD.PARCEL", "HOUSING.SEARCH"]


def test_bad_rows_are_all_reported_and_nothing_is_saved(organisation, coordinator, casework_schemes):
    client = client_for(coordinator)
    _upload(
        client,
        "persons",
        "p.csv",
        b"source_id,birth_year,sex,postal_code\nA1,1980,f,1060\nA2,2999,z,1299\n,1970,f,1060\n",
    )
    run = ImportRun.objects.get()
    assert run.status == "failed"
    assert run.errors == [
        [
            3,
            (
                "sex: unknown value z; birth_year: The year of birth 2999 is in the future; "
                "postal_code: 1299 is not a postal code of the Brussels-Capital Region."
            ),
        ],
        [4, "source_id is required."],
    ]
    assert Person.objects.count() == 0
    page = client.get(reverse("casework:import_run", args=[run.pk]))
    assert page.context["run"] == run


def test_unknown_category_and_fake_xlsx(organisation, coordinator, casework_schemes):
    client = client_for(coordinator)
    _upload(client, "persons", "p.csv", b"source_id,birth_year,opened_on\nA1,1980,2020-01-01\n")
    _upload(
        client,
        "followups",
        "f.csv",
        b"source_id,person_source_id,date,mode,theme\nF1,A1,2024-02-01,phone,NOPE\nF2,ZZ,2024-02-01,phone,FOOD\n",
    )
    assert ImportRun.objects.first().errors == [
        [2, "theme: unknown category NOPE."],
        [3, "no person with identifier ZZ was imported in this centre."],
    ]
    _upload(client, "persons", "p.xlsx", b"this is not a workbook")
    run = ImportRun.objects.first()
    assert (run.status, run.errors, run.failure_reason) == (
        "failed",
        [],
        "The file is not a zip archive, or it is damaged.",
    )


def test_xlsx_import(organisation, coordinator, casework_schemes):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["source_id", "birth_year", "sex"])
    sheet.append(["X1", 1990, "Woman"])
    out = io.BytesIO()
    workbook.save(out)
    _upload(client_for(coordinator), "persons", "p.xlsx", out.getvalue())
    assert list(Person.objects.values_list("source_id", "birth_year", "sex")) == [("X1", 1990, "f")]


def test_activity_with_session_counts(organisation, worker, casework_schemes, outsider_client):
    from tests.casework.factories import category

    client = client_for(worker)
    response = client.post(
        reverse("casework:activity_create"),
        {
            "title": "Atelier budget",
            "kind": "workshop",
            "themes": [category("request-themes", "INCOME").pk],
            "workers": [worker.pk],
            "partners": "CPAS",
        },
    )
    activity = Activity.objects.get()
    assert response["Location"] == reverse("casework:activity", args=[activity.pk])
    url = reverse("casework:activity", args=[activity.pk])
    assert_outsider_gets_404(outsider_client, url, reverse("casework:activity_edit", args=[activity.pk]))
    client.post(url, {"date": "2024-05-02", "duration": "120", "n_f_25-34": "4", "n_m_65+": "2"})
    assert sorted(Participation.objects.values_list("sex", "age_band", "count")) == [("f", "25-34", 4), ("m", "65+", 2)]
    assert client.get(reverse("casework:activities")).status_code == 200
    from maillage.stats.crosstab import Params, Scope, build

    result = build(Params(measure="participants", dimensions=["sex", "theme1"]), Scope([organisation.pk]))
    assert result.tables[0].cells == {("f", "INCOME"): 4, ("m", "INCOME"): 2}
