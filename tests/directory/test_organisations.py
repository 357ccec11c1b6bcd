from __future__ import annotations

import pytest
from django.urls import reverse

from maillage.core.models import AuditEntry, Organisation, User
from maillage.directory.models import DirectoryOrganisation, Phone
from tests.conftest import assert_outsider_gets_404, client_for
from tests.directory.factories import DirectoryOrganisationFactory, make_service
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

FORM = {
    "name_fr": "Centre d'action sociale",
    "name_nl": "Centrum voor sociale actie",
    "description_fr": "Aide sociale générale.",
    "description_nl": "Algemene sociale hulp.",
    "email": "accueil@cas.example.org",
    "website": "cas.example.org",
    "phone": "02 512 34 56",
}


def test_coordinator_creates_the_entry_of_their_organisation(coordinator: User, organisation: Organisation) -> None:
    client = client_for(coordinator)
    page = client.get(reverse("directory:organisation_new"))
    assert page.status_code == 200
    assert list(page.context["form"].fields["organisation"].queryset) == [organisation]

    response = client.post(reverse("directory:organisation_new"), {**FORM, "organisation": organisation.pk})

    entry = DirectoryOrganisation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("directory:organisation_edit", args=[entry.pk])
    assert (entry.organisation, entry.name_fr, entry.name_nl, entry.email, entry.website) == (
        organisation,
        "Centre d'action sociale",
        "Centrum voor sociale actie",
        "accueil@cas.example.org",
        "https://cas.example.org",
    )
    assert list(Phone.objects.values_list("organisation_id", "number")) == [(entry.pk, "02 512 34 56")]
    audit = AuditEntry.objects.get(code="directory.organisation.created")
    assert (audit.actor, audit.organisation, audit.target_id) == (coordinator, organisation, str(entry.pk))
    # The coordinator can now add services to it.
    assert list(client.get(reverse("directory:service_new")).context["organisations"]) == [entry]


def test_coordinator_must_link_their_own_organisation(
    coordinator: User, organisation: Organisation, other_organisation: Organisation
) -> None:
    client = client_for(coordinator)
    missing = client.post(reverse("directory:organisation_new"), {**FORM, "phone": "12"})
    assert missing.status_code == 200
    assert missing.context["form"].errors == {
        "organisation": ["Ce champ est obligatoire."],
        "phone": ["Saisissez un numéro de téléphone belge, par ex. 02 512 34 56 ou +32 470 12 34 56."],
    }
    foreign = client.post(reverse("directory:organisation_new"), {**FORM, "organisation": other_organisation.pk})
    assert list(foreign.context["form"].errors) == ["organisation"]
    assert DirectoryOrganisation.objects.count() == 0


def test_errors_are_translated_next_to_the_fields(coordinator: User, organisation: Organisation) -> None:
    DirectoryOrganisationFactory(organisation=organisation)
    coordinator.language = "nl"
    coordinator.save(update_fields=["language"])
    client = client_for(coordinator)
    response = client.post(reverse("directory:organisation_new"), {**FORM, "organisation": organisation.pk})
    assert response.context["form"].errors == {
        "organisation": ["Deze lidorganisatie heeft al een vermelding in de gids."]
    }
    assert "Deze lidorganisatie heeft al een vermelding in de gids." in response.content.decode()


def test_coordinator_edits_and_removes_the_phone(coordinator: User, organisation: Organisation) -> None:
    entry = DirectoryOrganisationFactory(organisation=organisation, name_fr="Ancien nom")
    Phone.objects.create(organisation=entry, number="02 111 11 11")
    service = make_service(organisation=entry, name_fr="Permanence", name_nl="Permanentie")
    client = client_for(coordinator)
    page = client.get(reverse("directory:organisation_edit", args=[entry.pk]))
    assert page.context["form"]["phone"].value() == "02 111 11 11"

    response = client.post(
        reverse("directory:organisation_edit", args=[entry.pk]),
        {**FORM, "phone": "", "organisation": organisation.pk},
    )

    assert response.status_code == 302
    entry.refresh_from_db()
    service.refresh_from_db()
    assert entry.name_fr == "Centre d'action sociale"
    assert Phone.objects.count() == 0
    assert service.search_text == "permanence permanentie centre d action sociale centrum voor sociale actie"
    audit = AuditEntry.objects.get(code="directory.organisation.updated")
    assert audit.data == {
        "fields": ["name_fr", "name_nl", "description_fr", "description_nl", "email", "website", "phone"]
    }


