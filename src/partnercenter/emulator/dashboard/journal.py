"""The dashboard's live log: what reached the token service and the API, without secrets.

An ASGI layer records one :class:`Entry` per request (method, path without its query, status,
duration, and for token requests the grant type and client id; for API calls who called:
application, user, app-only or app + user, MFA). It never keeps a body, a query string, a
token, a secret or a code: query strings carry ``state``, ``code`` and ``login_hint``, token
request bodies carry secrets and refresh tokens. Only the few named form fields are read from
a token request, and only an error's code from an error answer.

The log is bounded (:data:`MAX_ENTRIES`, oldest dropped) and entries expire after
:data:`MAX_AGE_SECONDS` of real time, so a busy emulator keeps a constant footprint. It
records only while a dashboard session is open: an emulator nobody watches (tests,
benchmarks) pays one clock read per request for it.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import unquote_plus

from ..jose import b64url_decode

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_ENTRIES = 500
MAX_AGE_SECONDS = 3600.0
#: Token request bodies are this small; a larger one is passed on untouched and not parsed.
MAX_FORM_BYTES = 64 * 1024
#: Error bodies are read (for their code) up to this size; success bodies never are.
MAX_ERROR_BYTES = 16 * 1024
MAX_PATH_CHARS = 300
MAX_FIELD_CHARS = 200
#: Form fields of a token request that are safe to show (never secrets, codes or tokens).
SAFE_FORM_FIELDS = ("grant_type", "client_id", "scope", "resource")
_SAFE = {name.encode(): name for name in SAFE_FORM_FIELDS}
_CALLER_CACHE_SIZE = 256


@dataclass(slots=True)
class Entry:
    seq: int
    #: The emulator's clock (time travel shows), epoch seconds.
    at: float
    kind: str
    method: str
    path: str
    status: int
    ms: float
    grant_type: str | None = None
    client_id: str | None = None
    scope: str | None = None
    caller: str | None = None
    error: str | None = None


class RequestJournal:
    """A bounded, expiring, thread-safe list of :class:`Entry` with increasing ``seq``."""

    def __init__(
        self,
        now: Callable[[], float],
        *,
        max_entries: int = MAX_ENTRIES,
        max_age: float = MAX_AGE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._now = now
        self._monotonic = monotonic
        self._max_age = max_age
        self._entries: deque[tuple[float, Entry]] = deque(maxlen=max_entries)
        self._seq = 0
        self._lock = threading.Lock()

    def add(self, **fields: Any) -> Entry:
        with self._lock:
            self._seq += 1
            entry = Entry(seq=self._seq, at=self._now(), **fields)
            self._entries.append((self._monotonic(), entry))
            self._expire()
        return entry

    def after(self, seq: int, limit: int = MAX_ENTRIES) -> list[dict[str, Any]]:
        """Entries newer than ``seq``, oldest first, at most ``limit`` (the newest ones)."""
        with self._lock:
            self._expire()
            found = [asdict(entry) for _, entry in self._entries if entry.seq > seq]
        for entry in found:
            entry["ms"] = round(entry["ms"], 2)
        return found[-limit:]

    @property
    def last_seq(self) -> int:
        return self._seq

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def _expire(self) -> None:
        cutoff = self._monotonic() - self._max_age
        while self._entries and self._entries[0][0] < cutoff:
            self._entries.popleft()


def _kind(path: str) -> str:
    lowered = path.lower()
    if "/oauth2/" in lowered and lowered.rstrip("/").endswith("/token"):
        return "token"
    if lowered.rstrip("/").endswith(("/generatetoken",)):
        return "token"
    if "/oauth2/" in lowered or lowered.endswith("/login") or lowered.startswith("/devicelogin"):
        return "sign-in"
    if "/discovery/" in lowered or "/.well-known/" in lowered:
        return "discovery"
    return "api"


def _clip(value: str, limit: int = MAX_FIELD_CHARS) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def describe_caller(authorization: str | None) -> str | None:
    """Who an API call claims to be, read (unverified) from its bearer token's claims.

    Only names and kinds are shown; the token itself is never kept.
    """
    if not authorization or len(authorization) > 16 * 1024:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return "(not a bearer token)"
    parts = token.strip().split(".")
    if len(parts) != 3:
        return "(not a JWT)"
    try:
        claims = json.loads(b64url_decode(parts[1]))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return "(unreadable token)"
    if not isinstance(claims, dict):
        return "(unreadable token)"
    app = str(claims.get("appid") or claims.get("azp") or "?")
    user = claims.get("upn") or claims.get("unique_name")
    if claims.get("idtyp") == "user" or "scp" in claims:
        amr = claims.get("amr")
        mfa = "MFA" if isinstance(amr, list) and "mfa" in amr else "no MFA"
        return _clip(f"app + user {user or '?'} ({mfa}) via {app}")
    return _clip(f"app-only {app}")


class JournalMiddleware:
    """Records every request except the admin API's and the dashboard's own, while
    ``enabled()`` says someone is watching (an emulator nobody watches pays nothing)."""

    def __init__(
        self, app: ASGIApp, journal: RequestJournal, enabled: Callable[[], bool] = lambda: True
    ) -> None:
        self.app = app
        self.journal = journal
        self.enabled = enabled
        self._callers: dict[int, str | None] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith("/_emulator") or not self.enabled():
            await self.app(scope, receive, send)
            return
        kind = _kind(path)
        method = scope.get("method", "GET")
        form = bytearray()
        form_ok = kind == "token" and method == "POST"
        status = 0
        error_body = bytearray()
        started = time.perf_counter()

        async def watch_receive() -> Message:
            nonlocal form_ok
            message = await receive()
            if form_ok and message["type"] == "http.request":
                form.extend(message.get("body", b""))
                if len(form) > MAX_FORM_BYTES:
                    form_ok = False
                    form.clear()
            return message

        async def watch_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body" and status >= 400:
                if len(error_body) < MAX_ERROR_BYTES:
                    error_body.extend(message.get("body", b"")[:MAX_ERROR_BYTES])
            await send(message)

        try:
            await self.app(scope, watch_receive, watch_send)
        finally:
            self._record(
                scope, kind, method, path, status, started, form if form_ok else None, error_body
            )

    def _record(
        self,
        scope: Scope,
        kind: str,
        method: str,
        path: str,
        status: int,
        started: float,
        form: bytearray | None,
        error_body: bytearray,
    ) -> None:
        elapsed = (time.perf_counter() - started) * 1000
        grant_type = client_id = scope_value = caller = error = None
        if form:
            fields = _safe_form_fields(bytes(form))
            grant_type = fields.get("grant_type")
            client_id = fields.get("client_id")
            scope_value = fields.get("scope") or fields.get("resource")
        if kind == "api":
            caller = self._caller(scope)
        if error_body:
            error = _error_code(bytes(error_body))
        elif status == 0:
            error = "no answer (connection dropped)"
        self.journal.add(
            kind=kind,
            method=method if len(method) <= 16 else _clip(method, 16),
            path=path if len(path) <= MAX_PATH_CHARS else _clip(path, MAX_PATH_CHARS),
            status=status,
            ms=elapsed,
            grant_type=grant_type,
            client_id=client_id,
            scope=scope_value,
            caller=caller,
            error=error,
        )

    def _caller(self, scope: Scope) -> str | None:
        for name, value in scope.get("headers") or ():
            if name == b"authorization":
                # A client sends one token for an hour: describe it once. The cache is keyed
                # by the header's hash (no token is kept) and bounded.
                key = hash(value)
                found = self._callers.get(key)
                if found is None:
                    found = describe_caller(value.decode("latin-1"))
                    if len(self._callers) >= _CALLER_CACHE_SIZE:
                        self._callers.clear()
                    self._callers[key] = found
                return found
        return None


def _safe_form_fields(body: bytes) -> dict[str, str]:
    """The :data:`SAFE_FORM_FIELDS` of a urlencoded body (nothing else is even decoded)."""
    fields: dict[str, str] = {}
    for pair in body.split(b"&", 200):
        name, _, value = pair.partition(b"=")
        key = _SAFE.get(name)
        if key is None or key in fields:
            continue
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if "%" in text or "+" in text:
            text = unquote_plus(text)
        fields[key] = _clip(text)
    return fields


def _error_code(body: bytes) -> str | None:
    """``AADSTS7000215`` or ``Partner Center 900421`` from an error answer, else ``None``."""
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(parsed, dict):
        return None
    codes = parsed.get("error_codes")
    if isinstance(codes, list) and codes and isinstance(codes[0], int):
        return f"AADSTS{codes[0]} {_clip(str(parsed.get('error', '')), 40)}".strip()
    code = parsed.get("code")
    if isinstance(code, (int, str)) and str(code).isdigit():
        return f"Partner Center {code}"
    if parsed.get("statusCode") == 429:
        return "throttled"
    return None
