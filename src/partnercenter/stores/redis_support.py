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
from collections.abc import Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final, Generic, TypeVar
from urllib.parse import unquote, urlsplit

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..errors import ConfigurationError, RefreshTokenStoreError
from .file import _NONCE_BYTES, STORE_KEY_ENV, _decode_key

__all__ = [
    "REDIS_URL_ENV",
    "AsyncRedis",
    "BlockingRedis",
    "OrphanLocks",
    "Pause",
    "RedisBacked",
    "RedisCall",
    "RedisHealth",
    "RedisOptions",
    "RedisTarget",
    "Sealer",
    "parse_redis_url",
    "redis_errors",
    "run_async",
    "run_blocking",
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

    def release_flow(self) -> RedisFlow[None]:
        """Release every orphan, by owner (a flow: see ``run_blocking``). One whose release
        fails is kept for next time (Redis may still apply the SET) and the error raised."""
        while (orphan := self.take()) is not None:
            try:
                yield redis_call("eval", RELEASE_SCRIPT, 1, *orphan)
            except BaseException:
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


class RedisBacked:
    """What the Redis token cache and refresh-token store, blocking and async, have in common:
    the checked options, the sealing key, the health, and the client, made on first use by
    whoever was given a URL (and then theirs to close), or the one passed in."""

    #: Whether the client to make is a ``redis.asyncio`` one.
    _async: ClassVar[bool] = False
    #: How the messages name the object: "cache" / "token cache", "store" /
    #: "refresh-token store".
    _kind: ClassVar[str]
    _role: ClassVar[str]

    def __init__(
        self,
        client: Any,
        target: RedisTarget | None,
        key: str | bytes | None,
        key_env: str | None,
        clock: Callable[[], float],
        options: dict[str, Any],
    ) -> None:
        if client is None and target is None:
            raise ConfigurationError("client", "pass a redis client, or use from_url(url)")
        unknown = set(options) - set(RedisOptions.__dataclass_fields__)
        if unknown:
            raise ConfigurationError(
                sorted(unknown)[0], f"is not an option of the Redis {self._kind}"
            )
        self.options = RedisOptions.check(**options)
        self._client = client
        self._target = target
        self._sealer = Sealer(key, key_env)
        self._sealer.check()
        self._clock = clock
        where = target.describe() if target is not None else "redis"
        self._health = RedisHealth(self.options.retry_interval, f"{where} ({self._role})")
        self._errors = redis_errors()

    @property
    def degraded(self) -> bool:
        """Whether Redis is currently being skipped (unreachable or slow)."""
        return self._health.degraded

    def _redis(self) -> Any:
        if self._client is None:
            assert self._target is not None
            self._client = make_client(self._target, self.options.timeout, asynchronous=self._async)
        return self._client

    def _own_client(self) -> Any | None:
        """The client to close on ``close()``: one this object made, handed over once; never
        a client passed in (its owner closes it)."""
        if self._target is None or self._client is None:
            return None
        client, self._client = self._client, None
        return client

    def _repr_counts(self) -> str:
        return ""

    def __repr__(self) -> str:
        where = self._target.describe() if self._target is not None else "client"
        return (
            f"{type(self).__name__}({where}, prefix={self.options.prefix!r}, "
            f"{self._repr_counts()}degraded={self._health.degraded})"
        )


# -- Redis work written once for the blocking and async clients ---------------------------------
# A flow is a generator that yields the Redis calls (and pauses) it needs and receives each
# answer, or has the call's exception thrown in at the ``yield`` (where its degraded-mode
# ``except`` sees it). ``run_blocking`` and ``run_async`` run the same flow on a blocking or a
# ``redis.asyncio`` client: the twins differ only in the driver, as the credentials' flows do.


@dataclass(frozen=True, slots=True)
class RedisCall:
    """One Redis command a flow asks for: the client method's name and its arguments."""

    method: str
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)


def redis_call(method: str, *args: Any, **kwargs: Any) -> RedisCall:
    return RedisCall(method, args, kwargs)


@dataclass(frozen=True, slots=True)
class Pause:
    """Wait this long before the next step (blocking: ``time.sleep``; async: ``anyio.sleep``)."""

    seconds: float


T = TypeVar("T")
RedisFlow = Generator[RedisCall | Pause, Any, T]


class _Steps(Generic[T]):
    """A flow's steps, for a driver's ``for`` loop: the driver sets ``answer`` (or ``failure``)
    for each step, which goes back into the flow when the next step is asked for."""

    def __init__(self, flow: RedisFlow[T]) -> None:
        self._flow = flow
        self.answer: Any = None
        self.failure: BaseException | None = None

    def __iter__(self) -> _Steps[T]:
        return self

    def __next__(self) -> RedisCall | Pause:
        answer, failure = self.answer, self.failure
        self.answer, self.failure = None, None
        try:
            return self._flow.send(answer) if failure is None else self._flow.throw(failure)
        except StopIteration as done:
            self.result: T = done.value
            raise StopIteration from None


def run_blocking(flow: RedisFlow[T], client: Callable[[], Any]) -> T:
    """Run ``flow`` on the blocking client ``client()`` returns."""
    steps = _Steps(flow)
    for step in steps:
        try:
            if isinstance(step, Pause):
                time.sleep(step.seconds)
            else:
                steps.answer = getattr(client(), step.method)(*step.args, **step.kwargs)
        except BaseException as exc:  # the flow decides; what it does not catch comes back out
            steps.failure = exc
    return steps.result


async def run_async(flow: RedisFlow[T], call: Callable[..., Awaitable[Any]]) -> T:
    """Run ``flow`` through ``call(method, *args, **kwargs)``, an awaited Redis call."""
    import anyio  # here, not at the top: the blocking side (and the CLI) never needs it

    steps = _Steps(flow)
    for step in steps:
        try:
            if isinstance(step, Pause):
                await anyio.sleep(step.seconds)
            else:
                steps.answer = await call(step.method, *step.args, **step.kwargs)
        except BaseException as exc:  # cancellation included: thrown in, and comes back out
            steps.failure = exc
    return steps.result


class BlockingRedis(RedisBacked):
    """The blocking cache and store's side (listed first among their bases): flows run on a
    blocking client, and ``close()``."""

    def _run(self, flow: RedisFlow[T]) -> T:
        return run_blocking(flow, self._redis)

    def close(self) -> None:
        """Close the Redis connections this object made (not a client passed in)."""
        client = self._own_client()
        if client is not None:
            client.close()


class AsyncRedis(RedisBacked):
    """The async cache and store's side (listed first among their bases): a ``redis.asyncio``
    client, flows run through bounded awaited calls, and ``aclose()``. A client belongs to the
    event loop that first used it."""

    _async = True

    async def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """One Redis call, bounded by the timeout (anyio raises TimeoutError, an OSError, so the
        degraded-mode handlers catch it) even if the socket timeout is not enough (as while a
        connection is being made)."""
        import anyio

        with anyio.fail_after(self.options.timeout * 2):
            return await getattr(self._redis(), method)(*args, **kwargs)

    async def _run(self, flow: RedisFlow[T]) -> T:
        return await run_async(flow, self._call)

    async def aclose(self) -> None:
        """Close the Redis connections this object made (not a client passed in)."""
        client = self._own_client()
        if client is not None:
            await client.aclose()
