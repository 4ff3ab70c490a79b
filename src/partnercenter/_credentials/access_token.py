"""A static access token (like ``Connect-PartnerCenter -AccessToken``)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from .._core.timing import Timing, resolve_timing
from ..errors import AccessTokenExpiredError, ConfigurationError
from ..tokens import AccessToken, read_jwt_claims

__all__ = ["AccessTokenCredential", "StaticTokenCore", "expired_error", "static_token"]


def static_token(token: str | AccessToken, expires_on: float | None) -> AccessToken:
    """Check and wrap the arguments of a static-token credential (shared with the async twin).

    The expiry comes from ``expires_on``, else from the token's own ``exp`` claim.
    """
    if isinstance(token, AccessToken):
        if expires_on is not None:
            raise ConfigurationError("expires_on", "an AccessToken already carries its expiry")
        return token
    if not isinstance(token, str) or not token.strip():
        raise ConfigurationError("token", "must be a non-empty access token string")
    token = token.strip()
    if token.lower().startswith("bearer "):
        token = token[7:].strip()
    if not token.isascii() or not token.isprintable() or " " in token:
        # RFC 6750's b64token: it travels in an HTTP header (the value is never echoed).
        raise ConfigurationError("token", "must be a bearer token: printable ASCII, no spaces")
    if expires_on is None:
        exp = read_jwt_claims(token).get("exp")
        if not isinstance(exp, int | float) or isinstance(exp, bool) or not math.isfinite(exp):
            raise ConfigurationError(
                "expires_on",
                "is required: the token is not a JWT with an exp claim, so its expiry is unknown",
            )
        expires_on = exp
    elif (
        isinstance(expires_on, bool)
        or not isinstance(expires_on, int | float)
        or not math.isfinite(expires_on)
    ):
        raise ConfigurationError("expires_on", "must be a Unix time in seconds")
    return AccessToken(token, int(expires_on))


def expired_error(token: AccessToken, now: float) -> AccessTokenExpiredError:
    """The error for a static token past its expiry."""
    return AccessTokenExpiredError(
        f"the access token expired {int(now - token.expires_on)} s ago "
        f"(expires_on={token.expires_on})",
        hint="A static access token cannot be refreshed: get a new one, or use a credential "
        "that can refresh (ClientSecretCredential, CertificateCredential, "
        "RefreshTokenCredential).",
    )


class StaticTokenCore:
    """The arguments and the expiry check of a static-token credential, blocking or async."""

    _asynchronous: ClassVar[bool] = False

    def __init__(
        self,
        token: str | AccessToken,
        *,
        expires_on: float | None = None,
        timing: Timing | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._token = static_token(token, expires_on)
        # Only the clock matters here (no waits, no retries); clock= is its deprecated spelling.
        self._timing = resolve_timing(timing, clock=clock, asynchronous=self._asynchronous)
        self._clock = self._timing.clock

    def _current(self) -> AccessToken:
        """The token, or :class:`~partnercenter.errors.AccessTokenExpiredError` once expired."""
        token = self._token
        now = self._clock()
        if now >= token.expires_on:
            raise expired_error(token, now)
        return token

    def __repr__(self) -> str:
        return f"AccessTokenCredential({self._token!r})"


class AccessTokenCredential(StaticTokenCore):
    """Hands out one access token you already have, until it expires.

    ``token`` is the bearer value (a leading ``Bearer`` is dropped) or an :class:`AccessToken`;
    ``expires_on`` defaults to the JWT's ``exp``. ``get_token`` returns the token whatever the
    scopes and raises :class:`~partnercenter.errors.AccessTokenExpiredError` once it expired
    (by the clock of ``timing``, a :class:`~partnercenter.Timing`).
    """

    def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        """The token, or :class:`~partnercenter.errors.AccessTokenExpiredError` once expired
        (the scopes and azure-core's options do not matter: there is one token)."""
        return self._current()

    def get_token_info(self, *scopes: str, options: Mapping[str, Any] | None = None) -> AccessToken:
        """azure-core's ``SupportsTokenInfo`` form of :meth:`get_token`."""
        return self._current()

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> AccessTokenCredential:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
