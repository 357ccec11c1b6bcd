"""One nomenclature across the product: publishing version 2 of the request themes keeps every module working.

Version 2 merges MENTAL into HEALTH (MENTAL.DISTRESS and MENTAL.ADDICTION become HEALTH.MENTAL), splits INCOME
into INCOME and DEBT (INCOME.DEBT moves to DEBT.OVER), renames ADMIN and retires DIGITAL.EQUIPMENT. Then the
directory search and sheet, the helpline referral picker and call logging, the case-work encoding, an import
with a saved mapping profile and the cross-tab read in version 1 and 2 are exercised, each against a figure
counted again here from the raw rows and the mapping this test declares (never through taxonomy.reading).

The rule for splits (taxonomy.reading): an old record of a split code counts under the joined key of its
targets ("INCOME+DEBT", "Income … or Debt — before version 2"), never under one of them; read back in version
1, a new code made of several old ones counts under their joined key, one made of a single old code under it.
"""

from __future__ import annotations

import datetime
from collections import Counter
from datetime import time

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from maillage.casework.models import FollowUp, ImportRun, SavedReport
from maillage.casework.models import Request as CaseRequest
from maillage.casework.schemes import ensure_casework_schemes
from maillage.casework.services.followups import FollowUpData, RequestData, record_follow_up
from maillage.core.audit import AuditEntry
from maillage.core.models import Role
from maillage.directory import queries as directory
from maillage.directory import services as directory_services
from maillage.directory.models import Subscription
from maillage.helpline.models import Request as CallRequest
from maillage.helpline.referrals import NO_SERVICE_PREFIX, picker_choices
from maillage.stats.crosstab import TOTAL, Params, Scope, build
from maillage.taxonomy import services as taxonomy
from maillage.taxonomy.csv_format import category_lines
from maillage.taxonomy.models import Category, Scheme, SchemeVersion
from maillage.taxonomy.queries import published_version
from maillage.taxonomy.reading import UnknownVersion, version_to_read
from tests.casework.factories import CaseFileFactory, FollowUpFactory, PersonFactory, RequestFactory
from tests.conftest import client_for
from tests.directory.factories import make_service
from tests.factories import OrganisationFactory, member
from tests.helpline.factories import log

pytestmark = pytest.mark.django_db

SCHEME = "request-themes"
# Where each version-1 code goes in version 2; a code not listed stays itself.
FORWARD: dict[str, tuple[str, ...]] = {
    "MENTAL": ("HEALTH",),
    "MENTAL.DISTRESS": ("HEALTH.MENTAL",),
    "MENTAL.ADDICTION": ("HEALTH.MENTAL",),
    "INCOME": ("INCOME", "DEBT"),
    "INCOME.DEBT": ("DEBT.OVER",),
}
GONE = {"MENTAL", "MENTAL.DISTRESS", "MENTAL.ADDICTION", "INCOME.DEBT"}
NEW = {"HEALTH.MENTAL", "DEBT", "DEBT.OVER"}
# Version-1 case-work requests of the centre, by code: written before the publication.
BEFORE = {
    "INCOME": 5,
    "INCOME.DEBT": 4,
    "INCOME.JOB": 3,
    "HEALTH": 2,
    "HEALTH.ACCESS": 3,
    "MENTAL": 1,
    "MENTAL.DISTRESS": 2,
    "DIGITAL.EQUIPMENT": 2,
    "ADMIN.LEGAL": 2,
}
NEEDS = {
    "income": ["INCOME"],
    "debt": ["INCOME.DEBT"],
    "mental": ["MENTAL"],
    "distress": ["MENTAL.DISTRESS"],
    "access": ["HEALTH.ACCESS"],
    "food": ["FOOD.PARCEL"],
    "digital": ["DIGITAL.EQUIPMENT"],
}


@pytest.fixture(autouse=True)
def _english(settings):  # type: ignore[no-untyped-def]
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with translation.override("en"):
        yield


