"""The async twin of :class:`partnercenter.RedisTokenCache` (``redis.asyncio``), for the
:mod:`partnercenter.aio` credentials. Same tiers, lock, layout and degraded mode; the waits are
``await``-ed, so a waiting worker never blocks its event loop."""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable, Hashable

import anyio

from .._credentials.cache import CacheEntry
from .._credentials.policy import refresh_due
from .._credentials.redis_cache import _MAX_POLL, Flight, Seen, SharedCacheBase
from ..stores.redis_support import AsyncRedis
from ..tokens import AccessToken

__all__ = ["RedisTokenCache"]


_Fetch = Callable[[], Awaitable[AccessToken]]


class RedisTokenCache(AsyncRedis, SharedCacheBase):
    """A token cache shared through Redis, for the async credentials (see
    :class:`partnercenter.RedisTokenCache` for the options).

    The :class:`~partnercenter.TokenCache` calls (``get``, ``set``, ``remove``, ``clear``) are
    plain methods on the in-process tier, as the credentials call them without ``await``: Redis
    is written by :meth:`fetch_shared`, and a token removed here (``invalidate`` after a 401) is
    remembered as refused, so its shared copy is never served to this process again. A client
    belongs to the event loop that first used it.
    """

    def set(self, key: Hashable, entry: CacheEntry, /) -> None:
        """Store ``entry`` in the in-process tier."""
        self._front.set(key, entry)

    def remove(self, key: Hashable, /) -> None:
        """Forget ``key`` here, and never take its current token from Redis again."""
        self._remember_refused(key)
        self._front.remove(key)

    def clear(self) -> None:
        """Forget everything in the in-process tier (Redis entries expire on their own)."""
        self._front.clear()

    async def purge(self) -> int:
        """Delete every shared entry under this cache's prefix from Redis; returns how many."""
        client = self._redis()
        count = 0
        async for name in client.scan_iter(match=f"{self.options.prefix}at:*", count=500):
            count += int(await client.delete(name))
        return count

    async def fetch_shared(
        self,
        key: Hashable,
        fetch: Callable[[], Awaitable[AccessToken]],
        now: float,
        stale: AccessToken | None,
    ) -> CacheEntry:
        """See :meth:`partnercenter.RedisTokenCache.fetch_shared`."""
        name = self._name(key)
        if name is None or not self._health.available():
            return self._local(key, await fetch())
        flight = Flight(key, name, name + ":lock", secrets.token_hex(16), fetch, now)
        found = await self._look(flight, first=True)
        if found is not None:
            return found
        if stale is not None:
            return (refresh_due(stale), stale)
        return await self._follow(flight)

    async def _look(self, flight: Flight[_Fetch], *, first: bool) -> CacheEntry | None:
        """See :meth:`partnercenter.RedisTokenCache._look`."""
        seen = await self._run(self._look_flow(flight, first))
        if seen is Seen.FAILED:
            return self._local(flight.key, await flight.fetch())
        if seen is Seen.LOCKED:
            return await self._lead(flight)
        return None if seen is Seen.HELD else seen

    async def _lead(self, flight: Flight[_Fetch]) -> CacheEntry:
        try:
            entry = await self._run(self._reread_flow(flight))
            if entry is None:
                entry = self._led(flight, await flight.fetch())
                await self._run(self._write_flow(flight.name, entry, flight.now))
            return entry
        finally:
            with anyio.CancelScope(shield=True):
                await self._run(self._release_flow(flight.lock, flight.owner))

    async def _follow(self, flight: Flight[_Fetch]) -> CacheEntry:
        deadline = time.monotonic() + self.options.wait_timeout
        delay = self.options.poll_interval
        while time.monotonic() < deadline:
            await anyio.sleep(delay)
            delay = min(delay * 1.5, _MAX_POLL)
            found = await self._look(flight, first=False)
            if found is not None:
                return found
        self._waited_too_long()
        return self._local(flight.key, await flight.fetch())
