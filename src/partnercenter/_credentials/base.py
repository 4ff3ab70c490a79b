"""What every credential shares: the cache hit path, refresh policy and single flight.

:class:`CredentialCore` is the sync/async-neutral part (arguments, cache keys, scope handling).
:class:`TokenCredentialBase` adds the blocking ``get_token`` with single flight across threads;
:mod:`partnercenter.aio.base` adds the async twin. A concrete credential only says how to fetch
one token (``_fetch``).

The hit path is deliberately tiny: build the key, one dict lookup, one clock read, one
comparison against the precomputed ``refresh_due``. Everything else (scope normalization,
warnings, policy, locking) happens only on a miss or when a refresh is due.
"""

from __future__ import annotations

import abc
import logging
import threading
from collections.abc import Callable, Hashable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

if TYPE_CHECKING:
    import httpx

from .._contract import wire
from .._core.steps import Flow, drive
from .._core.timing import DEFAULT_TIMING, Timing
from ..clouds import Cloud, EndpointVersion
from ..errors import ConfigurationError, RetiredAudienceWarning, warn_caller
from ..redaction import shown
from ..stores.base import credential_identity
from ..tokens import AccessToken
from .arguments import check_cloud, check_endpoint_version, check_tenant, resolve_retry
from .cache import MemoryTokenCache, TokenCache, shared_fetch
from .policy import RefreshStatus, RetryPolicy, refresh_due, refresh_status
from .protocol import normalize_scopes, resource_of

__all__ = ["CacheKey", "CredentialCore", "Flight", "TokenCredentialBase"]

logger = logging.getLogger("partnercenter.auth")


class _Event(Protocol):
    def set(self) -> None: ...


E = TypeVar("E", bound=_Event)
T = TypeVar("T")

#: ``(credential identity, tenant override or None, scopes as asked)``.
CacheKey = tuple[str, str | None, tuple[str, ...]]

_RETIRED_AUDIENCES = frozenset({wire.AAD_GRAPH_RESOURCE, wire.AAD_GRAPH_APP_ID})


