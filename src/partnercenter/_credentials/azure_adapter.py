"""Use any azure-core ``TokenCredential`` (azure-identity's managed identity, workload
identity, Azure CLI, ...) as a token source, behind this library's cache and single flight.

The other direction needs no adapter: this library's credentials already satisfy azure-core's
``get_token(*scopes)`` / ``get_token_info`` protocol and can be given to other Azure SDK clients.
azure-core is not imported here: the wrapped object is used through its protocol.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, runtime_checkable

from .._core.steps import Blocking, Flow
from .._core.timing import Timing, resolve_timing
from ..clouds import Cloud
from ..errors import ConfigurationError, CredentialSourceError
from ..tokens import AccessToken
from .base import CredentialCore, TokenCredentialBase
from .cache import TokenCache
from .policy import default_refresh_on

__all__ = [
    "AzureAdapterFlows",
    "AzureCredentialAdapter",
    "SupportsGetToken",
    "source_error",
    "to_access_token",
]


@runtime_checkable
class SupportsGetToken(Protocol):
    """azure-core's ``TokenCredential`` protocol (what azure-identity credentials implement)."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        """Return an object with ``token`` and ``expires_on``."""


def to_access_token(result: Any, now: float) -> AccessToken:
    """Turn azure-core's ``AccessToken`` / ``AccessTokenInfo`` into this library's."""
    token = getattr(result, "token", None)
    expires_on = getattr(result, "expires_on", None)
    if not isinstance(token, str) or not isinstance(expires_on, int | float):
        raise CredentialSourceError(
            f"the wrapped credential returned {type(result).__name__}, not an access token"
        )
    refresh_on = getattr(result, "refresh_on", None)
    if not isinstance(refresh_on, int | float) or not refresh_on:
        refresh_on = default_refresh_on(now, max(0.0, expires_on - now), None)
    token_type = getattr(result, "token_type", None)
    return AccessToken(
        token,
        int(expires_on),
        refresh_on=int(refresh_on),
        token_type=token_type if isinstance(token_type, str) else "Bearer",
    )


def source_error(credential: object, exc: Exception) -> CredentialSourceError:
    """The error for a wrapped credential's failure (its message's first line, no more)."""
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    name = type(credential).__name__
    return CredentialSourceError(
        f"{name} failed: {type(exc).__name__}" + (f": {detail}" if detail else ""),
        hint=f"See the {name} documentation; the original error is chained as the cause.",
    )


def source_arguments(
    credential: object, tenant: str, default_tenant: str, claims: str | None
) -> dict[str, Any]:
    """The options to pass the wrapped credential (only what the caller asked for)."""
    options: dict[str, Any] = {}
    if tenant != default_tenant:
        options["tenant_id"] = tenant
    if claims is not None:
        options["claims"] = claims
    return options


#: The tenant placeholder of an adapter: the wrapped credential decides the tenant.
SOURCE_TENANT = "source-default"


def adapter_identity(credential: object) -> str:
    """The cache identity of one adapter: per adapter, not ``id(credential)``, because an
    address is reused once the wrapped credential is collected, and a shared cache must never
    hand one source's tokens to another."""
    return f"{type(credential).__name__}@{uuid.uuid4().hex}"


class AzureAdapterFlows(CredentialCore):
    """The arguments and the flow of an azure-core credential adapter, blocking or async: the
    wrapped credential is called inline and its answer awaited when it is awaitable."""

    def __init__(
        self,
        credential: SupportsGetToken,
        *,
        cloud: Cloud | str = Cloud.GLOBAL,
        cache: TokenCache | None = None,
        timing: Timing | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], object] | Callable[[float], Awaitable[object]] | None = None,
        random: Callable[[], float] | None = None,
    ) -> None:
        if not isinstance(credential, SupportsGetToken):
            kind = "AsyncTokenCredential" if self._asynchronous else "TokenCredential"
            raise ConfigurationError("credential", f"must be an azure-core {kind} (with get_token)")
        self._source = credential
        super().__init__(
            kind="azure",
            cloud=cloud,
            tenant_id=SOURCE_TENANT,
            client_id=adapter_identity(credential),
            endpoint_version="v2",
            cache=cache,
            # (timing: the clock of the cache and refresh policy; clock=, sleep=, random= are
            # its deprecated spellings. The wrapped credential does its own retrying.)
            timing=resolve_timing(
                timing, clock=clock, sleep=sleep, random=random, asynchronous=self._asynchronous
            ),
        )

    def _fetch_flow(
        self, scopes: tuple[str, ...], tenant: str, claims: str | None
    ) -> Flow[AccessToken]:
        source: Any = self._source
        options = source_arguments(source, tenant, self.tenant_id, claims)
        if hasattr(source, "get_token_info"):
            call = functools.partial(source.get_token_info, *scopes, options=options or None)
        else:
            call = functools.partial(source.get_token, *scopes, **options)
        try:
            # Inline: an azure-identity credential does its own I/O (an async one is awaited).
            result = yield Blocking(call, inline=True)
        except Exception as exc:
            raise source_error(source, exc) from exc
        return to_access_token(result, self._clock())

    def __repr__(self) -> str:
        return f"AzureCredentialAdapter({type(self._source).__name__})"


class AzureCredentialAdapter(AzureAdapterFlows, TokenCredentialBase):
    """Wrap an azure-core ``TokenCredential`` (e.g. ``azure.identity.ManagedIdentityCredential``)
    as a :mod:`partnercenter` credential: its tokens are cached with this library's refresh
    policy and single flight. ``get_token()`` with no scope asks for the cloud's Partner Center
    ``/.default`` scope. ``timing``: a :class:`~partnercenter.Timing` whose clock the cache and
    refresh policy read (tests); the wrapped credential does its own retrying.
    """

    def close(self) -> None:
        """Nothing to release: the wrapped credential is yours and stays open."""
