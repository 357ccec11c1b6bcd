"""The search generation: what tells each process that the directory it holds in memory has changed.

Each process holds an in-memory search index (search/index.py) built at one generation and
compares it with the current one before every search (one small statement). Every change
takes the next number and a random token, and writes one `SearchChange` row per service it
touched (or one with no service for "everything", e.g. a commune moved). A process behind by a
few numbers reads those rows and reloads just those services; one that cannot follow the chain
(rows pruned, or the token at its own number differs because the change it saw was rolled back)
reads everything again.

The row of SearchGeneration is locked by each change until its transaction ends, so numbers
are given in commit order and a reader never sees number n+1 without n.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, Protocol, Self, TypeVar

from django.db import connection, transaction

from maillage.directory.models import SearchChange, SearchGeneration

# Changes kept for processes that are behind; one further behind reads everything again.
KEEP_CHANGES = 5000


@dataclass(frozen=True)
class Generation:
    token: str
    number: int


def bump_generation(service_ids: Iterable[int] | None = None) -> None:
    """Something the search reads has changed: for these services, or for all when None.

    The token is random, not derived from the number: a rolled-back change (a test, a failed
    import) gives its number back, and the next change must not look like it to a process
    that saw the rolled-back one."""
    ids = sorted(set(service_ids)) if service_ids is not None else None
    if ids == []:
        return
    token = uuid.uuid4().hex
    with transaction.atomic():
        row = SearchGeneration.objects.select_for_update().filter(pk=1).first()
        if row is None:  # tables emptied (a test database flush): start again as the migration does
            row = SearchGeneration.objects.create(pk=1, value=token, number=1)
        else:
            row.value, row.number = token, row.number + 1
            row.save(update_fields=["value", "number"])
        SearchChange.objects.bulk_create(
            [SearchChange(number=row.number, token=token, service_id=pk) for pk in ids]
            if ids is not None
            else [SearchChange(number=row.number, token=token, service_id=None)]
        )
        if row.number % 500 == 0:
            SearchChange.objects.filter(number__lte=row.number - KEEP_CHANGES).delete()


def lock_generation() -> None:
    """Take the generation row's lock now, before the directory row about to be written (PostgreSQL,
    inside a transaction; SQLite has one writer at a time anyway). Every directory write taking it
    first, two transactions never each hold a row the other waits for."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM directory_searchgeneration WHERE id = 1 FOR UPDATE")


def current_generation() -> Generation:
    with connection.cursor() as cursor:
        cursor.execute("SELECT value, number FROM directory_searchgeneration WHERE id = 1")
        row = cursor.fetchone()
    return Generation(row[0], row[1]) if row else Generation("", 0)


def changed_since(held: Generation) -> tuple[set[int], Generation] | None:
    """The services changed after `held` and the generation they lead to, or None when the
    process must read everything (a change to everything, a broken or pruned chain)."""
    if held.number == 0:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT number, token, service_id FROM directory_searchchange WHERE number >= %s ORDER BY number",
            [held.number],
        )
        rows = cursor.fetchall()
    if not rows or (rows[0][0], rows[0][1]) != (held.number, held.token):
        return None
    changed: set[int] = set()
    expected = held.number
    for number, _token, service_id in rows:
        if number not in (expected, expected + 1):
            return None  # a gap: pruned, or a transaction still holding its number
        expected = number
        if number == held.number:
            continue
        if service_id is None:
            return None
        changed.add(service_id)
    return changed, Generation(rows[-1][1], rows[-1][0])


class FollowsChanges(Protocol):
    """An in-memory index that knows the generation it was read at and can follow later changes."""

    generation: Generation

    def updated(self, changed: set[int], reached: Generation) -> Self: ...


IndexT = TypeVar("IndexT", bound=FollowsChanges)


class KeptIndex(Generic[IndexT]):
    """One process's copy of an index (the services', the people's), kept in step with the search generation.

    After changes, the first search reads again just the services they name (or everything, through `build`,
    when it cannot follow them); the other threads of the process wait for it rather than do it twice."""

    def __init__(self, build: Callable[[Generation], IndexT]) -> None:
        self.build = build
        self.index: IndexT | None = None
        self._building = threading.Lock()

    def current(self) -> IndexT:
        generation = current_generation()
        index = self.index
        if index is not None and index.generation == generation:
            return index
        with self._building:
            index = self.index
            if index is not None and index.generation == generation:
                return index
            followed = (
                changed_since(index.generation)
                if index is not None and index.generation.number < generation.number
                else None
            )
            if index is not None and followed is not None:
                changed, reached = followed
                index = index.updated(changed, reached)
            else:
                index = self.build(generation)
            self.index = index
        return index


class TokenSets:
    """The sets of ids per search token of an index (services, workers), with the unions of tokens asked for
    kept: the same few areas, needs and languages recur. Subclasses fill `by_token`."""

    def __init__(self) -> None:
        self.by_token: dict[str, frozenset[int]] = {}
        self._unions: dict[tuple[str, ...], frozenset[int]] = {}
        self._lock = threading.Lock()

    def any_of(self, tokens: Iterable[str]) -> frozenset[int]:
        """The ids holding at least one of these tokens."""
        key = tuple(sorted(set(tokens)))
        found = self._unions.get(key)
        if found is None:
            found = frozenset().union(*(self.by_token.get(token, frozenset()) for token in key))
            with self._lock:
                if len(self._unions) > 4096:
                    self._unions.clear()
                self._unions[key] = found
        return found
