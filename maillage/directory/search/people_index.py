"""Each process's in-memory copy of what the people search filters on: for every listed worker (consenting,
active, in a published service), the needs, communes, quartiers and languages it is found by.

Why: the search's statement built hashed subqueries over every service-at-location row (need + commune) or
walked the name index (words + need + quartier): 25–45 ms of the database a page. From sets held in memory it is
a few intersections and the first names in order.

A worker is found by a need, a commune or a quartier of its own or of its service's (people._matching_ids wrote
the same in SQL, which stays for a language holding a space). The words of the name, function and organisation
stay in SQL (trigram indexes, ~1 ms): their ids narrow the sets. The order is the database's: the position of
each worker in `ORDER BY full_name, id`, read with the rest.

It follows the search generation (generation.py) as the services' index does: every change to a worker, its
links, its service's needs, areas, quartiers and places, or a quartier's communes bumps it, naming the services
whose workers to read again (signals.py); everything is read again when the change names none.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from typing import Any

from django.db import DatabaseError, connection

from maillage.directory.models import (
    Location,
    Quartier,
    Service,
    ServiceAtLocation,
    ServiceStatus,
    Worker,
)
from maillage.directory.search.generation import Generation, KeptIndex, TokenSets

# Tokens: a need ("n" + category id), a commune ("c" + id), a quartier ("q" + id), the whole languages column
# ("l=" + it) and, when it holds a space, each code in it ("l:" + code, ASCII case folded on SQLite).


def _table(model: type) -> str:
    return connection.ops.quote_name(model._meta.db_table)  # type: ignore[attr-defined]


WORD_IDS_HELD = 200_000

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def like_fold(text: str) -> str:
    """What LIKE compares: SQLite's LIKE ignores the case of ASCII letters only, PostgreSQL's ignores none."""
    return text.translate(_ASCII_LOWER) if connection.vendor == "sqlite" else text


def language_tokens(languages: str) -> list[str]:
    """The tokens people.language_filter() finds a worker's languages by: the column equal to the code, or
    starting with "code ", ending with " code" or holding " code " (LIKE, so folded as like_fold())."""
    tokens = ["l=" + languages]
    if " " in languages:
        tokens.extend("l:" + like_fold(code) for code in languages.split(" "))
    return tokens


def language_wanted(code: str) -> list[str] | None:
    """The tokens of a worker speaking `code`; None when the code holds a space (the SQL statement decides)."""
    if any(character.isspace() for character in code):
        return None
    return ["l=" + code, "l:" + like_fold(code)]


class PeopleIndex(TokenSets):
    """Listed workers by token, their services, and their place in name order. Never changed once published
    to the process: a change makes a new one, so a search in another thread keeps a consistent one."""

    def __init__(self, generation: Generation) -> None:
        super().__init__()
        self.generation = generation
        self.service_of: dict[int, int] = {}  # listed worker -> its service
        self.tokens_of: dict[int, frozenset[str]] = {}  # listed worker -> its tokens
        self.by_service: dict[int, frozenset[int]] = {}  # published service -> its listed workers
        # Every worker's place in name order and the name it was read with (all workers: a card listed again
        # keeps its place; only a new worker or a new name makes the order read again).
        self.rank: dict[int, int] = {}
        self.names: dict[int, str] = {}
        self.fresh_names: dict[int, str] = {}  # the names of the workers read by _read()
        self._words: dict[tuple[str, str], frozenset[int]] = {}
        self._held = 0  # ids in _words

    @classmethod
    def build(cls, generation: Generation) -> PeopleIndex:
        index = cls(generation)
        index._read(None)
        tokens: dict[str, set[int]] = {}
        for pk, held in index.tokens_of.items():
            for token in held:
                tokens.setdefault(token, set()).add(pk)
        index.by_token = {token: frozenset(ids) for token, ids in tokens.items()}
        services: dict[int, set[int]] = {}
        for pk, service in index.service_of.items():
            services.setdefault(service, set()).add(pk)
        index.by_service = {service: frozenset(ids) for service, ids in services.items()}
        return index

    def updated(self, changed: set[int], generation: Generation) -> PeopleIndex:
        """A new index with the workers of these services read again (a worker moved from another service
        is named by its new one: it is found by its id)."""
        fresh = PeopleIndex(generation)
        fresh._read(changed)
        gone = {pk for pk, service in self.service_of.items() if service in changed} | fresh.service_of.keys()
        index = PeopleIndex(generation)
        index.service_of = {pk: s for pk, s in self.service_of.items() if pk not in gone}
        index.service_of.update(fresh.service_of)
        index.tokens_of = {pk: t for pk, t in self.tokens_of.items() if pk not in gone}
        index.tokens_of.update(fresh.tokens_of)
        # Only the tokens a worker gained or lost: a change to a service's hours or phones moves none.
        lost: dict[str, set[int]] = {}
        gained: dict[str, set[int]] = {}
        for pk in gone:
            before, after = self.tokens_of.get(pk, frozenset()), fresh.tokens_of.get(pk, frozenset())
            if before is after:
                continue
            for token in before - after:
                lost.setdefault(token, set()).add(pk)
            for token in after - before:
                gained.setdefault(token, set()).add(pk)
        index.by_token = dict(self.by_token)
        for token in lost.keys() | gained.keys():
            ids = (self.by_token.get(token, frozenset()) - lost.get(token, set())) | gained.get(token, set())
            if ids:
                index.by_token[token] = frozenset(ids)
            else:
                index.by_token.pop(token, None)
        services = changed | {self.service_of[pk] for pk in gone if pk in self.service_of}
        index.by_service = {s: ids for s, ids in self.by_service.items() if s not in services}
        for service in services:
            ids = frozenset(pk for pk in self.by_service.get(service, frozenset()) if pk not in gone) | {
                pk for pk, s in fresh.service_of.items() if s == service
            }
            if ids:
                index.by_service[service] = frozenset(ids)
        if all(self.names.get(pk) == name for pk, name in fresh.fresh_names.items()):
            index.rank, index.names = self.rank, self.names
        else:
            index.rank, index.names = _name_order()
        return index

    # --- reading ---

    def _read(self, services: set[int] | None) -> None:
        """The listed workers (of `services`, or all) with their tokens and those of their services; the rank
        of every listed worker."""
        worker, service = _table(Worker), _table(Service)
        published = f"SELECT id FROM {service} WHERE status = %s"  # noqa: S608 (names from _meta)
        params: list[Any] = [ServiceStatus.PUBLISHED.value]
        if services is not None:
            if not services:
                return
            marks = ", ".join(["%s"] * len(services))
            published += f" AND id IN ({marks})"
            params.extend(sorted(services))
        listed = f"SELECT id FROM {worker} WHERE consent AND is_active AND service_id IN ({published})"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id, service_id, languages, full_name FROM {worker} WHERE id IN ({listed})", params)  # noqa: S608
            rows = cursor.fetchall()
            held: dict[int, set[str]] = {}
            for pk, service_id, languages, name in rows:
                self.fresh_names[pk] = name
                self.service_of[pk] = service_id
                held[pk] = set(language_tokens(languages))
            of_service: dict[int, set[str]] = {}
            needs, areas = _table(Service.needs.through), _table(Service.area_communes.through)
            quartiers, at, places = _table(Service.quartiers.through), _table(ServiceAtLocation), _table(Location)
            for source, kind, value, extra in (
                (f"{needs} sl", "n", "sl.category_id", ""),
                (f"{areas} sl", "c", "sl.commune_id", ""),
                (f"{quartiers} sl", "q", "sl.quartier_id", ""),
                (
                    f"{at} sl JOIN {places} l ON l.id = sl.location_id",
                    "c",
                    "l.commune_id",
                    "l.commune_id IS NOT NULL AND ",
                ),
            ):
                cursor.execute(
                    f"SELECT sl.service_id, '{kind}', {value} FROM {source} WHERE {extra}sl.service_id IN ({published})",  # noqa: S608 (names from _meta)
                    params,
                )
                for service_id, kind, pk in cursor.fetchall():
                    of_service.setdefault(service_id, set()).add(f"{kind}{pk}")
            cursor.execute(f"SELECT quartier_id, commune_id FROM {_table(Quartier.communes.through)}")  # noqa: S608
            communes_of: dict[int, list[str]] = {}
            for quartier_id, commune_id in cursor.fetchall():
                communes_of.setdefault(quartier_id, []).append(f"c{commune_id}")
            for statement in (
                f"SELECT worker_id, 'n', category_id FROM {_table(Worker.needs.through)}",  # noqa: S608
                f"SELECT worker_id, 'c', commune_id FROM {_table(Worker.area_communes.through)}",  # noqa: S608
                f"SELECT worker_id, 'q', quartier_id FROM {_table(Worker.quartiers.through)}",  # noqa: S608
            ):
                cursor.execute(f"{statement} WHERE worker_id IN ({listed})", params)
                for worker_id, kind, pk in cursor.fetchall():
                    tokens = held[worker_id]
                    tokens.add(f"{kind}{pk}")
                    if kind == "q":  # a quartier covered covers its communes
                        tokens.update(communes_of.get(pk, ()))
        shared: dict[frozenset[str], frozenset[str]] = {}
        for pk, tokens in held.items():
            tokens.update(of_service.get(self.service_of[pk], ()))
            frozen = frozenset(tokens)
            self.tokens_of[pk] = shared.setdefault(frozen, frozen)
        if services is None:
            self.rank, self.names = _name_order()

    # --- searching ---

    def word(self, kind: str, word: str, read: Callable[[str], Iterable[int]]) -> frozenset[int]:
        """What `read` found for this word, kept with this generation (the same names recur; a change to a
        worker, a service or an organisation makes a new index, with none kept)."""
        key = (kind, word)
        found = self._words.get(key)
        if found is None:
            found = frozenset(read(word))
            with self._lock:
                # Bounded: 512 words or 200,000 ids held (a few MB; a word as short as "a" finds most workers).
                if len(self._words) >= 512 or self._held + len(found) > WORD_IDS_HELD:
                    self._words.clear()
                    self._held = 0
                self._words[key] = found
                self._held += len(found)
        return found

    def of_services(self, services: Iterable[int]) -> set[int]:
        found: set[int] = set()
        for service in services:
            found.update(self.by_service.get(service, ()))
        return found

    def first(self, sets: list[frozenset[int] | set[int]], limit: int) -> list[int]:
        """The first `limit` listed workers in every set, in name order."""
        if not sets:
            candidates: Iterable[int] = self.service_of.keys()
        else:
            sets.sort(key=len)
            candidates = set(sets[0]).intersection(*sets[1:])
        listed, rank = self.service_of, self.rank
        return heapq.nsmallest(limit, (pk for pk in candidates if pk in listed), key=rank.__getitem__)


def _name_order() -> tuple[dict[int, int], dict[int, str]]:
    """Every worker's place in the order the search's statement gave (the database's collation), and its name."""
    worker = _table(Worker)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, full_name FROM {worker} ORDER BY full_name, id")  # noqa: S608 (names from _meta)
        rows = cursor.fetchall()
    return {pk: position for position, (pk, _name) in enumerate(rows)}, dict(rows)


_KEPT: KeptIndex[PeopleIndex] = KeptIndex(PeopleIndex.build)


def current_people_index() -> PeopleIndex:
    """The people index of the directory as it is now (see `KeptIndex`)."""
    return _KEPT.current()


def warm_up() -> bool:
    """Build this process's people index now (with the services' one, at a worker's start)."""
    try:
        current_people_index()
    except DatabaseError:
        return False
    return True
