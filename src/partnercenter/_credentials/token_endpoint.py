"""Credentials that talk to an Azure AD token endpoint over HTTP.

:class:`TokenEndpointCore` is everything both kinds share: the arguments, building one
attempt's request, and the flows (:mod:`partnercenter._core.steps`) that get a token.
:class:`TokenEndpointCredential` (blocking) and
:class:`~partnercenter.aio.token_endpoint.AsyncTokenEndpointCredential` only own their HTTP
client and run those flows with their driver.
"""

from __future__ import annotations

import ssl
import threading
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ClassVar, Final, TypedDict, TypeVar, Unpack

import httpx

from .._core.steps import Flow
from .._core.timing import Timing, resolve_timing
from .._version import __version__
from ..clouds import Cloud, EndpointVersion
from ..errors import ConfigurationError
from ..tokens import AccessToken
from .arguments import Verify, check_timeout, check_verify, resolve_retry
from .base import CredentialCore, TokenCredentialBase
from .cache import TokenCache
from .client_auth import ClientAuth
from .flow import TokenFlow, token_flow
from .policy import RetryPolicy
from .protocol import TokenRequest, client_credentials_form, refresh_token_form

T = TypeVar("T")

__all__ = [
    "CredentialOptions",
    "TokenEndpointCore",
    "TokenEndpointCredential",
    "USER_AGENT",
    "check_http_options",
    "core_arguments",
]

USER_AGENT = f"partnercenter-python/{__version__}"
#: Default HTTP timeout in seconds (connect, read, write and pool, each).
DEFAULT_TIMEOUT = 30.0


class CredentialOptions(TypedDict, total=False):
    """Keyword options every token-endpoint credential takes (blocking and async).

    - ``cloud``: a :class:`~partnercenter.Cloud` or its name (default ``Cloud.GLOBAL``).
    - ``endpoint_version``: ``"v2"`` (``scope=``, default) or ``"v1"`` (``resource=``).
    - ``verify``: a CA file path (e.g. the emulator's ``ca_cert``), ``True``, ``False`` or an
      ``ssl.SSLContext``; used when the credential makes its own HTTP client.
    - ``http_client``: an ``httpx.Client`` to use (never closed by the credential); for the
      credentials of :mod:`partnercenter.aio`, an ``httpx.AsyncClient``.
    - ``transport``: an ``httpx.BaseTransport`` for the credential's own client (tests); an
      ``httpx.AsyncBaseTransport`` for the async credentials.
    - ``timeout``: seconds per HTTP operation (default 30).
    - ``cache``: a :class:`~partnercenter._credentials.cache.TokenCache` to share between
    credentials.
    - ``retry``: a :class:`~partnercenter.RetryPolicy` (the same option name as the clients').
    - ``timing``: a :class:`~partnercenter.Timing`, the clock, sleep and random source (tests
      drive expiry and back-off with it, never real waiting; the async credentials wait with
      its ``async_sleep``).
    - Deprecated, accepted for one release with a ``DeprecationWarning``: ``retry_policy``
      (now ``retry``) and ``clock``, ``sleep``, ``random`` (now ``timing``).
    """

    cloud: Cloud | str
    endpoint_version: EndpointVersion
    verify: Verify
    http_client: httpx.Client | httpx.AsyncClient
    transport: httpx.BaseTransport | httpx.AsyncBaseTransport
    timeout: float
    cache: TokenCache
    retry: RetryPolicy
    timing: Timing
    # Deprecated names (one release): retry_policy= is retry=, the other three are timing=.
    retry_policy: RetryPolicy
    clock: Callable[[], float]
    sleep: Callable[[float], object] | Callable[[float], Awaitable[object]]
    random: Callable[[], float]


