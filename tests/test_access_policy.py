"""The access policy (maillage/access_policy.py) covers every URL pattern, and every view answers as declared.

Each visitor (anonymous; the worker in charge of the case file, a colleague who is not, the coordinator
and the organiser of the centre; the responder and federation staff of the federation's line; a member
of another centre holding every ordinary role; staff of another line) GETs every pattern with objects of the centre (or of the line), and the answer must be the declared one:
200, a 302 to the sign-in page, 404, 405. POST-only views are also POSTed by those they must refuse (who
get the refusal, nothing changed), personal links are tried with a forged token, and views declared
`reads_identity` must write exactly one `*.read` audit entry per allowed request (and none when refused)
and be sent with `Cache-Control: no-store`.
"""

from __future__ import annotations

import pytest
from django.db.models import Max
from django.test import Client, override_settings
from django.urls import reverse

from maillage.access_policy import POLICY
from maillage.core.access import (
    AdminSite,
    Expectation,
    PersonalLink,
    Policy,
    PostOnly,
    Route,
    ThirdParty,
    Visitor,
    url_routes,
)
from maillage.core.models import AuditEntry
from tests.access.world import VISITORS, World, build_world

# Mismatches between the declaration and what a view answers today, reported to the app's engineer in
# /tmp/fuzz_findings.md ("For <app>:"). Keyed by (URL name, check): the check is the visitor's label, with
# " POST" for a refused POST, " audit" for the read audit, " cache" for a page of identifying data a
# browser may keep (no `Cache-Control: no-store`), " forged" for a forged personal link. Each key
# is a real gap: the test passes while it fails as described and fails once it is fixed (then remove it
# here). The lead empties this dict when the apps are fixed.
KNOWN_GAPS: dict[tuple[str, str], str] = {}


def _location(response: object) -> str:
    return str(getattr(response, "headers", {}).get("Location", ""))


def _describe(status: int, location: str) -> str:
    return f"{status} to {location.split('?')[0]}" if status in (301, 302) else str(status)


def _read_entries_after(mark: int) -> int:
    return AuditEntry.objects.filter(pk__gt=mark, code__endswith=".read").count()


def _audit_mark() -> int:
    return AuditEntry.objects.aggregate(last=Max("pk"))["last"] or 0


def _url(route: Route, world: World, kwargs: dict | None = None) -> str | None:
    """The path of `route` for our objects; None when the pattern needs arguments we cannot give."""
    if kwargs is None:
        kwargs = world.kwargs.get(route.name)
    if route.arguments and kwargs is None:
        return None
    path = reverse(route.name, kwargs=kwargs or None)
    query = world.queries.get(route.name)
    return f"{path}?{query}" if query else path


def _request(client: Client, method: str, url: str) -> tuple[int, str]:
    status, location, _cache = _request_with_cache(client, method, url)
    return status, location


def _request_with_cache(client: Client, method: str, url: str) -> tuple[int, str, set[str]]:
    """Status, redirect target and Cache-Control directives of one request."""
    try:
        response = getattr(client, method)(url)
    except Exception as error:  # a view that raises is a mismatch to report, not a crash of the whole walk
        return 500, f"{type(error).__name__}: {str(error)[:120]}", set()
    cache = {part.strip() for part in response.headers.get("Cache-Control", "").split(",") if part.strip()}
    return response.status_code, _location(response), cache


def _check(expected: Expectation, status: int, location: str) -> str | None:
    if expected.accepts(status, location):
        return None
    return f"expected {expected}, got {_describe(status, location)}"


def _walk(world: World, label: str) -> dict[tuple[str, str], str]:
    """Every pattern as `label`: the mismatches found, by (URL name, check)."""
    client = world.client(label)
    found: dict[tuple[str, str], str] = {}
    for route in url_routes():
        policy = POLICY.policy_for(route)
        name = route.name or f"/{route.route}"
        if policy is None:
            found[(name, label)] = "no policy in maillage/access_policy.py"
            continue
        if isinstance(policy, AdminSite) and not (name == "admin:index" or name.endswith("_changelist")):
            continue  # the admin's door is checked on its index and lists; inside, each model admin decides
        url = _url(route, world)
        if url is None:
            if isinstance(policy, ThirdParty):
                continue  # an allauth key link: the prefix rule is checked on the others
            found[(name, label)] = f"no object to fill {route.arguments}: add one in tests/access/world.py"
            continue
        visitor = world.visitor(label, route.name)
        mark = _audit_mark()
        status, location, cache = _request_with_cache(client, "get", url)
        if problem := _check(policy.expect(visitor), status, location):
            found[(name, label)] = problem
        if problem := _audit_problem(policy, visitor, status, _read_entries_after(mark)):
            found[(name, f"{label} audit")] = problem
        if policy.reads_identity and status == policy.ok and "no-store" not in cache:
            found[(name, f"{label} cache")] = f"identifying data sent with Cache-Control {sorted(cache)}, not no-store"
        if isinstance(policy, PostOnly) and (refusal := policy.expect_post(visitor)) is not None:
            status, location = _request(client, "post", url)
            if problem := _check(refusal, status, location):
                found[(name, f"{label} POST")] = problem
        if isinstance(policy, PersonalLink) and route.name in world.forged:
            forged = _url(route, world, world.forged[route.name])
            assert forged is not None
            status, location = _request(client, "get", forged)
            if problem := _check(policy.expect_bad_token(), status, location):
                found[(name, f"{label} forged")] = problem
    return found


