from __future__ import annotations

import pytest

from maillage.core.audit import MASK, log_action, mask_sensitive
from maillage.core.models import AuditEntry, Organisation, User


def test_mask_sensitive_hides_secrets_and_identities_at_any_depth() -> None:
    data = {
        "role": "worker",
        "password": "hunter2",
        "person": {"full_name": "Jean", "postal_code": "1070", "phones": ["0470"]},
        "items": [{"comment": "lives with", "count": 3}],
        "note": "",
    }
    assert mask_sensitive(data) == {
        "role": "worker",
        "password": MASK,
        "person": {"full_name": MASK, "postal_code": "1070", "phones": MASK},
        "items": [{"comment": MASK, "count": 3}],
        "note": "",
    }


def test_log_action_records_actor_organisation_target_and_masked_data(worker: User, organisation: Organisation) -> None:
    entry = log_action(worker, "core.organisation.viewed", organisation, {"email": "x@example.org", "why": "check"})
    entry.refresh_from_db()
    assert (entry.actor, entry.organisation, entry.code) == (worker, organisation, "core.organisation.viewed")
    assert (entry.target_type, entry.target_id, entry.target_repr) == (
        "core.organisation",
        str(organisation.pk),
        "CSS Test",
    )
    assert entry.data == {"email": MASK, "why": "check"}


def test_log_action_refuses_codes_that_are_not_dotted(worker: User) -> None:
    with pytest.raises(ValueError, match="dotted"):
        log_action(worker, "Call Created")


def test_audit_log_is_append_only(worker: User) -> None:
    entry = log_action(worker, "core.test.done")
    entry.code = "core.test.changed"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(code="x.y")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).code == "core.test.done"
