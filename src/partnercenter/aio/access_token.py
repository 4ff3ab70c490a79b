"""Async twin of :class:`partnercenter.AccessTokenCredential`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .._timing import Timing, resolve_timing
from ..auth.access_token import expired_error, static_token
from ..tokens import AccessToken

__all__ = ["AccessTokenCredential"]


class AccessTokenCredential:
    """Hands out one access token you already have, until it expires (async)."""

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
        self._timing = resolve_timing(timing, clock=clock, asynchronous=True)
        self._clock = self._timing.clock

    async def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        """The token, or :class:`~partnercenter.errors.AccessTokenExpiredError` once expired."""
        token = self._token
        now = self._clock()
        if now >= token.expires_on:
            raise expired_error(token, now)
        return token

    async def get_token_info(
        self, *scopes: str, options: Mapping[str, Any] | None = None
    ) -> AccessToken:
        """azure-core's ``AsyncSupportsTokenInfo`` form of :meth:`get_token`."""
        return await self.get_token(*scopes)

    async def close(self) -> None:
        """Nothing to release."""

    async def __aenter__(self) -> AccessTokenCredential:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"AccessTokenCredential({self._token!r})"
