"""The refresh-token store interfaces (sync and async).

Keys are short strings chosen by the credential (by default ``{authority}/{client_id}``;
``store_key=`` overrides it); values are refresh tokens, which are secrets: implementations must
not log them and should encrypt them at rest.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = [
    "AsyncRefreshTokenStore",
    "RefreshTokenStore",
    "credential_identity",
    "refresh_token_account",
    "store_identity",
]


def store_identity(store: object) -> str:
    """A name for where ``store`` keeps its refresh tokens, stable across processes when the
    store is shared across processes (a file's path, a keyring service, a Redis server and
    prefix: its ``cache_identity``), else unique to the object (an in-memory store)."""
    identity = getattr(store, "cache_identity", None)
    if isinstance(identity, str) and identity:
        return identity
    return f"{type(store).__qualname__}@{id(store):x}"


def refresh_token_account(store: object, store_key: str) -> str:
    """Whose tokens a refresh-token credential gets: its refresh token's store and key (the
    ``account`` of :func:`credential_identity`)."""
    return f"{store_identity(store)}#{store_key}"


def credential_identity(
    kind: str,
    authority_host: str,
    tenant_id: str,
    client_id: str,
    endpoint_version: str,
    account: str = "",
) -> str:
    """The identity part of a credential's access-token cache key: two credentials share
    cached tokens only when they would get the same token. For app + user credentials
    ``account`` names whose refresh token it is (store and store key), or two users of one app
    sharing a cache would be served each other's tokens.

    It lives here, beside :func:`store_identity`, because the CLI's cached ``token`` path (which
    imports no HTTP stack) must build the same key as the credential that filled the cache.
    """
    parts = [kind, authority_host, tenant_id.lower(), client_id, endpoint_version]
    if account:
        parts.append(account)
    return "|".join(parts)


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
