"""Factories for case work: persons with their case file, follow-ups with coded requests."""

from __future__ import annotations

import datetime

import factory

from maillage.casework.models import CaseFile, FollowUp, Person, Request, Subsidy
from maillage.taxonomy.models import Category
from maillage.taxonomy.queries import published_version
from tests.factories import OrganisationFactory, UserFactory


def category(scheme: str, code: str) -> Category:
    version = published_version(scheme)
    assert version is not None, f"{scheme} is not loaded: use the casework_schemes fixture"
    return Category.objects.get(version=version, code=code)


class SubsidyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subsidy
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"subsidy-{n}")
    name = factory.LazyAttribute(lambda o: f"Subside {o.code}")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    organisation = factory.SubFactory(OrganisationFactory)
    reference = factory.Sequence(lambda n: f"P-{n + 1:06d}")
    birth_year = 1980
    age_band = "35-44"
    sex = "f"
    postal_code = "1060"


class CaseFileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseFile
        skip_postgeneration_save = True

    person = factory.SubFactory(PersonFactory)
    organisation = factory.SelfAttribute("person.organisation")
    opened_on = datetime.date(2024, 1, 1)

    @factory.post_generation
    def workers(self, create: bool, extracted: list | None, **kwargs: object) -> None:
        if create and extracted:
            self.workers.set(extracted)


class FollowUpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FollowUp

    case_file = factory.SubFactory(CaseFileFactory)
    organisation = factory.SelfAttribute("case_file.organisation")
    person = factory.SelfAttribute("case_file.person")
    date = datetime.date(2024, 3, 1)
    mode = "appointment"
    worker = factory.SubFactory(UserFactory)
    age_band = "35-44"


class RequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Request

    follow_up = factory.SubFactory(FollowUpFactory)
    organisation = factory.SelfAttribute("follow_up.organisation")
    date = factory.SelfAttribute("follow_up.date")
    theme = factory.LazyFunction(lambda: category("request-themes", "FOOD.PARCEL"))
