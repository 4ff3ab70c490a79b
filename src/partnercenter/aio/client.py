"""The async Partner Center client: :class:`AsyncPartnerClient`, the twin of
:class:`partnercenter.PartnerClient` (same options, same methods, ``await``-ed)."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeVar

import httpx

from .._client.base import ClientBase
from .._client.concurrency import DEFAULT_CONCURRENCY, Outcome
from .._client.core import ApiCall
from .._client.responses import ApiResponse
from .._core.steps import Flow, drive_async
from ..clouds import Cloud
from ..errors import ConfigurationError
from ._operations_async import AsyncPartnerOperations
from .access_token import AccessTokenCredential
from .azure_adapter import AzureCredentialAdapter
from .base import AsyncTokenCredentialBase
from .client_flow import AsyncPager, map_concurrently

__all__ = ["AsyncPartnerClient"]

T = TypeVar("T")
R = TypeVar("R")


def async_credential(credential: object, cloud: Cloud | str | None) -> Any:
    """The credential to use: this library's async credentials as they are, any other
    azure-core ``AsyncTokenCredential`` behind the async :class:`AzureCredentialAdapter`."""
    if isinstance(credential, AsyncTokenCredentialBase | AccessTokenCredential):
        return credential
    get_token = getattr(credential, "get_token", None)
    if inspect.iscoroutinefunction(get_token):
        return AzureCredentialAdapter(credential, cloud=cloud or Cloud.GLOBAL)  # type: ignore[arg-type]
    if callable(get_token):
        raise ConfigurationError(
            "credential",
            f"{type(credential).__name__} is blocking; AsyncPartnerClient needs an async "
            "credential",
            hint="Use the credentials of partnercenter.aio (same names) with AsyncPartnerClient, "
            "or PartnerClient with blocking credentials.",
        )
    raise ConfigurationError(
        "credential", "must be a credential with get_token (e.g. aio.ClientSecretCredential)"
    )


class AsyncPartnerClient(
    AsyncPartnerOperations,
    ClientBase[
        httpx.AsyncClient,
        httpx.AsyncBaseTransport,
        AsyncPager,
        Callable[[float], Awaitable[object]],
    ],
):
    """An async client of the Partner Center REST API (asyncio or trio, through anyio).

    Same options and methods as :class:`partnercenter.PartnerClient`, with an async credential
    (:mod:`partnercenter.aio`) and an ``httpx.AsyncClient`` / ``httpx.AsyncBaseTransport``;
    it waits with ``timing.async_sleep`` (the deprecated ``sleep=`` is awaitable here). Single
    answers are awaited; ``list_*`` and :meth:`paginate` return an
    :class:`~partnercenter.aio.client_flow.AsyncPager` for ``async for``.

    For high request rates, one client per connection (sharing one credential) beats one
    client with a large pool: httpx's pool spends CPU re-assigning connections.
    Close it (``await client.close()`` or ``async with``) to release its connections.
    """

    _http_types = (httpx.AsyncClient, httpx.AsyncBaseTransport)
    _pager_type = AsyncPager
    _asynchronous = True
    _adopt = staticmethod(async_credential)

    # -- the async driver -------------------------------------------------------------------
    async def _run(self, flow: Flow[T]) -> T:
        return await drive_async(flow, *self._io())

    async def _execute(self, call: ApiCall) -> ApiResponse:
        return await self._run(self._call_flow(call))

    async def _body(self, call: ApiCall) -> dict[str, Any]:
        return await self._run(self._body_flow(call))

    # -- generic ---------------------------------------------------------------------------
    async def request(
        self,
        operation_or_method: str,
        path: str | None = None,
        *,
        params: Mapping[str, object] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        if_match: str | None = None,
        correlation_id: str | None = None,
        **path_params: str,
    ) -> ApiResponse:
        """Call any operation (see :meth:`partnercenter.PartnerClient.request`)."""
        call = self._request_call(
            operation_or_method, path, params, json, headers, if_match, correlation_id, path_params
        )
        return await self._execute(call)

    async def map_concurrently(
        self,
        fn: Callable[[T], Awaitable[R]],
        items: Iterable[T],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> list[Outcome[T, R]]:
        """Await ``fn(item)`` for every item, at most ``concurrency`` at a time, and return
        one :class:`~partnercenter.client.Outcome` per item, in order (Partner Center errors
        become outcomes; other exceptions propagate)."""
        return await map_concurrently(fn, items, concurrency=concurrency)

    # -- lifetime ---------------------------------------------------------------------------
    async def close(self) -> None:
        """Close the HTTP client this client created (one passed in stays open). The
        credential stays open: it is yours."""
        client = self._detach()
        if client is not None:
            await client.aclose()

    async def __aenter__(self) -> AsyncPartnerClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
