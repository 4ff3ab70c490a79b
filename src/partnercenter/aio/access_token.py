"""Async twin of :class:`partnercenter.AccessTokenCredential` (the same arguments and check,
:class:`~partnercenter._credentials.access_token.StaticTokenCore`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._credentials.access_token import StaticTokenCore
from ..tokens import AccessToken

__all__ = ["AccessTokenCredential"]


class AccessTokenCredential(StaticTokenCore):
    """Hands out one access token you already have, until it expires (async)."""

    _asynchronous = True

    async def get_token(self, *scopes: str, **options: Any) -> AccessToken:
        """The token, or :class:`~partnercenter.errors.AccessTokenExpiredError` once expired
        (azure-core's ``claims``, ``tenant_id``, ``enable_cae``... are accepted and do not
        matter: there is one token)."""
        return self._current()

    async def get_token_info(
        self, *scopes: str, options: Mapping[str, Any] | None = None
    ) -> AccessToken:
        """azure-core's ``AsyncSupportsTokenInfo`` form of :meth:`get_token`."""
        return self._current()

    async def close(self) -> None:
        """Nothing to release."""

    async def __aenter__(self) -> AccessTokenCredential:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
