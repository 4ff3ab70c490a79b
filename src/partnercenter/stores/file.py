"""The file refresh-token store: encrypted by default, safe across processes.

One JSON file holds every key's record. On disk (layout version 1)::

    {"format": "partnercenter/refresh-token-store", "version": 1,
     "encryption": "AES-256-GCM", "key_id": "<16 hex>", "nonce": "<b64>", "ciphertext": "<b64>"}

The ciphertext is AES-256-GCM (authenticated: any change to the file is detected) over
``{"entries": {key: {"refresh_token", "saved_at", "created_at"}}}``, with the header fields as
associated data so they cannot be swapped either. ``key_id`` is an HMAC of the key (it reveals
nothing about it) so that "wrong key" and "corrupt file" give different errors. A plaintext
store (``plaintext=True``, an explicit opt-in) writes ``"encryption": "none"`` and the
``entries`` in clear.

Writes are read-modify-write under an exclusive lock on ``<file>.lock`` and replace the file
atomically (temporary file, fsync, ``os.replace``), so concurrent processes never lose a rotated
token and a process killed mid-write leaves the previous file intact. A file that cannot be
read (corrupt, wrong key, unknown format) raises
:class:`~partnercenter.errors.RefreshTokenStoreError` and is never overwritten.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..errors import ConfigurationError, RefreshTokenStoreError
from ..redaction import shown
from .keyring_backend import KEYRING_EXTRA_HINT, KeyringBackend, default_keyring, keyring_error
from .locking import LockTimeout, exclusive_lock, remove_stale_temps, write_atomic
from .records import RefreshTokenRecord

__all__ = [
    "KEYRING_KEY_USERNAME",
    "KEYRING_SERVICE",
    "STORE_KEY_ENV",
    "FileRefreshTokenStore",
    "default_store_path",
    "generate_store_key",
]

logger = logging.getLogger("partnercenter.stores")

#: The environment variable that may hold the store key (base64url of 32 bytes).
STORE_KEY_ENV: Final = "PARTNERCENTER_STORE_KEY"
#: The OS keyring service under which this library keeps its secrets.
KEYRING_SERVICE: Final = "partnercenter"
#: The keyring entry (user name) that holds the file store's key.
KEYRING_KEY_USERNAME: Final = "refresh-token-store-key"

FORMAT: Final = "partnercenter/refresh-token-store"
VERSION: Final = 1
CIPHER: Final = "AES-256-GCM"
PLAINTEXT: Final = "none"
_KEY_BYTES: Final = 32
_NONCE_BYTES: Final = 12
_KEY_ID_LABEL: Final = b"partnercenter refresh-token-store key id"
#: How long a writer waits for another process's lock before giving up.
DEFAULT_LOCK_TIMEOUT: Final = 30.0


def generate_store_key() -> str:
    """A new random store key (256 bits, base64url): the value to put in
    ``PARTNERCENTER_STORE_KEY`` or to pass as ``key=``."""
    return base64.urlsafe_b64encode(secrets.token_bytes(_KEY_BYTES)).decode("ascii").rstrip("=")


def default_store_path() -> Path:
    """``$XDG_STATE_HOME/partnercenter/refresh-tokens.json`` (``~/.local/state/...`` by
    default): where ``partnercenter consent`` keeps refresh tokens unless told otherwise."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "partnercenter" / "refresh-tokens.json"


def _decode_key(value: str | bytes, argument: str) -> bytes:
    if isinstance(value, bytes):
        if len(value) != _KEY_BYTES:
            raise ConfigurationError(argument, f"must be {_KEY_BYTES} raw bytes")
        return value
    if not isinstance(value, str):
        raise ConfigurationError(argument, "must be a base64 string or 32 bytes")
    text = value.strip()
    try:
        raw = base64.urlsafe_b64decode(
            text.replace("+", "-").replace("/", "_") + "=" * (-len(text) % 4)
        )
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != _KEY_BYTES:
        raise ConfigurationError(
            argument,
            f"must be {_KEY_BYTES} bytes in base64 (43 characters), such as "
            "partnercenter.stores.generate_store_key() makes",
        )
    return raw


def _key_id(key: bytes) -> str:
    return hmac.new(key, _KEY_ID_LABEL, hashlib.sha256).hexdigest()[:16]


def _header_aad(header: dict[str, Any]) -> bytes:
    fields = {name: header[name] for name in ("format", "version", "encryption", "key_id")}
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


