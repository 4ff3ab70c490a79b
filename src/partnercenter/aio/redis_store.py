"""The async twin of :class:`partnercenter.RedisRefreshTokenStore`: a native async store
(``redis.asyncio``), so the async credentials await it directly, never through a worker thread.
Same layout, compare-and-set, rotation lock and degraded mode."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio

from ..stores.records import RefreshTokenRecord
from ..stores.redis_store import _MAX_POLL, StoreCore
from ..stores.redis_support import RELEASE_SCRIPT, make_client

__all__ = ["AsyncRotationView", "RedisRefreshTokenStore"]


class RedisRefreshTokenStore(StoreCore):
    """An :class:`~partnercenter.stores.AsyncRefreshTokenStore` in Redis (see
    :class:`partnercenter.RedisRefreshTokenStore` for the options). A client belongs to the
    event loop that first used it."""

    def __init__(self, client: Any = None, **options: Any) -> None:
        super().__init__(client, **options)
        self._fence = anyio.Lock()

    def _redis(self) -> Any:
        if self._client is None:
            assert self._target is not None
            self._client = make_client(self._target, self.options.timeout, asynchronous=True)
        return self._client

    async def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """One Redis call, bounded by the timeout (anyio raises TimeoutError, an OSError, so the
        degraded-mode handlers catch it) (also while a connection is being made)."""
        with anyio.fail_after(self.options.timeout * 2):
            return await getattr(self._redis(), method)(*args, **kwargs)

    async def _use(self) -> bool:
        if not self._health.available():
            return False
        while (orphan := self._orphans.take()) is not None:
            try:
                await self._call("eval", RELEASE_SCRIPT, 1, *orphan)
            except BaseException:
                self._orphans.add(*orphan)
                raise
        for key in list(self._pending_deletes):
            await self._call("eval", *self._delete_args(self._name(key)))
            self._pending_deletes.discard(key)
        if self._pending:
            for key, expected in list(self._pending.items()):
                record = self._local.get(key)
                if record is not None:
                    await self._call("eval", *self._cas_args(self._name(key), expected, record))
                self._pending.pop(key, None)
        return True

    async def load(self, key: str) -> str | None:
        """The refresh token under ``key``, or ``None``."""
        record = await self.load_record(key)
        return None if record is None else record.refresh_token

    async def load_record(self, key: str) -> RefreshTokenRecord | None:
        """The record under ``key`` (Redis; the last one seen here while Redis is away)."""
        name = self._name(key)
        try:
            if await self._use():
                record = self._decode(name, await self._call("hget", name, "v"))
                known = self._local.get(key)
                if record is None and known is not None:
                    restored = await self._call("eval", *self._restore_args(name, known))
                    self._restored(key, restored)
                    # Not restored: deleted on purpose (a marker), or restored by another
                    # worker first; either way Redis now says what is there.
                    if restored:
                        record = known
                    else:
                        record = self._decode(name, await self._call("hget", name, "v"))
                self._health.succeeded()
                self._remember(key, record)
                return record
        except self._errors as exc:
            self._health.failed(exc)
        return self._local.get(key)

    async def save(self, key: str, refresh_token: str) -> None:
        """Store ``refresh_token`` under ``key`` (unconditionally)."""
        token = self._check_token(refresh_token)
        name = self._name(key)
        current = self._local.get(key)
        try:
            if await self._use():
                current = self._decode(name, await self._call("hget", name, "v"))
                record = self._record(current, token)
                await self._call("eval", *self._save_args(name, record))
                self._health.succeeded()
                self._remember(key, record)
                return
        except self._errors as exc:
            self._health.failed(exc)
        self._save_later(key, current, token)

    async def delete(self, key: str) -> None:
        """Forget ``key``."""
        name = self._name(key)
        self._local.pop(key, None)
        self._pending.pop(key, None)
        try:
            if await self._use():
                await self._call("eval", *self._delete_args(name))
                self._health.succeeded()
                return
        except self._errors as exc:
            self._health.failed(exc)
        self._delete_later(key)

    async def replace(self, key: str, expected: str | None, refresh_token: str) -> bool:
        """Compare-and-set (see :meth:`partnercenter.RedisRefreshTokenStore.replace`)."""
        token = self._check_token(refresh_token)
        name = self._name(key)
        old = "" if expected is None else self._sealer.fingerprint(expected)
        current = self._local.get(key)
        try:
            if await self._use():
                current = self._decode(name, await self._call("hget", name, "v"))
                record = self._record(current, token)
                stored = await self._call("eval", *self._cas_args(name, old, record))
                self._health.succeeded()
                if stored:
                    self._remember(key, record)
                return bool(stored)
        except self._errors as exc:
            self._health.failed(exc)
        self._save_later(key, current, token, old)
        return True

    @asynccontextmanager
    async def rotation(self, key: str) -> AsyncIterator[AsyncRotationView]:
        """See :meth:`partnercenter.RedisRefreshTokenStore.rotation`."""
        lock = self._name(key) + ":lock"
        owner = self._owner()
        held = self.serialize and await self._acquire(lock, owner)
        try:
            if self.serialize and not held:
                async with self._fence:
                    yield AsyncRotationView(self)
            else:
                yield AsyncRotationView(self)
        finally:
            if held:
                with anyio.CancelScope(shield=True):
                    await self._release(lock, owner)

    async def _acquire(self, lock: str, owner: str) -> bool:
        deadline = anyio.current_time() + self.options.wait_timeout
        delay = self.options.poll_interval / 4
        ttl = int(self.options.lock_ttl * 1000)
        while True:
            try:
                if not await self._use():
                    return False
                if await self._call("set", lock, owner, nx=True, px=ttl):
                    self._health.succeeded()
                    return True
            except self._errors as exc:
                self._health.failed(exc)
                self._orphans.add(lock, owner)
                return False
            if anyio.current_time() >= deadline:
                return False
            await anyio.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 1.5, _MAX_POLL)

    async def _release(self, lock: str, owner: str) -> None:
        try:
            if await self._use():
                await self._call("eval", RELEASE_SCRIPT, 1, lock, owner)
            else:
                self._orphans.add(lock, owner)
        except self._errors as exc:
            self._health.failed(exc)
            self._orphans.add(lock, owner)

    async def aclose(self) -> None:
        """Close the Redis connections this store made (not a client passed in)."""
        if self._target is not None and self._client is not None:
            await self._client.aclose()
            self._client = None


class AsyncRotationView:
    """The async twin of :class:`partnercenter.stores.redis_store.RotationView`."""

    __slots__ = ("_store", "_loaded")

    def __init__(self, store: RedisRefreshTokenStore) -> None:
        self._store = store
        self._loaded: dict[str, str | None] = {}

    async def load_record(self, key: str) -> RefreshTokenRecord | None:
        record = await self._store.load_record(key)
        self._loaded[key] = None if record is None else record.refresh_token
        return record

    async def load(self, key: str) -> str | None:
        record = await self.load_record(key)
        return None if record is None else record.refresh_token

    async def save(self, key: str, refresh_token: str) -> None:
        if key not in self._loaded:
            await self._store.save(key, refresh_token)
            return
        await self._store.replace(key, self._loaded[key], refresh_token)

    async def delete(self, key: str) -> None:
        await self._store.delete(key)
