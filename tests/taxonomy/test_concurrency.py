"""Two people starting a draft of the same scheme at the same moment: one draft, one clear refusal."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation

from maillage.taxonomy import services
from maillage.taxonomy.models import Scheme, SchemeVersion

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def run_together(target, count: int) -> list[object]:  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(count)
    results: list[object] = []

    def worker() -> None:
        barrier.wait()
        translation.activate("en")  # each thread has its own active language
        try:
            results.append(target())
        except ValidationError as error:
            results.append(error.messages[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_drafts_give_one_draft(scheme: Scheme, v1: SchemeVersion) -> None:
    results = run_together(lambda: services.create_draft(None, Scheme.objects.get(pk=scheme.pk)), 4)
    drafts = [result for result in results if isinstance(result, SchemeVersion)]
    refusals = sorted(result for result in results if isinstance(result, str))
    assert (len(drafts), refusals) == (
        1,
        ["Version themes v2 is still a draft: publish it before starting another one."] * 3,
    )
    assert list(scheme.versions.order_by("number").values_list("number", "status")) == [
        (1, "published"),
        (2, "draft"),
    ]


def test_concurrent_publications_publish_once(v2_draft: SchemeVersion) -> None:
    services.import_categories_csv(None, v2_draft, services.export_categories_csv(v2_draft.previous))
    results = run_together(lambda: services.publish_version(None, SchemeVersion.objects.get(pk=v2_draft.pk)), 3)
    assert sorted(str(result) for result in results) == [
        "Version themes v2 is published and can no longer change.",
        "Version themes v2 is published and can no longer change.",
        "themes v2",
    ]
