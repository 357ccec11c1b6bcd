"""One obvious way to scope what a user may see.

A query is scoped with `scope_to_organisations(qs, user, roles)`; a view fetches
one object with `get_object_for_user_or_404`, so someone of another
organisation gets 404, never 403, and learns nothing about the object.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.http import Http404
from django.utils import timezone

from maillage.core.models import Membership, Organisation, Role, User

M = TypeVar("M", bound=models.Model)
AnyUser = User | AnonymousUser


def active_memberships(user: AnyUser, roles: Iterable[str] | None = None) -> models.QuerySet[Membership]:
    if not user.is_authenticated:
        return Membership.objects.none()
    memberships = (
        Membership.objects.filter(user=user, is_active=True)
        .filter(models.Q(expires_at=None) | models.Q(expires_at__gt=timezone.now()))
        .select_related("organisation")
    )
    if roles is not None:
        memberships = memberships.filter(role__in=list(roles))
    return memberships


# Role questions asked during one request are answered from one query: the middleware turns the
# memo on for request.user only, so a user object held elsewhere (a test, a job) always reads afresh.
_MEMO = "_maillage_active_roles"


def remember_roles_for_this_request(user: AnyUser) -> None:
    setattr(user, _MEMO, None)


def forget_roles(user: AnyUser) -> None:
    """After changing this person's memberships, so that the same request sees the change."""
    if hasattr(user, _MEMO):
        setattr(user, _MEMO, None)


def _active_roles(user: AnyUser) -> frozenset[tuple[int, str]] | None:
    """(organisation id, role) pairs from the request memo, or None when the memo is off."""
    if not hasattr(user, _MEMO):
        return None
    pairs: frozenset[tuple[int, str]] | None = getattr(user, _MEMO)
    if pairs is None:
        pairs = frozenset(active_memberships(user).values_list("organisation_id", "role"))
        setattr(user, _MEMO, pairs)
    return pairs


def organisation_ids(user: AnyUser, roles: Iterable[str] | None = None) -> set[int]:
    """Ids of the organisations where the user holds one of `roles` (any role if None)."""
    pairs = _active_roles(user)
    if pairs is None:
        return set(active_memberships(user, roles).values_list("organisation_id", flat=True))
    wanted = None if roles is None else set(roles)
    return {organisation for organisation, role in pairs if wanted is None or role in wanted}


def organisations_of(user: AnyUser, roles: Iterable[str] | None = None) -> models.QuerySet[Organisation]:
    return Organisation.objects.filter(id__in=organisation_ids(user, roles))


def user_roles(user: AnyUser) -> set[str]:
    pairs = _active_roles(user)
    if pairs is None:
        return set(active_memberships(user).values_list("role", flat=True))
    return {role for _organisation, role in pairs}


def has_role(user: AnyUser, *roles: str) -> bool:
    pairs = _active_roles(user)
    if pairs is None:
        return active_memberships(user, roles).exists()
    return any(role in roles for _organisation, role in pairs)


def is_federation_staff(user: AnyUser) -> bool:
    return has_role(user, Role.FEDERATION_STAFF, Role.ADMINISTRATOR)


def scope_to_organisations(
    queryset: models.QuerySet[M],
    user: AnyUser,
    roles: Iterable[str] | None = None,
    *,
    field: str = "organisation",
) -> models.QuerySet[M]:
    """Rows whose `field` is one of the user's organisations (for the given roles)."""
    return queryset.filter(**{f"{field}__in": organisation_ids(user, roles)})


def get_object_for_user_or_404(queryset: models.QuerySet[M], **lookup: object) -> M:
    """Fetch from an already-scoped queryset; anything outside it is 404."""
    try:
        return queryset.get(**lookup)
    except (ObjectDoesNotExist, ValueError):
        raise Http404 from None
