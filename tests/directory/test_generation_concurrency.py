"""Two directory writers touching the same services in opposite orders, on PostgreSQL: every write
locks the search generation row first, so the second waits for the first instead of deadlocking."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from maillage.directory.models import SearchChange, Service
from maillage.directory.search.generation import current_generation
from tests.directory.factories import make_service

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def _rename(pk: int, name: str) -> None:
    service = Service.objects.get(pk=pk)
    service.name_fr = name
    service.save()


def test_crosswise_writers_wait_in_turn_instead_of_deadlocking() -> None:
    first, second = make_service(name_fr="A").pk, make_service(name_fr="B").pk
    before = current_generation().number
    errors: list[BaseException] = []
    one_wrote_a, two_wrote_b = threading.Event(), threading.Event()
    order: list[str] = []

    def writer_one() -> None:
        try:
            with transaction.atomic():
                _rename(first, "A by one")
                one_wrote_a.set()
                # Writer two now tries B; without the lock taken first it would hold B and wait for us.
                two_wrote_b.wait(timeout=1.5)
                _rename(second, "B by one")
                order.append("one commits")
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    def writer_two() -> None:
        try:
            one_wrote_a.wait(timeout=5)
            with transaction.atomic():
                _rename(second, "B by two")
                two_wrote_b.set()
                order.append("two wrote B")
                _rename(first, "A by two")
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer_one), threading.Thread(target=writer_two)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert errors == []
    assert order == ["one commits", "two wrote B"]  # two waited for one's whole transaction
    assert dict(Service.objects.filter(pk__in=[first, second]).values_list("pk", "name_fr")) == {
        first: "A by two",
        second: "B by two",
    }
    # Four saves, four numbers in commit order, each naming its service. Only these two services' changes are
    # read: a database restored by serialized rollback (this file run alone) also holds "all services" changes
    # its restored data made, numbered from a generation row restored after them.
    assert list(
        SearchChange.objects.filter(number__gt=before, service_id__in=[first, second])
        .order_by("number")
        .values_list("number", "service_id")
    ) == [(before + 1, first), (before + 2, second), (before + 3, second), (before + 4, first)]
