"""An access-token cache on disk, encrypted: tokens outlive the process that got them.

:class:`FileTokenCache` implements :class:`~partnercenter._credentials.cache.TokenCache`, so any
credential takes it as ``cache=``; the ``partnercenter token`` command uses it so that repeated
calls do not go back to Azure AD. The file is the refresh-token store's format (same AES-256-GCM
code, same key: ``PARTNERCENTER_STORE_KEY`` or the OS keyring, same cross-process lock and
atomic replace); only what it holds differs. Each process also keeps what it read in memory, so
a hit after the first costs one dict lookup and one clock read.

Bounded: expired entries are dropped on every write, and at most ``max_entries`` are kept
(those expiring first are dropped). A file that is unreadable because it is corrupt is a
disposable cache and is replaced; a wrong or missing key raises
:class:`~partnercenter.errors.RefreshTokenStoreError`, as the store does.

This module imports neither ``httpx`` nor the credentials: reading a cached token stays cheap.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, Final

from .errors import ConfigurationError, RefreshTokenStoreError
from .redaction import shown
from .stores.file import KEYRING_SERVICE, STORE_KEY_ENV, FileRefreshTokenStore
from .stores.keyring_backend import KeyringBackend
from .stores.records import RefreshTokenRecord
from .tokens import AccessToken

__all__ = ["DEFAULT_MAX_ENTRIES", "FileTokenCache", "cache_key_text", "default_cache_path"]

#: Enough for a partner with many customer tenants and a few scopes each.
DEFAULT_MAX_ENTRIES: Final = 512

#: ``(refresh_due, token)``, as in :mod:`partnercenter._credentials.cache`.
Entry = tuple[float, AccessToken]


def default_cache_path() -> Path:
    """``$XDG_CACHE_HOME/partnercenter/access-tokens.json`` (``~/.cache/...`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "partnercenter" / "access-tokens.json"


def cache_key_text(key: Hashable, namespace: str = "") -> str:
    """The file's name for a cache key: the namespace and JSON of the credential's key tuple
    (tuples become lists), so the same key from another process finds the same entry."""
    try:
        text = json.dumps(key, separators=(",", ":"))
    except (TypeError, ValueError):
        text = repr(key)
    return f"{namespace}\x1f{text}" if namespace else text


def _encode(entry: Entry) -> str:
    refresh_due, token = entry
    return json.dumps(
        {
            "refresh_due": refresh_due,
            "access_token": token.token,
            "expires_on": token.expires_on,
            "refresh_on": token.refresh_on,
            "token_type": token.token_type,
        },
        separators=(",", ":"),
    )


def _decode(text: str) -> Entry | None:
    try:
        data = json.loads(text)
        token = AccessToken(
            data["access_token"],
            int(data["expires_on"]),
            refresh_on=None if data.get("refresh_on") is None else int(data["refresh_on"]),
            token_type=str(data.get("token_type") or "Bearer"),
        )
        refresh_due = float(data["refresh_due"])
    except (ValueError, TypeError, KeyError, OverflowError):
        return None  # an entry this version cannot read is a miss, never an error
    if not isinstance(token.token, str) or not token.token:
        return None
    return refresh_due, token


class _TokenFile(FileRefreshTokenStore):
    """The refresh-token store's file, holding serialized cache entries instead of refresh
    tokens: one encryption and key-handling implementation for both."""

    def mutate(self, change: Callable[[dict[str, RefreshTokenRecord]], bool]) -> None:
        """Apply ``change`` to all entries under the lock; write if it returns True."""
        with self._transaction() as entries:
            if change(entries):
                self._write(entries)


class FileTokenCache:
    """A :class:`~partnercenter._credentials.cache.TokenCache` in an encrypted file.

    ``path`` defaults to :func:`default_cache_path`. ``key``, ``key_env``, ``keyring`` and
    ``keyring_service`` choose the encryption key exactly as for
    :class:`~partnercenter.FileRefreshTokenStore` (by default the same key as the refresh-token
    store). ``plaintext=True`` stores tokens unencrypted (explicit opt-in). ``namespace``
    separates caches that share the file: a credential's cache key names its app, tenant and
    authority but not the signed-in user, so two app + user logins of one app need two
    namespaces (the CLI uses one per profile). The constructor does no I/O. Safe across threads
    and processes.

    >>> cache = FileTokenCache()                                          # doctest: +SKIP
    >>> credential = ClientSecretCredential(tenant, client, secret, cache=cache)  # doctest: +SKIP
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        key: str | bytes | None = None,
        key_env: str | None = STORE_KEY_ENV,
        keyring: bool | KeyringBackend = True,
        keyring_service: str = KEYRING_SERVICE,
        plaintext: bool = False,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        namespace: str = "",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not isinstance(namespace, str) or "\x1f" in namespace:
            raise ConfigurationError("namespace", "must be a string without control characters")
        if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries < 1:
            raise ConfigurationError("max_entries", "must be a positive int")
        if not callable(clock):
            raise ConfigurationError("clock", "must be callable")
        self._file = _TokenFile(
            path if path is not None else default_cache_path(),
            key=key,
            key_env=key_env,
            keyring=keyring,
            keyring_service=keyring_service,
            plaintext=plaintext,
            clock=clock,
        )
        self._max_entries = max_entries
        self._namespace = namespace
        self._clock = clock
        self._memory: dict[Hashable, Entry] = {}
        self._lock = threading.Lock()

    @property
    def path(self) -> Path:
        """The cache file."""
        return self._file.path

    # -- TokenCache ------------------------------------------------------------------------
    def get(self, key: Hashable, /) -> Entry | None:
        """The unexpired entry under ``key`` (from memory, else from the file), or ``None``."""
        now = self._clock()
        entry = self._memory.get(key)
        if entry is not None and entry[1].expires_on > now:
            return entry
        record = self._read().get(cache_key_text(key, self._namespace))
        entry = None if record is None else _decode(record.refresh_token)
        if entry is None or entry[1].expires_on <= now:
            self._memory.pop(key, None)
            return None
        self._memory[key] = entry
        return entry

    def set(self, key: Hashable, entry: Entry, /) -> None:
        """Store ``entry`` under ``key`` (memory and file), dropping expired entries."""
        self._memory[key] = entry
        text, now = cache_key_text(key, self._namespace), self._clock()
        value = _encode(entry)

        def change(entries: dict[str, RefreshTokenRecord]) -> bool:
            self._prune(entries, now)
            entries[text] = RefreshTokenRecord(value, now, now)
            while len(entries) > self._max_entries:
                del entries[min(entries, key=lambda k: _expiry(entries[k]))]
            return True

        self._mutate(change)

    def remove(self, key: Hashable, /) -> None:
        """Forget ``key`` (no error when absent)."""
        self._memory.pop(key, None)
        text = cache_key_text(key, self._namespace)
        self._mutate(lambda entries: entries.pop(text, None) is not None)

    def clear(self) -> None:
        """Forget every entry of this namespace (all entries without a namespace)."""
        if self._namespace:
            self.discard(lambda _text: True)
            return
        self._memory.clear()

        def change(entries: dict[str, RefreshTokenRecord]) -> bool:
            had = bool(entries)
            entries.clear()
            return had

        self._mutate(change)

    # -- more ------------------------------------------------------------------------------
    def _mine(self, text: str) -> bool:
        return text.startswith(f"{self._namespace}\x1f") if self._namespace else True

    def entries(self) -> dict[str, Entry]:
        """Every unexpired entry of this namespace, by key text (for tools)."""
        now = self._clock()
        found: dict[str, Entry] = {}
        for text, record in self._read().items():
            if not self._mine(text):
                continue
            entry = _decode(record.refresh_token)
            if entry is not None and entry[1].expires_on > now:
                found[text] = entry
        return found

    def discard(self, matches: Callable[[str], bool]) -> int:
        """Forget every entry of this namespace whose key text ``matches`` (e.g. everything,
        at logout); returns how many were dropped."""
        self._memory.clear()
        dropped = 0

        def change(entries: dict[str, RefreshTokenRecord]) -> bool:
            nonlocal dropped
            for text in [t for t in entries if self._mine(t) and matches(t)]:
                del entries[text]
                dropped += 1
            return dropped > 0

        self._mutate(change)
        return dropped

    def __len__(self) -> int:
        return len(self.entries())

    def __repr__(self) -> str:
        return f"FileTokenCache(path={shown(str(self.path))}, encrypted={self._file.encrypted})"

    # -- internals -------------------------------------------------------------------------
    def _prune(self, entries: dict[str, RefreshTokenRecord], now: float) -> bool:
        expired = [k for k, record in entries.items() if _expiry(record) <= now]
        for text in expired:
            del entries[text]
        return bool(expired)

    def _read(self) -> dict[str, RefreshTokenRecord]:
        try:
            return self._file._read()
        except RefreshTokenStoreError as exc:
            if exc.reason != "corrupt":
                raise
            self._discard()
            return {}

    def _mutate(self, change: Callable[[dict[str, RefreshTokenRecord]], Any]) -> None:
        with self._lock:
            try:
                self._file.mutate(change)
            except RefreshTokenStoreError as exc:
                if exc.reason != "corrupt":
                    raise
                # A cache holds nothing that cannot be fetched again: start a new file.
                self._discard()
                self._file.mutate(change)

    def _discard(self) -> None:
        try:
            self._file.path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise RefreshTokenStoreError(
                f"cannot replace the corrupt token cache {self._file.path}: {exc.strerror or exc}",
                location=str(self._file.path),
                reason="io",
                hint="Delete the file by hand.",
            ) from None


def _expiry(record: RefreshTokenRecord) -> float:
    entry = _decode(record.refresh_token)
    return float("-inf") if entry is None else float(entry[1].expires_on)
