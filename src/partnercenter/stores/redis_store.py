"""The Redis refresh-token store: one rotating refresh token shared by a fleet of workers.

Each key is a Redis hash: ``v`` (the record, AES-256-GCM sealed: token, ``saved_at``,
``created_at``) and ``fp`` (a keyed fingerprint of the token). Rotation is written with a
compare-and-set script on ``fp``, so a save made from an old token never overwrites a newer one.

:meth:`RedisRefreshTokenStore.rotation` is what the credentials use (see
:func:`partnercenter._credentials.redemption.redeem_stored`): a Redis lock held from loading the
token
to saving its successor, so redemptions are serialized across the fleet and nobody redeems a
token that was already rotated away. The lock is owned by a random token, expires after
``lock_ttl`` (a dead holder frees it), and is released with compare-and-delete. A worker that
cannot get it within ``wait_timeout`` goes on without it (Azure AD keeps an older refresh token
redeemable; the compare-and-set still keeps the newest saved).

Degraded mode: with Redis unreachable or slow, the store serves the last record this process
saw, keeps rotated tokens in memory, and writes them back (compare-and-set) when Redis answers
again.
"""

from __future__ import annotations

import json
import logging
import random
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, Final, Self

from ..errors import ConfigurationError, RefreshTokenStoreError
from .file import STORE_KEY_ENV
from .records import RefreshTokenRecord
from .redis_support import (
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

__all__ = ["CAS_SCRIPT", "RedisRefreshTokenStore", "RotationView"]

#: Replace the record only if the stored fingerprint is the expected one ('' = absent). A
#: token written over a deletion marker (a new consent) lives on without the marker's expiry.
CAS_SCRIPT: Final = """
local current = redis.call('HGET', KEYS[1], 'fp')
if (not current and ARGV[1] == '') or current == ARGV[1] then
  redis.call('HSET', KEYS[1], 'fp', ARGV[2], 'v', ARGV[3])
  redis.call('HDEL', KEYS[1], 'deleted')
  redis.call('PERSIST', KEYS[1])
  return 1
end
return 0
"""
#: Store the record whatever was there (``save``), deletion marker included.
SAVE_SCRIPT: Final = """
redis.call('HSET', KEYS[1], 'fp', ARGV[1], 'v', ARGV[2])
redis.call('HDEL', KEYS[1], 'deleted')
redis.call('PERSIST', KEYS[1])
return 1
"""
#: Put back a record Redis lost, only where nothing is: not over a deletion marker, nor over
#: a token another worker restored first.
RESTORE_SCRIPT: Final = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'fp', ARGV[1], 'v', ARGV[2])
  return 1
