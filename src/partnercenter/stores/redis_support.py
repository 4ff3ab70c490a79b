"""What the Redis token cache and refresh-token store share: URLs, options, sealing, health.

- **URLs** (:func:`parse_redis_url`): ``redis://``, ``rediss://`` and ``unix://`` (one server,
  as redis-py reads them), ``redis+sentinel://host:26379[,host2:26379]/service[/db]`` and
  ``redis+cluster://host:7000[,host2:7000]``; ``valkey`` may replace ``redis`` in any scheme
  (Valkey speaks the same protocol). Clients are made lazily, on first use, so constructors do
  no I/O and a fleet starting while Redis is down runs degraded instead of failing.
- **Sealing** (:class:`Sealer`): AES-256-GCM with the refresh-token store's key
  (``key=`` or ``PARTNERCENTER_STORE_KEY``, read and checked by the file store's code), the
  Redis key name as associated data so values cannot be moved between keys. Redis key names are
  HMACs, so they reveal neither tenants nor clients.
- **Health** (:class:`RedisHealth`): after a failure (unreachable, or slower than ``timeout``)
  Redis is left alone for ``retry_interval`` seconds; the degradation and the recovery are each
  logged once, not per request.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..errors import ConfigurationError, RefreshTokenStoreError
from .file import _NONCE_BYTES, STORE_KEY_ENV, _decode_key

__all__ = [
    "REDIS_URL_ENV",
    "OrphanLocks",
    "RedisHealth",
    "RedisOptions",
    "RedisTarget",
    "Sealer",
    "parse_redis_url",
    "redis_errors",
]

logger = logging.getLogger("partnercenter.redis")


#: Delete a lock only if this owner still holds it (a lock that expired may belong to another
#: worker now). Shared by the token cache and the refresh-token store.
RELEASE_SCRIPT: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class OrphanLocks:
    """Locks whose ``SET`` timed out: Redis may still have applied it (a paused server runs
    what it had buffered when it resumes), so their owner releases them, by owner, at its next
    contact. Bounded (past ``limit`` the newest are forgotten: their expiry frees them)."""

    __slots__ = ("_items", "_limit")

    def __init__(self, limit: int = 1024) -> None:
        self._items: list[tuple[str, str]] = []
        self._limit = limit

    def add(self, lock: str, owner: str) -> None:
        if len(self._items) < self._limit:
            self._items.append((lock, owner))

    def take(self) -> tuple[str, str] | None:
        try:
            return self._items.pop()  # (atomic: threads may share the list)
        except IndexError:
            return None

    def release(self, client: Any, errors: tuple[type[BaseException], ...]) -> None:
        """Release every orphan, by owner, through a blocking client. One that fails is kept
        for next time (Redis may still apply the SET) and the error raised."""
        while (orphan := self.take()) is not None:
            try:
                client.eval(RELEASE_SCRIPT, 1, *orphan)
            except errors:
                self.add(*orphan)
                raise


#: Where the CLI and the pytest plugin look for a Redis URL when none is configured.
REDIS_URL_ENV: Final = "PARTNERCENTER_REDIS_URL"
REDIS_EXTRA_HINT: Final = "Install the Redis support: pip install 'partnercenter[redis]'."
DEFAULT_PREFIX: Final = "partnercenter:"
SENTINEL_PORT: Final = 26379
REDIS_PORT: Final = 6379
_SCHEMES: Final = {"redis": "redis", "rediss": "rediss", "valkey": "redis", "valkeys": "rediss"}
_NAME_LABEL: Final = b"partnercenter redis key name"
_FINGERPRINT_LABEL: Final = b"partnercenter refresh token fingerprint"


@dataclass(frozen=True, slots=True)
class RedisTarget:
    """A parsed Redis URL. ``url`` is what redis-py's ``from_url`` reads (single servers);
    ``hosts`` the sentinels or cluster seed nodes. ``describe()`` never shows the password."""

    mode: str  # "single" | "sentinel" | "cluster"
    url: str
    hosts: tuple[tuple[str, int], ...] = ()
    service: str = ""
    db: int = 0
    username: str | None = None
    password: str | None = None
    tls: bool = False

    def describe(self) -> str:
        if self.mode == "single":
            parts = urlsplit(self.url)
            where = parts.hostname or parts.path or "?"
            return f"redis {where}" + (f":{parts.port}" if parts.port else "")
        hosts = ",".join(f"{host}:{port}" for host, port in self.hosts)
        return f"redis {self.mode} {hosts}" + (f" ({self.service})" if self.service else "")


def _hosts(netloc: str, default_port: int) -> tuple[tuple[str, int], ...]:
    hosts: list[tuple[str, int]] = []
    for item in netloc.split(","):
        item = item.strip()
        if not item:
            continue
        if item.startswith("["):  # [IPv6]:port
            host, _, rest = item[1:].partition("]")
            port_text = rest.lstrip(":")
        else:
            host, _, port_text = item.rpartition(":") if ":" in item else (item, "", "")
        try:
            port = int(port_text) if port_text else default_port
        except ValueError:
            raise ConfigurationError("url", "has a port that is not a number") from None
        if not host or not 0 < port < 65536:
            raise ConfigurationError("url", "names a host without a name or a valid port")
        hosts.append((host, port))
    if not hosts:
        raise ConfigurationError("url", "names no host")
    return tuple(hosts)


def parse_redis_url(url: str) -> RedisTarget:
    """Check and parse a Redis URL (see the module docstring). Errors never echo the URL,
    which may hold a password."""
    if not isinstance(url, str) or not url.strip():
        raise ConfigurationError("url", "must be a non-empty Redis URL such as redis://host:6379/0")
    url = url.strip()
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ConfigurationError("url", "must start with a scheme such as redis://")
    scheme = scheme.lower()
    if scheme == "unix":
        return RedisTarget("single", url)
    base, _, mode = scheme.partition("+")
    if base not in _SCHEMES or mode not in ("", "sentinel", "cluster"):
        raise ConfigurationError(
            "url",
            "has an unknown scheme: use redis://, rediss://, unix://, redis+sentinel:// or "
            "redis+cluster:// (valkey works in place of redis)",
        )
    redis_scheme = _SCHEMES[base]
    if not mode:
        return RedisTarget("single", f"{redis_scheme}://{rest}", tls=redis_scheme == "rediss")
    # Multi-host URLs are not RFC 3986 authorities: split by hand.
    authority, _, path = rest.partition("/")
    path, _, _query = path.partition("?")
    userinfo, at, hostlist = authority.rpartition("@")
    if not at:
        userinfo, hostlist = "", authority
    username: str | None = None
    password: str | None = None
    if userinfo:
        user, colon, secret = userinfo.partition(":")
        username = unquote(user) or None
        password = unquote(secret) if colon else None
    segments = [segment for segment in path.split("/") if segment]
    service, db = "", 0
    if mode == "sentinel":
        if not segments:
            raise ConfigurationError(
                "url", "a sentinel URL names the service: redis+sentinel://host:26379/mymaster"
            )
        service = unquote(segments[0])
        db_text = segments[1] if len(segments) > 1 else "0"
        hosts = _hosts(hostlist, SENTINEL_PORT)
    else:
        db_text = "0"
        if segments and segments[0] != "0":
            raise ConfigurationError("url", "a cluster has only database 0")
        hosts = _hosts(hostlist, REDIS_PORT)
    try:
        db = int(db_text)
    except ValueError:
        raise ConfigurationError("url", "has a database number that is not a number") from None
    return RedisTarget(
        mode,
        url="",
        hosts=hosts,
        service=service,
        db=db,
        username=username,
        password=password,
        tls=redis_scheme == "rediss",
    )


def _positive(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ConfigurationError(name, "must be a positive number of seconds")
    return float(value)


@dataclass(frozen=True, slots=True)
class RedisOptions:
    """The knobs shared by the cache and the store (checked; see their docstrings)."""

    prefix: str = DEFAULT_PREFIX
    timeout: float = 0.5
    retry_interval: float = 5.0
    lock_ttl: float = 15.0
    wait_timeout: float = 15.0
    poll_interval: float = 0.01

    @classmethod
    def check(cls, **values: Any) -> RedisOptions:
        prefix = values.pop("prefix", DEFAULT_PREFIX)
        if not isinstance(prefix, str):
            raise ConfigurationError("prefix", "must be a string")
        checked = {name: _positive(name, value) for name, value in values.items()}
        return cls(prefix=prefix, **checked)


def _require_redis() -> Any:
    try:
        import redis
    except ImportError:
        raise ConfigurationError("url", "needs the redis package", hint=REDIS_EXTRA_HINT) from None
    return redis


def _common_kwargs(target: RedisTarget, timeout: float) -> dict[str, Any]:
    # No retries inside redis-py: a failure must reach us within `timeout`, and we degrade.
    kwargs: dict[str, Any] = {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
    }
    if target.username is not None:
        kwargs["username"] = target.username
    if target.password is not None:
        kwargs["password"] = target.password
    return kwargs


def make_client(target: RedisTarget, timeout: float, *, asynchronous: bool) -> Any:
    """A redis-py client (``redis.asyncio`` when ``asynchronous``) for ``target``. redis-py's
    clients connect on first command, except the cluster client, which is why callers make
    clients lazily, inside their degraded-mode guard."""
    _require_redis()
    from redis.backoff import NoBackoff

    if asynchronous:
        import redis.asyncio as client_module
        from redis.asyncio.retry import Retry
    else:
        import redis as client_module  # type: ignore[no-redef]
        from redis.retry import Retry  # type: ignore[assignment]
    no_retry = Retry(NoBackoff(), 0)
    if target.mode == "single":
        return client_module.Redis.from_url(
            target.url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=no_retry,
        )
    kwargs = _common_kwargs(target, timeout)
    if target.mode == "sentinel":
        if asynchronous:
            from redis.asyncio.sentinel import Sentinel
        else:
            from redis.sentinel import Sentinel  # type: ignore[assignment]
        sentinel_kwargs = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
        if target.password is not None:
            sentinel_kwargs["password"] = target.password  # type: ignore[assignment]
        sentinel = Sentinel(  # type: ignore[no-untyped-call]
            list(target.hosts), sentinel_kwargs=sentinel_kwargs, ssl=target.tls, **kwargs
        )
        return sentinel.master_for(target.service, db=target.db, retry=no_retry)
    if asynchronous:
        from redis.asyncio.cluster import ClusterNode, RedisCluster
    else:
        from redis.cluster import ClusterNode, RedisCluster  # type: ignore[assignment]
    nodes = [ClusterNode(host, port) for host, port in target.hosts]
    return RedisCluster(startup_nodes=nodes, ssl=target.tls, retry=no_retry, **kwargs)


def redis_errors() -> tuple[type[BaseException], ...]:
    """What a Redis call raises when Redis is down, slow or confused (then we degrade)."""
    try:
        from redis.exceptions import RedisError
    except ImportError:  # pragma: no cover - the package is there whenever a client is
        return (OSError,)
    return (RedisError, OSError)


class Sealer:
    """AES-256-GCM for Redis values, with the refresh-token store's key handling.

    The key comes from ``key=`` or the environment variable ``key_env`` (default
    ``PARTNERCENTER_STORE_KEY``), resolved on first use. Sealed: ``nonce || ciphertext``.
    """

    __slots__ = ("_explicit", "_key_env", "_key", "_lock")

    def __init__(self, key: str | bytes | None, key_env: str | None = STORE_KEY_ENV) -> None:
        self._explicit = None if key is None else _decode_key(key, "key")
        if key_env is not None and (not isinstance(key_env, str) or not key_env):
            raise ConfigurationError("key_env", "must be a variable name or None")
        self._key_env = key_env
        self._key: bytes | None = None
        self._lock = threading.Lock()

    def key(self) -> bytes:
        if self._key is not None:
            return self._key
        with self._lock:
            if self._explicit is not None:
                self._key = self._explicit
            elif self._key_env and os.environ.get(self._key_env):
                self._key = _decode_key(os.environ[self._key_env], self._key_env)
            else:
                raise RefreshTokenStoreError(
                    "no key to encrypt what is shared through Redis: pass key= or set "
                    f"{self._key_env or STORE_KEY_ENV}",
                    location="redis",
                    reason="no_key",
                    hint="Give every worker the same key from "
                    "partnercenter.stores.generate_store_key() (keep it in your secret manager).",
                )
        return self._key

    def check(self) -> None:
        """Resolve the key now (constructors call it so a missing key fails at once)."""
        self.key()

    def name(self, prefix: str, kind: str, text: str) -> str:
        """A Redis key name: an HMAC of ``text``, so names reveal nothing."""
        digest = hmac.new(self.key(), _NAME_LABEL + b"\0" + text.encode(), hashlib.sha256)
        return f"{prefix}{kind}:{digest.hexdigest()[:40]}"

    def fingerprint(self, secret: str) -> str:
        """A keyed fingerprint of a secret, for compare-and-set without the secret."""
        digest = hmac.new(self.key(), _FINGERPRINT_LABEL + b"\0" + secret.encode(), hashlib.sha256)
        return digest.hexdigest()

    def seal(self, plain: bytes, aad: str) -> bytes:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        return nonce + AESGCM(self.key()).encrypt(nonce, plain, aad.encode())

    def open(self, sealed: bytes, aad: str) -> bytes | None:
        """The plaintext, or ``None`` when the value fails authentication (another key, or
        tampered with)."""
        if len(sealed) <= _NONCE_BYTES:
            return None
        try:
            return AESGCM(self.key()).decrypt(
                sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], aad.encode()
            )
        except InvalidTag:
            return None


class RedisHealth:
    """Degraded mode: whether to use Redis now, and logging that says so once per interval."""

    __slots__ = ("_interval", "_down_until", "_down", "_monotonic", "_where", "_lock")

    def __init__(
        self, retry_interval: float, where: str, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._interval = retry_interval
        self._down_until = 0.0
        self._down = False
        self._monotonic = monotonic
        self._where = where
        self._lock = threading.Lock()

    def available(self) -> bool:
        return not self._down or self._monotonic() >= self._down_until

    @property
    def degraded(self) -> bool:
        return self._down

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            now = self._monotonic()
            first = now >= self._down_until
            self._down = True
            self._down_until = now + self._interval
        if first:
            # Once per interval: a fleet's logs must not fill with one line per request.
            logger.warning(
                "%s is unavailable (%s); going on without it (in-process cache, direct token "
                "requests) and trying again in %g s",
                self._where,
                type(exc).__name__,
                self._interval,
            )

    def succeeded(self) -> None:
        if self._down:
            with self._lock:
                was_down, self._down = self._down, False
            if was_down:
                logger.warning("%s is back; sharing tokens through it again", self._where)