def test_phone_is_changed_in_place(coordinator: User, organisation: Organisation) -> None:
    entry = DirectoryOrganisationFactory(organisation=organisation)
    phone = Phone.objects.create(organisation=entry, number="02 111 11 11")
    client_for(coordinator).post(
        reverse("directory:organisation_edit", args=[entry.pk]), {**FORM, "organisation": organisation.pk}
    )
    assert list(Phone.objects.values_list("pk", "number")) == [(phone.pk, "02 512 34 56")]


def test_federation_staff_create_a_non_member_and_link_it_later(
    federation_staff: User, other_organisation: Organisation
) -> None:
    client = client_for(federation_staff)
    response = client.post(reverse("directory:organisation_new"), {**FORM, "organisation": ""})
    entry = DirectoryOrganisation.objects.get()
    assert response.status_code == 302
    assert entry.organisation is None

    client.post(
        reverse("directory:organisation_edit", args=[entry.pk]), {**FORM, "organisation": other_organisation.pk}
    )
    entry.refresh_from_db()
    assert entry.organisation == other_organisation
    assert AuditEntry.objects.get(code="directory.organisation.updated").data == {"fields": ["organisation"]}

    client.post(reverse("directory:organisation_edit", args=[entry.pk]), {**FORM, "organisation": ""})
    entry.refresh_from_db()
    assert entry.organisation is None


def test_outsider_and_workers_get_404(
    outsider_client,
    worker: User,
    organisation: Organisation,  # type: ignore[no-untyped-def]
) -> None:
    entry = DirectoryOrganisationFactory(organisation=organisation)
    urls = [reverse("directory:organisation_edit", args=[entry.pk])]
    assert_outsider_gets_404(outsider_client, *urls)
    assert_outsider_gets_404(outsider_client, *urls, method="post")
    assert_outsider_gets_404(
        client_for(worker),
        *urls,
        reverse("directory:organisation_new"),
        reverse("directory:organisations"),
    )
    assert_outsider_gets_404(outsider_client, reverse("directory:organisation_edit", args=[999999]))


def test_list_query_count_is_flat(
    federation_staff: User,
    organisation: Organisation,
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    DirectoryOrganisationFactory(organisation=organisation, name_fr="B membre")
    client = client_for(federation_staff)
    client.get(reverse("directory:organisations"))  # warm the session
    with django_assert_max_num_queries(20) as one:
        client.get(reverse("directory:organisations"))
    DirectoryOrganisationFactory(organisation=None, name_fr="A autre")
    DirectoryOrganisationFactory(organisation=OrganisationFactory(), name_fr="C membre")
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(reverse("directory:organisations"))
    assert [entry.name_fr for entry in response.context["entries"]] == ["A autre", "B membre", "C membre"]
    assert "A autre</a> — non membre" in response.content.decode()


def test_coordinator_sees_their_entry_only_and_links(
    coordinator: User, organisation: Organisation, other_organisation: Organisation
) -> None:
    mine = DirectoryOrganisationFactory(organisation=organisation)
    DirectoryOrganisationFactory(organisation=other_organisation)
    client = client_for(coordinator)
    assert list(client.get(reverse("directory:organisations")).context["entries"]) == [mine]
    assert client.get(reverse("directory:pro")).context["can_manage_organisations"] is True
    home = client.get(reverse("core:home")).content.decode()
    assert reverse("directory:organisations") in home


def test_new_service_without_entry_leads_to_creating_the_organisation(coordinator: User) -> None:
    response = client_for(coordinator).get(reverse("directory:service_new"), follow=True)
    assert response.redirect_chain == [(reverse("directory:organisation_new"), 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "Ajoutez d'abord votre organisation au répertoire, puis ses services."
    ]
