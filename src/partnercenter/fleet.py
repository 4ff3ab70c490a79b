"""A fleet's shared Redis in one call, for front ends that can point at it (the CLI, the
pytest plugin): the token cache and the refresh-token store for a URL, or for
``PARTNERCENTER_REDIS_URL``.

It sits above the layers it joins (the stores, the blocking and the async caches), so that
neither ``stores`` nor ``auth`` imports the other direction."""

from __future__ import annotations

import os
from typing import Any

from .stores.redis_support import REDIS_URL_ENV

__all__ = ["REDIS_URL_ENV", "redis_from_env"]


def redis_from_env(
    url: str | None = None, *, asynchronous: bool = False, **options: Any
) -> tuple[Any, Any] | None:
    """``(RedisTokenCache, RedisRefreshTokenStore)`` for ``url`` (e.g. from a CLI profile), or
    for ``$PARTNERCENTER_REDIS_URL`` when ``url`` is ``None``; ``None`` when neither is set.

    ``asynchronous=True`` gives the :mod:`partnercenter.aio` twins. ``options`` go to both
    (``key``, ``prefix``, ``timeout``...; see docs/redis.md). Nothing connects until first use.
    """
    if url is None:
        url = os.environ.get(REDIS_URL_ENV) or None
    if url is None:
        return None
    if asynchronous:
        from .aio.redis_cache import RedisTokenCache as AsyncCache
        from .aio.redis_store import RedisRefreshTokenStore as AsyncStore

        return AsyncCache.from_url(url, **options), AsyncStore.from_url(url, **options)
    from ._credentials.redis_cache import RedisTokenCache
    from .stores.redis_store import RedisRefreshTokenStore

    return RedisTokenCache.from_url(url, **options), RedisRefreshTokenStore.from_url(url, **options)
