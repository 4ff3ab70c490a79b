"""The access-token cache: a small interface and the in-memory implementation.

An entry is ``(refresh_due, token)``: the moment a refresh becomes worth trying is computed once,
when the token is stored, so that a cache hit is one dict lookup, one clock read and one
comparison, whatever the number of tenants and clients cached. Keys are built by the
credentials (their identity, the tenant, the scopes) and are opaque to the cache.

Credentials only call ``get`` and ``set`` (and ``remove`` / ``clear`` for housekeeping). A
cache shared between processes (:class:`~partnercenter.RedisTokenCache`) also has
``fetch_shared``, which the credentials call on a miss instead of fetching themselves, so a
fleet makes one token request (see :func:`shared_fetch`).
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable, Hashable
from typing import Any, Protocol, runtime_checkable

from ..errors import ConfigurationError
from ..tokens import AccessToken

__all__ = ["CacheEntry", "MemoryTokenCache", "TokenCache", "shared_fetch"]

#: ``(refresh_due, token)``: serve ``token`` while ``now < refresh_due``.
CacheEntry = tuple[float, AccessToken]


@runtime_checkable
class TokenCache(Protocol):
    """Where credentials keep access tokens. Must be safe to call from many threads."""

    def get(self, key: Hashable, /) -> CacheEntry | None:
        """The entry stored under ``key``, or ``None``."""

    def set(self, key: Hashable, entry: CacheEntry, /) -> None:
        """Store ``entry`` under ``key``, replacing any previous one."""

    def remove(self, key: Hashable, /) -> None:
        """Forget ``key`` (no error when absent)."""

    def clear(self) -> None:
        """Forget everything."""


class MemoryTokenCache:
    """An in-process :class:`TokenCache`: a dict.

    ``get`` *is* the dict's own ``get`` (a C method, no Python frame), which is what makes a hit
    cost well under a microsecond. Single dict operations are atomic under the GIL, so reads
    need no lock; ``max_entries`` (optional) bounds memory by dropping the oldest entries.
    Share one instance between credentials to share tokens (e.g. one per customer tenant).
    """

    __slots__ = ("get", "_entries", "_max_entries", "_lock")

    def __init__(self, max_entries: int | None = None) -> None:
        if max_entries is not None and (not isinstance(max_entries, int) or max_entries < 1):
            raise ConfigurationError("max_entries", "must be a positive int or None")
        self._entries: dict[Hashable, CacheEntry] = {}
        self._max_entries = max_entries
        self._lock = threading.Lock()
        self.get = self._entries.get

    def set(self, key: Hashable, entry: CacheEntry, /) -> None:
        """Store ``entry`` under ``key``."""
        entries = self._entries
        if self._max_entries is not None and key not in entries:
            # Eviction iterates the dict: serialize it against concurrent writers.
            with self._lock:
                while len(entries) >= self._max_entries:
                    try:
                        del entries[next(iter(entries))]
                    except (StopIteration, KeyError, RuntimeError):
                        break
                entries[key] = entry
            return
        entries[key] = entry

    def remove(self, key: Hashable, /) -> None:
        """Forget ``key``."""
        self._entries.pop(key, None)

    def clear(self) -> None:
        """Forget everything."""
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"MemoryTokenCache(entries={len(self._entries)})"


def shared_fetch(cache: TokenCache, *, asynchronous: bool) -> Callable[..., Any] | None:
    """The cache's ``fetch_shared(key, fetch, now, stale) -> CacheEntry`` (a coroutine function
    for async credentials), or ``None`` for a cache that only stores. A cache of the other kind
    (a blocking Redis cache given to an async credential, or the reverse) is refused."""
    fetch = getattr(cache, "fetch_shared", None)
    if fetch is None:
        return None
    if inspect.iscoroutinefunction(fetch) != asynchronous:
        raise ConfigurationError(
            "cache",
            "is an async cache: use it with the partnercenter.aio credentials"
            if not asynchronous
            else "is a blocking cache: use partnercenter.aio.RedisTokenCache with async "
            "credentials",
        )
    result: Callable[..., Any] = fetch
    return result
