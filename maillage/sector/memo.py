"""The sector figures' cache, with a layer in this process's memory for the length of one computation.

Counting and protecting a page reads the same cached objects many times (a year's monthly counts for each of
its indicators' levels, the network's patterns), and the warm-up reads them again for every centre: from the
shared cache (the database in production) each read is a round trip and an unpickling of the whole object.
Inside `shared()` each key is read from the shared cache once and then kept here, and what is computed is kept
here as well as written there. Every key names its inputs (counts' stamps, versions), so nothing read from
the layer is older than what the shared cache would give. Objects read from the layer are shared: callers
never change them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.core.cache import cache as shared_cache

_layer: ContextVar[dict[Any, Any] | None] = ContextVar("maillage_sector_memo", default=None)
T = TypeVar("T")


@contextmanager
def shared() -> Iterator[None]:
    """Within this block (and blocks nested in it: one layer), each cached object is read once."""
    if _layer.get() is not None:
        yield
        return
    token = _layer.set({})
    try:
        yield
    finally:
        _layer.reset(token)


def local(key: Any, compute: Callable[[], T]) -> T:
    """`compute()`, once per `shared()` block for `key` (every time outside one): derived values that are
    cheap to store but not worth a shared-cache round trip."""
    layer = _layer.get()
    if layer is None:
        return compute()
    if key not in layer:
        layer[key] = compute()
    return layer[key]  # type: ignore[no-any-return]


class _Cache:
    """The methods of Django's cache the sector modules use, through the layer when one is open."""

    def get(self, key: str, default: Any = None) -> Any:
        layer = _layer.get()
        if layer is not None and key in layer:
            return layer[key]
        value = shared_cache.get(key, default)
        if layer is not None and value is not default:
            layer[key] = value
        return value

    def set(self, key: str, value: Any, timeout: int | None = None) -> None:
        layer = _layer.get()
        if layer is not None:
            layer[key] = value
        shared_cache.set(key, value, timeout)

    def set_many(self, mapping: Mapping[str, Any], timeout: int | None = None) -> None:
        layer = _layer.get()
        if layer is not None:
            layer.update(mapping)
        shared_cache.set_many(dict(mapping), timeout)


cache = _Cache()
