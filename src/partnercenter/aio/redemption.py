"""Async twin of :mod:`partnercenter.auth.redemption`: the same steps, with ``await``, for
blocking stores and async ones.

A blocking store's calls run in a worker thread (:func:`call_store`): the file store may wait
up to 30 s for its cross-process lock and fsyncs every save, and an OS keyring may go through
D-Bus, none of which may stall the event loop. Whatever a store call returns is awaited when
awaitable."""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio.to_thread

from ..auth.protocol import TokenResponse
from ..auth.redemption import warn_if_expiring
from ..errors import InvalidGrantError
from ..stores import AsyncRefreshTokenStore, MemoryRefreshTokenStore, RefreshTokenStore
from ..stores.records import RefreshTokenRecord

__all__ = ["call_store", "load_stored", "redeem_stored", "resolve"]

logger = logging.getLogger("partnercenter.auth")

T = TypeVar("T")


async def resolve(value: T | Awaitable[T]) -> T:
    """``value``, awaited if it is awaitable (a store may be blocking or async)."""
    if inspect.isawaitable(value):
        return await value
    return value


async def call_store(store: object, method: str, *args: Any) -> Any:
    """``store.method(*args)`` without blocking the event loop: awaited for an async store,
    inline for the in-memory one (it never blocks), in a worker thread for any other."""
    function: Callable[..., Any] = getattr(store, method)
    if inspect.iscoroutinefunction(function):
        return await function(*args)
    if isinstance(store, MemoryRefreshTokenStore):
        result = function(*args)
    else:
        result = await anyio.to_thread.run_sync(functools.partial(function, *args))
    return await resolve(result)


async def load_stored(
    store: RefreshTokenStore | AsyncRefreshTokenStore, store_key: str, now: float
) -> str | None:
    """The stored refresh token, warning first if it nears the inactivity limit."""
    if getattr(store, "load_record", None) is None:
        loaded: str | None = await call_store(store, "load", store_key)
        return loaded
    record: RefreshTokenRecord | None = await call_store(store, "load_record", store_key)
    if record is None:
        return None
    warn_if_expiring(record, now, store_key)
    return record.refresh_token


async def redeem_stored(
    store: RefreshTokenStore | AsyncRefreshTokenStore,
    store_key: str,
    now: float,
    redeem: Callable[[str], Awaitable[TokenResponse]],
) -> TokenResponse | None:
    """Redeem the stored refresh token and save the rotated one; ``None`` if none is stored
    (see :func:`partnercenter.auth.redemption.redeem_stored`)."""
    rotation: Callable[[str], Any] | None = getattr(store, "rotation", None)
    if rotation is not None:
        # A store shared by a fleet (Redis): redeem inside its rotation lock.
        manager = rotation(store_key)
        if hasattr(manager, "__aenter__"):
            async with manager as view:
                return await redeem_stored(view, store_key, now, redeem)
        with manager as view:  # a blocking shared store
            return await redeem_stored(view, store_key, now, redeem)
    refresh_token = await load_stored(store, store_key, now)
    if not refresh_token:
        return None
    try:
        response = await redeem(refresh_token)
    except InvalidGrantError:
        newer: str | None = await call_store(store, "load", store_key)
        if not newer or newer == refresh_token:
            raise
        logger.info("the stored refresh token changed while it was redeemed; retrying with it")
        refresh_token = newer
        response = await redeem(refresh_token)
    if response.refresh_token and response.refresh_token != refresh_token:
        await call_store(store, "save", store_key, response.refresh_token)
    return response
