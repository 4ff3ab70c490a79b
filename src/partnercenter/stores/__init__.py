"""Refresh-token stores: where the rotating refresh token of an app + user credential lives.

Azure AD returns a new refresh token on every use; the credential writes it back through the
store so that the next process starts from the newest one. This module holds the interface and
the in-memory store; persistent stores (encrypted file, OS keyring, Redis) implement the same
three methods.
"""

from __future__ import annotations

from .base import AsyncRefreshTokenStore, RefreshTokenStore
from .memory import MemoryRefreshTokenStore

__all__ = ["AsyncRefreshTokenStore", "MemoryRefreshTokenStore", "RefreshTokenStore"]
