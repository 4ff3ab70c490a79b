"""The blocking Partner Center client."""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import httpx

from .._credentials.access_token import AccessTokenCredential
from .._credentials.arguments import Verify
from .._credentials.azure_adapter import AzureCredentialAdapter
from .._credentials.base import TokenCredentialBase
from .._credentials.policy import RetryPolicy
from .._steps import drive
from .._timing import Timing, resolve_timing
from ..clouds import Cloud
from ..errors import ConfigurationError
from ..tokens import AccessToken
from ._operations_sync import PartnerOperations
from .base import DEFAULT_DEADLINE, DEFAULT_TIMEOUT, ClientBase
from .concurrency import DEFAULT_CONCURRENCY, Outcome, map_concurrently
from .core import ApiCall, MfaCheck, resolve_call
from .flow import call_flow
from .paging import Pager
from .responses import ApiResponse, json_object

__all__ = ["PartnerClient"]

T = TypeVar("T")
R = TypeVar("R")


def _is_async_credential(credential: object) -> bool:
    return inspect.iscoroutinefunction(getattr(credential, "get_token", None))


def sync_credential(credential: object, cloud: Cloud | str | None) -> Any:
    """The credential to use: this library's blocking credentials as they are, any other
    azure-core ``TokenCredential`` behind :class:`AzureCredentialAdapter` (its cache)."""
    if isinstance(credential, TokenCredentialBase | AccessTokenCredential):
        return credential
    if _is_async_credential(credential):
        raise ConfigurationError(
            "credential",
            f"{type(credential).__name__} is async; PartnerClient needs a blocking credential",
            hint="Use partnercenter.aio.AsyncPartnerClient with async credentials, or the "
            "blocking credentials of partnercenter with PartnerClient.",
        )
    if callable(getattr(credential, "get_token", None)):
        return AzureCredentialAdapter(credential, cloud=cloud or Cloud.GLOBAL)  # type: ignore[arg-type]
    raise ConfigurationError(
        "credential", "must be a credential with get_token (e.g. ClientSecretCredential)"
    )


