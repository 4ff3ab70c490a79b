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
from typing import Any, Final, Self, TypeVar

from ..errors import ConfigurationError, RefreshTokenStoreError
from .file import STORE_KEY_ENV
from .records import RefreshTokenRecord
from .redis_support import (
    RELEASE_SCRIPT,
    BlockingRedis,
    OrphanLocks,
    Pause,
    RedisBacked,
    RedisFlow,
    RedisTarget,
    parse_redis_url,
    redis_call,
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

T = TypeVar("T")
_MAX_POLL: Final = 0.02
_MAX_LOCAL: Final = 1024


class StoreCore(RedisBacked):
    """Options, sealing, encoding and the degraded-mode memory, shared with the async twin."""

    _kind = "store"
    _role = "refresh-token store"

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
        super().__init__(client, target, key, key_env, clock, options)
        if not isinstance(serialize, bool):
            raise ConfigurationError("serialize", "must be True or False")
        self.serialize = serialize
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

    def _fingerprint_of(self, expected: str | None) -> str:
        """The compare-and-set's expected value: the token's fingerprint, '' for absent."""
        return "" if expected is None else self._sealer.fingerprint(expected)

    def _write_args(
        self, name: str, record: RefreshTokenRecord, old: str | None
    ) -> tuple[Any, ...]:
        # SAVE_SCRIPT answers 1 whatever was there, so a plain save is always "stored".
        return self._save_args(name, record) if old is None else self._cas_args(name, old, record)

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

    # -- the Redis work, written once (run by the blocking and the async store's driver) ------
    def _use_flow(self) -> RedisFlow[bool]:
        """Whether Redis is to be used now; first the orphaned locks are released and what
        was deleted or rotated while Redis was away is written back."""
        if not self._health.available():
            return False
        yield from self._orphans.release_flow()
        for key in list(self._pending_deletes):
            yield redis_call("eval", *self._delete_args(self._name(key)))
            self._pending_deletes.discard(key)
        for key, expected in list(self._pending.items()):
            record = self._local.get(key)
            if record is not None:
                yield redis_call("eval", *self._cas_args(self._name(key), expected, record))
            self._pending.pop(key, None)
        return True

    def _load_flow(self, key: str) -> RedisFlow[RefreshTokenRecord | None]:
        name = self._name(key)
        try:
            if (yield from self._use_flow()):
                record = self._decode(name, (yield redis_call("hget", name, "v")))
                known = self._local.get(key)
                if record is None and known is not None:
                    restored = yield redis_call("eval", *self._restore_args(name, known))
                    self._restored(key, restored)
                    # Not restored: deleted on purpose (a marker), or restored by another
                    # worker first; either way Redis now says what is there.
                    if restored:
                        record = known
                    else:
                        record = self._decode(name, (yield redis_call("hget", name, "v")))
                self._health.succeeded()
                self._remember(key, record)
                return record
        except self._errors as exc:
            self._health.failed(exc)
        return self._local.get(key)

    def _write_flow(self, key: str, name: str, token: str, old: str | None) -> RedisFlow[bool]:
        """Write ``token``'s record: over whatever is there (``old`` None) or compare-and-set
        against the fingerprint ``old``; kept here for later while Redis is away."""
        current = self._local.get(key)
        try:
            if (yield from self._use_flow()):
                current = self._decode(name, (yield redis_call("hget", name, "v")))
                record = self._record(current, token)
                stored = yield redis_call("eval", *self._write_args(name, record, old))
                self._health.succeeded()
                if stored:
                    self._remember(key, record)
                return bool(stored)
        except self._errors as exc:
            self._health.failed(exc)
        self._save_later(key, current, token, old)
        return True

    def _save_flow(self, key: str, refresh_token: str) -> RedisFlow[bool]:
        token = self._check_token(refresh_token)
        return (yield from self._write_flow(key, self._name(key), token, None))

    def _replace_flow(self, key: str, expected: str | None, refresh_token: str) -> RedisFlow[bool]:
        token = self._check_token(refresh_token)
        name = self._name(key)
        return (yield from self._write_flow(key, name, token, self._fingerprint_of(expected)))

    def _delete_flow(self, key: str) -> RedisFlow[None]:
        name = self._name(key)
        self._local.pop(key, None)
        self._pending.pop(key, None)
        try:
            if (yield from self._use_flow()):
                yield redis_call("eval", *self._delete_args(name))
                self._health.succeeded()
                return
        except self._errors as exc:
            self._health.failed(exc)
        self._delete_later(key)

    def _acquire_flow(self, lock: str, owner: str) -> RedisFlow[bool]:
        """Take the rotation lock, waiting at most ``wait_timeout`` (False: go on without)."""
        deadline = time.monotonic() + self.options.wait_timeout
        delay = self.options.poll_interval / 4
        ttl = int(self.options.lock_ttl * 1000)
        while True:
            try:
                if not (yield from self._use_flow()):
                    return False
                if (yield redis_call("set", lock, owner, nx=True, px=ttl)):
                    self._health.succeeded()
                    return True
            except self._errors as exc:
                self._health.failed(exc)
                self._orphans.add(lock, owner)
                return False
            if time.monotonic() >= deadline:
                return False
            yield Pause(delay * (0.5 + random.random()))
            delay = min(delay * 1.5, _MAX_POLL)

    def _release_flow(self, lock: str, owner: str) -> RedisFlow[None]:
        try:
            if (yield from self._use_flow()):
                yield redis_call("eval", RELEASE_SCRIPT, 1, lock, owner)
            else:
                self._orphans.add(lock, owner)
        except self._errors as exc:
            self._health.failed(exc)
            self._orphans.add(lock, owner)


class RedisRefreshTokenStore(BlockingRedis, StoreCore):
    """A :class:`~partnercenter.stores.RefreshTokenStore` in Redis, shared by a fleet.

    ``RedisRefreshTokenStore.from_url(url, **options)`` or ``RedisRefreshTokenStore(client,
    **options)``; the key as for :class:`~partnercenter.RedisTokenCache` (``key=`` or
    ``PARTNERCENTER_STORE_KEY``). ``serialize=False`` skips the rotation lock (concurrent
    redemptions of one token, e.g. a fan-out over customer tenants; the compare-and-set still
    keeps the first rotated token saved). Records carry ``saved_at`` / ``created_at`` for the
    90-day inactivity warning.
    """

    # -- RefreshTokenStore ----------------------------------------------------------------------
    def load(self, key: str) -> str | None:
        """The refresh token under ``key``, or ``None``."""
        record = self.load_record(key)
        return None if record is None else record.refresh_token

    def load_record(self, key: str) -> RefreshTokenRecord | None:
        """The record under ``key`` (Redis; the last one seen here while Redis is away)."""
        return self._run(self._load_flow(key))

    def save(self, key: str, refresh_token: str) -> None:
        """Store ``refresh_token`` under ``key`` (unconditionally)."""
        self._run(self._save_flow(key, refresh_token))

    def delete(self, key: str) -> None:
        """Forget ``key``."""
        self._run(self._delete_flow(key))

    # -- compare-and-set and the rotation lock ------------------------------------------------
    def replace(self, key: str, expected: str | None, refresh_token: str) -> bool:
        """Store ``refresh_token`` only if ``key`` still holds ``expected`` (``None``: holds
        nothing). Returns whether it was stored; ``False`` means another worker rotated the
        token meanwhile, and its newer token stays."""
        return self._run(self._replace_flow(key, expected, refresh_token))

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
        return self._run(self._acquire_flow(lock, owner))

    def _release(self, lock: str, owner: str) -> None:
        self._run(self._release_flow(lock, owner))


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