def forward(code: str) -> tuple[str, ...]:
    return FORWARD.get(code, (code,))


def backward(code: str) -> tuple[str, ...]:
    """The version-1 codes a version-2 code comes from (the inverse of FORWARD)."""
    sources = tuple(sorted(old for old, new in FORWARD.items() if code in new))
    return sources or (code,)


def parent(code: str) -> str:
    return code.split(".")[0]


def key_in(number: int, level: int, code: str, coded_in: int) -> frozenset[str]:
    """The key (as the set of its member codes) a record coded `code` in version `coded_in` counts under."""
    if coded_in == number:
        targets: tuple[str, ...] = (code,)
    else:
        targets = forward(code) if number == 2 else backward(code)
    return frozenset(parent(t) if level == 1 else t for t in targets)


def by_code(version: SchemeVersion) -> dict[str, Category]:
    return {category.code: category for category in Category.objects.filter(version=version)}


def publish_version_2() -> SchemeVersion:
    return taxonomy.publish_version(None, draft_version_2())


def draft_version_2() -> SchemeVersion:
    """Through the taxonomy services: a copy of version 1, its file changed, the mappings (not published)."""
    draft = taxonomy.create_draft(None, Scheme.objects.get(code=SCHEME), title="2026")
    rows = [row for row in taxonomy.category_rows(draft) if row["code"] not in GONE]
    for row in rows:
        if row["code"] == "ADMIN":
            row.update(label_en="Paperwork and legal aid", label_fr="Démarches et droit")
        if row["code"] == "DIGITAL.EQUIPMENT":
            row["active"] = "no"
    health = next(index for index, row in enumerate(rows) if row["code"] == "HEALTH.INSURANCE")
    rows.insert(
        health + 1,
        dict(rows[health], code="HEALTH.MENTAL", label_fr="Santé mentale", label_nl="Geestelijke gezondheid",
             label_en="Mental health"),
    )  # fmt: skip
    income = next(index for index, row in enumerate(rows) if row["code"] == "ENERGY")
    debt = dict(rows[0], code="DEBT", parent_code="", label_fr="Dettes", label_nl="Schulden", label_en="Debt")
    over = dict(rows[0], code="DEBT.OVER", parent_code="DEBT", label_fr="Surendettement", label_nl="Schuldoverlast",
                label_en="Over-indebtedness")  # fmt: skip
    rows[income:income] = [debt, over]
    parsed = taxonomy.import_categories_csv(None, draft, "".join(category_lines(rows)))
    assert parsed.errors == []
    old, new = by_code(draft.previous), by_code(draft)  # type: ignore[arg-type]
    taxonomy.record_mappings(
        None, [(old[source], new[target]) for source, targets in FORWARD.items() for target in targets]
    )
    return draft


