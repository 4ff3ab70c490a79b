"""The Redis token cache: access tokens shared by a fleet of processes, one request per fleet.

Two tiers. The in-process :class:`~partnercenter.MemoryTokenCache` stays in front: ``get`` *is*
its dict lookup, so a hit costs what it costs without Redis. Only a miss (or a due refresh)
reaches :meth:`RedisTokenCache.fetch_shared`, which the credential calls instead of requesting a
token itself:

1. a fresh entry in Redis is taken (decrypted, put in front);
2. otherwise the process takes the key's lock (``SET NX PX``, owned by a random token), checks
   Redis once more, requests the token, writes it (TTL from its expiry) and releases the lock
   with a compare-and-delete script, so a holder never releases a lock that expired and was
   taken by another;
3. the others poll for the shared entry, at most ``wait_timeout`` seconds; when the lock goes
   away without an entry (the holder failed, or died and the lock expired after ``lock_ttl``)
   one of them takes it over. A process whose token is only due for a *recommended* refresh
   keeps serving it while another process refreshes.

Redis unreachable or slower than ``timeout``: see :class:`~partnercenter.stores.redis_support.
RedisHealth` (in-process cache and direct requests; Redis again after ``retry_interval``).
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable, Hashable
from typing import Any, Final, Self

from ..errors import ConfigurationError
from ..stores.file import STORE_KEY_ENV
from ..stores.redis_support import (
    RELEASE_SCRIPT,
    OrphanLocks,
    RedisHealth,
    RedisOptions,
    RedisTarget,
    Sealer,
    make_client,
    parse_redis_url,
    redis_errors,
)
from ..tokens import AccessToken
from .cache import CacheEntry, MemoryTokenCache
from .policy import refresh_due

__all__ = ["RELEASE_SCRIPT", "RedisTokenCache", "decode_entry", "encode_entry", "key_text"]

logger = logging.getLogger("partnercenter.redis")

#: Delete the entry only if it still is the value read (``invalidate`` of a refused token).
DELETE_IF_SCRIPT: Final = RELEASE_SCRIPT
#: How many refused tokens each process remembers (so a stale shared copy is not served again).
MAX_REFUSED: Final = 1024
_FORMAT: Final = 1
_MAX_POLL: Final = 0.1


def _plain(value: object) -> object:
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    raise TypeError(type(value).__name__)


def key_text(key: Hashable) -> str | None:
    """A stable text form of a cache key (tuples of str / None / numbers, as the credentials
    build them), the same in every process; ``None`` for keys that have none (kept local)."""
    try:
        return json.dumps(_plain(key), separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError):
        return None


def encode_entry(entry: CacheEntry) -> bytes:
    due, token = entry
    body = {
        "v": _FORMAT,
        "due": due,
        "token": token.token,
        "exp": token.expires_on,
        "ron": token.refresh_on,
        "type": token.token_type,
    }
    return json.dumps(body, separators=(",", ":")).encode()


def decode_entry(data: bytes) -> CacheEntry | None:
    try:
        body = json.loads(data)
        if body.get("v") != _FORMAT:
            return None
        token = AccessToken(
            body["token"], body["exp"], refresh_on=body["ron"], token_type=body["type"]
        )
        return float(body["due"]), token
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def ttl_ms(entry: CacheEntry, now: float) -> int:
    """Redis keeps an entry until its token expires (at least a second)."""
    return max(1000, int((entry[1].expires_on - now) * 1000))


class SharedCacheBase:
    """State and pure parts shared by the blocking and async Redis caches."""

    _async: bool = False

    def __init__(
        self,
        client: Any = None,
        *,
        target: RedisTarget | None = None,
        key: str | bytes | None = None,
        key_env: str | None = STORE_KEY_ENV,
        max_entries: int | None = None,
        clock: Callable[[], float] = time.time,
        **options: Any,
    ) -> None:
        if client is None and target is None:
            raise ConfigurationError("client", "pass a redis client, or use from_url(url)")
        unknown = set(options) - set(RedisOptions.__dataclass_fields__)
        if unknown:
            raise ConfigurationError(sorted(unknown)[0], "is not an option of the Redis cache")
        self.options = RedisOptions.check(**options)
        self._front = MemoryTokenCache(max_entries)
        # The hit path: the front dict's own get (see MemoryTokenCache).
        self.get: Callable[[Hashable], CacheEntry | None] = self._front.get
        self._client = client
        self._target = target
        self._sealer = Sealer(key, key_env)
        self._sealer.check()
        self._clock = clock
        where = target.describe() if target is not None else "redis"
        self._health = RedisHealth(self.options.retry_interval, f"{where} (token cache)")
        self._errors = redis_errors()
        self._refused: dict[Hashable, str] = {}
        self._names: dict[Hashable, str | None] = {}
        # Locks whose SET timed out: Redis may still have applied it (a paused server runs
        # what it had buffered when it resumes); released at the next contact, by owner.
        self._orphans = OrphanLocks(MAX_REFUSED)

    @classmethod
    def from_url(cls, url: str, **options: Any) -> Self:
        """A cache on the Redis at ``url``: ``redis://``, ``rediss://``, ``unix://``,
        ``redis+sentinel://host:26379/service``, ``redis+cluster://host:7000`` (``valkey``
        works in place of ``redis``). ``options``: ``key``, ``key_env``, ``prefix``,
        ``timeout``, ``retry_interval``, ``lock_ttl``, ``wait_timeout``, ``poll_interval``,
        ``max_entries``, ``clock``."""
        return cls(target=parse_redis_url(url), **options)

    @property
    def degraded(self) -> bool:
        """Whether Redis is currently being skipped (unreachable or slow)."""
        return self._health.degraded

    def _name(self, key: Hashable) -> str | None:
        name = self._names.get(key, "")
        if name == "":
            text = key_text(key)
            name = None if text is None else self._sealer.name(self.options.prefix, "at", text)
            if len(self._names) >= 4 * MAX_REFUSED:
                self._names.clear()  # bounded: names are cheap to recompute
            self._names[key] = name
        return name

    def _decode(self, key: Hashable, name: str, sealed: object, now: float) -> CacheEntry | None:
        """A fresh, readable, not-refused entry from a raw Redis value, else ``None``."""
        if not isinstance(sealed, bytes):
            return None
        plain = self._sealer.open(sealed, name)
        entry = None if plain is None else decode_entry(plain)
        if entry is None:
            logger.warning("ignoring a shared token cache entry that does not decrypt or parse")
            return None
        if entry[0] <= now or self._refused.get(key) == entry[1].token:
            return None
        return entry

    def _seal(self, name: str, entry: CacheEntry) -> bytes:
        return self._sealer.seal(encode_entry(entry), name)

    def _remember_refused(self, key: Hashable) -> None:
        entry = self._front.get(key)
        if entry is not None:
            if len(self._refused) >= MAX_REFUSED:
                self._refused.pop(next(iter(self._refused)), None)
            self._refused[key] = entry[1].token

    def _local(self, key: Hashable, token: AccessToken) -> CacheEntry:
        entry = (refresh_due(token), token)
        self._front.set(key, entry)
        return entry

    def __len__(self) -> int:
        return len(self._front)

    def __repr__(self) -> str:
        where = self._target.describe() if self._target is not None else "client"
        return (
            f"{type(self).__name__}({where}, prefix={self.options.prefix!r}, "
            f"entries={len(self._front)}, degraded={self._health.degraded})"
        )


class RedisTokenCache(SharedCacheBase):
    """A :class:`~partnercenter.TokenCache` shared through Redis, for the blocking credentials.

    ``RedisTokenCache.from_url(url, **options)`` or ``RedisTokenCache(redis_client,
    **options)``. Entries are encrypted with ``key`` (base64 of 32 bytes, as
    :func:`partnercenter.stores.generate_store_key` makes) or ``$PARTNERCENTER_STORE_KEY``;
    every worker needs the same key. Options (seconds): ``timeout`` (0.5: longest wait for
    one Redis call), ``retry_interval`` (5: how long Redis is skipped after a failure),
    ``lock_ttl`` (15: when a dead holder's lock frees itself), ``wait_timeout`` (15: longest
    wait for another process's request), ``poll_interval`` (0.01); ``prefix``
    (``"partnercenter:"``), ``max_entries`` (bounds the in-process tier), ``clock``.
    """

    def _redis(self) -> Any:
        if self._client is None:
            assert self._target is not None
            self._client = make_client(self._target, self.options.timeout, asynchronous=False)
        return self._client

    # -- TokenCache ---------------------------------------------------------------------------
    def set(self, key: Hashable, entry: CacheEntry, /) -> None:
        """Store ``entry`` here and, best effort, in Redis."""
        self._front.set(key, entry)
        name = self._name(key)
        if name is not None:
            self._write(name, entry, self._clock())

    def remove(self, key: Hashable, /) -> None:
        """Forget ``key`` here, and in Redis if Redis still holds the same token."""
        front = self._front.get(key)
        self._remember_refused(key)
        self._front.remove(key)
        name = self._name(key)
        if front is None or name is None or not self._health.available():
            return
        try:
            client = self._redis()
            sealed = client.get(name)
            if isinstance(sealed, bytes):
                plain = self._sealer.open(sealed, name)
                entry = None if plain is None else decode_entry(plain)
                if entry is not None and entry[1].token == front[1].token:
                    client.eval(DELETE_IF_SCRIPT, 1, name, sealed)
            self._health.succeeded()
        except self._errors as exc:
            self._health.failed(exc)

    def clear(self) -> None:
        """Forget everything here (Redis entries expire on their own; see :meth:`purge`)."""
        self._front.clear()

    def purge(self) -> int:
        """Delete every shared entry under this cache's prefix from Redis; returns how many."""
        client = self._redis()
        count = 0
        for name in client.scan_iter(match=f"{self.options.prefix}at:*", count=500):
            count += int(client.delete(name))
        return count

    # -- the shared fetch (called by the credentials on a miss) -------------------------------
    def fetch_shared(
        self,
        key: Hashable,
        fetch: Callable[[], AccessToken],
        now: float,
        stale: AccessToken | None,
    ) -> CacheEntry:
        """The entry for ``key``: from Redis, or from ``fetch()`` run by one process of the
        fleet. ``stale`` is a still-valid token due for a recommended refresh: served while
        another process refreshes. The entry is in the in-process tier on return."""
        name = self._name(key)
        if name is None or not self._health.available():
            return self._local(key, fetch())
        owner = secrets.token_hex(16)
        lock = name + ":lock"
        locked = False
        try:
            client = self._redis()
            self._orphans.release(client, self._errors)
            entry = self._decode(key, name, client.get(name), now)
            if entry is None:
                locked = client.set(lock, owner, nx=True, px=self._lock_ms())
            self._health.succeeded()
        except self._errors as exc:
            self._health.failed(exc)
            self._orphans.add(lock, owner)
            return self._local(key, fetch())
        if entry is not None:
            self._front.set(key, entry)
            return entry
        if locked:
            return self._lead(key, name, lock, owner, fetch, now)
        if stale is not None:
            return (refresh_due(stale), stale)
        return self._follow(key, name, lock, owner, fetch, now)

    def _lock_ms(self) -> int:
        return int(self.options.lock_ttl * 1000)

    def _lead(
        self,
        key: Hashable,
        name: str,
        lock: str,
        owner: str,
        fetch: Callable[[], AccessToken],
        now: float,
    ) -> CacheEntry:
        try:
            try:
                # Another holder may have written it between our read and our lock.
                entry = self._decode(key, name, self._redis().get(name), now)
            except self._errors as exc:
                self._health.failed(exc)
                entry = None
            if entry is not None:
                self._front.set(key, entry)
                return entry
            entry = self._local(key, fetch())
            self._refused.pop(key, None)
            self._write(name, entry, now)
            return entry
        finally:
            self._release(lock, owner)

    def _follow(
        self,
        key: Hashable,
        name: str,
        lock: str,
        owner: str,
        fetch: Callable[[], AccessToken],
        now: float,
    ) -> CacheEntry:
        deadline = time.monotonic() + self.options.wait_timeout
        delay = self.options.poll_interval
        taken = False
        while time.monotonic() < deadline:
            time.sleep(delay)
            delay = min(delay * 1.5, _MAX_POLL)
            try:
                client = self._redis()
                entry = self._decode(key, name, client.get(name), now)
                if entry is None:
                    # The holder failed or died (its lock expired): take over.
                    taken = client.set(lock, owner, nx=True, px=self._lock_ms())
            except self._errors as exc:
                self._health.failed(exc)
                self._orphans.add(lock, owner)
                return self._local(key, fetch())
            if entry is not None:
                self._front.set(key, entry)
                return entry
            if taken:
                return self._lead(key, name, lock, owner, fetch, now)
        logger.warning(
            "waited %g s for another process's token request; requesting directly",
            self.options.wait_timeout,
        )
        return self._local(key, fetch())

    def _write(self, name: str, entry: CacheEntry, now: float) -> None:
        if not self._health.available():
            return
        try:
            self._redis().set(name, self._seal(name, entry), px=ttl_ms(entry, now))
            self._health.succeeded()
        except self._errors as exc:
            self._health.failed(exc)

    def _release(self, lock: str, owner: str) -> None:
        if not self._health.available():
            self._orphans.add(lock, owner)
            return
        try:
            self._redis().eval(RELEASE_SCRIPT, 1, lock, owner)
        except self._errors as exc:
            self._health.failed(exc)
            self._orphans.add(lock, owner)

    def close(self) -> None:
        """Close the Redis connections this cache made (not a client passed in)."""
        if self._target is not None and self._client is not None:
            self._client.close()
            self._client = None