class CredentialCore:
    """State and pure helpers shared by the sync and async credentials."""

    _default_scopes: tuple[str, ...]
    _identity: str
    #: Set by the driver bases: whether this credential runs its flows with ``drive_async``.
    _asynchronous: ClassVar[bool]
    _fetch_shared: Any  # the shared-cache fetch (Redis), or None: set by the driver bases

    def __init__(
        self,
        *,
        kind: str,
        cloud: Cloud | str,
        tenant_id: str,
        client_id: str,
        endpoint_version: EndpointVersion,
        cache: TokenCache | None,
        timing: Timing = DEFAULT_TIMING,
        retry: RetryPolicy | None = None,
        delegated: bool = False,
        account: str = "",
    ) -> None:
        self.cloud = check_cloud(cloud)
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.endpoint_version = check_endpoint_version(endpoint_version)
        if cache is not None and not isinstance(cache, TokenCache):
            raise ConfigurationError("cache", "must implement TokenCache (get, set, remove, clear)")
        self._cache: TokenCache = cache if cache is not None else MemoryTokenCache()
        # Bound once: for MemoryTokenCache this is dict.get itself, the cheapest possible lookup.
        self._cache_get: Callable[[Hashable], tuple[float, AccessToken] | None] = self._cache.get
        # The one seam for the clock, sleep and jitter (the flows read it); the constructors
        # resolved the deprecated clock=/sleep=/random= into it already.
        if not isinstance(timing, Timing):
            raise ConfigurationError("timing", "must be a partnercenter.Timing")
        self._timing = timing
        # Bound once for the cache hit path: one attribute lookup, not two.
        self._clock = timing.clock
        self._retry = resolve_retry(retry)
        # get_token() with no scope means Partner Center: app-only tokens take "/.default",
        # app + user tokens the delegated "user_impersonation" permission.
        default_scope = (
            self.cloud.user_impersonation_scope if delegated else self.cloud.partner_center_scope
        )
        self._default_scopes = (default_scope,)
        # The identity part of every cache key: two credentials share tokens only when they
        # would get the same token (same kind, authority, tenant, client, endpoint version and,
        # for app + user, the same refresh token's account).
        self._identity = credential_identity(
            kind,
            self.cloud.authority_host,
            tenant_id,
            client_id,
            self.endpoint_version,
            account,
        )
        # Tokens whose recommended refresh failed, and when (policy: MIN_REFRESH_INTERVAL).
        self._failed_refresh: dict[CacheKey, float] = {}

    @property
    def cache(self) -> TokenCache:
        """The token cache this credential uses."""
        return self._cache

    def _request_scopes(self, scopes: tuple[str, ...]) -> tuple[str, ...]:
        """The scopes to send, with the retired-audience warning (slow path only)."""
        normalized = normalize_scopes(scopes, self._default_scopes[0])
        for scope in normalized:
            if resource_of(scope).rstrip("/") in _RETIRED_AUDIENCES:
                warn_caller(
                    f"{scope!r} asks for an Azure AD Graph token "
                    f"({wire.AAD_GRAPH_RESOURCE}). Partner Center stopped accepting that "
                    "audience in 2025: it answers 401 with code 900420. Ask for "
                    f"{self.cloud.partner_center_scope!r} (what get_token() asks for by "
                    "default) or, on the v1 endpoint, resource="
                    f"{self.cloud.partner_center_resource!r}.",
                    RetiredAudienceWarning,
                )
        return normalized

    #: Whether ``common``/``organizations`` are acceptable tenants (user grants only).
    _multi_tenant_ok = False

    def _resolve_tenant(self, tenant_id: str | None) -> str:
        """The tenant to ask: this credential's, or a per-call override (checked)."""
        if tenant_id is None:
            return self.tenant_id
        return check_tenant(tenant_id, argument="tenant_id", multi_ok=self._multi_tenant_ok)

    def invalidate(self, token: AccessToken, *scopes: str, tenant_id: str | None = None) -> bool:
        """Drop ``token`` from the cache, so the next :meth:`get_token` for the same scopes and
        tenant fetches a new one. Call it when an API refused the token (HTTP 401), e.g. after a
        signing-key rotation; :class:`~partnercenter.PartnerClient` does.

        ``scopes`` and ``tenant_id`` are those given to ``get_token`` (none: the default
        Partner Center scope). Only the very token given is dropped: if another caller already
        replaced it with a fresh one, that one stays. No I/O, so the async credentials have the
        same plain method. Returns whether a token was dropped.
        """
        key: CacheKey = (self._identity, tenant_id, scopes or self._default_scopes)
        entry = self._cache_get(key)
        if entry is None or entry[1].token != token.token:
            return False
        self._cache.remove(key)
        self._failed_refresh.pop(key, None)
        return True

    def _refresh_failed(
        self, key: CacheKey, now: float, cached: AccessToken, exc: Exception
    ) -> None:
        # Policy: a failed early refresh keeps serving the still-valid cached token, and is
        # not retried for MIN_REFRESH_INTERVAL.
        self._failed_refresh[key] = now
        logger.warning(
            "proactive token refresh failed (%s); serving the cached token, which expires in %d s",
            type(exc).__name__,
            int(cached.expires_on - now),
        )

    def _lead_failed(
        self,
        key: CacheKey,
        flight: Flight[Any],
        status: RefreshStatus,
        cached: AccessToken | None,
        now: float,
        exc: Exception,
    ) -> AccessToken | None:
        """A leader's fetch failed: serve the still-valid cached token if this was an early
        refresh (returned, and given to the waiters), else hand the error to the waiters
        (``None``: the leader raises it)."""
        if status is RefreshStatus.RECOMMENDED and cached is not None:
            self._refresh_failed(key, now, cached, exc)
            flight.finish(token=cached)
            return cached
        flight.finish(error=exc)
        return None

    def _landed(self, key: CacheKey, token: AccessToken) -> None:
        """A leader's fetch succeeded: cache the token (a shared cache stored it already)."""
        if self._fetch_shared is None:
            self._cache.set(key, self._entry(token))
        self._failed_refresh.pop(key, None)

    def _entry(self, token: AccessToken) -> tuple[float, AccessToken]:
        return (refresh_due(token), token)

    def _status(self, key: CacheKey, now: float) -> tuple[RefreshStatus, AccessToken | None]:
        entry = self._cache_get(key)
        token = entry[1] if entry is not None else None
        return refresh_status(token, now, self._failed_refresh.get(key)), token

    def _fetch_flow(
        self, scopes: tuple[str, ...], tenant: str, claims: str | None
    ) -> Flow[AccessToken]:
        """The flow that gets a new token from the source (no cache involved); each credential
        kind writes it once, for both drivers."""
        raise NotImplementedError(f"{type(self).__name__} has no token flow")

    def _identity_repr(self) -> str:
        return (
            f"tenant_id={self.tenant_id!r}, client_id={self.client_id!r}, "
            f"cloud={shown(self.cloud.name)}, endpoint_version={self.endpoint_version!r}"
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._identity_repr()})"


def _tenant_override(options: Mapping[str, Any] | None) -> tuple[str | None, str | None]:
    if not options:
        return None, None
    return options.get("claims"), options.get("tenant_id")


