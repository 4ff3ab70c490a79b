"""Fault injection for reliability tests: injected 5xx/429, added latency, dropped connections.

Rules are added through the admin API (``POST /_emulator/faults``) and apply to the Partner
Center API, the token service, or both. Each rule fires on a share of the matching requests
(``rate``), optionally only for the next ``count`` of them, and can delay the answer
(``latency_ms``), answer an error itself (``status``/``statuses``: 500, 503 or 429), or drop
the connection without any response (``drop``: before the request runs, or ``"after"`` it ran,
as when a response is lost). Randomness is seeded, so a run is repeatable.

The rules are applied by :class:`FaultMiddleware`, an ASGI layer outside the application's
routes, so neither the token endpoint nor the API handlers know about them.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Literal

import anyio
from starlette.datastructures import Headers

from ..._contract import aadsts, pc_errors
from ..clock import Clock
from ..identity.errors import JSON_UTF8, NO_CACHE_HEADERS, AadError
from ..jose import dumps
from .errors import ApiError, Throttled
from .request_ids import request_ids

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

Target = Literal["api", "token"]
TARGETS = ("api", "token", "all")
FAULT_STATUSES = (500, 503, 429)
MAX_RULES = 100
MAX_LATENCY_MS = 60_000
#: How long a dropped request waits for the server to notice the closed connection.
DROP_WAIT_SECONDS = 5.0
DEFAULT_SEED = 4


class FaultError(ValueError):
    """A fault rule the admin API cannot accept; the message names the field."""


@dataclass(slots=True)
class FaultRule:
    """One fault rule as added through the admin API (``id`` assigned on add)."""

    id: int
    target: str
    rate: float = 1.0
    #: Requests this rule still fires for; ``None`` = unlimited.
    remaining: int | None = None
    statuses: tuple[int, ...] = ()
    latency_ms: float = 0.0
    #: ``"close"`` (EOF without a response), ``"reset"`` (TCP reset), ``"after"`` (the request
    #: is carried out, then the connection closes without its answer), or ``None``.
    drop: str | None = None
    retry_after: int = 1
    path_prefix: str = ""
    hits: int = 0

    @property
    def decides(self) -> bool:
        """The rule answers the request itself (error or drop), not only delays it."""
        return bool(self.statuses) or self.drop is not None

    def as_dict(self) -> dict[str, Any]:
        """The rule as the admin API shows it."""
        return {
            "id": self.id,
            "target": self.target,
            "rate": self.rate,
            "remaining": self.remaining,
            "statuses": list(self.statuses),
            "latency_ms": self.latency_ms,
            "drop": self.drop,
            "retry_after": self.retry_after,
            "path_prefix": self.path_prefix,
            "hits": self.hits,
        }


@dataclass(frozen=True, slots=True)
class Decision:
    """What the middleware does to one request."""

    latency_ms: float = 0.0
    status: int | None = None
    drop: str | None = None
    retry_after: int = 1


@dataclass
class Faults:
    """The active fault rules (thread-safe; read by the middleware on every request)."""

    seed: int = DEFAULT_SEED
    _rules: list[FaultRule] = field(default_factory=list)
    #: Rules whose ``count`` ran out, kept (bounded) so GET still shows their hits.
    _exhausted: deque[FaultRule] = field(default_factory=lambda: deque(maxlen=MAX_RULES))
    _next_id: int = 1
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _random: random.Random = field(init=False, repr=False)
    injected: int = 0

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    @property
    def active(self) -> bool:
        """Whether any rule can still fire (the middleware's fast path)."""
        return bool(self._rules)

    def add(self, spec: dict[str, Any]) -> FaultRule:
        """Validate and add one rule (see the module docstring); ``FaultError`` if invalid."""
        rule = _parse(spec)
        with self._lock:
            if len(self._rules) >= MAX_RULES:
                raise FaultError(f"at most {MAX_RULES} fault rules at once; DELETE to clear")
            rule.id = self._next_id
            self._next_id += 1
            self._rules.append(rule)
            if isinstance(spec.get("seed"), int) and not isinstance(spec.get("seed"), bool):
                self._random.seed(spec["seed"])
        return rule

    def clear(self) -> None:
        """Remove every rule and restart the seeded randomness."""
        with self._lock:
            self._rules.clear()
            self._exhausted.clear()
            self._random.seed(self.seed)

    def remove(self, rule_id: int) -> FaultRule | None:
        """Remove one rule (active or exhausted); the removed rule, or None if unknown."""
        with self._lock:
            for rules in (self._rules, self._exhausted):
                for rule in rules:
                    if rule.id == rule_id:
                        rules.remove(rule)
                        return rule
        return None

    def snapshot(self) -> dict[str, Any]:
        """Active and exhausted rules, and how many answers were injected."""
        with self._lock:
            return {
                "rules": [rule.as_dict() for rule in self._rules],
                "exhausted": [rule.as_dict() for rule in self._exhausted],
                "injected": self.injected,
            }

    def decide(self, target: Target, path: str) -> Decision | None:
        """What to do to one request (``None``: nothing). Rules are tried in order; latency
        adds up, the first error/drop rule that fires decides the answer."""
        if not self._rules:
            return None
        latency = 0.0
        status: int | None = None
        drop: str | None = None
        retry_after = 1
        spent: list[FaultRule] = []
        with self._lock:
            for rule in self._rules:
                if rule.target not in (target, "all") or not path.startswith(rule.path_prefix):
                    continue
                if rule.remaining is not None and rule.remaining <= 0:
                    continue
                if rule.decides and (status is not None or drop is not None):
                    continue
                if rule.rate < 1.0 and self._random.random() >= rule.rate:
                    continue
                rule.hits += 1
                if rule.remaining is not None:
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        spent.append(rule)
                latency += rule.latency_ms
                if rule.drop is not None:
                    drop = rule.drop
                elif rule.statuses:
                    status = self._random.choice(rule.statuses)
                    retry_after = rule.retry_after
            for rule in spent:
                # Retired, so the middleware's fast path (no rules) returns once all are spent.
                self._rules.remove(rule)
                self._exhausted.append(rule)
            if not latency and status is None and drop is None:
                return None
            if status is not None or drop is not None:
                self.injected += 1
        return Decision(latency, status, drop, retry_after)


def _parse(spec: dict[str, Any]) -> FaultRule:
    known = {
        "target",
        "rate",
        "count",
        "status",
        "statuses",
        "latency_ms",
        "drop",
        "retry_after",
        "path_prefix",
        "seed",
    }
    for key in spec:
        if key not in known:
            raise FaultError(f"unknown field '{key}' (expected one of {', '.join(sorted(known))})")
    target = spec.get("target", "api")
    if target not in TARGETS:
        raise FaultError("'target' must be 'api', 'token' or 'all'")
    rate = spec.get("rate", 1.0)
    if not _number(rate) or not 0.0 <= rate <= 1.0:
        raise FaultError("'rate' must be a number from 0 to 1")
    count = spec.get("count")
    if count is not None and (not _integer(count) or count < 1):
        raise FaultError("'count' must be a positive integer (the next N matching requests)")
    statuses: list[Any] = []
    if "status" in spec:
        statuses.append(spec["status"])
    if "statuses" in spec:
        if not isinstance(spec["statuses"], list):
            raise FaultError("'statuses' must be a list of HTTP statuses")
        statuses.extend(spec["statuses"])
    for status in statuses:
        if not _integer(status) or status not in FAULT_STATUSES:
            raise FaultError("fault statuses must be 500, 503 or 429")
    latency = spec.get("latency_ms", 0)
    if not _number(latency) or not 0 <= latency <= MAX_LATENCY_MS:
        raise FaultError(f"'latency_ms' must be a number from 0 to {MAX_LATENCY_MS}")
    drop_raw = spec.get("drop", False)
    # Identity for the booleans: 1 == True would otherwise pass and be echoed back as 1.
    if not (drop_raw is True or drop_raw is False or drop_raw in ("close", "reset", "after")):
        raise FaultError("'drop' must be true, false, 'close', 'reset' or 'after'")
    drop = "close" if drop_raw is True else (drop_raw or None)
    if drop is not None and statuses:
        raise FaultError("a rule either drops the connection or answers a status, not both")
    retry_after = spec.get("retry_after", 1)
    if not _integer(retry_after) or not 0 <= retry_after <= 3600:
        raise FaultError("'retry_after' must be whole seconds from 0 to 3600")
    prefix = spec.get("path_prefix", "")
    if not isinstance(prefix, str) or len(prefix) > 512:
        raise FaultError("'path_prefix' must be a path string")
    if not statuses and drop is None and not latency:
        raise FaultError("a rule needs 'status'/'statuses', 'latency_ms' or 'drop'")
    seed = spec.get("seed")
    if seed is not None and not _integer(seed):
        raise FaultError("'seed' must be an integer")
    return FaultRule(
        id=0,
        target=target,
        rate=float(rate),
        remaining=count,
        statuses=tuple(statuses),
        latency_ms=float(latency),
        drop=drop,
        retry_after=retry_after,
        path_prefix=prefix,
    )


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def _integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# -- the ASGI layer --------------------------------------------------------------------------
Classifier = Callable[[str], Target | None]


class FaultMiddleware:
    """Applies ``faults`` to the requests ``classify`` names as API or token-service calls.

    ``on_api_fault`` is called for each API request the middleware answers itself, so such
    requests still count in the API's statistics.
    """

    def __init__(
        self,
        app: ASGIApp,
        faults: Faults,
        classify: Classifier,
        clock: Clock,
        on_api_fault: Callable[[], None] | None = None,
    ) -> None:
        self.app = app
        self.faults = faults
        self.classify = classify
        self.clock = clock
        self.on_api_fault = on_api_fault

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.faults.active:
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        target = self.classify(path)
        decision = self.faults.decide(target, path) if target is not None else None
        if decision is None or target is None:
            await self.app(scope, receive, send)
            return
        if decision.latency_ms:
            await anyio.sleep(decision.latency_ms / 1000)
        if decision.drop is None and decision.status is None:
            await self.app(scope, receive, send)
            return
        if decision.drop == "after":
            # The request is carried out, and then its answer is lost: the case idempotent
            # retries (same MS-RequestId) exist for.
            await self.app(scope, receive, _discard)
            await drop_connection(receive, send)
            return
        if target == "api" and self.on_api_fault is not None:
            self.on_api_fault()
        if decision.drop is not None:
            await drop_connection(receive, send, reset=decision.drop == "reset")
            return
        assert decision.status is not None
        status, headers, body = self._answer(target, scope, decision.status, decision.retry_after)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _answer(
        self, target: Target, scope: Scope, status: int, retry_after: int
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        headers: list[tuple[str, str]] = [("content-type", JSON_UTF8)]
        if target == "api":
            ids = request_ids(Headers(scope=scope))
            headers.extend(ids.headers().items())
            if status == 429:
                throttled = Throttled(retry_after)
                headers.append(("retry-after", str(throttled.retry_after)))
                body = dumps(throttled.body())
            else:
                entry = pc_errors.SERVER_ERROR if status == 500 else pc_errors.SERVICE_UNAVAILABLE
                if status == 503 and retry_after:
                    headers.append(("retry-after", str(retry_after)))
                body = dumps(ApiError(entry, detail="(injected fault)").body())
        else:
            error = AadError(aadsts.SERVICE_UNAVAILABLE, detail="(injected fault)")
            trace = str(uuid.uuid4())
            body = dumps(
                error.body(
                    trace_id=trace,
                    correlation_id=str(uuid.uuid4()),
                    now=self.clock.now(),
                    error_host=_origin(scope),
                )
            )
            headers.extend(NO_CACHE_HEADERS.items())
            headers.append(("x-ms-request-id", trace))
            if status in (429, 503) and retry_after:
                headers.append(("retry-after", str(retry_after)))
        headers.append(("content-length", str(len(body))))
        return status, headers, body


def _origin(scope: Scope) -> str:
    server = scope.get("server") or ("localhost", None)
    host = server[0] if server[1] is None else f"{server[0]}:{server[1]}"
    return f"{scope.get('scheme', 'https')}://{host}"


async def _discard(message: Message) -> None:
    """An ASGI ``send`` that loses every message."""


class ConnectionDropped(Exception):
    """Raised when the server offers no way to drop a connection (not under uvicorn)."""


async def drop_connection(receive: Receive, send: Send, *, reset: bool = False) -> None:
    """Close the client's connection without a response.

    ASGI has no "abort" message, and raising before ``http.response.start`` makes the server
    answer 500. uvicorn's ``send`` is a bound method of its request cycle, which holds the
    transport: closing it (or aborting, for a reset) is what a crashed server looks like to a
    client (httpx raises ``RemoteProtocolError``/``ReadError``, both ``TransportError``).
    Then wait for the server to notice the disconnect, so it does not answer 500 itself.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None or not hasattr(transport, "close"):
        raise ConnectionDropped("this server offers no way to drop a connection")
    if reset and hasattr(transport, "abort"):
        transport.abort()
    else:
        transport.close()
    with anyio.move_on_after(DROP_WAIT_SECONDS):
        while (await receive())["type"] != "http.disconnect":
            pass