@pytest.fixture
def world(federation_staff):  # type: ignore[no-untyped-def]
    ensure_casework_schemes()
    v1 = published_version(SCHEME)
    assert v1 is not None
    codes = by_code(v1)
    everyday = "MO,TU,WE,TH,FR,SA,SU"
    services = {
        name: make_service(
            name_fr=f"Service {name}",
            needs=[codes[code] for code in needs],
            postal_code="1060",
            serves=["1060"],
            languages=["fr"],
            hours=[(everyday, time(0, 0), time(23, 59))],
        )
        for name, needs in NEEDS.items()
    }
    centre = OrganisationFactory(short_name="CSS Sud-Est", postal_code="1060")
    worker = member(Role.WORKER, centre, full_name="Awa Worker", language="en")
    coordinator = member(Role.COORDINATOR, centre, full_name="Cora Coordinator", language="en")
    files = [CaseFileFactory(person=PersonFactory(organisation=centre, reference=f"P-{i:06d}")) for i in range(3)]
    files[0].person.source_id = "A1"
    files[0].person.save(update_fields=["source_id"])
    number = 0
    for code, count in BEFORE.items():
        for _ in range(count):
            follow_up = FollowUpFactory(
                case_file=files[number % 3], worker=worker, date=datetime.date(2025, 1 + number % 12, 10)
            )
            RequestFactory(follow_up=follow_up, theme=codes[code], is_open=number % 2 == 0)
            number += 1
    follower = member(Role.WORKER, centre, full_name="Fabien Follower", language="en")
    for code in ("INCOME", "MENTAL", "HEALTH"):
        directory_services.subscribe(follower, None, codes[code])
    report = SavedReport.objects.create(
        organisation=centre,
        owner=coordinator,
        name="Santé et revenus",
        params={"measure": "requests", "dimensions": ["theme1"], "filters": {"theme1": ["MENTAL", "INCOME"]}},
    )
    pinned = SavedReport.objects.create(
        organisation=centre,
        owner=coordinator,
        name="En version 1",
        params={"dimensions": ["theme1"], "filters": {"theme1": ["MENTAL"]}, "versions": {"theme": 1}},
    )
    return {
        "v1": v1,
        "services": services,
        "centre": centre,
        "worker": worker,
        "coordinator": coordinator,
        "files": files,
        "follower": follower,
        "report": report,
        "pinned": pinned,
        "staff": federation_staff,
    }


def search_names(category: Category) -> set[str]:
    found = directory.search(directory.SearchCriteria(category=category, limit=50))
    return {str(suggestion.service.name).removeprefix("Service ") for suggestion in found}


def needs_now() -> dict[str, set[str]]:
    """The services' needs as stored, by service name (the raw rows)."""
    result: dict[str, set[str]] = {}
    for name in NEEDS:
        service = directory.Service.objects.get(name_fr=f"Service {name}")
        result[name] = set(service.needs.values_list("code", flat=True))
    return result


def expected_search(level1: str, needs: dict[str, set[str]]) -> set[str]:
    """A level-1 need finds the services tagged with it or any of its level-2 needs."""
    return {name for name, codes in needs.items() if any(parent(code) == level1 for code in codes)}


def picker(code: str) -> set[str]:
    values = {"requests-0-category": code, "postal_code": "1060", "language": "fr"}
    chosen = [
        value for value, _label in picker_choices(values, "requests-0") if not value.startswith(NO_SERVICE_PREFIX)
    ]
    return {str(directory.Service.objects.get(pk=int(pk)).name).removeprefix("Service ") for pk in chosen}


def crosstab(centre, number: int, level: int) -> tuple[dict[frozenset[str], int], int]:  # type: ignore[no-untyped-def]
    result = build(
        Params(measure="requests", dimensions=[f"theme{level}"], versions={"theme": number}), Scope([centre.pk])
    )
    table = result.tables[0]
    assert result.versions["theme"].number == number
    rows = {frozenset(row.split("+")): table.value(row, TOTAL) for row in table.row_keys if table.value(row, TOTAL)}
    return rows, table.total


def raw_requests(centre) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    return [
        (r.theme.code, r.theme.version.number)
        for r in CaseRequest.objects.filter(organisation=centre).select_related("theme__version")
    ]


