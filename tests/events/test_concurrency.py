"""The last seats under a rush, on PostgreSQL: threads with their own connections register at once."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from maillage.events import services
from maillage.events.models import HOLDING, Participant, Registration, Status
from tests.events.factories import EventFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]

THREADS = 30


def _rush(event, people: list[tuple[str, str]]) -> tuple[Counter[str], list[BaseException]]:
    """Each thread (its own database connection) registers its share of people after a common start."""
    outcomes: Counter[str] = Counter()
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def work(share: list[tuple[str, str]]) -> None:
        try:
            start.wait()
            for email, organisation in share:
                try:
                    result = services.register(
                        event, services.RegistrationData(full_name=email, email=email, organisation_name=organisation)
                    )
                    outcome = result.registrations[0].status if result.created else "duplicate"
                except ValidationError:
                    outcome = "refused"
                with lock:
                    outcomes[outcome] += 1
        except BaseException as error:
            with lock:
                errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(people[i::THREADS],)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes, errors


def test_rush_for_the_last_seats_never_oversells_nor_exceeds_the_cap():
    event = EventFactory(capacity=40, per_organisation=2, confirmation_hours=48)
    # 300 people of 20 organisations (15 each) for 40 seats, at most 2 per organisation: both limits bind.
    people = [(f"p{n}@example.org", f"Asbl {n % 20}") for n in range(300)]
    outcomes, errors = _rush(event, people)
    assert errors == []
    held = Registration.objects.filter(event=event, status__in=HOLDING)
    per_organisation = Counter(held.values_list("participant__organisation_key", flat=True))
    assert held.count() == 40
    assert sorted(set(per_organisation.values())) == [2]
    assert outcomes[Status.PENDING] == 40
    assert outcomes[Status.PENDING] + outcomes[Status.WAITING] + outcomes["refused"] == 300
    assert Registration.objects.filter(event=event).count() == 300 - outcomes["refused"]


def test_rush_with_the_same_email_never_duplicates():
    event = EventFactory(capacity=40)
    outcomes, errors = _rush(event, [("double@example.org", "Asbl X")] * THREADS)
    assert errors == []
    assert (outcomes[Status.PENDING], outcomes["duplicate"]) == (1, THREADS - 1)
    assert Participant.objects.filter(event=event).count() == 1
    assert Registration.objects.filter(event=event).count() == 1


def test_rush_of_cancellations_and_registrations_keeps_capacity():
    event = EventFactory(capacity=10)
    holders = [
        services.register(event, services.RegistrationData(full_name="h", email=f"h{n}@x.org", organisation_name="H"))
        for n in range(10)
    ]
    barrier = threading.Barrier(20)
    errors: list[BaseException] = []

    def cancel(registration: Registration) -> None:
        try:
            barrier.wait()
            services.cancel_registration(registration)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    def join(n: int) -> None:
        try:
            barrier.wait()
            services.register(
                event, services.RegistrationData(full_name="n", email=f"n{n}@x.org", organisation_name="N")
            )
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=cancel, args=(h.registrations[0],)) for h in holders[:10]]
    threads += [threading.Thread(target=join, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Registration.objects.filter(event=event, status__in=HOLDING).count() <= 10


def test_one_organisation_picked_and_typed_at_once_never_passes_its_cap():
    """Issue 16: "Abbé Froidure" picked once and typed twice gave it 3 seats; now at most the cap, under a rush."""
    from tests.factories import OrganisationFactory

    froidure = OrganisationFactory(short_name="Abbé Froidure", name_fr="Maison Abbé Froidure", name_nl="")
    event = EventFactory(capacity=40, per_organisation=2)
    ways = [
        {"organisation": froidure},
        {"organisation_name": "Abbé Froidure"},
        {"organisation_name": "abbe froidure"},
        {"organisation_name": "ABBÉ FROIDURE ASBL"},
        {"organisation_name": "  Abbé-Froidure  "},
    ]
    outcomes: Counter[str] = Counter()
    errors: list[BaseException] = []
    lock = threading.Lock()
    people = [(n, ways[n % len(ways)]) for n in range(THREADS)]
    start = threading.Barrier(len(people))

    def work(n: int, way: dict) -> None:
        try:
            start.wait()
            email = f"froidure{n}@example.org"
            try:
                services.register(event, services.RegistrationData(full_name=email, email=email, **way))
                outcome = "registered"
            except ValidationError:
                outcome = "refused"
            with lock:
                outcomes[outcome] += 1
        except BaseException as error:
            with lock:
                errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=person) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert outcomes == {"registered": 2, "refused": THREADS - 2}
    held = Registration.objects.filter(event=event, status__in=HOLDING)
    assert set(held.values_list("participant__organisation_key", flat=True)) == {f"org:{froidure.pk}"}
    assert held.count() == 2