def _audit_problem(policy: Policy, visitor: Visitor, status: int, reads: int) -> str | None:
    if isinstance(policy, ThirdParty | AdminSite):
        return None
    allowed = (visitor.authenticated or not policy.needs_account) and policy.allows(visitor)
    if policy.reads_identity and allowed and status == policy.ok:
        return None if reads == 1 else f"expected 1 '.read' audit entry, got {reads}"
    if reads and not policy.reads_identity:
        return f"writes {reads} '.read' audit entries: declare reads_identity=True"
    if reads and not allowed:
        return f"refused, yet writes {reads} '.read' audit entries"
    return None


def _known_for(label: str) -> dict[tuple[str, str], str]:
    return {key: text for key, text in KNOWN_GAPS.items() if key[1].split(" ")[0] == label}


def test_every_url_pattern_has_a_policy() -> None:
    routes = url_routes()
    assert len(routes) > 100
    assert POLICY.undeclared(routes) == []
    assert POLICY.unknown_names(routes) == []


def test_a_pattern_added_without_a_policy_is_named() -> None:
    already = set(POLICY.undeclared(url_routes()))  # empty when the test above passes
    routes = url_routes("tests.access.extra_urls")
    added = ["access_probe:new_view at /probe/new/<int:pk>/", "(no name) at /bare/"]
    assert [text for text in POLICY.undeclared(routes) if text not in already] == added
    assert [r for r in routes if r.name == "access_probe:new_view"] == [
        Route(name="access_probe:new_view", route="probe/new/<int:pk>/", arguments=("pk",))
    ]
    # The walk follows ROOT_URLCONF, so a view added to the project's urls.py is seen the same way.
    with override_settings(ROOT_URLCONF="tests.access.extra_urls"):
        assert [text for text in POLICY.undeclared(url_routes()) if text not in already] == added


def test_policies_answer_each_kind_of_visitor() -> None:
    from maillage.core.access import PERSONAL_LINK, POST_ONLY, PUBLIC, ROLE, SIGNED_IN, TENANT_OBJECT

    login = reverse("account_login")
    anonymous = Visitor(authenticated=False)
    member_here = Visitor(authenticated=True, roles_here=frozenset({"worker"}), roles_anywhere=frozenset({"worker"}))
    member_elsewhere = Visitor(authenticated=True, roles_anywhere=frozenset({"worker"}))
    case_file = TENANT_OBJECT("worker", "coordinator")
    assert [str(case_file.expect(v)) for v in (anonymous, member_here, member_elsewhere)] == [
        f"302 to {login}",
        "200",
        "404",
    ]
    assert [str(ROLE("coordinator").expect(v)) for v in (member_here, member_elsewhere)] == ["404", "404"]
    assert [str(SIGNED_IN.expect(v)) for v in (anonymous, member_elsewhere)] == [f"302 to {login}", "200"]
    assert str(PUBLIC.expect(anonymous)) == "200"
    link = PERSONAL_LINK(bad_token=410)
    assert (str(link.expect(anonymous)), str(link.expect_bad_token())) == ("200", "410")
    post = POST_ONLY(case_file)
    assert [str(post.expect(v)) for v in (anonymous, member_here)] == [f"302 to {login}", "405"]
    assert (post.expect_post(member_here), str(post.expect_post(member_elsewhere))) == (None, "404")
    assert not case_file.expect(anonymous).accepts(302, "/elsewhere/")
    in_charge = TENANT_OBJECT("coordinator", in_charge=True)
    colleague = Visitor(authenticated=True, roles_here=frozenset({"worker"}), roles_anywhere=frozenset({"worker"}))
    worker_in_charge = Visitor(
        authenticated=True, roles_here=frozenset({"worker"}), roles_anywhere=frozenset({"worker"}), owns=True
    )
    assert [str(in_charge.expect(v)) for v in (worker_in_charge, colleague)] == ["200", "404"]


@pytest.mark.parametrize("label", VISITORS)
def test_each_visitor_gets_the_declared_answer(label: str, db: None, settings: object) -> None:
    settings.SITE_URL = "http://testserver"  # type: ignore[attr-defined]
    world = build_world()
    found = _walk(world, label)
    known = _known_for(label)
    unexpected = {f"{key[0]} [{key[1]}]": text for key, text in found.items() if key not in known}
    fixed = sorted(f"{key[0]} [{key[1]}]" for key in known if key not in found)
    if unexpected:
        lines = "\n".join(f"  {key}: {text}" for key, text in sorted(unexpected.items()))
        pytest.fail(f"{len(unexpected)} answers differ from maillage/access_policy.py as {label}:\n{lines}")
    assert fixed == [], "These KNOWN_GAPS answer as declared now: remove them from KNOWN_GAPS"
