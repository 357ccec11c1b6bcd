"""factory_boy factories for core and taxonomy; apps add theirs in tests/<app>/factories.py."""

from __future__ import annotations

import factory

from maillage.core.models import Membership, Organisation, Role, Sector, User
from maillage.taxonomy.models import Category, Scheme, SchemeVersion, VersionStatus

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Faker("name", locale="fr_BE")
    language = "fr"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save()


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    short_name = factory.Sequence(lambda n: f"Centre {n}")
    name_fr = factory.LazyAttribute(lambda o: f"Centre de service social {o.short_name}")
    name_nl = factory.LazyAttribute(lambda o: f"Centrum voor maatschappelijk werk {o.short_name}")
    sector = Sector.CASG
    postal_code = "1060"
    languages = factory.LazyFunction(lambda: ["fr", "nl"])


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.WORKER


class SchemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Scheme
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"scheme-{n}")
    label_fr = factory.LazyAttribute(lambda o: f"Schéma {o.code}")
    label_nl = factory.LazyAttribute(lambda o: f"Schema {o.code}")
    label_en = factory.LazyAttribute(lambda o: f"Scheme {o.code}")


class SchemeVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SchemeVersion

    scheme = factory.SubFactory(SchemeFactory)
    number = factory.Sequence(lambda n: n + 1)
    status = VersionStatus.PUBLISHED


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    version = factory.SubFactory(SchemeVersionFactory)
    code = factory.Sequence(lambda n: f"C{n}")
    level = 1
    label_fr = factory.LazyAttribute(lambda o: f"Catégorie {o.code}")
    label_nl = factory.LazyAttribute(lambda o: f"Categorie {o.code}")
    label_en = factory.LazyAttribute(lambda o: f"Category {o.code}")


def member(role: str = Role.WORKER, organisation: Organisation | None = None, **user_fields: object) -> User:
    """A user holding `role` in `organisation` (a new one if None)."""
    user = UserFactory(**user_fields)
    MembershipFactory(user=user, organisation=organisation or OrganisationFactory(), role=role)
    return user
