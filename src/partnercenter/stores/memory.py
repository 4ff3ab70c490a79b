"""The in-memory refresh-token store (lost when the process ends)."""

from __future__ import annotations

from ..redaction import shown

__all__ = ["MemoryRefreshTokenStore"]


class MemoryRefreshTokenStore:
    """A :class:`~partnercenter.stores.RefreshTokenStore` in a dict.

    Usable from sync and async credentials (its calls never block). ``repr`` shows the keys,
    never the tokens.
    """

    __slots__ = ("_tokens",)

    def __init__(self, tokens: dict[str, str] | None = None) -> None:
        self._tokens: dict[str, str] = dict(tokens or {})

    def load(self, key: str) -> str | None:
        """The refresh token under ``key``, or ``None``."""
        return self._tokens.get(key)

    def save(self, key: str, refresh_token: str) -> None:
        """Store ``refresh_token`` under ``key``."""
        self._tokens[key] = refresh_token

    def delete(self, key: str) -> None:
        """Forget ``key``."""
        self._tokens.pop(key, None)

    def keys(self) -> list[str]:
        """The keys that hold a refresh token."""
        return list(self._tokens)

    def __repr__(self) -> str:
        keys = ", ".join(shown(k) for k in sorted(self._tokens))
        return f"MemoryRefreshTokenStore(keys=[{keys}])"