def test_publishing_version_2_keeps_every_module_working(world, responder_line):  # type: ignore[no-untyped-def]
    responder = responder_line
    v1_codes = by_code(world["v1"])
    # Before: the directory searched by the version-1 needs, the picker, the cross-tab.
    needs_before = needs_now()
    before_search = {code: search_names(v1_codes[code]) for code in ("INCOME", "MENTAL", "HEALTH", "DIGITAL")}
    assert before_search == {code: expected_search(code, needs_before) for code in before_search}
    assert before_search["MENTAL"] == {"mental", "distress"}
    picker_before = {code: picker(code) for code in ("MENTAL.DISTRESS", "INCOME.DEBT")}
    assert picker_before == {"MENTAL.DISTRESS": {"mental", "distress"}, "INCOME.DEBT": {"income", "debt"}}
    log(responder, {"category": "MENTAL.DISTRESS", "action": "information"})
    before_v1 = {level: crosstab(world["centre"], 1, level) for level in (1, 2)}

    v2 = publish_version_2()
    v2_codes = by_code(v2)
    v1 = SchemeVersion.objects.get(pk=world["v1"].pk)
    assert (v1.status, v2.status, v2.number) == ("retired", "published", 2)

    # One audit entry for the publication, with what moved in each module.
    entry = AuditEntry.objects.filter(code="taxonomy.version.published", target_repr="request-themes v2").get()
    assert entry.data["moved"] == {
        "directory services": 7,  # every need is a version-1 category: all move
        "directory workers": 0,
        "directory subscriptions": 3,
        "casework saved reports": 1,
    }

    # Directory: every need is a version-2 category; a search by any need finds what it found before.
    needs_after = needs_now()
    assert needs_after == {name: {t for code in needs_before[name] for t in forward(code)} for name in NEEDS}
    assert not directory.Service.objects.filter(needs__version=v1).exists()
    after_search = {code: search_names(v2_codes[code]) for code in ("INCOME", "DEBT", "HEALTH", "DIGITAL")}
    assert after_search == {code: expected_search(code, needs_after) for code in after_search}
    # The merge: HEALTH finds what HEALTH and MENTAL found (1 + 2 = 3 services).
    assert (
        after_search["HEALTH"] == before_search["HEALTH"] | before_search["MENTAL"] == {"access", "mental", "distress"}
    )
    # The split: INCOME's services are found under INCOME and under DEBT, none lost.
    assert after_search["INCOME"] | after_search["DEBT"] == before_search["INCOME"] == {"income", "debt"}
    assert (after_search["INCOME"], after_search["DEBT"]) == ({"income"}, {"income", "debt"})
    assert after_search["DIGITAL"] == before_search["DIGITAL"] == {"digital"}  # retired, still its need
    # The service sheet shows the new labels.
    sheet = client_for(world["staff"]).get(reverse("directory:service", args=[world["services"]["income"].pk]))
    assert sheet.status_code == 200
    assert "Revenus, emploi et dettes, Dettes" in sheet.content.decode()  # staff reads French

    # Subscriptions: INCOME is followed as INCOME and DEBT, MENTAL became HEALTH (already followed: one).
    followed = sorted(
        Subscription.objects.filter(user=world["follower"]).values_list("need__code", "need__version__number")
    )
    assert followed == [("DEBT", 2), ("HEALTH", 2), ("INCOME", 2)]

    # Helpline: the referral picker offers the same services under the new codes; a call logs a new code.
    assert picker("HEALTH.MENTAL") == picker_before["MENTAL.DISTRESS"]
    assert picker("DEBT.OVER") == picker_before["INCOME.DEBT"]
    call = log(responder, {"category": "DEBT.OVER", "action": "information"})
    assert [(r.category.code, r.category.version_id, r.theme.code) for r in call.requests.all()] == [
        ("DEBT.OVER", v2.pk, "DEBT")
    ]
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        log(responder, {"category": "MENTAL.DISTRESS", "action": "information"})
    assert refused.value.message_dict == {
        "requests-0-category": [
            "MENTAL.DISTRESS belongs to a retired version of the request themes; choose a current category."
        ]
    }
    assert CallRequest.objects.count() == 2

    # Case work: the encoding offers recently used categories in version 2, and records a new code.
    from maillage.casework.queries import recent_category_ids

    recent = Category.objects.filter(pk__in=recent_category_ids(world["worker"], world["centre"], "theme", 20))
    assert {category.version_id for category in recent} == {v2.pk}
    assert {"HEALTH.MENTAL", "DEBT.OVER", "INCOME", "DEBT"} <= {category.code for category in recent}
    follow_up = record_follow_up(
        world["worker"],
        world["files"][1],
        FollowUpData(date=datetime.date(2026, 12, 1), mode="appointment", worker=world["worker"]),
        [RequestData(theme=v2_codes["DEBT.OVER"]), RequestData(theme=v2_codes["HEALTH.MENTAL"])],
    )
    assert sorted(r.theme.code for r in follow_up.requests.all()) == ["DEBT.OVER", "HEALTH.MENTAL"]

    # An import with the saved mapping profile: old codes go through the mapping, new codes are taken as is.
    coordinator = client_for(world["coordinator"])
    coordinator.post(
        reverse("casework:import_mapping", args=["followups"]),
        {"source_id": "id", "person_source_id": "personne", "date": "date", "mode": "mode", "theme": "theme"},
    )
    rows = "id,personne,date,mode,theme\nF1,A1,2026-11-02,Phone,MENTAL.ADDICTION\nF2,A1,2026-11-03,Phone,DEBT\n"
    coordinator.post(
        reverse("casework:import"), {"kind": "followups", "file": SimpleUploadedFile("f.csv", rows.encode())}
    )
    run = ImportRun.objects.get()
    assert (run.status, run.created, run.errors) == ("succeeded", 2, [])
    imported = FollowUp.objects.filter(source_id__in=["F1", "F2"]).order_by("source_id")
    assert [(f.requests.get().theme.code, f.requests.get().theme.version_id) for f in imported] == [
        ("HEALTH.MENTAL", v2.pk),
        ("DEBT", v2.pk),
    ]

    # Saved reports read in the version in force follow the codes; one pinned to version 1 stays.
    world["report"].refresh_from_db()
    world["pinned"].refresh_from_db()
    assert world["report"].params["filters"] == {"theme1": ["HEALTH", "INCOME", "DEBT", "INCOME+DEBT"]}
    assert world["pinned"].params["filters"] == {"theme1": ["MENTAL"]}

    # The cross-tab read in version 1 and in version 2: every row equals a count from the raw rows and this
    # test's mapping; totals equal both ways; version 1 before the publication reads as it did.
    raw = raw_requests(world["centre"])
    assert len(raw) == sum(BEFORE.values()) + 4
    figures = {}
    for number in (1, 2):
        for level in (1, 2):
            rows_read, total = crosstab(world["centre"], number, level)
            expected = Counter(key_in(number, level, code, coded) for code, coded in raw)
            assert rows_read == dict(expected), (number, level)
            assert total == len(raw)
            figures[(number, level)] = rows_read
    old_only = Counter(key_in(1, 1, code, 1) for code, number in raw if number == 1)
    assert before_v1[1] == (dict(old_only), sum(BEFORE.values()))
    # The merge: MENTAL (1 + 2 requests) joins HEALTH (2 + 3) in version 2, with the 2 new HEALTH.MENTAL ones.
    assert figures[(1, 1)][frozenset({"MENTAL"})] == 3 + 2
    assert figures[(1, 1)][frozenset({"HEALTH"})] == 5
    assert figures[(2, 1)][frozenset({"HEALTH"})] == 3 + 5 + 2
    # The split: INCOME's 5 level-1 requests count under INCOME+DEBT, never under one of them.
    assert figures[(2, 1)][frozenset({"INCOME", "DEBT"})] == 5
    assert figures[(2, 1)][frozenset({"INCOME"})] == 3  # INCOME.JOB
    assert figures[(2, 1)][frozenset({"DEBT"})] == 4 + 2  # INCOME.DEBT (now DEBT.OVER) and the 2 new ones
    assert figures[(1, 1)][frozenset({"INCOME"})] == 5 + 4 + 3 + 2