end
return 0
"""
#: Deleting a token leaves a marker (ARGV[1] seconds): workers still holding the token in
#: memory see it and forget theirs instead of restoring it. A key holding no token is left
#: alone. Returns whether a token was there.
DELETE_SCRIPT: Final = """
local had = redis.call('HEXISTS', KEYS[1], 'v')
if had == 0 then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'deleted', '1')
redis.call('EXPIRE', KEYS[1], ARGV[1])
return had
"""
#: How long a deletion marker stays: as long as the deleted refresh token could have been
#: redeemed (Entra's 90-day inactivity limit), so no worker's copy outlives it.
DELETION_MARKER_SECONDS: Final = 90 * 86_400
logger = logging.getLogger("partnercenter.redis")

_MAX_POLL: Final = 0.02
_MAX_LOCAL: Final = 1024


class StoreCore:
    """Options, sealing, encoding and the degraded-mode memory, shared with the async twin."""

    def __init__(
        self,
        client: Any = None,
        *,
        target: RedisTarget | None = None,
        key: str | bytes | None = None,
        key_env: str | None = STORE_KEY_ENV,
        serialize: bool = True,
        clock: Callable[[], float] = time.time,
        **options: Any,
    ) -> None:
        if client is None and target is None:
            raise ConfigurationError("client", "pass a redis client, or use from_url(url)")
        unknown = set(options) - set(RedisOptions.__dataclass_fields__)
        if unknown:
            raise ConfigurationError(sorted(unknown)[0], "is not an option of the Redis store")
        if not isinstance(serialize, bool):
            raise ConfigurationError("serialize", "must be True or False")
        self.options = RedisOptions.check(**options)
        self.serialize = serialize
        self._client = client
        self._target = target
        self._sealer = Sealer(key, key_env)
        self._sealer.check()
        self._clock = clock
        where = target.describe() if target is not None else "redis"
        self._health = RedisHealth(self.options.retry_interval, f"{where} (refresh-token store)")
        self._errors = redis_errors()
        # Degraded mode: the last record seen per key, and rotations Redis has not seen yet
        # (key -> fingerprint the rotated token replaced).
        self._local: dict[str, RefreshTokenRecord] = {}
        self._pending: dict[str, str] = {}
        #: Keys deleted while Redis was away: their markers are written first when it is back
        #: (then any token saved here since, from nothing).
        self._pending_deletes: set[str] = set()
        self._thread_lock = threading.Lock()
        # Locks whose SET timed out (Redis may still apply it): released at the next contact.
        self._orphans = OrphanLocks(_MAX_LOCAL)

    @property
    def cache_identity(self) -> str | None:
        """The server and key prefix, the same in every worker of a fleet (see
        ``store_identity``); a store built on a client object has no such name."""
        if self._target is None:
            return None
        return f"{self._target.describe()}/{self.options.prefix}"

    @classmethod
    def from_url(cls, url: str, **options: Any) -> Self:
        """A store on the Redis at ``url`` (same URLs as
        :meth:`partnercenter.RedisTokenCache.from_url`). ``options``: ``key``, ``key_env``,
        ``prefix``, ``timeout``, ``retry_interval``, ``lock_ttl``, ``wait_timeout``,
        ``poll_interval``, ``serialize``, ``clock``."""
        return cls(target=parse_redis_url(url), **options)

    @property
    def degraded(self) -> bool:
        """Whether Redis is currently being skipped (unreachable or slow)."""
        return self._health.degraded

    def _name(self, key: str) -> str:
        if not isinstance(key, str) or not key:
            raise ConfigurationError("key", "must be a non-empty string")
        return self._sealer.name(self.options.prefix, "rt", key)

    def _decode(self, name: str, sealed: object) -> RefreshTokenRecord | None:
        if sealed is None:
            return None
        plain = self._sealer.open(sealed, name) if isinstance(sealed, bytes) else None
        if plain is None:
            raise RefreshTokenStoreError(
                "cannot read the refresh token shared in Redis: it was encrypted with another "
                "key, or modified. It was left untouched.",
                location="redis",
                reason="wrong_key",
                hint="Give every worker the same key (PARTNERCENTER_STORE_KEY).",
            )
        try:
            return RefreshTokenRecord.from_json(json.loads(plain))
        except ValueError:
            raise RefreshTokenStoreError(
                "the refresh token shared in Redis is not a record this version reads",
                location="redis",
                reason="corrupt",
            ) from None

    def _record(self, current: RefreshTokenRecord | None, token: str) -> RefreshTokenRecord:
        now = float(self._clock())
        return RefreshTokenRecord(token, now, now if current is None else current.created_at)

    def _sealed(self, name: str, record: RefreshTokenRecord) -> bytes:
        return self._sealer.seal(json.dumps(record.to_json()).encode(), name)

    def _remember(self, key: str, record: RefreshTokenRecord | None) -> None:
        if record is None:
            self._local.pop(key, None)
            return
        if key not in self._local and len(self._local) >= _MAX_LOCAL:
            self._local.pop(next(iter(self._local)), None)
        self._local[key] = record

    def _restored(self, key: str, restored: object) -> None:
        # Redis answers but lost the key (restarted without persistence, failed over, or
        # evicted): without the restore, every worker would need a new consent sign-in.
        if restored:
            logger.warning(
                "Redis held no refresh token under %r; restored the one this worker last saw",
                key,
            )

    def _restore_args(self, name: str, known: RefreshTokenRecord) -> tuple[Any, ...]:
        fingerprint = self._sealer.fingerprint(known.refresh_token)
        return (RESTORE_SCRIPT, 1, name, fingerprint, self._sealed(name, known))

    def _cas_args(self, name: str, expected: str, record: RefreshTokenRecord) -> tuple[Any, ...]:
        fingerprint = self._sealer.fingerprint(record.refresh_token)
        return (CAS_SCRIPT, 1, name, expected, fingerprint, self._sealed(name, record))

    def _save_args(self, name: str, record: RefreshTokenRecord) -> tuple[Any, ...]:
        fingerprint = self._sealer.fingerprint(record.refresh_token)
        return (SAVE_SCRIPT, 1, name, fingerprint, self._sealed(name, record))

    @staticmethod
    def _delete_args(name: str) -> tuple[Any, ...]:
        return (DELETE_SCRIPT, 1, name, DELETION_MARKER_SECONDS)

    def _save_later(
        self, key: str, current: RefreshTokenRecord | None, token: str, old: str | None = None
    ) -> None:
        # Redis is away: keep the token here and write it (compare-and-set against what Redis
        # held, ``old`` or the token this worker last saw) when Redis is back.
        if key not in self._pending:
            self._pending[key] = (
                old
                if old is not None
                else ("" if current is None else self._sealer.fingerprint(current.refresh_token))
            )
        self._remember(key, self._record(current, token))

    def _delete_later(self, key: str) -> None:
        # Redis is away: the deletion is written when it is back, or the fleet would go on
        # redeeming the token (bounded like the local copies: a worker's own keys).
        if len(self._pending_deletes) < _MAX_LOCAL:
            self._pending_deletes.add(key)

    def _owner(self) -> str:
        return secrets.token_hex(16)

    @staticmethod
    def _check_token(refresh_token: object) -> str:
        if not isinstance(refresh_token, str) or not refresh_token:
            raise ConfigurationError("refresh_token", "must be a non-empty string")
        return refresh_token

    def __repr__(self) -> str:
        where = self._target.describe() if self._target is not None else "client"
        return (
            f"{type(self).__name__}({where}, prefix={self.options.prefix!r}, "
            f"degraded={self._health.degraded})"
        )


class RedisRefreshTokenStore(StoreCore):
    """A :class:`~partnercenter.stores.RefreshTokenStore` in Redis, shared by a fleet.

    ``RedisRefreshTokenStore.from_url(url, **options)`` or ``RedisRefreshTokenStore(client,
    **options)``; the key as for :class:`~partnercenter.RedisTokenCache` (``key=`` or
    ``PARTNERCENTER_STORE_KEY``). ``serialize=False`` skips the rotation lock (concurrent
    redemptions of one token, e.g. a fan-out over customer tenants; the compare-and-set still
    keeps the first rotated token saved). Records carry ``saved_at`` / ``created_at`` for the
    90-day inactivity warning.
    """

    def _redis(self) -> Any:
        if self._client is None:
            assert self._target is not None
            self._client = make_client(self._target, self.options.timeout, asynchronous=False)
        return self._client

    def _use(self) -> Any | None:
        """The client when Redis is to be used now (after writing back degraded rotations)."""
        if not self._health.available():
            return None
        client = self._redis()
        self._orphans.release(client, self._errors)
        if self._pending or self._pending_deletes:
            self._flush(client)
        return client

    def _flush(self, client: Any) -> None:
        for key in list(self._pending_deletes):
            client.eval(*self._delete_args(self._name(key)))
            self._pending_deletes.discard(key)
        for key, expected in list(self._pending.items()):
            record = self._local.get(key)
            if record is not None:
                client.eval(*self._cas_args(self._name(key), expected, record))
            self._pending.pop(key, None)

    # -- RefreshTokenStore ----------------------------------------------------------------------
    def load(self, key: str) -> str | None:
        """The refresh token under ``key``, or ``None``."""
        record = self.load_record(key)
        return None if record is None else record.refresh_token

    def load_record(self, key: str) -> RefreshTokenRecord | None:
        """The record under ``key`` (Redis; the last one seen here while Redis is away)."""
        name = self._name(key)
        try:
            client = self._use()
            if client is not None:
                record = self._decode(name, client.hget(name, "v"))
                known = self._local.get(key)
                if record is None and known is not None:
                    restored = client.eval(*self._restore_args(name, known))
                    self._restored(key, restored)
                    # Not restored: deleted on purpose (a marker), or restored by another
                    # worker first; either way Redis now says what is there.
                    record = known if restored else self._decode(name, client.hget(name, "v"))
                self._health.succeeded()
                self._remember(key, record)
                return record
        except self._errors as exc:
            self._health.failed(exc)
        return self._local.get(key)

    def save(self, key: str, refresh_token: str) -> None:
        """Store ``refresh_token`` under ``key`` (unconditionally)."""
        token = self._check_token(refresh_token)
        name = self._name(key)
        current = self._local.get(key)
        try:
            client = self._use()
            if client is not None:
                current = self._decode(name, client.hget(name, "v"))
                record = self._record(current, token)
                client.eval(*self._save_args(name, record))
                self._health.succeeded()
                self._remember(key, record)
                return
        except self._errors as exc:
            self._health.failed(exc)
        self._save_later(key, current, token)

    def delete(self, key: str) -> None:
        """Forget ``key``."""
        name = self._name(key)
        self._local.pop(key, None)
        self._pending.pop(key, None)
        try:
            client = self._use()
            if client is not None:
                client.eval(*self._delete_args(name))
                self._health.succeeded()
                return
        except self._errors as exc:
            self._health.failed(exc)
        self._delete_later(key)

    # -- compare-and-set and the rotation lock ------------------------------------------------
    def replace(self, key: str, expected: str | None, refresh_token: str) -> bool:
        """Store ``refresh_token`` only if ``key`` still holds ``expected`` (``None``: holds
        nothing). Returns whether it was stored; ``False`` means another worker rotated the
        token meanwhile, and its newer token stays."""
        token = self._check_token(refresh_token)
        name = self._name(key)
        old = "" if expected is None else self._sealer.fingerprint(expected)
        current = self._local.get(key)
        try:
            client = self._use()
            if client is not None:
                current = self._decode(name, client.hget(name, "v"))
                record = self._record(current, token)
                stored = client.eval(*self._cas_args(name, old, record))
                self._health.succeeded()
                if stored:
                    self._remember(key, record)
                return bool(stored)
        except self._errors as exc:
            self._health.failed(exc)
        self._save_later(key, current, token, old)
        return True

    @contextmanager
    def rotation(self, key: str) -> Iterator[RotationView]:
        """Hold ``key``'s rotation lock (bounded wait) and give a view of the store whose
        ``save`` is a compare-and-set against the token loaded through it."""
        name = self._name(key) + ":lock"
        owner = self._owner()
        held = self.serialize and self._acquire(name, owner)
        # Without the Redis lock (degraded), at least this process's redemptions take turns.
        fence: AbstractContextManager[Any] = (
            self._thread_lock if self.serialize and not held else nullcontext()
        )
        try:
            with fence:
                yield RotationView(self)
        finally:
            if held:
                self._release(name, owner)

    def _acquire(self, lock: str, owner: str) -> bool:
        deadline = time.monotonic() + self.options.wait_timeout
        delay = self.options.poll_interval / 4
        ttl = int(self.options.lock_ttl * 1000)
        while True:
            try:
                client = self._use()
                if client is None:
                    return False
                if client.set(lock, owner, nx=True, px=ttl):
                    self._health.succeeded()
                    return True
            except self._errors as exc:
                self._health.failed(exc)
                self._orphans.add(lock, owner)
                return False
            if time.monotonic() >= deadline:
                return False
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 1.5, _MAX_POLL)

    def _release(self, lock: str, owner: str) -> None:
        try:
            client = self._use()
            if client is None:
                self._orphans.add(lock, owner)
            else:
                client.eval(RELEASE_SCRIPT, 1, lock, owner)
        except self._errors as exc:
            self._health.failed(exc)
            self._orphans.add(lock, owner)

    def close(self) -> None:
        """Close the Redis connections this store made (not a client passed in)."""
        if self._target is not None and self._client is not None:
            self._client.close()
            self._client = None


class RotationView:
    """The store as seen inside :meth:`RedisRefreshTokenStore.rotation`: loads remember the
    token read, and ``save`` replaces exactly that token (compare-and-set)."""

    __slots__ = ("_store", "_loaded")

    def __init__(self, store: RedisRefreshTokenStore) -> None:
        self._store = store
        self._loaded: dict[str, str | None] = {}

    def load_record(self, key: str) -> RefreshTokenRecord | None:
        record = self._store.load_record(key)
        self._loaded[key] = None if record is None else record.refresh_token
        return record

    def load(self, key: str) -> str | None:
        record = self.load_record(key)
        return None if record is None else record.refresh_token

    def save(self, key: str, refresh_token: str) -> None:
        if key not in self._loaded:
            self._store.save(key, refresh_token)
            return
        self._store.replace(key, self._loaded[key], refresh_token)

    def delete(self, key: str) -> None:
        self._store.delete(key)
