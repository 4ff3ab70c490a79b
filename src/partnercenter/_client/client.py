"""The blocking Partner Center client."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import httpx

from .._core.steps import Flow, drive
from .._credentials.access_token import AccessTokenCredential
from .._credentials.azure_adapter import AzureCredentialAdapter
from .._credentials.base import TokenCredentialBase
from ..clouds import Cloud
from ..errors import ConfigurationError
from ._operations_sync import PartnerOperations
from .base import ClientBase
from .concurrency import DEFAULT_CONCURRENCY, Outcome, map_concurrently
from .core import ApiCall
from .paging import Pager
from .responses import ApiResponse

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


class PartnerClient(
    PartnerOperations,
    ClientBase[httpx.Client, httpx.BaseTransport, Pager, Callable[[float], object]],
):
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
      operation the catalog (:mod:`partnercenter._contract.operations`) marks app + user.
    - ``timing``: a :class:`~partnercenter.Timing` (clock, sleep and jitter source), for tests;
      the separate ``clock``, ``sleep``, ``random`` are its deprecated spellings (one release).

    Thread-safe; close it (or use ``with``) to release the connections it opened.
    """

    _http_types = (httpx.Client, httpx.BaseTransport)
    _pager_type = Pager
    _asynchronous = False
    _adopt = staticmethod(sync_credential)

    # -- the blocking driver ----------------------------------------------------------------
    def _run(self, flow: Flow[T]) -> T:
        return drive(flow, *self._io())

    def _execute(self, call: ApiCall) -> ApiResponse:
        return self._run(self._call_flow(call))

    def _body(self, call: ApiCall) -> dict[str, Any]:
        return self._run(self._body_flow(call))

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
        call = self._request_call(
            operation_or_method, path, params, json, headers, if_match, correlation_id, path_params
        )
        return self._execute(call)

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

    # -- lifetime ---------------------------------------------------------------------------
    def close(self) -> None:
        """Close the HTTP client this client created (one passed in stays open). The
        credential stays open: it is yours."""
        client = self._detach()
        if client is not None:
            client.close()

    def __enter__(self) -> PartnerClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