@pytest.fixture
def responder_line(federation):  # type: ignore[no-untyped-def]
    line = OrganisationFactory(short_name="Ligne d'écoute", sector="helpline", postal_code="1060")
    return member(Role.RESPONDER, line, full_name="Rita Responder", language="en")


# --- bad input: nothing published, nothing moved -----------------------------------------------------------


def _draft_with(mapping: dict[str, tuple[str, ...]]) -> SchemeVersion:
    ensure_casework_schemes()
    draft = taxonomy.create_draft(None, Scheme.objects.get(code=SCHEME))
    rows = taxonomy.category_rows(draft)
    for row in rows:
        if row["code"] == "OTHER.OTHER":
            row["active"] = "no"
    rows += [dict(rows[0], code="DEBT", parent_code="", label_en="Debt")]
    assert taxonomy.import_categories_csv(None, draft, "".join(category_lines(rows))).errors == []
    return draft


def test_a_mapping_to_a_retired_code_is_refused_and_nothing_is_published(world) -> None:  # type: ignore[no-untyped-def]
    draft = _draft_with({})
    old, new = by_code(draft.previous), by_code(draft)  # type: ignore[arg-type]
    with pytest.raises(ValidationError) as refused:
        taxonomy.set_mapping_targets(None, old["ISOLATION.SOCIAL"], [new["OTHER.OTHER"]])
    assert refused.value.messages == ["OTHER.OTHER is retired in version 2: ISOLATION.SOCIAL cannot go there."]
    with pytest.raises(ValidationError) as unknown:
        taxonomy.set_mapping_targets(None, old["INCOME"], [old["HEALTH"]])
    assert unknown.value.messages == ["A mapping goes from one version to the next one of the same scheme."]
    # A mapping written behind the services' back is refused at publication, and nothing moves.
    from maillage.taxonomy.models import CategoryMapping

    CategoryMapping.objects.filter(source=old["ISOLATION.SOCIAL"]).update(target=new["OTHER.OTHER"])
    with pytest.raises(ValidationError) as at_publication:
        taxonomy.publish_version(None, draft)
    assert at_publication.value.messages == ["OTHER.OTHER is retired in version 2: ISOLATION.SOCIAL cannot go there."]
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert set(world["services"]["income"].needs.values_list("version_id", flat=True)) == {world["v1"].pk}
    assert not AuditEntry.objects.filter(code="taxonomy.version.published", target_repr="request-themes v2").exists()


