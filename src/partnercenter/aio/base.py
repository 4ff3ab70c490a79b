"""The async twin of :class:`partnercenter._credentials.base.TokenCredentialBase`.

Same cache hit path (no ``await`` on a hit), same policy; single flight across coroutines with
an ``anyio.Event`` so it works under asyncio and trio. An async credential belongs to one event
loop at a time.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import Any, TypeVar

import anyio
import httpx

from .._core.steps import Flow, drive_async
from .._credentials.base import CacheKey, CredentialCore, Flight
from .._credentials.cache import shared_fetch
from .._credentials.policy import RefreshStatus
from ..tokens import AccessToken

__all__ = ["AsyncTokenCredentialBase"]

T = TypeVar("T")


class AsyncTokenCredentialBase(CredentialCore, abc.ABC):
    """An async credential: ``await get_token(*scopes)`` with caching, proactive refresh and
    single flight. Satisfies azure-core's ``AsyncTokenCredential`` and
    ``AsyncSupportsTokenInfo``."""

    _asynchronous = True

    def __init__(self, **core: Any) -> None:
        super().__init__(**core)
        self._flights: dict[CacheKey, Flight[anyio.Event]] = {}
        # A cache shared by processes (Redis) runs the fetch: one token request per fleet.
        self._fetch_shared = shared_fetch(self._cache, asynchronous=True)

    async def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        """An access token for ``scopes`` (default: the cloud's Partner Center scope); see the
        blocking twin for the options. A cache hit does not yield to the event loop."""
        entry = self._cache_get((self._identity, tenant_id, scopes or self._default_scopes))
        if entry is not None and claims is None and self._clock() < entry[0]:
            return entry[1]
        return await self._get_token_slow(scopes or self._default_scopes, claims, tenant_id)

    async def get_token_info(
        self, *scopes: str, options: Mapping[str, Any] | None = None
    ) -> AccessToken:
        """azure-core's ``AsyncSupportsTokenInfo`` (``options``: ``tenant_id``, ``claims``)."""
        options = options or {}
        return await self.get_token(
            *scopes, claims=options.get("claims"), tenant_id=options.get("tenant_id")
        )

    async def _get_token_slow(
        self, scopes: tuple[str, ...], claims: str | None, tenant_id: str | None
    ) -> AccessToken:
        tenant = self._resolve_tenant(tenant_id)
        request_scopes = self._request_scopes(scopes)
        key: CacheKey = (self._identity, tenant_id, scopes)
        if claims is not None:
            token = await self._fetch(request_scopes, tenant, claims)
            self._cache.set(key, self._entry(token))
            return token
        while True:
            # No await between the check and the registration: coroutines cannot interleave.
            now = self._clock()
            status, cached = self._status(key, now)
            if status is RefreshStatus.NOT_NEEDED and cached is not None:
                return cached
            flight = self._flights.get(key)
            if flight is None:
                flight = self._flights[key] = Flight(anyio.Event())
                return await self._lead(key, flight, status, cached, now, request_scopes, tenant)
            if status is RefreshStatus.RECOMMENDED and cached is not None:
                return cached
            await flight.done.wait()
            shared = flight.outcome()
            if shared is not None:
                return shared
            # The leader was cancelled: loop, and one of the waiters leads.

    async def _lead(
        self,
        key: CacheKey,
        flight: Flight[anyio.Event],
        status: RefreshStatus,
        cached: AccessToken | None,
        now: float,
        scopes: tuple[str, ...],
        tenant: str,
    ) -> AccessToken:
        try:
            if self._fetch_shared is None:
                token = await self._fetch(scopes, tenant, None)
            else:
                stale = cached if status is RefreshStatus.RECOMMENDED else None
                entry = await self._fetch_shared(
                    key, lambda: self._fetch(scopes, tenant, None), now, stale
                )
                token = entry[1]
        except Exception as exc:
            del self._flights[key]
            served = self._lead_failed(key, flight, status, cached, now, exc)
            if served is None:
                raise
            return served
        except BaseException:
            # Cancelled: the waiters must not hang; one of them takes over.
            del self._flights[key]
            flight.finish()
            raise
        self._landed(key, token)
        del self._flights[key]
        flight.finish(token=token)
        return token

    async def _fetch(self, scopes: tuple[str, ...], tenant: str, claims: str | None) -> AccessToken:
        """Get a new token from the source (no cache involved): run ``_fetch_flow``."""
        return await self._run(self._fetch_flow(scopes, tenant, claims))

    async def _run(self, flow: Flow[T]) -> T:
        """Run one of this credential's flows to its result."""
        return await drive_async(flow, self._send, self._timing.async_sleep)

    async def _send(self, request: httpx.Request) -> httpx.Response:
        raise TypeError(f"{type(self).__name__} sends no HTTP request")

    async def close(self) -> None:
        """Release the HTTP client this credential created (not one passed in)."""

    async def __aenter__(self) -> AsyncTokenCredentialBase:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
