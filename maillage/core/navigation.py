"""Navigation and home panels, gathered from each app's `nav.py` and `home.py`.

Core imports no app of ours: it finds these modules by name, in the order of
settings.MAILLAGE_APPS, so a new app only adds its own files.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from types import ModuleType
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    # None: anyone signed in; an empty set: everyone, signed in or not.
    roles: frozenset[str] | None = None


@dataclass
class Panel:
    """A box on someone's home page: what they have to do today."""

    title: str | Promise
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    link_url: str = ""
    link_label: str | Promise = ""

    def render(self, request: HttpRequest) -> str:
        """The panel's body: its template sees its context's keys directly, and `panel`."""
        return render_to_string(self.template, {**self.context, "panel": self}, request=request)


@cache
def _app_modules(name: str) -> tuple[ModuleType, ...]:
    modules = []
    for app in settings.MAILLAGE_APPS:
        try:
            modules.append(importlib.import_module(f"maillage.{app}.{name}"))
        except ModuleNotFoundError as error:
            if error.name != f"maillage.{app}.{name}":
                raise
    return tuple(modules)


def _visible(item: NavItem, authenticated: bool, roles: set[str]) -> bool:
    if item.roles is None:
        return authenticated
    if not item.roles:
        return True
    return bool(item.roles & roles)


def nav_items(request: HttpRequest, roles: set[str]) -> Iterator[tuple[NavItem, str, bool]]:
    authenticated = request.user.is_authenticated
    for module in _app_modules("nav"):
        for item in getattr(module, "ITEMS", []):
            if not _visible(item, authenticated, roles):
                continue
            try:
                url = reverse(item.url_name)
            except NoReverseMatch:
                continue
            yield item, url, request.path.startswith(url) and url != "/"


def home_panels(request: HttpRequest, roles: set[str]) -> list[Panel]:
    panels: list[Panel] = []
    for module in _app_modules("home"):
        provider: Callable[[HttpRequest, set[str]], list[Panel]] = module.panels
        panels.extend(provider(request, roles))
    return panels
