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


def test_a_publication_holds_the_scheme_until_every_module_has_moved(v2_draft: SchemeVersion) -> None:
    """While a publication runs (its receivers moving the modules' references), a mapping change on the same
    draft and a new draft of the same scheme wait for it: the first is refused as the version is published by
    then, the second starts from the version just published. Nothing interleaves."""
    import time

    from maillage.taxonomy.signals import version_published

    services.import_categories_csv(None, v2_draft, services.export_categories_csv(v2_draft.previous))
    publishing = threading.Event()
    finished: list[str] = []

    def slow_module(sender, **kwargs):  # type: ignore[no-untyped-def]
        publishing.set()
        time.sleep(0.8)
        finished.append("moved")
        return {"slow module": 1}

    version_published.connect(slow_module, dispatch_uid="test-slow-module")
    results: dict[str, object] = {}

    def publish() -> None:
        translation.activate("en")
        try:
            results["publish"] = services.publish_version(None, SchemeVersion.objects.get(pk=v2_draft.pk))
        finally:
            connection.close()

    def after(name, action):  # type: ignore[no-untyped-def]
        def run() -> None:
            publishing.wait(5)
            translation.activate("en")
            try:
                done = action()
                results[name] = (list(finished), done)
            except ValidationError as error:
                results[name] = (list(finished), error.messages[0])
            finally:
                connection.close()

        return run

    old = v2_draft.previous.categories.get(code="FOOD.SHOP")
    target = v2_draft.categories.get(code="FOOD.SHOP")
    threads = [
        threading.Thread(target=publish),
        threading.Thread(target=after("mapping", lambda: services.record_mapping(None, old, target))),
        threading.Thread(
            target=after("draft", lambda: services.create_draft(None, Scheme.objects.get(pk=v2_draft.scheme_id)))
        ),
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        version_published.disconnect(dispatch_uid="test-slow-module")
    assert str(results["publish"]) == "themes v2"
    # Both waited for the publication to finish (its modules moved) before reading anything.
    assert results["mapping"] == (["moved"], "Version themes v2 is published and can no longer change.")
    moved, draft = results["draft"]  # type: ignore[misc]
    assert moved == ["moved"]
    assert (draft.number, draft.previous_id, draft.status) == (3, v2_draft.pk, "draft")
