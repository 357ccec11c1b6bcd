"""A small same-site crawler for the fuzz tests: parses links and forms with html.parser, submits nasty values."""

from __future__ import annotations

import random
import traceback
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from django.apps import apps
from django.db import connection
from django.test import Client

NASTY = [
    "",
    " ",
    "x" * 100_000,
    "9999-12-31",
    "0000-00-00",
    "2026-02-30",
    "-1",
    "99999999999999999999",
    "1e309",
    "NaN",
    "<script>alert(1)</script>",
    '=HYPERLINK("http://evil.example")',
    "\u202e",
    "😀",
    "' OR 1=1 --",
    "../../etc/passwd",
]
HUGE_ID = "99999999999999999999"
LONG_TEXT = "x" * 100_000
QUERY_PARAMETERS = ["at", "day", "week", "start", "end", "page", "q", "month", "year", "date", "sort", "status"]
# Never followed or submitted: they end the session or the test's own account.
SKIPPED_PREFIXES = ("/accounts/logout", "/accounts/password", "/accounts/email", "/accounts/2fa", "/admin/", "/static/")
# Tables that reads may write to (audit of reads, sessions): left out of the half-written check.
UNCOUNTED = {"core.auditentry", "core.outboxemail"}


@dataclass
class Form:
    page: str
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)  # (name, default value), in order
    choices: dict[str, list[str]] = field(default_factory=dict)
    has_file: bool = False

    def valid_data(self) -> dict[str, list[str]]:
        data: dict[str, list[str]] = {}
        for name, value in self.fields:
            data.setdefault(name, []).append(value)
        return data


class PageParser(HTMLParser):
    def __init__(self, url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.url = url
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._select_first: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.url, a["href"]))
        elif tag == "form":
            self._form = Form(
                self.url, urljoin(self.url, a.get("action") or self.url), (a.get("method") or "get").lower()
            )
            if a.get("enctype") == "multipart/form-data":
                self._form.has_file = True
            self.forms.append(self._form)
        elif self._form is None or (not a.get("name") and tag != "option"):
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            if kind in {"submit", "button", "image", "reset"}:
                if a.get("name"):
                    self._form.fields.append((a["name"], a.get("value", "")))
                return
            if kind == "file":
                self._form.has_file = True
                return
            if kind in {"checkbox", "radio"}:
                self._form.choices.setdefault(a["name"], []).append(a.get("value", "on"))
                if "checked" in a:
                    self._form.fields.append((a["name"], a.get("value", "on")))
                return
            self._form.fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select, self._select_first = a["name"], None
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            self._form.choices.setdefault(self._select, []).append(value)
            if (self._select_first is None and value) or "selected" in a:
                self._select_first = value
        elif tag == "textarea":
            self._textarea, self._text = a["name"], []
        elif tag == "button" and a.get("name"):
            self._form.fields.append((a["name"], a.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select" and self._form is not None and self._select is not None:
            self._form.fields.append((self._select, self._select_first or ""))
            self._select = None
        elif tag == "textarea" and self._form is not None and self._textarea is not None:
            self._form.fields.append((self._textarea, "".join(self._text)))
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)


def same_site_path(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https", ""} or parts.netloc not in {"", "testserver"}:
        return None
    if not parts.path.startswith("/") or parts.path.startswith(SKIPPED_PREFIXES):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def shape(path: str) -> str:
    """/casework/files/12/edit?page=2 → /casework/files/N/edit: pages that differ only by ids are one page."""
    only = urlsplit(path).path
    return "/".join("N" if part.isdigit() else part for part in only.split("/"))


def table_counts() -> dict[str, int]:
    models = [
        m
        for m in apps.get_models()
        if m.__module__.startswith("maillage.") and m._meta.label_lower not in UNCOUNTED and not m._meta.proxy
    ]
    tables = sorted({m._meta.db_table for m in models})
    quote = connection.ops.quote_name
    sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quote(t)})" for t in tables)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    return dict(zip(tables, row, strict=True))


