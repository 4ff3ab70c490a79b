"""Administering a :class:`~partnercenter.RedisRefreshTokenStore` from the command line:
what ``partnercenter consent --store redis`` and ``partnercenter store list|delete`` need beyond
a store's three calls.

- :func:`ping` fails (``RefreshTokenStoreError``) where the store itself would degrade: a person
  about to sign in with MFA must learn now that the token could not be kept.
- Redis key names are HMACs (they reveal nothing), so a list cannot read the store keys back
  from them. :func:`label` keeps the store key itself, and who signed in, in the token's own
  Redis hash (field ``m``, sealed like the token, with ``name|labels`` as associated data so
  neither sealed value can stand in for the other). Rotation writes only ``fp`` and ``v``, so
  the labels stay; deleting the token deletes them with it: nothing is left behind.
- :func:`entries` walks the keys with ``SCAN`` (never ``KEYS``, which blocks a busy server),
  bounded by ``limit``; :func:`delete_entry` removes one by store key or by Redis name.

Errors never name the URL (it may hold a password): the store's ``describe()`` is the host.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from ..errors import RefreshTokenStoreError
from .records import RefreshTokenRecord
from .redis_store import RedisRefreshTokenStore

__all__ = ["StoredEntry", "delete_entry", "entries", "label", "ping", "where"]

#: The most entries :func:`entries` reads (a CLI listing, not an export).
MAX_ENTRIES: Final = 10_000
_LABELS_FIELD: Final = "m"
#: A token's name after the prefix: ``rt:`` and 40 hex digits (its lock adds ``:lock``).
_TOKEN_NAME: Final = re.compile(r"rt:[0-9a-f]{40}")
_GLOB_SPECIAL: Final = re.compile(r"([*?\[\]\\])")
#: Add the labels only to a token that is there: never a hash without a token.
_LABEL_SCRIPT: Final = """
if redis.call('HEXISTS', KEYS[1], 'v') == 1 then
  return redis.call('HSET', KEYS[1], 'm', ARGV[1])
end
return -1
"""


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """One refresh token in Redis, as a listing shows it (never the token itself)."""

    #: The Redis key name (an HMAC under the store key).
    name: str
    #: When the token was saved (its last use), or ``None`` if another key sealed it.
    saved_at: float | None
    #: The store key and the labels given to :func:`label` (empty if none were).
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str | None:
        return self.labels.get("key")


def where(store: RedisRefreshTokenStore) -> str:
    """The store's server and prefix as they may be shown (no password)."""
    target = store._target.describe() if store._target is not None else "redis"
    return f"{target} (prefix {store.options.prefix!r})"


def _failed(store: RedisRefreshTokenStore, exc: BaseException) -> RefreshTokenStoreError:
    # The exception's type only: redis-py's messages are safe today, but need not stay so.
    return RefreshTokenStoreError(
        f"cannot use {where(store)}: it does not answer, or refuses the password or user "
        f"({type(exc).__name__})",
        location="redis",
        reason="io",
        hint="Check the URL (--redis-url or PARTNERCENTER_REDIS_URL) and that the server runs.",
    )


def _client(store: RedisRefreshTokenStore) -> Any:
    try:
        return store._redis()
    except store._errors as exc:  # a cluster client connects when it is made
        raise _failed(store, exc) from None


def ping(store: RedisRefreshTokenStore) -> None:
    """Raise :class:`RefreshTokenStoreError` (reason ``io``) unless Redis answers now and
    accepts the URL's user and password."""
    client = _client(store)
    try:
        client.ping()
    except store._errors as exc:
        raise _failed(store, exc) from None


def label(store: RedisRefreshTokenStore, key: str, labels: Mapping[str, str]) -> bool:
    """Keep ``key`` and ``labels`` beside the token stored under ``key``; ``False`` when no
    token is there (nothing is written then)."""
    name = store._name(key)
    values = {str(k): str(v) for k, v in labels.items()}
    values["key"] = key
    sealed = store._sealer.seal(json.dumps(values).encode(), f"{name}|labels")
    client = _client(store)
    try:
        return bool(client.eval(_LABEL_SCRIPT, 1, name, sealed) != -1)
    except store._errors as exc:
        raise _failed(store, exc) from None


def _open_labels(store: RedisRefreshTokenStore, name: str, sealed: object) -> dict[str, str]:
    if not isinstance(sealed, bytes):
        return {}
    plain = store._sealer.open(sealed, f"{name}|labels")
    try:
        values = json.loads(plain) if plain is not None else {}
    except ValueError:
        return {}
    if not isinstance(values, dict):
        return {}
    return {str(k): str(v) for k, v in values.items() if isinstance(v, str)}


def _saved_at(store: RedisRefreshTokenStore, name: str, sealed: object) -> float | None:
    plain = store._sealer.open(sealed, name) if isinstance(sealed, bytes) else None
    if plain is None:
        return None
    try:
        return RefreshTokenRecord.from_json(json.loads(plain)).saved_at
    except ValueError:
        return None


def entries(store: RedisRefreshTokenStore, limit: int = MAX_ENTRIES) -> list[StoredEntry]:
    """The refresh tokens under the store's prefix (at most ``limit``), sorted by name. An
    entry sealed with another key has ``saved_at`` ``None`` and no labels."""
    prefix = store.options.prefix
    pattern = _GLOB_SPECIAL.sub(r"\\\1", prefix) + "rt:*"
    client = _client(store)
    found: list[StoredEntry] = []
    try:
        for raw in client.scan_iter(match=pattern, count=500):
            name = raw.decode() if isinstance(raw, bytes) else str(raw)
            if not _TOKEN_NAME.fullmatch(name[len(prefix) :]):
                continue  # a rotation lock
            sealed, labels = client.hmget(name, "v", _LABELS_FIELD)
            if sealed is None:
                continue  # deleted meanwhile
            saved_at = _saved_at(store, name, sealed)
            shown = _open_labels(store, name, labels) if saved_at is not None else {}
            found.append(StoredEntry(name, saved_at, shown))
            if len(found) >= limit:
                break
    except store._errors as exc:
        raise _failed(store, exc) from None
    return sorted(found, key=lambda entry: entry.name)


def delete_entry(store: RedisRefreshTokenStore, key: str) -> bool:
    """Delete the token stored under ``key``, or under the Redis name ``key`` (as listed when
    it has no label); ``False`` when there is none."""
    prefix = store.options.prefix
    by_name = key.startswith(prefix) and _TOKEN_NAME.fullmatch(key[len(prefix) :]) is not None
    name = key if by_name else store._name(key)
    client = _client(store)
    try:
        # A deletion marker, not a plain DEL: workers still holding the token in memory
        # would otherwise put it back (see RedisRefreshTokenStore.delete).
        deleted = int(client.eval(*store._delete_args(name)))
        # Its rotation lock, if a worker holds one, frees itself (lock_ttl): leave it.
    except store._errors as exc:
        raise _failed(store, exc) from None
    return deleted > 0
