"""Changes on the people side: a worker's own card, its confirmation, quartiers, suggestions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from maillage.core.audit import log_action
from maillage.core.models import Commune, User
from maillage.directory.models import (
    CorrectionSuggestion,
    Quartier,
    Service,
    SuggestionStatus,
    Worker,
)
from maillage.taxonomy.models import Category

CARD_FIELDS = (
    "full_name",
    "function_fr",
    "function_nl",
    "email",
    "show_email",
    "phone",
    "show_phone",
    "consent",
    "languages",
)


def save_card(
    actor: User,
    service: Service,
    data: Mapping[str, Any],
    *,
    worker: Worker | None = None,
    needs: Iterable[Category] = (),
    communes: Iterable[Commune] = (),
    quartiers: Iterable[Quartier] = (),
) -> Worker:
    """A worker creates or updates their own card; saving it confirms it (and records the consent's time)."""
    with transaction.atomic():
        created = worker is None
        worker = Worker(service=service, user=actor) if worker is None else Worker.objects.get(pk=worker.pk)
        changed = [name for name in CARD_FIELDS if name in data and getattr(worker, name) != data[name]]
        for name in CARD_FIELDS:
            if name in data:
                setattr(worker, name, data[name])
        worker.service = service
        now = timezone.now()
        if worker.consent and worker.consent_at is None:
            worker.consent_at = now
        if not worker.consent:
            worker.consent_at = None
        worker.confirmed_at = now
        worker.save()
        worker.needs.set(list(needs))
        worker.area_communes.set(list(communes))
        worker.quartiers.set(list(quartiers))
        log_action(
            actor,
            "directory.worker.created" if created else "directory.worker.updated",
            worker,
            {"service": service.pk, "fields": changed, "own_card": True},
            organisation=service.organisation.organisation,
        )
    return worker


def confirm_card(actor: User, worker: Worker) -> Worker:
    """The worker (or an editor) confirms the card is still accurate."""
    with transaction.atomic():
        worker.confirmed_at = timezone.now()
        worker.save(update_fields=["confirmed_at"])
        log_action(actor, "directory.worker.verified", worker, organisation=worker.service.organisation.organisation)
    return worker


def record_people_read(actor: User, what: str, data: Mapping[str, Any], target: Any = None) -> None:
    """Reading identifying data of workers (a card, a people search's results) is audited."""
    log_action(actor, "directory.worker.read", target, {"what": what, **data})


def suggest_correction(service: Service, text: str, contact: str = "") -> CorrectionSuggestion:
    """A correction suggested on the public page (no account): kept for moderation."""
    with transaction.atomic():
        suggestion = CorrectionSuggestion.objects.create(service=service, text=text, contact=contact)
        log_action(None, "directory.service.corrected", service, {"suggestion": suggestion.pk, "received": True})
    return suggestion


def moderate_suggestion(actor: User, suggestion: CorrectionSuggestion, accepted: bool) -> CorrectionSuggestion:
    with transaction.atomic():
        suggestion.status = SuggestionStatus.ACCEPTED if accepted else SuggestionStatus.REJECTED
        suggestion.moderated_at = timezone.now()
        suggestion.moderated_by = actor
        suggestion.save(update_fields=["status", "moderated_at", "moderated_by"])
        log_action(
            actor,
            "directory.service.corrected",
            suggestion.service,
            {"suggestion": suggestion.pk, "accepted": accepted},
        )
    return suggestion
