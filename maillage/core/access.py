"""The access policy as code: who may reach each view, declared once, checked over every URL.

`maillage/access_policy.py` declares, for every URL pattern of the project (by its namespaced
name, or by a route prefix for third-party groups such as the admin and allauth), one policy
made from the vocabulary below. A policy answers one question: what should this visitor's GET
answer? (`Policy.expect(visitor)`). The test in tests/test_access_policy.py walks the resolver
(`url_routes`), fails on a pattern without a policy (`undeclared`), and requests every pattern
as each kind of visitor, with objects of the visitor's organisation and of another one.

The house rules the vocabulary encodes: an anonymous visitor of a page that needs an account is
sent to the sign-in page (302); a signed-in person without the right role, or of another
organisation than the object's, gets 404 (never 403: nothing is learnt about the object);
views that show identifying data of a person or a case file write one `*.read` audit entry per
request (`reads_identity=True`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from django.urls import URLPattern, URLResolver, get_resolver

from maillage.core.models import Role

FEDERATION_ROLES = frozenset({Role.FEDERATION_STAFF, Role.ADMINISTRATOR})


@dataclass(frozen=True)
class Visitor:
    """Who asks, as far as a policy cares: signed in or not, and which roles where.

    `roles_here` are the roles held in the organisation that owns the URL's object (a case
    file's centre, a call's line, an event's lead organisation); `roles_anywhere` all roles.
    """

    authenticated: bool
    roles_here: frozenset[str] = frozenset()
    roles_anywhere: frozenset[str] = frozenset()
    django_staff: bool = False
    # The URL names something of this very person: their subscription, a case file they are in charge of.
    owns: bool = False

    @property
    def federation_staff(self) -> bool:
        return bool(self.roles_anywhere & FEDERATION_ROLES)


ANONYMOUS = Visitor(authenticated=False)


@dataclass(frozen=True)
class Expectation:
    """The answers a GET may give: one status, or a few for a third-party page; `to_login` asks that a
    302 lead to the sign-in page (`login_url`)."""

    statuses: frozenset[int]
    to_login: bool = False
    login_url: str = ""
    # Third-party pages: only "no server error" is promised.
    any_below_500: bool = False

    def accepts(self, status: int, location: str = "") -> bool:
        if self.any_below_500:
            return status < 500
        if status not in self.statuses:
            return False
        if self.to_login and status == 302:
            return location.split("?")[0] == self.login_url
        return True

    def __str__(self) -> str:
        if self.any_below_500:
            return "any answer but a server error"
        text = "/".join(str(status) for status in sorted(self.statuses))
        return f"{text} to {self.login_url}" if self.to_login else text


def answer(status: int) -> Expectation:
    return Expectation(frozenset({status}))


def to_sign_in(login_url: str) -> Expectation:
    return Expectation(frozenset({302}), to_login=True, login_url=login_url)


def _site_login_url() -> str:
    from django.conf import settings
    from django.shortcuts import resolve_url

    return str(resolve_url(settings.LOGIN_URL))


@dataclass(frozen=True, kw_only=True)
class Policy:
    """Base of every policy. `ok` is what an allowed visitor's GET answers (302 for a view that only
    redirects); `reads_identity` marks views that show identifying data of a person or a case file."""

    ok: int = 200
    reads_identity: bool = False
    denied: int = 404

    def allows(self, visitor: Visitor) -> bool:
        raise NotImplementedError

    def expect(self, visitor: Visitor) -> Expectation:
        if not visitor.authenticated and self.needs_account:
            return to_sign_in(_site_login_url())
        return answer(self.ok if self.allows(visitor) else self.denied)

    @property
    def needs_account(self) -> bool:
        return True

    @property
    def kind(self) -> str:
        return type(self).__name__


@dataclass(frozen=True, kw_only=True)
class Public(Policy):
    """Anyone, signed in or not."""

    @property
    def needs_account(self) -> bool:
        return False

    def allows(self, visitor: Visitor) -> bool:
        return True


@dataclass(frozen=True, kw_only=True)
class PersonalLink(Policy):
    """A token in the URL is the key (participant pages, invitations, rapporteur links): anyone holding a
    valid one is let in; a forged one answers `bad_token` (404, or 410 for a link that expired or was used).

    `signed_in_other` is the answer to a signed-in person the link was not meant for, when the view
    knows (an invitation names its invitee); None when the link is all there is.
    `checks_on_get=False`: the GET only shows a button and checks nothing (a link followed by mail scanners).
    """

    bad_token: int = 404
    signed_in_other: int | None = None
    checks_on_get: bool = True

    @property
    def needs_account(self) -> bool:
        return False

    def allows(self, visitor: Visitor) -> bool:
        return True

    def expect(self, visitor: Visitor) -> Expectation:
        if visitor.authenticated and self.signed_in_other is not None:
            return answer(self.signed_in_other)
        return answer(self.ok)

    def expect_bad_token(self) -> Expectation:
        return answer(self.bad_token if self.checks_on_get else self.ok)


@dataclass(frozen=True, kw_only=True)
class SignedIn(Policy):
    """Anyone signed in (the page shows only what the visitor's own queries give them)."""

    def allows(self, visitor: Visitor) -> bool:
        return True


@dataclass(frozen=True, kw_only=True)
class WithRole(Policy):
    """Signed in with one of `roles` in any organisation (the page then scopes itself to those)."""

    roles: frozenset[str] = frozenset()

    def allows(self, visitor: Visitor) -> bool:
        return bool(visitor.roles_anywhere & self.roles)


@dataclass(frozen=True, kw_only=True)
class TenantObject(Policy):
    """The URL names an object of an organisation: members of that organisation holding one of `roles`
    get in; anyone else signed in gets 404. `staff_anywhere`: federation staff of any organisation too
    (the directory, which the federation curates). `in_charge`: the people in charge of the object too
    (a case file's workers), not their colleagues."""

    roles: frozenset[str] = frozenset()
    staff_anywhere: bool = False
    in_charge: bool = False

    def allows(self, visitor: Visitor) -> bool:
        return (
            bool(visitor.roles_here & self.roles)
            or (self.staff_anywhere and visitor.federation_staff)
            or (self.in_charge and visitor.owns and bool(visitor.roles_here))
        )


@dataclass(frozen=True, kw_only=True)
class OwnObject(Policy):
    """The URL names something of one person (a subscription): only they get in, anyone else 404."""

    def allows(self, visitor: Visitor) -> bool:
        return visitor.owns


@dataclass(frozen=True, kw_only=True)
class AdminSite(Policy):
    """Django's admin: `is_staff` accounts and federation staff; everyone else is sent to its sign-in page.
    Inside, each model admin decides (a page may answer 403), so an allowed visitor may get 200 or 403."""

    def allows(self, visitor: Visitor) -> bool:
        return visitor.django_staff or visitor.federation_staff

    def expect(self, visitor: Visitor) -> Expectation:
        from django.urls import reverse

        if not self.allows(visitor):
            return to_sign_in(reverse("admin:login"))
        return Expectation(frozenset({self.ok, 403}))


@dataclass(frozen=True, kw_only=True)
class MachineToken(Policy):
    """For a machine holding a bearer token from the settings (the metrics scraper): visitors get 404."""

    @property
    def needs_account(self) -> bool:
        return False

    def allows(self, visitor: Visitor) -> bool:
        return False


@dataclass(frozen=True, kw_only=True)
class ThirdParty(Policy):
    """A third-party group (allauth's account pages): its own rules; we only ask for no server error."""

    owner: str = ""

    @property
    def needs_account(self) -> bool:
        return False

    def allows(self, visitor: Visitor) -> bool:
        return True

    def expect(self, visitor: Visitor) -> Expectation:
        return Expectation(frozenset(), any_below_500=True)


@dataclass(frozen=True, kw_only=True)
class PostOnly(Policy):
    """A view that only changes state: a GET answers 405. `then` is who may POST: someone it refuses
    gets its refusal to a POST too (302 to sign in, 404), checked without changing anything.
    `login_first`: the sign-in check runs before the method check (anonymous GET → 302, else 405)."""

    then: Policy = field(default_factory=lambda: SignedIn())
    login_first: bool = True

    @property
    def needs_account(self) -> bool:
        return self.then.needs_account

    def allows(self, visitor: Visitor) -> bool:
        return self.then.allows(visitor)

    def expect(self, visitor: Visitor) -> Expectation:
        if not visitor.authenticated and self.needs_account and self.login_first:
            return to_sign_in(_site_login_url())
        return answer(405)

    def expect_post(self, visitor: Visitor) -> Expectation | None:
        """The answer to a POST by someone `then` refuses; None for an allowed visitor (not posted)."""
        if (visitor.authenticated or not self.then.needs_account) and self.then.allows(visitor):
            return None
        return self.then.expect(visitor)


# The vocabulary, as the declaration uses it.

PUBLIC = Public()
MACHINE_TOKEN = MachineToken()
SIGNED_IN = SignedIn()
OWN_OBJECT = OwnObject()
ADMIN = AdminSite()


def PERSONAL_LINK(**options: object) -> PersonalLink:  # noqa: N802 - reads as a constant in the declaration
    return PersonalLink(**options)  # type: ignore[arg-type]


def ROLE(*roles: str, **options: object) -> WithRole:  # noqa: N802
    return WithRole(roles=frozenset(roles), **options)  # type: ignore[arg-type]


def TENANT_OBJECT(*roles: str, **options: object) -> TenantObject:  # noqa: N802
    return TenantObject(roles=frozenset(roles), **options)  # type: ignore[arg-type]


def FEDERATION_STAFF(**options: object) -> WithRole:  # noqa: N802
    """Federation staff (and administrators): taxonomy, sector aggregates, directory imports."""
    return WithRole(roles=FEDERATION_ROLES, **options)  # type: ignore[arg-type]


def POST_ONLY(then: Policy, **options: object) -> PostOnly:  # noqa: N802
    return PostOnly(then=then, **options)  # type: ignore[arg-type]


def THIRD_PARTY(owner: str) -> ThirdParty:  # noqa: N802
    return ThirdParty(owner=owner)


# Walking the URL patterns ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """One URL pattern: its namespaced name ("casework:case_file"), its full route and its argument names."""

    name: str
    route: str
    arguments: tuple[str, ...]


def _arguments(pattern: URLPattern | URLResolver) -> tuple[str, ...]:
    return tuple(pattern.pattern.regex.groupindex)


def url_routes(urlconf: str | None = None) -> list[Route]:
    """Every URL pattern of `urlconf` (the project's by default), included ones too, in resolver order."""

    def walk(resolver: URLResolver, prefix: str, namespace: str, arguments: tuple[str, ...]) -> Iterator[Route]:
        for pattern in resolver.url_patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern, route, inner, arguments + _arguments(pattern))
            else:
                name = f"{namespace}{pattern.name}" if pattern.name else ""
                yield Route(name=name, route=route, arguments=arguments + _arguments(pattern))

    return list(walk(get_resolver(urlconf), "", "", ()))


@dataclass(frozen=True)
class Declaration:
    """The project's policies: by URL name first, then by route prefix (third-party groups)."""

    by_name: Mapping[str, Policy]
    by_prefix: Mapping[str, Policy] = field(default_factory=dict)

    def policy_for(self, route: Route) -> Policy | None:
        if route.name and route.name in self.by_name:
            return self.by_name[route.name]
        for prefix, policy in self.by_prefix.items():
            if route.route.startswith(prefix):
                return policy
        return None

    def undeclared(self, routes: Iterable[Route]) -> list[str]:
        """Patterns without a policy (an unnamed one outside the prefix rules is undeclared too)."""
        return [f"{route.name or '(no name)'} at /{route.route}" for route in routes if self.policy_for(route) is None]

    def unknown_names(self, routes: Iterable[Route]) -> list[str]:
        """Declared names that no pattern carries any more (a view renamed or removed)."""
        names = {route.name for route in routes}
        return sorted(set(self.by_name) - names)
