"""The async Partner Center client: :class:`AsyncPartnerClient`, the twin of
:class:`partnercenter.PartnerClient` (same options, same methods, ``await``-ed)."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeVar

import httpx

from .._credentials.arguments import Verify
from .._credentials.policy import RetryPolicy
from .._steps import drive_async
from .._timing import Timing, resolve_timing
from ..client.base import DEFAULT_DEADLINE, DEFAULT_TIMEOUT, ClientBase
from ..client.concurrency import DEFAULT_CONCURRENCY, Outcome
from ..client.core import ApiCall, MfaCheck, resolve_call
from ..client.flow import call_flow
from ..client.responses import ApiResponse, json_object
from ..clouds import Cloud
from ..errors import ConfigurationError
from ..tokens import AccessToken
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


class AsyncPartnerClient(AsyncPartnerOperations, ClientBase):
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

    _http_client: httpx.AsyncClient | None

    def __init__(
        self,
        credential: Any,
        *,
        cloud: Cloud | str | None = None,
        application_name: str | None = None,
        locale: str = "en-US",
        correlation_id: str | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        verify: Verify | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        deadline: float | None = DEFAULT_DEADLINE,
        mfa_check: MfaCheck = "error",
        check_access: bool = True,
        timing: Timing | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[object]] | None = None,
        random: Callable[[], float] | None = None,
    ) -> None:
        self._credential = async_credential(credential, cloud)
        self._set_http_options(
            http_client,
            transport,
            verify,
            httpx.AsyncClient,
            httpx.AsyncBaseTransport,
            credential=self._credential,
        )
        super().__init__(
            credential_cloud=getattr(self._credential, "cloud", None),
            cloud=cloud,
            application_name=application_name,
            locale=locale,
            correlation_id=correlation_id,
            retry=retry,
            timeout=timeout,
            deadline=deadline,
            mfa_check=mfa_check,
            check_access=check_access,
            timing=resolve_timing(
                timing, clock=clock, sleep=sleep, random=random, asynchronous=True
            ),
        )

    @property
    def credential(self) -> Any:
        """The credential the tokens come from."""
        return self._credential

    # -- I/O shell -------------------------------------------------------------------------
    def _client(self) -> httpx.AsyncClient:
        client = self._http_client
        if client is None:
            # First use, in the client's event loop (no await: no race between coroutines).
            client = self._http_client = httpx.AsyncClient(
                verify=self._verify, transport=self._transport
            )
            self._owns_client = True
        return client

    async def _token(self, stale: AccessToken | None) -> AccessToken:
        credential = self._credential
        if stale is not None:
            invalidate = getattr(credential, "invalidate", None)
            if invalidate is not None:
                invalidate(stale)
        token: AccessToken = await credential.get_token()
        return token

    async def _execute(self, call: ApiCall) -> ApiResponse:
        flow = call_flow(self._settings, call, self._retry, self._timing)
        client = self._client()

        async def send(request: httpx.Request) -> httpx.Response:
            # Never follow a redirect (see the blocking twin).
            return await client.send(request, follow_redirects=False)

        return await drive_async(flow, send, self._timing.async_sleep, self._token)

    def _pager(self, call: ApiCall) -> AsyncPager:
        return AsyncPager(self._execute, call, self._settings.api_root, self._new_id)

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
        call = resolve_call(
            operation_or_method,
            path,
            api_root=self._settings.api_root,
            params=params,
            json=json,
            headers=headers,
            if_match=if_match,
            correlation_id=correlation_id,
            path_params=path_params,
        )
        return await self._execute(call)

    def paginate(
        self,
        operation_or_method: str,
        path: str | None = None,
        *,
        params: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        correlation_id: str | None = None,
        **path_params: str,
    ) -> AsyncPager:
        """An :class:`~partnercenter.aio.client_flow.AsyncPager` over a collection's items
        (see :meth:`partnercenter.PartnerClient.paginate`)."""
        call = resolve_call(
            operation_or_method,
            path,
            api_root=self._settings.api_root,
            params=params,
            headers=headers,
            correlation_id=correlation_id,
            path_params=path_params,
        )
        return self._pager(call)

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

    def with_options(self, **options: Any) -> AsyncPartnerClient:
        """A client with other ``application_name``, ``locale``, ``correlation_id``,
        ``timeout``, ``deadline``, ``mfa_check`` or ``check_access``, sharing this one's
        credential and connections (close this one, not the copy)."""
        self._client()
        return self._derive(**options)

    # -- typed operations: generated from the catalog (_operations_async.py) --------------
    # (plain dicts, as Partner Center sends them); they run calls through these.
    async def _body(self, call: ApiCall) -> dict[str, Any]:
        return json_object(await self._execute(call), call)

    # -- lifetime ---------------------------------------------------------------------------
    async def close(self) -> None:
        """Close the HTTP client this client created (one passed in stays open). The
        credential stays open: it is yours."""
        client = self._http_client
        if self._owns_client and client is not None:
            self._http_client = None
            self._owns_client = False
            await client.aclose()

    async def __aenter__(self) -> AsyncPartnerClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"AsyncPartnerClient({self._describe()})"