class TokenEndpointCore(CredentialCore):
    """What the blocking and async token-endpoint credentials share: the arguments, one
    attempt's request (endpoint, grant form, client authentication), and :meth:`_fetch_flow`,
    the flow that gets a token (the driver classes run it). The app-only kinds (secret,
    certificate, assertion) add only their arguments: their flow is the client-credentials
    request written here."""

    #: Set by the driver classes: the HTTP client and transport types ``http_client=`` and
    #: ``transport=`` must have, and whether a deprecated ``sleep=`` is awaitable.
    _http_client_type: ClassVar[type]
    _transport_type: ClassVar[type]

    def __init__(
        self,
        *,
        kind: str,
        tenant_id: str,
        client_id: str,
        client_auth: ClientAuth,
        delegated: bool = False,
        account: str = "",
        **options: Unpack[CredentialOptions],
    ) -> None:
        http_client = options.get("http_client")
        transport = options.get("transport")
        check_http_options(http_client, transport, self._http_client_type, self._transport_type)
        self._verify = check_verify(options.get("verify", True))
        self._timeout = check_timeout(options.get("timeout", DEFAULT_TIMEOUT))
        self._transport: Any = transport
        self._http_client: Any = http_client
        self._owns_client = False
        self._client_lock = threading.Lock()
        self._client_auth = client_auth
        super().__init__(
            kind=kind,
            tenant_id=tenant_id,
            client_id=client_id,
            delegated=delegated,
            account=account,
            **core_arguments(options, asynchronous=self._asynchronous),
        )

    @property
    def verify(self) -> bool | ssl.SSLContext:
        """The TLS trust of this credential's own HTTP client (``verify=``, a CA path already
        loaded into an ``SSLContext``); :class:`~partnercenter.PartnerClient` uses it too
        unless given its own."""
        return self._verify

    def _build_request(
        self,
        scopes: tuple[str, ...],
        tenant: str,
        claims: str | None,
        now: float,
        refresh_token: str | None = None,
    ) -> TokenRequest:
        url = self.cloud.token_url(tenant, self.endpoint_version)
        auth = self._client_auth.parts(url, now)
        if refresh_token is None:
            form = client_credentials_form(self.client_id, scopes, self.endpoint_version)
            secrets = auth.secrets
        else:
            form = refresh_token_form(self.client_id, refresh_token, scopes, self.endpoint_version)
            secrets = (*auth.secrets, refresh_token)
        if claims is not None:
            form["claims"] = claims
        form.update(auth.form)
        # Azure AD echoes client-request-id as the correlation id of its answer and logs.
        headers = {
            "client-request-id": str(uuid.uuid4()),
            "return-client-request-id": "true",
            **auth.headers,
        }
        return TokenRequest(url=url, form=form, headers=headers, secrets=secrets)

    def _token_request_flow(
        self,
        scopes: tuple[str, ...],
        tenant: str,
        claims: str | None,
        refresh_token: str | None = None,
    ) -> TokenFlow:
        """One token request (client credentials, or redeeming ``refresh_token``), retried."""

        def build(now: float) -> TokenRequest:
            return self._build_request(scopes, tenant, claims, now, refresh_token)

        return token_flow(build, retry=self._retry, timing=self._timing)

    def _fetch_flow(
        self, scopes: tuple[str, ...], tenant: str, claims: str | None
    ) -> Flow[AccessToken]:
        """The flow that gets a new token (no cache involved): client credentials here."""
        response = yield from self._token_request_flow(scopes, tenant, claims)
        return response.access_token


#: The keyword options of the token-endpoint credentials (the async ones take the same names).
_OPTION_NAMES: Final = frozenset(CredentialOptions.__annotations__)
_DEPRECATED_OPTIONS: Final = frozenset({"retry_policy", "clock", "sleep", "random"})


def core_arguments(options: Mapping[str, Any], *, asynchronous: bool) -> dict[str, Any]:
    """The :class:`~partnercenter._credentials.base.CredentialCore` arguments among the options,
    with
    their defaults; the deprecated names resolved into ``retry`` and ``timing`` (a deprecated
    ``sleep=`` is awaitable for the async credentials). A name that is no option (a typo such
    as ``retyr=``) is refused, naming it, rather than silently ignored."""
    unknown = sorted(set(options) - _OPTION_NAMES)
    if unknown:
        raise ConfigurationError(
            unknown[0],
            "is not an option of this credential",
            hint="Options: " + ", ".join(sorted(_OPTION_NAMES - _DEPRECATED_OPTIONS)) + ".",
        )
    return {
        "cloud": options.get("cloud", Cloud.GLOBAL),
        "endpoint_version": options.get("endpoint_version", "v2"),
        "cache": options.get("cache"),
        "retry": resolve_retry(options.get("retry"), options.get("retry_policy")),
        "timing": resolve_timing(
            options.get("timing"),
            clock=options.get("clock"),
            sleep=options.get("sleep"),
            random=options.get("random"),
            asynchronous=asynchronous,
        ),
    }


def check_http_options(
    http_client: object, transport: object, expected: type[Any], transport_type: type[Any]
) -> None:
    if http_client is not None and not isinstance(http_client, expected):
        raise ConfigurationError(
            "http_client", f"must be an {expected.__module__}.{expected.__name__}"
        )
    if transport is not None and not isinstance(transport, transport_type):
        raise ConfigurationError(
            "transport", f"must be an {transport_type.__module__}.{transport_type.__name__}"
        )
    if http_client is not None and transport is not None:
        raise ConfigurationError("transport", "give http_client or transport, not both")


class TokenEndpointCredential(TokenEndpointCore, TokenCredentialBase):
    """Base of the blocking credentials that call the token endpoint: an ``httpx.Client``
    (made on first use) and :func:`~partnercenter._core.steps.drive`."""

    _http_client_type = httpx.Client
    _transport_type = httpx.BaseTransport

    def _client(self) -> httpx.Client:
        client: httpx.Client | None = self._http_client
        if client is None:
            # Made on first use, not in the constructor (constructors stay side-effect free).
            with self._client_lock:
                if self._http_client is None:
                    self._http_client = httpx.Client(
                        verify=self._verify,
                        transport=self._transport,
                        timeout=self._timeout,
                        headers={"User-Agent": USER_AGENT},
                    )
                    self._owns_client = True
                client = self._http_client
        assert client is not None
        return client

    def _send(self, request: httpx.Request) -> httpx.Response:
        return self._client().send(request)

    def close(self) -> None:
        """Close the HTTP client this credential created (one passed in stays open)."""
        with self._client_lock:
            client = self._http_client
            if not self._owns_client or client is None:
                return
            self._http_client = None
            self._owns_client = False
        client.close()
