"""One organisation counted once however its name is given: picked, typed, accented, in capitals, with "asbl"."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from maillage.events import services
from maillage.events.models import HOLDING, Participant, Registration
from maillage.events.services.identity import NAME_MAX, normalised_name
from tests.events.factories import EventFactory
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("Abbé Froidure", "abbe froidure"),
        ("  ABBE   FROIDURE  ", "abbe froidure"),
        ("abbé-froidure asbl", "abbe froidure"),
        ("Abbé Froidure, A.S.B.L.", "abbe froidure"),
        ("VZW Abbé Froidure", "abbe froidure"),
        ("Maison d'Accueil", "maison d accueil"),
        ("asbl", ""),
    ],
)
def test_names_are_normalised(typed, normalised):
    assert normalised_name(typed) == normalised


def _data(email: str, **fields) -> services.RegistrationData:
    return services.RegistrationData(full_name=email, email=email, **fields)


def test_picked_and_typed_names_of_one_organisation_share_the_cap():
    froidure = OrganisationFactory(short_name="Abbé Froidure", name_fr="Maison Abbé Froidure", name_nl="")
    event = EventFactory(capacity=40, per_organisation=2)
    first = services.register(event, _data("a@x.org", organisation=froidure))
    second = services.register(event, _data("b@x.org", organisation_name="abbe froidure"))
    with pytest.raises(ValidationError) as refused:
        services.register(event, _data("c@x.org", organisation_name="ABBÉ FROIDURE asbl"))
    assert "nombre maximum de personnes de votre organisation" in str(refused.value)
    with pytest.raises(ValidationError):
        services.register(event, _data("d@x.org", organisation_name="Maison Abbé-Froidure"))
    assert first.participant.organisation_key == second.participant.organisation_key == f"org:{froidure.pk}"
    # The typed name is kept as typed, and the participant is linked to the known organisation.
    assert (second.participant.organisation, second.participant.organisation_name) == (froidure, "abbe froidure")
    assert Registration.objects.filter(event=event, status__in=HOLDING).count() == 2


def test_typed_unknown_names_in_different_spellings_share_the_cap():
    event = EventFactory(capacity=40, per_organisation=1)
    services.register(event, _data("a@x.org", organisation_name="Le Pélican"))
    with pytest.raises(ValidationError):
        services.register(event, _data("b@x.org", organisation_name="le pelican asbl"))
    assert list(Participant.objects.filter(event=event).values_list("organisation_key", flat=True)) == [
        "name:le pelican"
    ]


def test_a_name_of_several_organisations_asks_which_one():
    OrganisationFactory(short_name="CPAS Ixelles", name_fr="Maison de quartier")
    OrganisationFactory(short_name="MQ Forest", name_fr="Maison de Quartier")
    event = EventFactory(capacity=40, per_organisation=2)
    with pytest.raises(ValidationError) as asked:
        services.register(event, _data("a@x.org", organisation_name="maison de quartier"))
    message = asked.value.message_dict["organisation"][0]
    assert "Plusieurs organisations s'appellent « maison de quartier »" in message
    assert "CPAS Ixelles" in message
    assert "MQ Forest" in message
    assert not Participant.objects.filter(event=event).exists()


def test_a_name_of_500_characters_is_refused_on_its_field():
    event = EventFactory(capacity=40)
    with pytest.raises(ValidationError) as refused:
        services.register(event, _data("a@x.org", organisation_name="A" * 500))
    assert refused.value.message_dict["organisation_name"] == [
        f"Un nom d'organisation compte au plus {NAME_MAX} caractères (celui-ci en compte 500)."
    ]
    assert not Participant.objects.filter(event=event).exists()


def test_the_form_shows_the_question_next_to_the_list(client):
    OrganisationFactory(short_name="Nord", name_fr="Le Relais")
    OrganisationFactory(short_name="Sud", name_fr="Le Relais")
    event = EventFactory(capacity=40, per_organisation=2)
    response = client.post(
        f"/events/{event.slug}/",
        {"full_name": "Ann", "email": "ann@x.org", "organisation_name": "LE RELAIS", "submission_key": "k1"},
    )
    assert response.status_code == 422
    assert "Plusieurs organisations s&#x27;appellent" in response.content.decode()
    assert not Participant.objects.filter(event=event).exists()
