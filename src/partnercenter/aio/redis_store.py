"""The async twin of :class:`partnercenter.RedisRefreshTokenStore`: a native async store
(``redis.asyncio``), so the async credentials await it directly, never through a worker thread.
Same layout, compare-and-set, rotation lock and degraded mode."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import anyio

from ..stores.records import RefreshTokenRecord
from ..stores.redis_store import StoreCore
from ..stores.redis_support import AsyncRedis

__all__ = ["AsyncRotationView", "RedisRefreshTokenStore"]

T = TypeVar("T")


class RedisRefreshTokenStore(AsyncRedis, StoreCore):
    """An :class:`~partnercenter.stores.AsyncRefreshTokenStore` in Redis (see
    :class:`partnercenter.RedisRefreshTokenStore` for the options). A client belongs to the
    event loop that first used it."""

    def __init__(self, client: Any = None, **options: Any) -> None:
        super().__init__(client, **options)
        self._fence = anyio.Lock()

    async def load(self, key: str) -> str | None:
        """The refresh token under ``key``, or ``None``."""
        record = await self.load_record(key)
        return None if record is None else record.refresh_token

    async def load_record(self, key: str) -> RefreshTokenRecord | None:
        """The record under ``key`` (Redis; the last one seen here while Redis is away)."""
        return await self._run(self._load_flow(key))

    async def save(self, key: str, refresh_token: str) -> None:
        """Store ``refresh_token`` under ``key`` (unconditionally)."""
        await self._run(self._save_flow(key, refresh_token))

    async def delete(self, key: str) -> None:
        """Forget ``key``."""
        await self._run(self._delete_flow(key))

    async def replace(self, key: str, expected: str | None, refresh_token: str) -> bool:
        """Compare-and-set (see :meth:`partnercenter.RedisRefreshTokenStore.replace`)."""
        return await self._run(self._replace_flow(key, expected, refresh_token))

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
        return await self._run(self._acquire_flow(lock, owner))

    async def _release(self, lock: str, owner: str) -> None:
        await self._run(self._release_flow(lock, owner))


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
