"""One-time submission keys: a repeat of a creating form returns the first result, even when concurrent."""

from __future__ import annotations

import threading

import pytest
from django.contrib.messages.storage.fallback import FallbackStorage
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory

from maillage.core import submission
from maillage.core.audit import log_action
from maillage.core.models import AuditEntry, SubmissionKey, User


def _post(user: User, key: str | None):  # type: ignore[no-untyped-def]
    request = RequestFactory().post("/x/", {submission.FIELD_NAME: key} if key else {})
    request.user = user
    request.session = {}  # type: ignore[assignment]
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    return request


def _create(user: User):  # type: ignore[no-untyped-def]
    return lambda: log_action(user, "core.test.created")


def _describe(entry: AuditEntry) -> tuple[str, str]:
    return f"/entries/{entry.pk}/", f"Entry #{entry.pk} was already saved."


@pytest.mark.django_db
def test_a_repeated_key_answers_with_the_first_result(worker):
    key = submission.new_key()
    first = submission.create_once(_post(worker, key), "core.test", _create(worker), _describe)
    again = submission.create_once(_post(worker, key), "core.test", _create(worker), _describe)
    assert first.repeated is False
    assert again == submission.Outcome(
        None, repeated=True, url=f"/entries/{first.result.pk}/", message=f"Entry #{first.result.pk} was already saved."
    )
    assert AuditEntry.objects.filter(code="core.test.created").count() == 1
    assert submission.previous_result(_post(worker, key), "core.test") == again
    response = again.redirect(_post(worker, key))
    assert response["Location"] == f"/entries/{first.result.pk}/"


@pytest.mark.django_db
def test_a_failed_creation_leaves_the_key_free_for_the_corrected_form(worker):
    key = submission.new_key()

    def fail() -> AuditEntry:
        log_action(worker, "core.test.created")
        raise ValueError("refused by the service")

    with pytest.raises(ValueError, match="refused"):
        submission.create_once(_post(worker, key), "core.test", fail, _describe)
    assert SubmissionKey.objects.count() == 0
    assert submission.create_once(_post(worker, key), "core.test", _create(worker), _describe).repeated is False


@pytest.mark.django_db
def test_someone_elses_key_never_reveals_their_result(worker, outsider):
    key = submission.new_key()
    submission.create_once(_post(worker, key), "core.test", _create(worker), _describe)
    stolen = submission.create_once(_post(outsider, key), "core.test", _create(outsider), _describe)
    assert (stolen.repeated, stolen.message, stolen.url) == (True, "", "/x/")
    assert submission.previous_result(_post(outsider, key), "core.test") is None


@pytest.mark.django_db
@pytest.mark.parametrize("key", [None, "short", "<script>alert(1)</script>xxxxxxxxx"])
def test_no_key_or_a_malformed_key_just_creates(worker, key):
    for _ in range(2):
        assert submission.create_once(_post(worker, key), "core.test", _create(worker), _describe).repeated is False
    assert AuditEntry.objects.filter(code="core.test.created").count() == 2


def test_the_template_tag_keeps_the_posted_key_when_a_form_comes_back_with_errors(rf):
    template = Template("{% load submission %}{% submission_key_input %}")
    fresh = template.render(Context({"request": rf.get("/")}))
    assert fresh.startswith('<input type="hidden" name="submission_key" value="')
    key = submission.new_key()
    again = template.render(Context({"request": rf.post("/", {"submission_key": key})}))
    assert again == f'<input type="hidden" name="submission_key" value="{key}">'


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_of_one_key_make_one_record(worker):
    """Eight threads post the same key at once: one record, seven answers with its result."""
    key = submission.new_key()
    barrier = threading.Barrier(8)
    outcomes: list[submission.Outcome] = []
    errors: list[BaseException] = []

    def post() -> None:
        try:
            barrier.wait()
            outcomes.append(submission.create_once(_post(worker, key), "core.test", _create(worker), _describe))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    created = [outcome for outcome in outcomes if not outcome.repeated]
    assert len(created) == 1
    entry = AuditEntry.objects.get(code="core.test.created")
    assert (
        sorted(outcome.message for outcome in outcomes if outcome.repeated)
        == [f"Entry #{entry.pk} was already saved."] * 7
    )
