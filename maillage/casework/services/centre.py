"""The centre's case-work settings: storing identities, the subsidy funding each worker."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from maillage.casework.models import (
    CaseworkSettings,
    WorkerSubsidy,
)
from maillage.core.audit import log_action
from maillage.core.models import Organisation, User


def retention_years() -> int:
    return int(getattr(settings, "MAILLAGE_CASEWORK_RETENTION_YEARS", 5))


def set_store_identities(actor: User, organisation: Organisation, store: bool) -> CaseworkSettings:
    with transaction.atomic():
        centre, _created = CaseworkSettings.objects.get_or_create(organisation=organisation)
        centre.store_identities = store
        centre.save(update_fields=["store_identities"])
        log_action(actor, "casework.settings.changed", organisation, {"store_identities": store})
    return centre


def set_worker_subsidy(actor: User, organisation: Organisation, worker: User, subsidy_id: int | None) -> None:
    with transaction.atomic():
        if subsidy_id is None:
            WorkerSubsidy.objects.filter(organisation=organisation, worker=worker).delete()
        else:
            WorkerSubsidy.objects.update_or_create(
                organisation=organisation, worker=worker, defaults={"subsidy_id": subsidy_id}
            )
        log_action(actor, "casework.worker_subsidy.changed", organisation, {"worker": worker.pk, "subsidy": subsidy_id})