def test_a_cycle_of_mappings_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    """INCOME → HEALTH and HEALTH → INCOME: the two codes swapped, every old record read as the other."""
    draft = _draft_with({})
    old, new = by_code(draft.previous), by_code(draft)  # type: ignore[arg-type]
    message = "These mappings go round in a circle: HEALTH → INCOME → HEALTH. Give new codes instead of swapping them."
    with pytest.raises(ValidationError) as refused:
        taxonomy.check_no_cycle([("INCOME", "HEALTH"), ("HEALTH", "INCOME")])
    assert refused.value.messages == [message]
    taxonomy.set_mapping_targets(None, old["INCOME"], [new["HEALTH"]])
    taxonomy.set_mapping_targets(None, old["HEALTH"], [new["INCOME"]])
    with pytest.raises(ValidationError) as at_publication:
        taxonomy.publish_version(None, draft)
    assert at_publication.value.messages == [message]
    assert SchemeVersion.objects.get(pk=draft.pk).status == "draft"
    assert set(world["services"]["income"].needs.values_list("version_id", flat=True)) == {world["v1"].pk}


def test_a_split_onto_a_category_and_its_own_sub_category_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    draft = _draft_with({})
    old, new = by_code(draft.previous), by_code(draft)  # type: ignore[arg-type]
    with pytest.raises(ValidationError) as refused:
        taxonomy.set_mapping_targets(None, old["INCOME"], [new["INCOME"], new["INCOME.DEBT"]])
    assert refused.value.messages == [
        "INCOME goes both to INCOME and to its sub-category INCOME.DEBT: choose one of them."
    ]