class TokenCredentialBase(CredentialCore, abc.ABC):
    """A blocking credential: ``get_token(*scopes)`` with caching, proactive refresh and single
    flight. Thread-safe; satisfies azure-core's ``TokenCredential`` and ``SupportsTokenInfo``.
    """

    _asynchronous = False

    def __init__(self, **core: Any) -> None:
        super().__init__(**core)
        self._lock = threading.Lock()
        self._flights: dict[CacheKey, Flight[threading.Event]] = {}
        # A cache shared by processes (Redis) runs the fetch: one token request per fleet.
        self._fetch_shared = shared_fetch(self._cache, asynchronous=False)

    def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        """An access token for ``scopes`` (default: the cloud's Partner Center scope).

        Served from the cache while fresh; otherwise fetched once however many threads ask at
        the same time. ``tenant_id`` asks another tenant's authority (e.g. a customer tenant);
        ``claims`` (a claims challenge) always fetches a new token. ``enable_cae`` and other
        keyword arguments of azure-core's protocol are accepted and ignored.

        Raises :class:`~partnercenter.errors.AuthenticationError` (or a subclass).
        """
        entry = self._cache_get((self._identity, tenant_id, scopes or self._default_scopes))
        if entry is not None and claims is None and self._clock() < entry[0]:
            return entry[1]
        return self._get_token_slow(scopes or self._default_scopes, claims, tenant_id)

    def get_token_info(self, *scopes: str, options: Mapping[str, Any] | None = None) -> AccessToken:
        """azure-core's ``SupportsTokenInfo``: ``options`` may carry ``tenant_id`` and
        ``claims``. The returned :class:`AccessToken` has ``token``, ``expires_on``,
        ``refresh_on`` and ``token_type``, like azure-core's ``AccessTokenInfo``."""
        claims, tenant_id = _tenant_override(options)
        return self.get_token(*scopes, claims=claims, tenant_id=tenant_id)

    def _get_token_slow(
        self, scopes: tuple[str, ...], claims: str | None, tenant_id: str | None
    ) -> AccessToken:
        tenant = self._resolve_tenant(tenant_id)
        request_scopes = self._request_scopes(scopes)
        key: CacheKey = (self._identity, tenant_id, scopes)
        if claims is not None:
            # A claims challenge means the cached token was refused: fetch, then cache.
            token = self._fetch(request_scopes, tenant, claims)
            self._cache.set(key, self._entry(token))
            return token
        while True:
            with self._lock:
                now = self._clock()
                status, cached = self._status(key, now)
                if status is RefreshStatus.NOT_NEEDED and cached is not None:
                    return cached
                flight = self._flights.get(key)
                leader = flight is None
                if flight is None:
                    flight = self._flights[key] = Flight(threading.Event())
            if leader:
                return self._lead(key, flight, status, cached, now, request_scopes, tenant)
            if status is RefreshStatus.RECOMMENDED and cached is not None:
                # Another thread is refreshing; the cached token is still good.
                return cached
            flight.done.wait()
            shared = flight.outcome()
            if shared is not None:
                return shared
            # The leader was interrupted (KeyboardInterrupt...): elect a new one.

    def _lead(
        self,
        key: CacheKey,
        flight: Flight[threading.Event],
        status: RefreshStatus,
        cached: AccessToken | None,
        now: float,
        scopes: tuple[str, ...],
        tenant: str,
    ) -> AccessToken:
        try:
            if self._fetch_shared is None:
                token = self._fetch(scopes, tenant, None)
            else:
                stale = cached if status is RefreshStatus.RECOMMENDED else None
                token = self._fetch_shared(
                    key, lambda: self._fetch(scopes, tenant, None), now, stale
                )[1]
        except Exception as exc:
            with self._lock:
                del self._flights[key]
            served = self._lead_failed(key, flight, status, cached, now, exc)
            if served is None:
                raise
            return served
        except BaseException:
            with self._lock:
                del self._flights[key]
            flight.finish()
            raise
        # Cache first, then retire the flight: a thread arriving in between finds the cache.
        self._landed(key, token)
        with self._lock:
            del self._flights[key]
        flight.finish(token=token)
        return token

    def _fetch(self, scopes: tuple[str, ...], tenant: str, claims: str | None) -> AccessToken:
        """Get a new token from the source (no cache involved): run :meth:`_fetch_flow`."""
        return self._run(self._fetch_flow(scopes, tenant, claims))

    def _run(self, flow: Flow[T]) -> T:
        """Run one of this credential's flows to its result."""
        return drive(flow, self._send, self._timing.sleep)

    def _send(self, request: httpx.Request) -> httpx.Response:
        raise TypeError(f"{type(self).__name__} sends no HTTP request")

    def close(self) -> None:
        """Release the HTTP client this credential created (not one passed in)."""

    def __enter__(self) -> TokenCredentialBase:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class Flight(Generic[E]):
    """One in-progress token request that other threads (or coroutines) wait for: single
    flight. ``done`` is a ``threading.Event`` for the blocking credentials, an ``anyio.Event``
    for the async ones.

    Exactly one of ``token`` / ``error`` is set when ``done`` is, unless the leader was
    interrupted, in which case waiters elect a new leader.
    """

    __slots__ = ("done", "token", "error", "traceback")

    def __init__(self, done: E) -> None:
        self.done = done
        self.token: AccessToken | None = None
        self.error: Exception | None = None
        self.traceback: TracebackType | None = None

    def finish(self, *, token: AccessToken | None = None, error: Exception | None = None) -> None:
        self.token = token
        self.error = error
        self.traceback = error.__traceback__ if error is not None else None
        self.done.set()

    def outcome(self) -> AccessToken | None:
        """The leader's token, or its error raised (with the leader's traceback, not one grown
        by each waiter); ``None``: the leader was interrupted, elect another."""
        if self.token is not None:
            return self.token
        if self.error is not None:
            raise self.error.with_traceback(self.traceback)
        return None
