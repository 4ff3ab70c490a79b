"""What the blocking and the async Partner Center clients share: everything but the driver.

:class:`ClientBase` is the sync/async-neutral client, as
:class:`~partnercenter._credentials.base.CredentialCore` is for credentials: the constructor
(argument checks, settings, the choice of cloud, the HTTP options, the timing seam), the token
source, the call and page flows, ``paginate``, ``with_options``, the HTTP client's lifetime and the
``repr``. :class:`~partnercenter.PartnerClient` and
:class:`~partnercenter.aio.AsyncPartnerClient` declare what differs (the httpx types, which
credentials they take, the pager) and run the flows with their driver: ``drive`` or
``await drive_async`` (:mod:`partnercenter._core.steps`).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import math
import ssl
import threading
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Generic, Self, TypeVar

import httpx

from .._core.steps import Flow
from .._core.timing import Timing, resolve_timing
from .._credentials.arguments import Verify, check_cloud, check_timeout, check_verify, resolve_retry
from .._credentials.policy import RetryPolicy
from .._credentials.token_endpoint import check_http_options
from ..clouds import Cloud
from ..errors import ConfigurationError
from ..tokens import AccessToken
from .core import ApiCall, ClientSettings, MfaCheck, check_mfa_mode, new_id, resolve_call
from .flow import call_flow
from .paging import PagerCore
from .responses import ApiResponse, json_object

__all__ = ["ClientBase", "DEFAULT_DEADLINE", "DEFAULT_TIMEOUT"]

#: Seconds per HTTP operation (connect, read, write, pool) of one attempt.
DEFAULT_TIMEOUT = 30.0
#: Seconds one logical call may take, retries and waits included.
DEFAULT_DEADLINE = 120.0

#: What each client declares: its httpx client and transport types, its pager, and the type of
#: the deprecated ``sleep=`` (blocking, or awaitable).
HttpClient = TypeVar("HttpClient", httpx.Client, httpx.AsyncClient)
Transport = TypeVar("Transport", httpx.BaseTransport, httpx.AsyncBaseTransport)
PagerT = TypeVar("PagerT", bound=PagerCore[Any])
SleepT = TypeVar("SleepT", bound=Callable[[float], object])


def _check_deadline(deadline: object) -> float | None:
    if deadline is None:
        return None
    if (
        isinstance(deadline, bool)
        or not isinstance(deadline, int | float)
        or not math.isfinite(deadline)
        or deadline <= 0
    ):
        raise ConfigurationError("deadline", "must be a positive number of seconds, or None")
    return float(deadline)


def _check_bool(argument: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ConfigurationError(argument, "must be True or False")
    return value


class ClientBase(Generic[HttpClient, Transport, PagerT, SleepT]):
    """Everything :class:`~partnercenter.PartnerClient` and its async twin share; each declares
    the class attributes below and runs flows with its driver (``_run``)."""

    #: The ``httpx`` client the client makes, and the types ``http_client=`` and
    #: ``transport=`` must have.
    _http_types: ClassVar[tuple[type, type]]
    #: The pager ``list_*`` and :meth:`paginate` return.
    _pager_type: ClassVar[type[PagerCore[Any]]]
    #: Whether the client waits with ``timing.async_sleep`` (and ``sleep=`` is awaitable).
    _asynchronous: ClassVar[bool]

    _settings: ClientSettings
    _owns_client: bool
    _http_client: HttpClient | None

    def __init__(
        self,
        credential: Any,
        *,
        cloud: Cloud | str | None = None,
        application_name: str | None = None,
        locale: str = "en-US",
        correlation_id: str | None = None,
        http_client: HttpClient | None = None,
        transport: Transport | None = None,
        verify: Verify | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        deadline: float | None = DEFAULT_DEADLINE,
        mfa_check: MfaCheck = "error",
        check_access: bool = True,
        timing: Timing | None = None,
        clock: Callable[[], float] | None = None,
        sleep: SleepT | None = None,
        random: Callable[[], float] | None = None,
    ) -> None:
        self._credential = self._adopt(credential, cloud)
        self._set_http_options(http_client, transport, verify, credential=self._credential)
        # The one seam the call flow reads (clock, jitter) and the driver sleeps with (the
        # deprecated clock=, sleep=, random= are resolved into it).
        self._timing = resolve_timing(
            timing, clock=clock, sleep=sleep, random=random, asynchronous=self._asynchronous
        )
        self._sleep = self._timing.async_sleep if self._asynchronous else self._timing.sleep
        credential_cloud = getattr(self._credential, "cloud", None)
        if cloud is None:
            # The credential's cloud decides the token's audience; calling another cloud's API
            # with it would only earn a 401, so it is the default.
            self.cloud = credential_cloud if credential_cloud is not None else Cloud.GLOBAL
        else:
            self.cloud = check_cloud(cloud)
        self._retry = resolve_retry(retry)
        self._settings = ClientSettings(
            api_root=self.cloud.api_root,
            locale=locale,
            application_name=application_name,
            correlation_id=correlation_id,
            timeout=check_timeout(timeout),
            deadline=_check_deadline(deadline),
            mfa_check=check_mfa_mode(mfa_check),
            check_access=_check_bool("check_access", check_access),
        )
        self._client_lock = threading.Lock()

    @staticmethod
    def _adopt(credential: object, cloud: Cloud | str | None) -> Any:
        """The credential to use (checked: blocking or async, as the client is)."""
        raise NotImplementedError

    def _set_http_options(
        self,
        http_client: Any,
        transport: Any,
        verify: Verify | None,
        credential: Any = None,
    ) -> None:
        """Check and keep the HTTP options (the client is made on first use).

        Without ``verify=`` the client trusts what ``credential`` trusts (its ``verify``): a
        credential set up for the emulator's CA, or a company proxy's, works for the API too.
        """
        check_http_options(http_client, transport, *self._http_types)
        if http_client is not None and verify is not None:
            raise ConfigurationError("verify", "give verify= or http_client=, not both")
        if verify is None:
            inherited = getattr(credential, "verify", None)
            self._verify = inherited if isinstance(inherited, bool | ssl.SSLContext) else True
        else:
            self._verify = check_verify(verify)
        self._transport = transport
        self._http_client = http_client
        self._owns_client = False

    @property
    def credential(self) -> Any:
        """The credential the tokens come from."""
        return self._credential

    # -- what the drivers run ---------------------------------------------------------------
    def _client(self) -> HttpClient:
        client = self._http_client
        if client is None:
            # Made on first use: constructors stay free of side effects. The lock is for
            # threads; in an event loop nothing awaits inside it.
            with self._client_lock:
                if self._http_client is None:
                    make: Callable[..., HttpClient] = self._http_types[0]
                    self._http_client = make(verify=self._verify, transport=self._transport)
                    self._owns_client = True
                client = self._http_client
        return client

    def _token(self, stale: AccessToken | None) -> Any:
        """The token source of the drivers' :class:`~partnercenter._core.steps.NeedToken`: the
        credential's token (an awaitable from an async credential, which ``drive_async``
        awaits), after dropping ``stale``, the token the API refused."""
        credential = self._credential
        if stale is not None:
            invalidate = getattr(credential, "invalidate", None)
            if invalidate is not None:
                invalidate(stale)
        return credential.get_token()

    def _io(self) -> tuple[Any, Any, Any]:
        """A driver's ``send``, ``sleep`` and ``token``. ``send`` never follows a redirect, even
        with an ``http_client`` that would: the bearer token goes to the API root only (a 3xx
        is raised as :class:`~partnercenter.errors.UnexpectedStatusError`)."""
        send = functools.partial(self._client().send, follow_redirects=False)
        return send, self._sleep, self._token

    def _call_flow(self, call: ApiCall) -> Flow[ApiResponse]:
        return call_flow(self._settings, call, self._retry, self._timing)

    def _body_flow(self, call: ApiCall) -> Flow[dict[str, Any]]:
        # The typed operations' answers: plain dicts, as Partner Center sends them.
        return json_object((yield from self._call_flow(call)), call)

    def _pager(self, call: ApiCall) -> PagerT:
        pager: PagerT = self._pager_type(  # type: ignore[assignment]
            self._run, self._call_flow, call, self._settings.api_root, self._new_id
        )
        return pager

    def _run(self, flow: Flow[Any]) -> Any:
        """Run ``flow`` with the client's driver (``drive``, or ``drive_async`` awaited)."""
        raise NotImplementedError

    # -- generic ---------------------------------------------------------------------------
    def paginate(
        self,
        operation_or_method: str,
        path: str | None = None,
        *,
        params: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        correlation_id: str | None = None,
        **path_params: str,
    ) -> PagerT:
        """Like :meth:`request`, for a collection: a pager over its items (a
        :class:`~partnercenter.client.Pager`; ``async for`` with the async client), following
        offset and continuation-token links alike. Lazy: nothing is sent until iteration.
        Every page of one walk shares a correlation id."""
        call = self._request_call(
            operation_or_method, path, params, None, headers, None, correlation_id, path_params
        )
        return self._pager(call)

    def _request_call(
        self,
        operation_or_method: str,
        path: str | None,
        params: Mapping[str, object] | None,
        json: Any,
        headers: Mapping[str, str] | None,
        if_match: str | None,
        correlation_id: str | None,
        path_params: Mapping[str, str],
    ) -> ApiCall:
        # request() and paginate(): a catalog name, or a method and a path (resolve_call).
        return resolve_call(
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

    def with_options(self, **options: Any) -> Self:
        """A client with other ``application_name``, ``locale``, ``correlation_id``,
        ``timeout``, ``deadline``, ``mfa_check`` or ``check_access``, sharing this one's
        credential and connections (close this one, not the copy)."""
        self._client()
        return self._derive(**options)

    def _detach(self) -> HttpClient | None:
        """The HTTP client to close: the one this client made, now forgotten (one passed in
        stays open, and so do a ``with_options`` copy's)."""
        with self._client_lock:
            client = self._http_client
            if not self._owns_client or client is None:
                return None
            self._http_client = None
            self._owns_client = False
        return client

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._describe()})"

    @property
    def settings(self) -> ClientSettings:
        """The client's settings (read-only)."""
        return self._settings

    @staticmethod
    def _new_id() -> str:
        return new_id()

    def _derive(self, **changes: Any) -> Self:
        """A shallow copy with other settings, sharing the credential and the HTTP client (the
        copy never closes it)."""
        unknown = sorted(
            set(changes)
            - {
                "application_name",
                "locale",
                "correlation_id",
                "timeout",
                "deadline",
                "mfa_check",
                "check_access",
            }
        )
        if unknown:
            raise ConfigurationError(unknown[0], "is not an option with_options() can change")
        if "timeout" in changes:
            changes["timeout"] = check_timeout(changes["timeout"])
        if "deadline" in changes:
            changes["deadline"] = _check_deadline(changes["deadline"])
        if "check_access" in changes:
            changes["check_access"] = _check_bool("check_access", changes["check_access"])
        if "mfa_check" in changes:
            changes["mfa_check"] = check_mfa_mode(changes["mfa_check"])
        derived = copy.copy(self)
        derived._settings = dataclasses.replace(self._settings, **changes)
        derived._owns_client = False
        return derived

    def _describe(self) -> str:
        return (
            f"cloud={self.cloud!r}, api_root={self._settings.api_root!r}, "
            f"credential={self._credential_repr()}"
        )

    def _credential_repr(self) -> str:
        return repr(getattr(self, "_credential", None))
