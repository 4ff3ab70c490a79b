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

import enum
import json
import logging
import secrets
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Final, Generic, Self, TypeVar

from ..stores.file import STORE_KEY_ENV
from ..stores.redis_support import (
    RELEASE_SCRIPT,
    BlockingRedis,
    OrphanLocks,
    RedisBacked,
    RedisFlow,
    RedisTarget,
    parse_redis_url,
    redis_call,
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


F = TypeVar("F")


class Seen(enum.Enum):
    """What a look at Redis found, when not the entry itself."""

    #: This process took the lock: it requests the token and shares it.
    LOCKED = "locked"
    #: Another process holds the lock: wait for its entry (or serve a stale token).
    HELD = "held"
    #: Redis failed: request the token directly.
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Flight(Generic[F]):
    """One process's part in a shared fetch of ``key``: the Redis name of the entry and of its
    lock, the random owner this process takes the lock as, the ``fetch`` it runs if it leads
    (blocking or async), and the time of the miss."""

    key: Hashable
    name: str
    lock: str
    owner: str
    fetch: F
    now: float


def ttl_ms(entry: CacheEntry, now: float) -> int:
    """Redis keeps an entry until its token expires (at least a second)."""
    return max(1000, int((entry[1].expires_on - now) * 1000))


class SharedCacheBase(RedisBacked):
    """State and pure parts shared by the blocking and async Redis caches."""

    _kind = "cache"
    _role = "token cache"

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
        super().__init__(client, target, key, key_env, clock, options)
        self._front = MemoryTokenCache(max_entries)
        # The hit path: the front dict's own get (see MemoryTokenCache).
        self.get: Callable[[Hashable], CacheEntry | None] = self._front.get
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
        return self._served(key, (refresh_due(token), token))

    def _served(self, key: Hashable, entry: CacheEntry) -> CacheEntry:
        self._front.set(key, entry)
        return entry

    def _led(self, flight: Flight[Any], token: AccessToken) -> CacheEntry:
        """The entry of the token this process fetched as the holder of the lock (a newly
        fetched token is no longer refused)."""
        entry = self._local(flight.key, token)
        self._refused.pop(flight.key, None)
        return entry

    def _waited_too_long(self) -> None:
        logger.warning(
            "waited %g s for another process's token request; requesting directly",
            self.options.wait_timeout,
        )

    def __len__(self) -> int:
        return len(self._front)

    def _repr_counts(self) -> str:
        return f"entries={len(self._front)}, "

    def _lock_ms(self) -> int:
        return int(self.options.lock_ttl * 1000)

    # -- the Redis work, written once (run by the blocking and the async cache's driver) ------
    def _look_flow(self, flight: Flight[Any], first: bool) -> RedisFlow[CacheEntry | Seen]:
        """Read the shared entry, else try to take the lock. The ``first`` look of a miss
        also releases orphaned locks, and marks Redis healthy."""
        key, name, lock, owner = flight.key, flight.name, flight.lock, flight.owner
        try:
            if first:
                yield from self._orphans.release_flow()
            entry = self._decode(key, name, (yield redis_call("get", name)), flight.now)
            taken = entry is None and (
                yield redis_call("set", lock, owner, nx=True, px=self._lock_ms())
            )
            if first:
                self._health.succeeded()
        except self._errors as exc:
            self._health.failed(exc)
            self._orphans.add(lock, owner)
            return Seen.FAILED
        if entry is not None:
            return self._served(key, entry)
        return Seen.LOCKED if taken else Seen.HELD

    def _reread_flow(self, flight: Flight[Any]) -> RedisFlow[CacheEntry | None]:
        """The lock's new holder reads once more: another holder may have written the entry
        between this process's read and its lock."""
        try:
            raw = yield redis_call("get", flight.name)
        except self._errors as exc:
            self._health.failed(exc)
            return None
        entry = self._decode(flight.key, flight.name, raw, flight.now)
        return None if entry is None else self._served(flight.key, entry)

    def _write_flow(self, name: str, entry: CacheEntry, now: float) -> RedisFlow[None]:
        if not self._health.available():
            return
        try:
            yield redis_call("set", name, self._seal(name, entry), px=ttl_ms(entry, now))
            self._health.succeeded()
        except self._errors as exc:
            self._health.failed(exc)

    def _release_flow(self, lock: str, owner: str) -> RedisFlow[None]:
        if not self._health.available():
            self._orphans.add(lock, owner)
            return
        try:
            yield redis_call("eval", RELEASE_SCRIPT, 1, lock, owner)
        except self._errors as exc:
            self._health.failed(exc)
            self._orphans.add(lock, owner)


class RedisTokenCache(BlockingRedis, SharedCacheBase):
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

    # -- TokenCache ---------------------------------------------------------------------------
    def set(self, key: Hashable, entry: CacheEntry, /) -> None:
        """Store ``entry`` here and, best effort, in Redis."""
        self._front.set(key, entry)
        name = self._name(key)
        if name is not None:
            self._run(self._write_flow(name, entry, self._clock()))

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
        flight = Flight(key, name, name + ":lock", secrets.token_hex(16), fetch, now)
        found = self._look(flight, first=True)
        if found is not None:
            return found
        if stale is not None:
            return (refresh_due(stale), stale)
        return self._follow(flight)

    def _look(self, flight: Flight[Callable[[], AccessToken]], *, first: bool) -> CacheEntry | None:
        """The entry (from Redis, or fetched as the lock's holder, or directly when Redis
        fails), or ``None`` while another process holds the lock."""
        seen = self._run(self._look_flow(flight, first))
        if seen is Seen.FAILED:
            return self._local(flight.key, flight.fetch())
        if seen is Seen.LOCKED:
            return self._lead(flight)
        return None if seen is Seen.HELD else seen

    def _lead(self, flight: Flight[Callable[[], AccessToken]]) -> CacheEntry:
        try:
            entry = self._run(self._reread_flow(flight))
            if entry is None:
                entry = self._led(flight, flight.fetch())
                self._run(self._write_flow(flight.name, entry, flight.now))
            return entry
        finally:
            self._run(self._release_flow(flight.lock, flight.owner))

    def _follow(self, flight: Flight[Callable[[], AccessToken]]) -> CacheEntry:
        deadline = time.monotonic() + self.options.wait_timeout
        delay = self.options.poll_interval
        while time.monotonic() < deadline:
            time.sleep(delay)
            delay = min(delay * 1.5, _MAX_POLL)
            # No entry and a free lock: the holder failed or died (its lock expired): take over.
            found = self._look(flight, first=False)
            if found is not None:
                return found
        self._waited_too_long()
        return self._local(flight.key, flight.fetch())
