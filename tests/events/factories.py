"""Factories for events: an event with one session by default; themes, groups and sessions on demand."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from maillage.events.models import Event, EventKind, Group, Session, Theme
from tests.factories import OrganisationFactory


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    slug = factory.Sequence(lambda n: f"event-{n}")
    kind = EventKind.WEBINAR
    title_fr = factory.Sequence(lambda n: f"Webinaire {n}")
    title_nl = factory.Sequence(lambda n: f"Webinar {n}")
    description_fr = "Échanger entre acteurs de terrain."
    description_nl = "Uitwisselen tussen terreinwerkers."
    online_link = "https://meet.example.org/secret-room"
    place = ""
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=10))
    is_published = True

    @factory.post_generation
    def organisers(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.organisers.add(self.organisation, *(extracted or []))  # type: ignore[misc]


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme

    event = factory.SubFactory(EventFactory, kind=EventKind.WORKSHOP_SERIES)
    position = factory.Sequence(lambda n: n)
    title_fr = factory.Sequence(lambda n: f"Thème {n}")
    title_nl = factory.Sequence(lambda n: f"Thema {n}")


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group

    event = factory.SubFactory(EventFactory, kind=EventKind.INTERVISION)
    position = factory.Sequence(lambda n: n)
    name = factory.Sequence(lambda n: f"Groupe {n}")
    facilitators = "Anne Psy, Ben Social"
    capacity = 15
    per_organisation = 2


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    event = factory.SubFactory(EventFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=2, minutes=30))