def test_a_report_in_a_version_that_does_not_exist(world) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnknownVersion) as unknown:
        version_to_read(SCHEME, 9)
    assert unknown.value.messages == ["There is no version 9 of Request themes."]
    response = client_for(world["worker"]).get(
        reverse("stats:casework_crosstab"), {"run": "1", "measure": "requests", "rows": "theme1", "theme_version": "9"}
    )
    assert response.status_code in (200, 400)
    assert "There is no version 9 of Request themes." in response.content.decode()


def _changes(version: SchemeVersion) -> dict[tuple[str, tuple[str, ...], tuple[str, ...]], tuple[dict, dict]]:
    from maillage.taxonomy.changes import version_changes

    return {
        (change.kind, tuple(c.code for c in change.old), tuple(c.code for c in change.new)): (
            change.before,
            change.after,
        )
        for change in version_changes(version)
    }


def test_the_page_of_a_version_says_what_changed_and_what_it_touches(world) -> None:  # type: ignore[no-untyped-def]
    draft = draft_version_2()
    services, requests, subscriptions = (
        "Directory · services",
        "Case files · requests",
        "Directory · subscriptions to changes",
    )
    before = _changes(draft)
    assert set(before) == {
        ("recoded", ("INCOME.DEBT",), ("DEBT.OVER",)),
        ("merged", ("MENTAL.DISTRESS", "MENTAL.ADDICTION"), ("HEALTH.MENTAL",)),
        ("merged", ("HEALTH", "MENTAL"), ("HEALTH",)),
        ("split", ("INCOME",), ("INCOME", "DEBT")),
        ("renamed", ("ADMIN",), ("ADMIN",)),
        ("retired", ("DIGITAL.EQUIPMENT",), ("DIGITAL.EQUIPMENT",)),
    }
    # Before publication: the records coded in the old categories, nothing yet in the new ones.
    assert before[("split", ("INCOME",), ("INCOME", "DEBT"))] == ({requests: 5, services: 1, subscriptions: 1}, {})
    assert before[("merged", ("HEALTH", "MENTAL"), ("HEALTH",))] == (
        {requests: 2 + 1, services: 1, subscriptions: 2},
        {},
    )
    taxonomy.publish_version(None, draft)
    after = _changes(draft)
    # After: past requests keep their codes; the live references (needs, subscriptions) moved to the new ones.
    assert after[("split", ("INCOME",), ("INCOME", "DEBT"))] == ({requests: 5}, {services: 1, subscriptions: 2})
    assert after[("merged", ("HEALTH", "MENTAL"), ("HEALTH",))] == ({requests: 3}, {services: 1, subscriptions: 1})
    staff = client_for(world["staff"])
    with translation.override("en"):
        page = staff.get(reverse("taxonomy:changes", args=[SCHEME, 2]), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "HEALTH.MENTAL" in page.content.decode()
    schemes = staff.get(reverse("taxonomy:schemes"))
    assert reverse("taxonomy:changes", args=[SCHEME, 2]) in schemes.content.decode()
    assert client_for(world["worker"]).get(reverse("taxonomy:changes", args=[SCHEME, 2])).status_code == 404


# --- the moment of publication, visible in each module ---------------------------------------------------


def test_each_module_says_which_version_is_in_force_after_publication(world):  # type: ignore[no-untyped-def]
    worker, coordinator, staff = world["worker"], world["coordinator"], world["staff"]
    pages = {
        "directory search": (None, reverse("directory:search")),
        "follow-up encoding": (worker, reverse("casework:followup_create", args=[world["files"][0].pk])),
        "cross-tab": (coordinator, reverse("stats:casework_crosstab")),
        "bilan": (staff, reverse("stats:helpline_bilan")),
    }

    def notices() -> dict[str, bool]:
        seen = {}
        for name, (user, url) in pages.items():
            client = client_for(user) if user is not None else Client()
            response = client.get(url)
            assert response.status_code == 200, name
            seen[name] = "taxonomy-published" in response.content.decode()
        return seen

    assert notices() == dict.fromkeys(pages, False)
    publish_version_2()
    assert notices() == dict.fromkeys(pages, True)