@dataclass
class Crawl:
    client: Client
    role: str
    rng: random.Random
    failures: list[str] = field(default_factory=list)
    tried: int = 0

    def request(self, method: str, path: str, data: dict[str, list[str]] | None = None, note: str = "") -> Any:
        self.tried += 1
        send = self.client.post if method == "post" else self.client.get
        response = send(path, data or {})
        if response.status_code >= 500:
            exc = getattr(response, "exc_info", None)
            cause = "".join(traceback.format_exception_only(exc[1])).strip() if exc else ""
            where = ""
            if exc:
                frames = traceback.extract_tb(exc[2])
                ours = [f for f in frames if "/maillage/" in f.filename and "site-packages" not in f.filename]
                if ours:
                    where = f" at {ours[-1].filename.split('/work/main/')[-1]}:{ours[-1].lineno}"
            self.failures.append(
                f"[{self.role}] {method.upper()} {path} {note}: {response.status_code} {cause[:200]}{where}"
            )
        return response

    def walk(self, start: str, max_pages: int, fuzzed: set[str]) -> Iterator[tuple[str, PageParser]]:
        """Pages reachable from `start`, breadth-first, one per shape; yields only shapes not in `fuzzed` yet (and adds them)."""
        queue, seen_shapes, seen = deque([start]), set(), set()
        while queue and len(seen_shapes) < max_pages:
            path = queue.popleft()
            if path in seen or shape(path) in seen_shapes:
                continue
            seen.add(path)
            response = self.request("get", path)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            seen_shapes.add(shape(path))
            parser = PageParser("http://testserver" + path)
            parser.feed(response.content.decode("utf-8", "replace"))
            if shape(path) not in fuzzed:
                fuzzed.add(shape(path))
                yield path, parser
            for link in parser.links:
                target = same_site_path(link)
                if target and target not in seen:
                    queue.append(target)

    def fuzz_query(self, path: str, parser: PageParser, per_parameter: int) -> None:
        """The page's own query parameters (from its links and GET forms) one at a time, then all known ones at once."""
        base = urlsplit(path).path
        known = dict(parse_qsl(urlsplit(path).query))
        own: set[str] = set(known)
        for link in parser.links:
            parts = urlsplit(link)
            if parts.path == base:
                own |= {name for name, _ in parse_qsl(parts.query, keep_blank_values=True)}
        for form in parser.forms:
            if form.method == "get" and urlsplit(form.action).path == base:
                own |= {name for name, _ in form.fields}
        for name in sorted(own):
            for value in self.rng.sample(NASTY, per_parameter):
                query = {**known, name: value}
                self.request("get", base + "?" + urlencode(query), note=f"{name}={value[:30]!r}")
        value = self.rng.choice(NASTY)
        query = {**known, **dict.fromkeys(QUERY_PARAMETERS, value)}
        self.request("get", base + "?" + urlencode(query), note=f"all known parameters={value[:30]!r}")

    def fuzz_form(self, form: Form, per_field: int) -> None:
        action = same_site_path(form.action)
        if action is None:
            return
        valid = form.valid_data()
        names = list(dict.fromkeys(name for name, _ in form.fields)) + [n for n in form.choices if n not in valid]
        names = [n for n in names if n not in {"csrfmiddlewaretoken", "submission_key"}]
        offset = self.rng.randrange(len(NASTY))
        for index, name in enumerate(names):
            for k in range(per_field):
                value = NASTY[(offset + index * per_field + k) % len(NASTY)]
                self.submit(form, action, {**valid, name: [value]}, f"{name}={value[:30]!r}")
        # The two values that found most server errors, in every field at once.
        for value in (HUGE_ID, LONG_TEXT):
            self.submit(form, action, {**valid, **{name: [value] for name in names}}, f"every field={value[:30]!r}")

    def submit(self, form: Form, action: str, data: dict[str, list[str]], note: str) -> None:
        if form.method == "get":
            self.request("get", action, data, note=note)
            return
        before = table_counts()
        response = self.request("post", action, data, note=note)
        status = response.status_code
        refused = 400 <= status < 500 or (status == 200 and b"errorlist" in response.content)
        if refused:
            after = table_counts()
            changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
            if changed:
                self.failures.append(
                    f"[{self.role}] POST {action} {note}: refused ({status}) but rows changed {changed}"
                )
