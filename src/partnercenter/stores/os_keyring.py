"""The OS keyring refresh-token store (macOS Keychain, Windows Credential Manager, Secret
Service on Linux), through the optional ``keyring`` package.

Each store key is one keyring entry (service ``partnercenter`` by default, user name = the
store key) holding a small JSON record: ``{"v": 1, "refresh_token", "saved_at",
"created_at"}``. The keyring encrypts it at rest and each entry is written in one call, so
rotations of different keys never interfere.

Windows Credential Manager caps an entry at 2,560 bytes, which a long refresh token can exceed:
there, prefer :class:`~partnercenter.stores.FileRefreshTokenStore` (its key in the keyring).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Final

from ..errors import ConfigurationError, RefreshTokenStoreError
from ..redaction import describe, secret_shape, shown
from .file import KEYRING_SERVICE
from .keyring_backend import KeyringBackend, default_keyring, keyring_error
from .records import RefreshTokenRecord

__all__ = ["KeyringRefreshTokenStore"]

_VERSION: Final = 1


class KeyringRefreshTokenStore:
    """A :class:`~partnercenter.stores.RefreshTokenStore` in the OS keyring.

    ``service`` names the keyring service (default ``partnercenter``); ``backend`` replaces the
    ``keyring`` package's configured backend (any object with ``get_password``,
    ``set_password`` and ``delete_password``). The constructor touches nothing: a missing
    ``keyring`` package or OS keyring is reported on first use, as a
    :class:`~partnercenter.errors.RefreshTokenStoreError`.
    """

    def __init__(
        self,
        service: str = KEYRING_SERVICE,
        *,
        backend: KeyringBackend | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not isinstance(service, str) or not service:
            raise ConfigurationError("service", "must be a non-empty string")
        if secret_shape(service, strict=True) is not None:
            raise ConfigurationError("service", f"got {describe(service)}, not a service name")
        if backend is not None and not isinstance(backend, KeyringBackend):
            raise ConfigurationError(
                "backend", "must have get_password, set_password and delete_password"
            )
        self.service = service
        self._backend = backend
        self._clock = clock
        # Keyring calls are atomic per entry; the lock only makes save's read-then-write (to
        # keep created_at) atomic between threads of this process.
        self._lock = threading.Lock()

    @property
    def cache_identity(self) -> str | None:
        """The OS keyring's service, the same in every process (see ``store_identity``); a
        store given its own backend object has no such name."""
        return f"keyring:{self.service}" if self._backend is None else None

    @property
    def _location(self) -> str:
        return f"the OS keyring service {shown(self.service)}"

    def _keyring(self) -> KeyringBackend:
        if self._backend is None:
            self._backend = default_keyring(self._location)
        return self._backend

    def load(self, key: str) -> str | None:
        """The refresh token under ``key``, or ``None``."""
        record = self.load_record(key)
        return None if record is None else record.refresh_token

    def load_record(self, key: str) -> RefreshTokenRecord | None:
        """The record under ``key`` (token and times), or ``None``."""
        backend = self._keyring()
        try:
            raw = backend.get_password(self.service, key)
        except Exception as exc:  # backends raise their own error types
            raise keyring_error(self._location, "read", exc) from None
        if raw is None:
            return None
        try:
            value = json.loads(raw)
            if not isinstance(value, dict) or value.get("v") != _VERSION:
                raise ValueError(f"unknown record version {value.get('v')!r}")
            return RefreshTokenRecord.from_json(value)
        except (ValueError, AttributeError, RecursionError) as exc:
            raise RefreshTokenStoreError(
                f"cannot read the entry {shown(key)} of {self._location}: it is not a "
                f"partnercenter refresh-token record ({exc}). It was left untouched.",
                location=self._location,
                reason="corrupt",
                hint="Delete that keyring entry and sign in again (partnercenter consent).",
            ) from None

    def save(self, key: str, refresh_token: str) -> None:
        """Store ``refresh_token`` under ``key``."""
        if not isinstance(refresh_token, str) or not refresh_token:
            raise ConfigurationError("refresh_token", "must be a non-empty string")
        with self._lock:
            # A corrupt entry raises here: it is never silently overwritten.
            previous = self.load_record(key)
            now = float(self._clock())
            created = previous.created_at if previous is not None else now
            record = {"v": _VERSION, **RefreshTokenRecord(refresh_token, now, created).to_json()}
            try:
                self._keyring().set_password(
                    self.service, key, json.dumps(record, separators=(",", ":"))
                )
            except Exception as exc:
                raise keyring_error(self._location, "write", exc) from None

    def delete(self, key: str) -> None:
        """Forget ``key`` (no error when absent)."""
        backend = self._keyring()
        with self._lock:
            try:
                if backend.get_password(self.service, key) is None:
                    return
                backend.delete_password(self.service, key)
            except Exception as exc:
                if type(exc).__name__ == "PasswordDeleteError":
                    return  # deleted meanwhile by another process: the goal is reached
                raise keyring_error(self._location, "delete from", exc) from None

    def check(self) -> None:
        """Make sure the OS keyring can be used now (raises
        :class:`~partnercenter.errors.RefreshTokenStoreError` otherwise)."""
        try:
            self._keyring().get_password(self.service, "partnercenter-store-check")
        except RefreshTokenStoreError:
            raise
        except Exception as exc:
            raise keyring_error(self._location, "read", exc) from None

    def __repr__(self) -> str:
        return f"KeyringRefreshTokenStore(service={shown(self.service)})"
