from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from maillage.core.models import Membership, Organisation, Role, User
from maillage.core.tenancy import (
    forget_roles,
    get_object_for_user_or_404,
    has_role,
    is_federation_staff,
    organisation_ids,
    remember_roles_for_this_request,
    scope_to_organisations,
    user_roles,
)
from tests.factories import MembershipFactory


def test_scope_keeps_only_the_users_organisations(
    worker: User, organisation: Organisation, other_organisation: Organisation
) -> None:
    MembershipFactory(organisation=other_organisation)
    memberships = scope_to_organisations(Membership.objects.all(), worker)
    assert list(memberships.values_list("organisation", flat=True)) == [organisation.pk]


def test_roles_filter_and_inactive_memberships(worker: User, organisation: Organisation) -> None:
    assert organisation_ids(worker, [Role.COORDINATOR]) == set()
    assert organisation_ids(worker) == {organisation.pk}
    assert user_roles(worker) == {Role.WORKER}
    worker.memberships.update(is_active=False)
    assert organisation_ids(worker) == set()
    assert has_role(worker, Role.WORKER) is False


def test_federation_staff_and_anonymous(federation_staff: User, worker: User) -> None:
    assert is_federation_staff(federation_staff) is True
    assert is_federation_staff(worker) is False
    anonymous = AnonymousUser()
    assert organisation_ids(anonymous) == set()
    assert user_roles(anonymous) == set()


def test_get_object_for_user_or_404_hides_other_organisations(worker: User, other_organisation: Organisation) -> None:
    visible = scope_to_organisations(Organisation.objects.all(), worker, field="id")
    with pytest.raises(Http404):
        get_object_for_user_or_404(visible, pk=other_organisation.pk)
    with pytest.raises(Http404):
        get_object_for_user_or_404(visible, pk="not-a-number")
    assert get_object_for_user_or_404(visible, pk=worker.memberships.get().organisation_id).short_name == "CSS Test"


def test_the_request_memo_answers_every_role_question_from_one_query(
    worker: User, organisation: Organisation, other_organisation: Organisation, django_assert_num_queries
) -> None:
    MembershipFactory(user=worker, organisation=other_organisation, role=Role.COORDINATOR)
    remember_roles_for_this_request(worker)
    with django_assert_num_queries(1):
        assert has_role(worker, Role.COORDINATOR)
        assert not has_role(worker, Role.FEDERATION_STAFF)
        assert organisation_ids(worker) == {organisation.pk, other_organisation.pk}
        assert organisation_ids(worker, [Role.WORKER]) == {organisation.pk}
        assert user_roles(worker) == {Role.WORKER, Role.COORDINATOR}


def test_forgetting_the_memo_reads_the_changed_memberships(worker: User, other_organisation: Organisation) -> None:
    remember_roles_for_this_request(worker)
    assert not has_role(worker, Role.COORDINATOR)
    MembershipFactory(user=worker, organisation=other_organisation, role=Role.COORDINATOR)
    assert not has_role(worker, Role.COORDINATOR)  # the memo holds for the rest of the request
    forget_roles(worker)
    assert has_role(worker, Role.COORDINATOR)


def test_without_the_memo_every_question_reads_afresh(worker: User, other_organisation: Organisation) -> None:
    assert not has_role(worker, Role.COORDINATOR)
    MembershipFactory(user=worker, organisation=other_organisation, role=Role.COORDINATOR)
    assert has_role(worker, Role.COORDINATOR)
