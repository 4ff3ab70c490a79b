"""The async twin of :class:`partnercenter.RedisTokenCache` (``redis.asyncio``), for the
:mod:`partnercenter.aio` credentials. Same tiers, lock, layout and degraded mode; the waits are
``await``-ed, so a waiting worker never blocks its event loop."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

import anyio

from .._credentials.cache import CacheEntry
from .._credentials.policy import refresh_due
from .._credentials.redis_cache import _MAX_POLL, RELEASE_SCRIPT, SharedCacheBase, ttl_ms
from ..stores.redis_support import make_client
from ..tokens import AccessToken

__all__ = ["RedisTokenCache"]

logger = logging.getLogger("partnercenter.redis")


class RedisTokenCache(SharedCacheBase):
    """A token cache shared through Redis, for the async credentials (see
    :class:`partnercenter.RedisTokenCache` for the options).

    The :class:`~partnercenter.TokenCache` calls (``get``, ``set``, ``remove``, ``clear``) are
    plain methods on the in-process tier, as the credentials call them without ``await``: Redis
    is written by :meth:`fetch_shared`, and a token removed here (``invalidate`` after a 401) is
    remembered as refused, so its shared copy is never served to this process again. A client
    belongs to the event loop that first used it.
    """

    _async = True

    def _redis(self) -> Any:
        if self._client is None:
            assert self._target is not None
            self._client = make_client(self._target, self.options.timeout, asynchronous=True)
        return self._client

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
        owner = secrets.token_hex(16)
        lock = name + ":lock"
        locked = False
        try:
            client = self._redis()
            with anyio.fail_after(self.options.timeout * 2):
                while (orphan := self._orphans.take()) is not None:
                    try:
                        await client.eval(RELEASE_SCRIPT, 1, *orphan)
                    except BaseException:
                        self._orphans.add(*orphan)
                        raise
                entry = self._decode(key, name, await client.get(name), now)
                if entry is None:
                    locked = await client.set(lock, owner, nx=True, px=self._lock_ms())
            self._health.succeeded()
        except self._errors as exc:
            self._health.failed(exc)
            self._orphans.add(lock, owner)
            return self._local(key, await fetch())
        if entry is not None:
            self._front.set(key, entry)
            return entry
        if locked:
            return await self._lead(key, name, lock, owner, fetch, now)
        if stale is not None:
            return (refresh_due(stale), stale)
        return await self._follow(key, name, lock, owner, fetch, now)

    def _lock_ms(self) -> int:
        return int(self.options.lock_ttl * 1000)

    async def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """One Redis call, bounded by the timeout (anyio raises TimeoutError, an OSError, so the
        degraded-mode handlers catch it) even if the socket timeout is not enough."""
        with anyio.fail_after(self.options.timeout * 2):
            return await getattr(self._redis(), method)(*args, **kwargs)

    async def _lead(
        self,
        key: Hashable,
        name: str,
        lock: str,
        owner: str,
        fetch: Callable[[], Awaitable[AccessToken]],
        now: float,
    ) -> CacheEntry:
        try:
            try:
                entry = self._decode(key, name, await self._call("get", name), now)
            except self._errors as exc:
                self._health.failed(exc)
                entry = None
            if entry is not None:
                self._front.set(key, entry)
                return entry
            entry = self._local(key, await fetch())
            self._refused.pop(key, None)
            await self._write(name, entry, now)
            return entry
        finally:
            with anyio.CancelScope(shield=True):
                await self._release(lock, owner)

    async def _follow(
        self,
        key: Hashable,
        name: str,
        lock: str,
        owner: str,
        fetch: Callable[[], Awaitable[AccessToken]],
        now: float,
    ) -> CacheEntry:
        deadline = time.monotonic() + self.options.wait_timeout
        delay = self.options.poll_interval
        taken = False
        while time.monotonic() < deadline:
            await anyio.sleep(delay)
            delay = min(delay * 1.5, _MAX_POLL)
            try:
                entry = self._decode(key, name, await self._call("get", name), now)
                if entry is None:
                    taken = await self._call("set", lock, owner, nx=True, px=self._lock_ms())
            except self._errors as exc:
                self._health.failed(exc)
                self._orphans.add(lock, owner)
                return self._local(key, await fetch())
            if entry is not None:
                self._front.set(key, entry)
                return entry
            if taken:
                return await self._lead(key, name, lock, owner, fetch, now)
        logger.warning(
            "waited %g s for another process's token request; requesting directly",
            self.options.wait_timeout,
        )
        return self._local(key, await fetch())

    async def _write(self, name: str, entry: CacheEntry, now: float) -> None:
        if not self._health.available():
            return
        try:
            await self._call("set", name, self._seal(name, entry), px=ttl_ms(entry, now))
            self._health.succeeded()
        except self._errors as exc:
            self._health.failed(exc)

    async def _release(self, lock: str, owner: str) -> None:
        if not self._health.available():
            self._orphans.add(lock, owner)
            return
        try:
            await self._call("eval", RELEASE_SCRIPT, 1, lock, owner)
        except self._errors as exc:
            self._health.failed(exc)
            self._orphans.add(lock, owner)

    async def aclose(self) -> None:
        """Close the Redis connections this cache made (not a client passed in)."""
        if self._target is not None and self._client is not None:
            await self._client.aclose()
            self._client = None
