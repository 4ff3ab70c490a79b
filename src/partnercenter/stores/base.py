"""The refresh-token store interfaces (sync and async).

Keys are short strings chosen by the credential (by default ``{authority}/{client_id}``;
``store_key=`` overrides it); values are refresh tokens, which are secrets: implementations must
not log them and should encrypt them at rest.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["AsyncRefreshTokenStore", "RefreshTokenStore"]


@runtime_checkable
class RefreshTokenStore(Protocol):
    """A place to keep refresh tokens (blocking calls; must be thread-safe)."""

    def load(self, key: str) -> str | None:
        """The refresh token stored under ``key``, or ``None``."""

    def save(self, key: str, refresh_token: str) -> None:
        """Store ``refresh_token`` under ``key``, replacing the previous one."""

    def delete(self, key: str) -> None:
        """Forget ``key`` (no error when absent)."""


@runtime_checkable
class AsyncRefreshTokenStore(Protocol):
    """The same, for stores whose I/O is asynchronous (e.g. an asyncio Redis client).

    The async credentials accept either kind of store.
    """

    async def load(self, key: str) -> str | None:
        """The refresh token stored under ``key``, or ``None``."""

    async def save(self, key: str, refresh_token: str) -> None:
        """Store ``refresh_token`` under ``key``."""

    async def delete(self, key: str) -> None:
        """Forget ``key``."""
