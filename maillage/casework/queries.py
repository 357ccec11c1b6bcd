"""The read side of case work, scoped to the centres where the user works or coordinates."""

from __future__ import annotations

from django.db.models import Count, Max, Prefetch, Q, QuerySet

from maillage.casework.models import (
    AXES,
    Activity,
    CaseFile,
    CaseworkSettings,
    FollowUp,
    Person,
    Request,
)
from maillage.core.models import Organisation, Role, User
from maillage.core.tenancy import AnyUser, organisation_ids
from maillage.taxonomy.models import Category
from maillage.taxonomy.queries import active_categories

CASEWORK_ROLES = (Role.WORKER, Role.COORDINATOR)


def casework_organisation_ids(user: AnyUser) -> set[int]:
    return organisation_ids(user, CASEWORK_ROLES)


def casework_organisations(user: AnyUser) -> QuerySet[Organisation]:
    return Organisation.objects.filter(id__in=casework_organisation_ids(user))


def is_coordinator_of(user: AnyUser, organisation_id: int) -> bool:
    return organisation_id in organisation_ids(user, [Role.COORDINATOR])


def persons_visible_to(user: AnyUser) -> QuerySet[Person]:
    return Person.objects.filter(organisation_id__in=casework_organisation_ids(user)).select_related("organisation")


def case_files_visible_to(user: AnyUser) -> QuerySet[CaseFile]:
    return (
        CaseFile.objects.filter(organisation_id__in=casework_organisation_ids(user))
        .select_related("person", "organisation")
        .prefetch_related("workers")
    )


def case_file_list(user: AnyUser, *, text: str = "", open_only: bool = False) -> QuerySet[CaseFile]:
    files = case_files_visible_to(user).annotate(
        followup_count=Count("followups"), last_followup=Max("followups__date")
    )
    if open_only:
        files = files.filter(closed_on__isnull=True)
    text = text.strip()
    if text:
        files = files.filter(Q(person__reference__icontains=text) | Q(person__source_id=text))
    return files.order_by("-last_followup", "-opened_on", "-id")


def activities_visible_to(user: AnyUser) -> QuerySet[Activity]:
    return (
        Activity.objects.filter(organisation_id__in=casework_organisation_ids(user))
        .select_related("organisation", "subsidy")
        .prefetch_related("themes", "workers")
    )


def followups_of(case_file: CaseFile) -> QuerySet[FollowUp]:
    requests = Request.objects.select_related("theme__parent", "institution__parent", "stage__parent")
    return (
        case_file.followups.select_related("worker", "subsidy", "referred_service")
        .prefetch_related(Prefetch("requests", queryset=requests))
        .order_by("-date", "-id")
    )


def can_see_identity(user: User, person: Person, case_file: CaseFile | None = None) -> bool:
    """Names and contacts: the worker in charge and the coordinator only."""
    if is_coordinator_of(user, person.organisation_id):
        return True
    files = [case_file] if case_file is not None else list(person.case_files.prefetch_related("workers"))
    return any(user in f.workers.all() for f in files)


def can_read_note(user: User, follow_up: FollowUp) -> bool:
    return follow_up.worker_id == user.pk or is_coordinator_of(user, follow_up.organisation_id)


def store_identities(organisation: Organisation) -> bool:
    settings = CaseworkSettings.objects.filter(organisation=organisation).first()
    return bool(settings and settings.store_identities)


def recent_category_ids(user: User, organisation: Organisation, axis: str, limit: int = 8) -> list[int]:
    """The categories this worker used most recently on this axis, newest first (fast encoding)."""
    field = f"{axis}_id"
    rows = (
        Request.objects.filter(organisation=organisation, follow_up__worker=user, **{f"{field}__isnull": False})
        .values(field)
        .annotate(last=Max("follow_up__date"))
        .order_by("-last")[:limit]
    )
    from maillage.casework.follow_taxonomy import current_category_ids  # categories of earlier versions

    return current_category_ids(axis, [row[field] for row in rows])[:limit]


def category_choices(axis: str, recent: list[int]) -> list[tuple[str, list[tuple[int, str]]]]:
    """Choices grouped for a <select>: recently used first, then the level-1 groups of the published version."""
    categories = list(active_categories(AXES[axis]).order_by("position", "code"))
    by_id = {category.pk: category for category in categories}
    groups: list[tuple[str, list[tuple[int, str]]]] = []
    recent_choices = [(pk, _label(by_id[pk])) for pk in recent if pk in by_id]
    if recent_choices:
        from django.utils.translation import gettext

        groups.append((gettext("Recently used"), recent_choices))
    for top in (c for c in categories if c.level == 1):
        children = [(c.pk, _label(c)) for c in categories if c.parent_id == top.pk]
        groups.append((top.label, [(top.pk, _label(top)), *children]))
    return groups


def _label(category: Category) -> str:
    return f"{category.code} — {category.label}"


def open_requests_of_last_followup(case_file: CaseFile) -> list[Request]:
    last = case_file.followups.order_by("-date", "-id").first()
    if last is None:
        return []
    return list(last.requests.filter(is_open=True).select_related("theme", "institution", "stage"))
