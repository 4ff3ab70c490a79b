"""The async credentials that call an Azure AD token endpoint (twin of
:mod:`partnercenter.auth.token_endpoint`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypedDict, Unpack

import httpx

from .._steps import drive_async
from .._timing import Timing
from ..auth.arguments import Verify
from ..auth.cache import TokenCache
from ..auth.client_auth import ClientAuth
from ..auth.flow import token_flow
from ..auth.policy import RetryPolicy
from ..auth.protocol import TokenRequest, TokenResponse
from ..auth.token_endpoint import (
    USER_AGENT,
    TokenEndpointCore,
    core_arguments,
)
from ..clouds import Cloud, EndpointVersion
from ..tokens import AccessToken
from .base import AsyncTokenCredentialBase

__all__ = ["AsyncCredentialOptions", "AsyncTokenEndpointCredential"]


class AsyncCredentialOptions(TypedDict, total=False):
    """Keyword options of the async token-endpoint credentials: as
    :class:`partnercenter.auth.token_endpoint.CredentialOptions`, with an
    ``httpx.AsyncClient`` and an ``httpx.AsyncBaseTransport``; ``timing``'s ``async_sleep`` is
    the wait (the deprecated ``sleep=`` is awaitable here)."""

    cloud: Cloud | str
    endpoint_version: EndpointVersion
    verify: Verify
    http_client: httpx.AsyncClient
    transport: httpx.AsyncBaseTransport
    timeout: float
    cache: TokenCache
    retry: RetryPolicy
    timing: Timing
    # Deprecated names (one release): retry_policy= is retry=, the other three are timing=.
    retry_policy: RetryPolicy
    clock: Callable[[], float]
    sleep: Callable[[float], Awaitable[object]]
    random: Callable[[], float]


class AsyncTokenEndpointCredential(TokenEndpointCore, AsyncTokenCredentialBase):
    """Base of the async credentials that call the token endpoint."""

    def __init__(
        self,
        *,
        kind: str,
        tenant_id: str,
        client_id: str,
        client_auth: ClientAuth,
        delegated: bool = False,
        account: str = "",
        **options: Unpack[AsyncCredentialOptions],
    ) -> None:
        self._set_http_options(options, httpx.AsyncClient, httpx.AsyncBaseTransport, client_auth)
        super().__init__(
            kind=kind,
            tenant_id=tenant_id,
            client_id=client_id,
            delegated=delegated,
            account=account,
            **core_arguments(options, asynchronous=True),
        )

    def _client(self) -> httpx.AsyncClient:
        client = self._http_client
        if client is None:
            # First use, in the credential's event loop (no await: no race between coroutines).
            client = self._http_client = httpx.AsyncClient(
                verify=self._verify,
                transport=self._transport,
                timeout=self._timeout,
                headers={"User-Agent": USER_AGENT},
            )
            self._owns_client = True
        return client

    async def _request_token(
        self,
        scopes: tuple[str, ...],
        tenant: str,
        claims: str | None,
        refresh_token: str | None = None,
    ) -> TokenResponse:
        def build(now: float) -> TokenRequest:
            return self._build_request(scopes, tenant, claims, now, refresh_token)

        flow = token_flow(build, retry=self._retry, timing=self._timing)
        return await drive_async(flow, self._client().send, self._timing.async_sleep)

    async def _fetch(self, scopes: tuple[str, ...], tenant: str, claims: str | None) -> AccessToken:
        return (await self._request_token(scopes, tenant, claims)).access_token

    async def close(self) -> None:
        """Close the HTTP client this credential created (one passed in stays open)."""
        client = self._http_client
        if self._owns_client and client is not None:
            self._http_client = None
            self._owns_client = False
            await client.aclose()