class PartnerClient(PartnerOperations, ClientBase):
    """A blocking client of the Partner Center REST API.

    ``credential`` is any credential of this library (app-only or app + user; the kind is read
    from its tokens) or any azure-core ``TokenCredential``. Every request carries the bearer
    token, ``Accept: application/json``, a new ``MS-RequestId`` per call (the same on each of
    its retries), ``MS-CorrelationId`` (the call's, the client's ``correlation_id``, or new),
    ``X-Locale``, ``MS-Contract-Version: v1``, ``MS-PartnerCenter-Application`` (when
    ``application_name`` is given), ``MS-PartnerCenter-Client`` and a ``User-Agent``.

    Options:

    - ``cloud``: where to call (default: the credential's cloud, else ``Cloud.GLOBAL``).
    - ``http_client`` (an ``httpx.Client``, never closed by this client) or ``transport``;
      ``verify``: a CA file path (e.g. the emulator's ``ca_cert``), ``True``, ``False`` or an
      ``ssl.SSLContext``, for the client this client makes.
    - ``retry``: a :class:`~partnercenter.RetryPolicy` (default: 3 retries of 429, 5xx and
      connection failures, 0.5 s back-off doubling to 8 s with jitter, ``Retry-After`` honoured
      up to 60 s); ``timeout``: seconds per attempt; ``deadline``: seconds per call, retries
      included (``None``: no deadline).
    - ``mfa_check``: ``"error"`` (default) raises :class:`~partnercenter.errors.MfaRequiredError`
      before sending an app + user token without MFA; ``"warn"`` warns; ``"off"`` sends it.
    - ``check_access``: ``True`` (default) raises
      :class:`~partnercenter.errors.AppUserRequiredError` before sending an app-only token to an
      operation the catalog (:mod:`partnercenter.operations`) marks app + user.
    - ``timing``: a :class:`~partnercenter.Timing` (clock, sleep and jitter source), for tests;
      the separate ``clock``, ``sleep``, ``random`` are its deprecated spellings (one release).

    Thread-safe; close it (or use ``with``) to release the connections it opened.
    """

    _http_client: httpx.Client | None

    def __init__(
        self,
        credential: Any,
        *,
        cloud: Cloud | str | None = None,
        application_name: str | None = None,
        locale: str = "en-US",
        correlation_id: str | None = None,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        verify: Verify | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        deadline: float | None = DEFAULT_DEADLINE,
        mfa_check: MfaCheck = "error",
        check_access: bool = True,
        timing: Timing | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], object] | None = None,
        random: Callable[[], float] | None = None,
    ) -> None:
        self._credential = sync_credential(credential, cloud)
        self._set_http_options(
            http_client,
            transport,
            verify,
            httpx.Client,
            httpx.BaseTransport,
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
                timing, clock=clock, sleep=sleep, random=random, asynchronous=False
            ),
        )
        self._client_lock = threading.Lock()

    @property
    def credential(self) -> Any:
        """The credential the tokens come from."""
        return self._credential

    # -- I/O shell -------------------------------------------------------------------------
    def _client(self) -> httpx.Client:
        client = self._http_client
        if client is None:
            # Made on first use: constructors stay free of side effects.
            with self._client_lock:
                if self._http_client is None:
                    self._http_client = httpx.Client(verify=self._verify, transport=self._transport)
                    self._owns_client = True
                client = self._http_client
        return client

    def _token(self, stale: AccessToken | None) -> AccessToken:
        credential = self._credential
        if stale is not None:
            invalidate = getattr(credential, "invalidate", None)
            if invalidate is not None:
                invalidate(stale)
        token: AccessToken = credential.get_token()
        return token

    def _execute(self, call: ApiCall) -> ApiResponse:
        flow = call_flow(self._settings, call, self._retry, self._timing)
        client = self._client()

        def send(request: httpx.Request) -> httpx.Response:
            # Never follow a redirect, even with an http_client that would: the bearer token
            # goes to the API root only (a 3xx is raised as UnexpectedStatusError).
            return client.send(request, follow_redirects=False)

        return drive(flow, send, self._timing.sleep, self._token)

    def _pager(self, call: ApiCall) -> Pager:
        return Pager(self._execute, call, self._settings.api_root, self._new_id)

    # -- generic ---------------------------------------------------------------------------
    def request(
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
        """Call any operation: a catalog name with its path parameters as keywords
        (``request("get_customer", customer_id=...)``), or an HTTP method and a path under the
        API root (``request("GET", "/v1/customers/x")``, ``/v1`` optional; a path that matches
        the catalog gets the same pre-flight checks). ``params`` are query parameters (``None``
        values dropped, dicts as JSON), ``json`` the body, ``if_match`` an ETag.

        Returns an :class:`~partnercenter.client.ApiResponse` (``body``, ``headers``, ids);
        raises a :class:`~partnercenter.errors.PartnerCenterApiError` subclass.
        """
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
        return self._execute(call)

    def paginate(
        self,
        operation_or_method: str,
        path: str | None = None,
        *,
        params: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        correlation_id: str | None = None,
        **path_params: str,
    ) -> Pager:
        """Like :meth:`request`, for a collection: a :class:`~partnercenter.client.Pager` over
        its items, following offset and continuation-token links alike. Lazy: nothing is sent
        until iteration. Every page of one walk shares a correlation id."""
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

    def map_concurrently(
        self,
        fn: Callable[[T], R],
        items: Iterable[T],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> list[Outcome[T, R]]:
        """Call ``fn(item)`` for every item, at most ``concurrency`` at a time (threads), and
        return one :class:`~partnercenter.client.Outcome` per item, in order: its ``value``,
        or the Partner Center ``error`` it raised (other exceptions propagate). E.g.
        ``client.map_concurrently(lambda c: client.list_subscriptions(c).collect(), ids)``."""
        return map_concurrently(fn, items, concurrency=concurrency)

    def with_options(self, **options: Any) -> PartnerClient:
        """A client with other ``application_name``, ``locale``, ``correlation_id``,
        ``timeout``, ``deadline``, ``mfa_check`` or ``check_access``, sharing this one's
        credential and connections (close this one, not the copy)."""
        self._client()
        return self._derive(**options)

    # -- typed operations: generated from the catalog (_operations_sync.py) ---------------
    # (plain dicts, as Partner Center sends them); they run calls through these.
    def _body(self, call: ApiCall) -> dict[str, Any]:
        return json_object(self._execute(call), call)

    # -- lifetime ---------------------------------------------------------------------------
    def close(self) -> None:
        """Close the HTTP client this client created (one passed in stays open). The
        credential stays open: it is yours."""
        with self._client_lock:
            client = self._http_client
            if not self._owns_client or client is None:
                return
            self._http_client = None
            self._owns_client = False
        client.close()

    def __enter__(self) -> PartnerClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PartnerClient({self._describe()})"
