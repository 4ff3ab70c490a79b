"""Fan-out: tokens for many customer tenants at once, with bounded concurrency.

A nightly job over every customer needs one app + user token per customer tenant (the same
refresh token redeemed at each tenant's authority, GDAP-style). One at a time, 10,000 tenants
take 10,000 round trips; here a fixed pool of ``concurrency`` workers pulls tenants from the
iterable, so the job is limited by the network, memory stays bounded whatever the number of
tenants, and the token endpoint sees at most ``concurrency`` requests at a time.

:func:`fan_out_http_client` is an ``httpx.AsyncClient`` for such runs. On asyncio it sends
through :class:`~partnercenter.aio.http11.Http11Transport`, a lean keep-alive HTTP/1.1
transport: httpcore's general machinery (anyio TLS streams, h11, cancel scopes) cost about
twice the client CPU per token in the fan-out benchmark (docs/benchmarks.md). On other event
loops (trio) it uses one single-connection httpx pool per connection, each request handed to
a free one, because httpx's one shared pool re-examines every connection for every request.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

import anyio
import httpx

from .._credentials.arguments import check_verify
from ..errors import ConfigurationError, PartnerCenterError
from ..tokens import AccessToken
from .http11 import Http11Transport

__all__ = ["FanOutResult", "fan_out_http_client", "tokens_for_tenants"]

#: Enough to hide 50-100 ms of token-endpoint latency without crowding its throttling.
DEFAULT_CONCURRENCY = 32
MAX_CONCURRENCY = 1024


class _AsyncTenantCredential(Protocol):
    async def get_token(self, *scopes: str, tenant_id: str | None = None) -> AccessToken: ...


@dataclass(slots=True)
class FanOutResult:
    """The tokens got, by tenant, and the errors (a :class:`~partnercenter.errors.
    PartnerCenterError` per tenant that failed, e.g. no delegated access there)."""

    tokens: dict[str, AccessToken] = field(default_factory=dict)
    errors: dict[str, PartnerCenterError] = field(default_factory=dict)

    def raise_for_errors(self) -> None:
        """Raise the first tenant's error, if any tenant failed."""
        for error in self.errors.values():
            raise error

    def __repr__(self) -> str:
        return f"FanOutResult(tokens={len(self.tokens)}, errors={len(self.errors)})"


async def tokens_for_tenants(
    credential: _AsyncTenantCredential,
    tenant_ids: Iterable[str],
    *scopes: str,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> FanOutResult:
    """Get a token for each tenant in ``tenant_ids`` through an async credential
    (``credential.get_token(*scopes, tenant_id=tenant)``), at most ``concurrency`` at a time.

    Tokens already cached are served from the cache; duplicates are fetched once. A tenant that
    fails is reported in :attr:`FanOutResult.errors` and does not stop the others; anything
    that is not a :class:`~partnercenter.errors.PartnerCenterError` (a bug) cancels the run.
    """
    if isinstance(concurrency, bool) or not isinstance(concurrency, int):
        raise ConfigurationError("concurrency", "must be an int")
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise ConfigurationError("concurrency", f"must be between 1 and {MAX_CONCURRENCY}")
    if isinstance(tenant_ids, str):
        raise ConfigurationError("tenant_ids", "must be an iterable of tenant ids, not one string")
    result = FanOutResult()
    pending = iter(tenant_ids)
    seen: set[str] = set()
    invalid: list[ConfigurationError] = []

    async def worker() -> None:
        # Workers share one iterator: no await between next() and the claim, so no tenant is
        # taken twice (coroutines only interleave at awaits).
        for tenant in pending:
            if invalid:
                return
            if not isinstance(tenant, str) or not tenant:
                invalid.append(ConfigurationError("tenant_ids", "must hold non-empty strings"))
                return
            if tenant in seen:
                continue
            seen.add(tenant)
            try:
                result.tokens[tenant] = await credential.get_token(*scopes, tenant_id=tenant)
            except PartnerCenterError as exc:
                result.errors[tenant] = exc

    async with anyio.create_task_group() as group:
        for _ in range(concurrency):
            group.start_soon(worker)
    if invalid:
        raise invalid[0]
    return result


class _Lease(httpx.AsyncByteStream):
    """A response body that gives its connection back when closed."""

    def __init__(self, stream: httpx.AsyncByteStream, release: Callable[[], None]) -> None:
        self._stream = stream
        self._release: Callable[[], None] | None = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            release, self._release = self._release, None
            if release is not None:
                release()


class _SpreadTransport(httpx.AsyncBaseTransport):
    """``connections`` single-connection transports; a request waits for a free one."""

    def __init__(self, connections: int, verify: ssl.SSLContext | str | bool) -> None:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        self._free = [
            httpx.AsyncHTTPTransport(verify=verify, limits=limits) for _ in range(connections)
        ]
        self._all = list(self._free)
        self._available = anyio.Semaphore(connections)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await self._available.acquire()
        transport = self._free.pop()

        def release() -> None:
            self._free.append(transport)
            self._available.release()

        try:
            response = await transport.handle_async_request(request)
        except BaseException:
            release()
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_Lease(response.stream, release),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        for transport in self._all:
            await transport.aclose()


def fan_out_http_client(
    connections: int = DEFAULT_CONCURRENCY,
    *,
    verify: ssl.SSLContext | str | bool = True,
    timeout: float = 30.0,
) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` for a large fan-out: pass it as ``http_client=`` to the async
    credential (which never closes a client passed in: close it yourself), with
    ``connections`` equal to the fan-out's ``concurrency``. ``verify`` is a CA file path, an
    ``ssl.SSLContext`` or a bool, as for the credentials."""
    if isinstance(connections, bool) or not isinstance(connections, int):
        raise ConfigurationError("connections", "must be an int")
    if not 1 <= connections <= MAX_CONCURRENCY:
        raise ConfigurationError("connections", f"must be between 1 and {MAX_CONCURRENCY}")
    checked = check_verify(verify)
    client = httpx.AsyncClient(transport=_FanOutTransport(connections, checked), timeout=timeout)
    # httpx offers no public way to give a client its cookie store: ``client.cookies = x``
    # copies ``x`` into a plain Cookies. Replaced once, here, and held by a test.
    client._cookies = _Cookies(client.cookies)
    return client


class _Cookies(httpx.Cookies):
    """Cookies that skip the work when a response sets none.

    httpx hands every response to ``extract_cookies``, which wraps request and response in
    urllib adapters before the cookie jar looks for ``Set-Cookie``: an eighth of the client's
    CPU per token in the fan-out benchmark, for token responses that set no cookie.
    """

    def extract_cookies(self, response: httpx.Response) -> None:
        headers = response.headers
        if "set-cookie" in headers or "set-cookie2" in headers:
            super().extract_cookies(response)


def _on_asyncio() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # trio: no asyncio loop is running
        return False
    return True


class _FanOutTransport(httpx.AsyncBaseTransport):
    """The lean HTTP/1.1 transport on asyncio; the spread httpx pools on other loops (trio)."""

    def __init__(self, connections: int, verify: ssl.SSLContext | str | bool) -> None:
        self._connections = connections
        self._verify = verify
        self._inner: httpx.AsyncBaseTransport | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._inner is None:
            self._inner = (
                Http11Transport(self._connections, self._verify)
                if _on_asyncio()
                else _SpreadTransport(self._connections, self._verify)
            )
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        if self._inner is not None:
            await self._inner.aclose()
