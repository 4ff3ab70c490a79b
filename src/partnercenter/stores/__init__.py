"""Refresh-token stores: where the rotating refresh token of an app + user credential lives.

Azure AD returns a new refresh token on every use; the credential writes it back through the
store so that the next process starts from the newest one. The interface
(:class:`RefreshTokenStore`: ``load``, ``save``, ``delete``) has three implementations here:

- :class:`MemoryRefreshTokenStore`: in-process, lost at exit.
- :class:`FileRefreshTokenStore`: one file, AES-256-GCM encrypted (key from
  ``PARTNERCENTER_STORE_KEY`` or the OS keyring), 0600, atomic replace, a cross-process lock;
  plaintext only with ``plaintext=True``.
- :class:`KeyringRefreshTokenStore`: the OS keyring (optional ``keyring`` package).
- :class:`RedisRefreshTokenStore`: Redis, shared by a fleet of workers, with a rotation lock
  and compare-and-set (optional ``redis`` package; async twin in :mod:`partnercenter.aio`).

The persistent ones also implement :class:`RefreshTokenRecordStore` (``load_record``: when each
token was saved), which the credentials use to warn ahead of the 90-day inactivity limit.
"""

from __future__ import annotations

from .base import AsyncRefreshTokenStore, RefreshTokenStore
from .file import FileRefreshTokenStore, default_store_path, generate_store_key
from .memory import MemoryRefreshTokenStore
from .os_keyring import KeyringRefreshTokenStore
from .records import RefreshTokenRecord, RefreshTokenRecordStore
from .redis_store import RedisRefreshTokenStore

__all__ = [
    "AsyncRefreshTokenStore",
    "FileRefreshTokenStore",
    "KeyringRefreshTokenStore",
    "MemoryRefreshTokenStore",
    "RedisRefreshTokenStore",
    "RefreshTokenRecord",
    "RefreshTokenRecordStore",
    "RefreshTokenStore",
    "default_store_path",
    "generate_store_key",
]
