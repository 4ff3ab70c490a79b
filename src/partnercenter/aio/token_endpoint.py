"""The async driver class of the token-endpoint credentials: the twin of
:class:`partnercenter._credentials.token_endpoint.TokenEndpointCredential`. Everything else
(arguments,
requests, flows) is :class:`~partnercenter._credentials.token_endpoint.TokenEndpointCore`'s."""

from __future__ import annotations

from typing import TypeVar

import httpx

from .._credentials.token_endpoint import USER_AGENT, CredentialOptions, TokenEndpointCore
from .base import AsyncTokenCredentialBase

__all__ = ["AsyncCredentialOptions", "AsyncTokenEndpointCredential"]

T = TypeVar("T")

#: The async credentials take the same options (with an ``httpx.AsyncClient`` and an
#: ``httpx.AsyncBaseTransport``; a deprecated ``sleep=`` is awaitable).
AsyncCredentialOptions = CredentialOptions


class AsyncTokenEndpointCredential(TokenEndpointCore, AsyncTokenCredentialBase):
    """Base of the async credentials that call the token endpoint: an ``httpx.AsyncClient``
    (made on first use) and :func:`~partnercenter._core.steps.drive_async`."""

    _http_client_type = httpx.AsyncClient
    _transport_type = httpx.AsyncBaseTransport

    def _client(self) -> httpx.AsyncClient:
        client: httpx.AsyncClient | None = self._http_client
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

    async def _send(self, request: httpx.Request) -> httpx.Response:
        return await self._client().send(request)

    async def close(self) -> None:
        """Close the HTTP client this credential created (one passed in stays open)."""
        client = self._http_client
        if self._owns_client and client is not None:
            self._http_client = None
            self._owns_client = False
            await client.aclose()
