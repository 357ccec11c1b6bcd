"""The directory follows a new version of the categories: service and worker needs and followers'
subscriptions move to the new codes in the publication's transaction (taxonomy's `version_published`).

A split is a live reference to every target: a service serving INCOME serves INCOME and DEBT, and a
follower of INCOME follows both (one more subscription). The search keys of the moved services are
rebuilt and the search index told, so a search by any need finds the same services as before.
"""

from __future__ import annotations

from typing import Any

from maillage.directory.models import Service, Subscription, Worker
from maillage.directory.search.generation import bump_generation
from maillage.directory.search.keys import refresh_search_keys
from maillage.taxonomy.signals import Moves


def _move_links(through: Any, owner_field: str, moves: Moves) -> set[int]:
    """Replace the links to old categories by links to where they go; the owners whose links moved."""
    old_links = list(
        through.objects.filter(category_id__in=list(moves.targets)).values_list("pk", owner_field, "category_id")
    )
    if not old_links:
        return set()
    owners = {owner for _pk, owner, _category in old_links}
    kept = set(
        through.objects.filter(**{f"{owner_field}__in": owners})
        .exclude(category_id__in=list(moves.targets))
        .values_list(owner_field, "category_id")
    )
    new_links = {
        (owner, new)
        for _pk, owner, category in old_links
        for new in moves.targets[category]
        if (owner, new) not in kept
    }
    through.objects.filter(pk__in=[pk for pk, _owner, _category in old_links]).delete()
    through.objects.bulk_create(
        [through(**{owner_field: owner, "category_id": new}) for owner, new in sorted(new_links)]
    )
    return owners


def _move_subscriptions(moves: Moves) -> int:
    moved = 0
    for subscription in Subscription.objects.filter(need_id__in=list(moves.targets)).order_by("pk"):
        targets = moves.targets[subscription.need_id or 0]
        same: dict[str, Any] = {"user_id": subscription.user_id, "commune_id": subscription.commune_id}
        if not targets:
            continue  # no equivalent (a version published without its mappings): left as it was
        first, *others = targets
        for other in others:
            Subscription.objects.get_or_create(
                **same, need_id=other, defaults={"last_sent_at": subscription.last_sent_at}
            )
        if Subscription.objects.filter(**same, need_id=first).exists():
            subscription.delete()  # already followed (a merge): one subscription is enough
        else:
            Subscription.objects.filter(pk=subscription.pk).update(need_id=first)
        moved += 1
    return moved


def follow(sender: Any, *, moves: Moves, **kwargs: Any) -> dict[str, int]:
    """Receiver of `taxonomy.signals.version_published`."""
    services = _move_links(Service.needs.through, "service_id", moves)
    workers = _move_links(Worker.needs.through, "worker_id", moves)
    for service in Service.objects.filter(pk__in=services):
        refresh_search_keys(service)
    # The people index finds a worker by its needs: its service is named for it to be read again.
    moved = services | set(Worker.objects.filter(pk__in=workers).values_list("service_id", flat=True))
    if moved:
        bump_generation(sorted(moved))
    return {
        "directory services": len(services),
        "directory workers": len(workers),
        "directory subscriptions": _move_subscriptions(moves),
    }