class FileRefreshTokenStore:
    """A :class:`~partnercenter.stores.RefreshTokenStore` in one file, encrypted by default.

    The 256-bit key comes from, in order: ``key=`` (base64 text or 32 bytes), the environment
    variable named by ``key_env`` (default ``PARTNERCENTER_STORE_KEY``), or the OS keyring
    (service ``partnercenter``, entry ``refresh-token-store-key``; created there on the first
    save when absent and ``keyring`` allows it). ``keyring=False`` never touches the keyring;
    a :class:`~partnercenter.stores.keyring_backend.KeyringBackend` object is used instead of
    the ``keyring`` package. ``plaintext=True`` stores tokens **unencrypted** (only where the
    file is protected otherwise, e.g. a secrets volume); the file is still 0600.

    The constructor does no I/O. ``lock_timeout`` bounds the wait for another process's lock;
    ``clock`` stamps each record's ``saved_at`` (the inactivity warning reads it).
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        key: str | bytes | None = None,
        key_env: str | None = STORE_KEY_ENV,
        keyring: bool | KeyringBackend = True,
        keyring_service: str = KEYRING_SERVICE,
        keyring_username: str = KEYRING_KEY_USERNAME,
        plaintext: bool = False,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path).expanduser() if path is not None else default_store_path()
        if not isinstance(plaintext, bool):
            raise ConfigurationError("plaintext", "must be True or False")
        if plaintext and key is not None:
            raise ConfigurationError("key", "a plaintext store takes no key")
        self.plaintext = plaintext
        self._explicit_key = None if key is None else _decode_key(key, "key")
        self._key_env = key_env
        if not (isinstance(keyring, bool) or isinstance(keyring, KeyringBackend)):
            raise ConfigurationError(
                "keyring", "must be True, False or an object with get/set/delete_password"
            )
        self._keyring = keyring
        self._keyring_service = keyring_service
        self._keyring_username = keyring_username
        if not (isinstance(lock_timeout, int | float) and lock_timeout > 0):
            raise ConfigurationError("lock_timeout", "must be a positive number of seconds")
        self._lock_timeout = float(lock_timeout)
        self._clock = clock
        self._key: tuple[bytes, str] | None = None
        self._thread_lock = threading.RLock()

    @property
    def cache_identity(self) -> str:
        """Where the tokens live, the same in every process (see ``store_identity``)."""
        return f"file:{os.path.abspath(self.path)}"

    # -- the RefreshTokenStore interface ----------------------------------------------------
    def load(self, key: str) -> str | None:
        """The refresh token under ``key``, or ``None`` (also when the file does not exist)."""
        record = self.load_record(key)
        return None if record is None else record.refresh_token

    def load_record(self, key: str) -> RefreshTokenRecord | None:
        """The record under ``key`` (token, ``saved_at``, ``created_at``), or ``None``."""
        # No lock needed: writers replace the file atomically, so a read sees a whole file.
        return self._read().get(key)

    def save(self, key: str, refresh_token: str) -> None:
        """Store ``refresh_token`` under ``key`` (read-modify-write under the lock)."""
        if not isinstance(refresh_token, str) or not refresh_token:
            raise ConfigurationError("refresh_token", "must be a non-empty string")
        self.update(key, lambda _old: refresh_token)

    def delete(self, key: str) -> None:
        """Forget ``key`` (nothing is written when it is absent)."""
        self.update(key, lambda _old: None)

    # -- more ---------------------------------------------------------------------------------
    def keys(self) -> list[str]:
        """The keys that hold a refresh token."""
        return sorted(self._read())

    def update(self, key: str, change: Callable[[str | None], str | None]) -> str | None:
        """Atomically replace the token under ``key`` with ``change(current)`` (``None``
        deletes it), holding the cross-process lock from the read to the write. Returns the
        new token. ``change`` must be quick: other writers wait for it."""
        if not isinstance(key, str) or not key:
            raise ConfigurationError("key", "must be a non-empty string")
        with self._transaction() as entries:
            current = entries.get(key)
            new = change(None if current is None else current.refresh_token)
            if new is None:
                if current is None:
                    return None
                del entries[key]
            elif current is None or new != current.refresh_token:
                now = float(self._clock())
                created = now if current is None else current.created_at
                entries[key] = RefreshTokenRecord(new, now, created)
            else:
                return new
            self._write(entries)
            return new

    def check(self) -> None:
        """Make sure the store can be used now: the directory and lock can be created, the
        file (if any) reads with this key, and a key is at hand for writing (made in the OS
        keyring if that is the source and it has none). Raises
        :class:`~partnercenter.errors.RefreshTokenStoreError` otherwise. ``partnercenter
        consent`` calls it before the sign-in, so a store problem never wastes one."""
        with self._transaction():
            if not self.plaintext:
                self._resolve_key(create=True)

    @property
    def encrypted(self) -> bool:
        """False only for a plaintext store."""
        return not self.plaintext

    def __repr__(self) -> str:
        return f"FileRefreshTokenStore(path={shown(str(self.path))}, encrypted={self.encrypted})"

    # -- internals ----------------------------------------------------------------------------
    @contextmanager
    def _transaction(self) -> Iterator[dict[str, RefreshTokenRecord]]:
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise self._io_error("create the directory of", exc) from None
        with self._thread_lock, self._locked():
            # Safe under the lock: no other writer is between its write and its replace.
            remove_stale_temps(self.path)
            yield self._read()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        lock_path = self.path.with_name(self.path.name + ".lock")
        lock = exclusive_lock(lock_path, self._lock_timeout)
        try:
            lock.__enter__()
        except LockTimeout:
            raise RefreshTokenStoreError(
                f"timed out after {self._lock_timeout:g} s waiting for the lock on "
                f"{lock_path} (another process holds it)",
                location=str(self.path),
                reason="io",
                hint="Check for a stuck process using this store.",
            ) from None
        except OSError as exc:
            raise self._io_error("lock", exc) from None
        try:
            yield
        finally:
            lock.__exit__(None, None, None)

    def _io_error(self, action: str, exc: OSError) -> RefreshTokenStoreError:
        return RefreshTokenStoreError(
            f"cannot {action} the refresh-token store {self.path}: {exc.strerror or exc}",
            location=str(self.path),
            reason="io",
            hint="Check the path and its permissions.",
        )

    def _unreadable(self, reason: str, problem: str, hint: str = "") -> RefreshTokenStoreError:
        return RefreshTokenStoreError(
            f"cannot read the refresh-token store {self.path}: {problem}. The file was left "
            "untouched.",
            location=str(self.path),
            reason=reason,
            hint=hint
            or "Restore the file from a backup, or move it aside and sign in again "
            "(partnercenter consent) to make a new one.",
        )

    def _read(self) -> dict[str, RefreshTokenRecord]:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise self._io_error("read", exc) from None
        try:
            header = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raise self._unreadable("corrupt", "it is not valid JSON") from None
        except RecursionError:
            # json recurses once per nesting level: a file of 100,000 "[" exhausts the stack.
            raise self._unreadable("corrupt", "it is nested too deeply to be a store") from None
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise self._unreadable("corrupt", "it is not a partnercenter refresh-token store")
        version = header.get("version")
        if version != VERSION:
            raise self._unreadable(
                "unsupported",
                f"its layout version is {version!r}; this partnercenter reads version {VERSION}",
                "A newer partnercenter wrote it: upgrade partnercenter.",
            )
        encryption = header.get("encryption")
        if encryption == PLAINTEXT:
            if not self.plaintext:
                raise self._unreadable(
                    "unsupported",
                    "it is a plaintext store",
                    "Open it with plaintext=True (--store plaintext-file), or move it aside and "
                    "sign in again to make an encrypted one.",
                )
            return self._entries(header.get("entries"))
        if encryption != CIPHER:
            raise self._unreadable("unsupported", f"unknown encryption {encryption!r}")
        if self.plaintext:
            raise self._unreadable(
                "unsupported",
                "it is encrypted but was opened as a plaintext store",
                "Open it without plaintext=True (--store file).",
            )
        key, source = self._resolve_key(create=False)
        stored_id = header.get("key_id")
        if stored_id != _key_id(key):
            raise self._unreadable(
                "wrong_key",
                f"it was encrypted with another key (key id {stored_id!r}; the key from "
                f"{source} has id {_key_id(key)!r})",
                f"Use the key it was written with ({STORE_KEY_ENV} or the OS keyring), or move "
                "the file aside and sign in again.",
            )
        try:
            nonce = base64.b64decode(header["nonce"], validate=True)
            ciphertext = base64.b64decode(header["ciphertext"], validate=True)
            plain = AESGCM(key).decrypt(nonce, ciphertext, _header_aad(header))
            payload = json.loads(plain)
        except (KeyError, TypeError, ValueError, RecursionError, binascii.Error, InvalidTag):
            raise self._unreadable(
                "corrupt",
                "its contents fail authentication (the file is corrupt or was modified)",
            ) from None
        if not isinstance(payload, dict):
            raise self._unreadable("corrupt", "its decrypted contents are not a JSON object")
        return self._entries(payload.get("entries"))

    def _entries(self, value: object) -> dict[str, RefreshTokenRecord]:
        if not isinstance(value, dict):
            raise self._unreadable("corrupt", "it has no entries object")
        entries: dict[str, RefreshTokenRecord] = {}
        for name, raw in value.items():
            try:
                entries[str(name)] = RefreshTokenRecord.from_json(raw)
            except ValueError as exc:
                raise self._unreadable("corrupt", f"entry {shown(name)}: {exc}") from None
        return entries

    def _write(self, entries: dict[str, RefreshTokenRecord]) -> None:
        body = {name: record.to_json() for name, record in sorted(entries.items())}
        header: dict[str, Any] = {"format": FORMAT, "version": VERSION}
        if self.plaintext:
            header.update(encryption=PLAINTEXT, entries=body)
        else:
            key, _ = self._resolve_key(create=True)
            header.update(encryption=CIPHER, key_id=_key_id(key))
            nonce = secrets.token_bytes(_NONCE_BYTES)
            plain = json.dumps({"entries": body}, separators=(",", ":")).encode()
            ciphertext = AESGCM(key).encrypt(nonce, plain, _header_aad(header))
            header["nonce"] = base64.b64encode(nonce).decode("ascii")
            header["ciphertext"] = base64.b64encode(ciphertext).decode("ascii")
        data = json.dumps(header, indent=1).encode() + b"\n"
        try:
            write_atomic(self.path, data)
        except OSError as exc:
            raise self._io_error("write", exc) from None

    def _resolve_key(self, *, create: bool) -> tuple[bytes, str]:
        """The key and a description of where it came from (for messages; never the key)."""
        if self._key is not None:
            return self._key
        if self._explicit_key is not None:
            self._key = (self._explicit_key, "key=")
            return self._key
        if self._key_env:
            value = os.environ.get(self._key_env)
            if value:
                self._key = (_decode_key(value, self._key_env), f"${self._key_env}")
                return self._key
        backend = self._keyring_backend()
        if backend is not None:
            found = self._key_from_keyring(backend, create)
            if found is not None:
                self._key = found
                return found
        where = f"${self._key_env}" if self._key_env else "no environment variable"
        raise RefreshTokenStoreError(
            f"no key to {'encrypt' if create else 'decrypt'} the refresh-token store "
            f"{self.path}: {where} is not set"
            + (
                f" and the OS keyring has no entry {self._keyring_service}/{self._keyring_username}"
                if backend is not None
                else " and no OS keyring is in use"
            ),
            location=str(self.path),
            reason="no_key",
            hint=f"Set {self._key_env or STORE_KEY_ENV} to a key from "
            "partnercenter.stores.generate_store_key() (keep it in your secret manager), "
            f"or use the OS keyring. {KEYRING_EXTRA_HINT}",
        )

    def _keyring_backend(self) -> KeyringBackend | None:
        if self._keyring is False:
            return None
        if self._keyring is True:
            try:
                return default_keyring(str(self.path))
            except RefreshTokenStoreError:
                return None  # keyring not installed: the no-key error explains the options
        return self._keyring

    def _key_from_keyring(self, backend: KeyringBackend, create: bool) -> tuple[bytes, str] | None:
        service, username = self._keyring_service, self._keyring_username
        source = f"the OS keyring ({service}/{username})"
        try:
            value = backend.get_password(service, username)
        except Exception as exc:  # keyring backends raise their own error types
            if type(exc).__name__ == "NoKeyringError" and self._keyring is True:
                return None  # no usable OS keyring here: fall through to the no-key error
            raise keyring_error(str(self.path), "read the store key from", exc) from None
        if value:
            return _decode_key(value, f"keyring entry {service}/{username}"), source
        if not create:
            return None
        new_key = generate_store_key()
        try:
            backend.set_password(service, username, new_key)
        except Exception as exc:
            raise keyring_error(str(self.path), "save a new store key in", exc) from None
        logger.info("created a new refresh-token store key in %s", source)
        return _decode_key(new_key, "generated key"), source
