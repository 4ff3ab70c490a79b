"""The request journal: what the emulator received, for tests to assert on.

An ASGI layer outermost in the application records one entry per HTTP request: when, which
service (token endpoint, sign-in pages, Partner Center API, discovery, admin), method, path,
status, and who asked (client id, grant type, tenant, user, app-only or app + user, MFA) as far
as the request and its answer show it. Secrets never enter it: the journal keeps the client id
of a token request but not its secret, assertion, code or refresh token, and reads the claims of
an issued access token without keeping the token. Query values that carry secrets are
replaced by ``***``.

Bounded and expiring: at most ``max_entries`` (oldest dropped first), each forgotten after
``ttl_seconds`` of real (monotonic) time, so a long-running emulator's memory stays flat.

It is the emulator's one record of requests: the pytest plugin, ``GET /_emulator/journal`` and
the dashboard's live log all read it. Each entry gets a sequence number that only grows (a
reset empties the journal but does not restart it), so a reader that polls can ask for what
arrived after the last number it saw.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote_plus, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .clock import Clock

Kind = Literal["token", "signin", "api", "discovery", "admin", "other"]
KINDS: tuple[str, ...] = ("token", "signin", "api", "discovery", "admin", "other")

DEFAULT_MAX_ENTRIES = 2_000
DEFAULT_TTL_SECONDS = 3_600.0
#: Request and response bodies read for the journal (token forms and token answers are a few
#: kilobytes); anything larger is passed through without being read.
MAX_CAPTURE_BYTES = 64 * 1024
#: Query parameters whose values are secrets or one-time credentials.
SECRET_PARAMETERS = frozenset(
    {
        "client_secret",
        "client_assertion",
        "code",
        "code_verifier",
        "refresh_token",
        "access_token",
        "id_token",
        "password",
        "otc",
        "device_code",
        "assertion",
        "sig",
    }
)
_TOKEN_PATHS = ("/oauth2/token", "/oauth2/v2.0/token", "/generatetoken")
_SIGNIN_PARTS = ("/oauth2/authorize", "/oauth2/v2.0/authorize", "/devicecode", "/login")
_WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
#: The token request's form fields the journal keeps: none of them is a secret.
_KEPT_FORM_FIELDS = frozenset({"grant_type", "client_id", "scope", "resource"})
#: Fields of a token form looked at: the token endpoint refuses a form with more.
_MAX_FORM_FIELDS = 100
#: Bytes kept of a form value, still encoded: enough for the 256 characters an entry shows.
_MAX_KEPT_VALUE_BYTES = 1024


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One request the emulator answered (no secrets: see the module docstring)."""

    #: The emulator's clock when the request arrived (epoch seconds; moves with time travel).
    at: float
    kind: Kind
    method: str
    path: str
    #: The query string, secret values replaced by ``***``.
    query: str
    status: int
    #: The application: the token request's ``client_id``, or the bearer token's app id.
    client_id: str | None = None
    grant_type: str | None = None
    #: The token request's ``scope`` (v2.0), or its ``resource`` (v1).
    scope: str | None = None
    #: The tenant in the token endpoint's path, or the bearer token's ``tid``.
    tenant: str | None = None
    #: The user (UPN) of an issued app + user token or of the API call's token.
    user: str | None = None
    #: ``"app"`` (app-only) or ``"user"`` (app + user) for issued tokens and API calls.
    token_kind: Literal["app", "user"] | None = None
    #: Whether the token's ``amr`` holds ``mfa`` (app + user tokens only).
    mfa: bool | None = None
    #: The ``aud`` of the issued token or of the API call's token.
    audience: str | None = None
    #: The failure's code: ``AADSTS7000215``, a Partner Center code, or the HTTP status.
    error: str | None = None
    #: The OAuth ``error`` of a token service failure (``invalid_client``), RFC 6749 5.2.
    error_name: str | None = None
    duration_ms: float = 0.0

    @property
    def issued_token(self) -> bool:
        """Whether this request was answered with an access token."""
        return self.kind == "token" and self.status == 200 and self.token_kind is not None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Journal:
    """Thread-safe ring of :class:`JournalEntry`; see the module docstring for the bounds."""

    def __init__(
        self,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        if not ttl_seconds > 0:
            raise ValueError("ttl_seconds must be positive")
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self.enabled = True
        self._monotonic = monotonic
        # (arrival on the monotonic clock, sequence number, entry), oldest first.
        self._entries: deque[tuple[float, int, JournalEntry | Pending]] = deque(maxlen=max_entries)
        self._seq = 0
        self._lock = threading.Lock()

    def record(self, entry: JournalEntry | Pending) -> None:
        now = self._monotonic()
        with self._lock:
            self._expire(now)
            self._seq += 1
            self._entries.append((now, self._seq, entry))

    @property
    def last_seq(self) -> int:
        """The sequence number of the newest entry ever recorded (0 if none)."""
        return self._seq

    def after(self, seq: int, limit: int | None = None) -> list[tuple[int, JournalEntry]]:
        """``(sequence number, entry)`` of the entries recorded after ``seq``, oldest first;
        with ``limit``, only the newest ``limit`` of them. Only these are built (see
        :class:`Pending`), so a reader polling for new entries pays for new entries only."""
        wanted = self.max_entries if limit is None else limit
        recorded: list[tuple[int, JournalEntry | Pending]] = []
        with self._lock:
            self._expire(self._monotonic())
            # Newest first, stopping at ``seq``: a poll that finds nothing new costs nothing.
            for _, number, entry in reversed(self._entries):
                if number <= seq or len(recorded) >= wanted:
                    break
                recorded.append((number, entry))
        recorded.reverse()
        return [(n, e if isinstance(e, JournalEntry) else e.entry()) for n, e in recorded]

    def entries(
        self,
        *,
        kind: str | None = None,
        client_id: str | None = None,
        user: str | None = None,
        since: float | None = None,
    ) -> list[JournalEntry]:
        """Entries oldest first, optionally only one kind, client, user, or clock time on."""
        with self._lock:
            self._expire(self._monotonic())
            recorded = [entry for _, _, entry in self._entries]
        found: Iterable[JournalEntry] = [
            e if isinstance(e, JournalEntry) else e.entry() for e in recorded
        ]
        if kind is not None:
            found = [e for e in found if e.kind == kind]
        if client_id is not None:
            wanted = client_id.lower()
            found = [e for e in found if (e.client_id or "").lower() == wanted]
        if user is not None:
            upn = user.lower()
            found = [e for e in found if (e.user or "").lower() == upn]
        if since is not None:
            found = [e for e in found if e.at >= since]
        return list(found)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            self._expire(self._monotonic())
            return len(self._entries)

    def _expire(self, now: float) -> None:
        # Called with the lock held; entries are in arrival order, so expiry pops from the left.
        limit = now - self.ttl_seconds
        entries = self._entries
        while entries and entries[0][0] < limit:
            entries.popleft()


def classify(path: str) -> Kind:
    """Which of the emulator's services a path belongs to."""
    lowered = path.lower()
    if lowered.startswith("/_emulator"):
        return "admin"
    if lowered.endswith(_TOKEN_PATHS) or lowered.rstrip("/") == "/v3/generatetoken":
        return "token"
    if any(part in lowered for part in _SIGNIN_PARTS) or lowered.startswith("/devicelogin"):
        return "signin"
    if "/discovery/" in lowered or "/.well-known/" in lowered or lowered.endswith("/discovery"):
        return "discovery"
    first = lowered.lstrip("/").split("/", 1)[0]
    if first == "v1" or first in _api_segments():
        return "api"
    return "other"


_SEGMENTS: frozenset[str] | None = None


def _api_segments() -> frozenset[str]:
    global _SEGMENTS
    if _SEGMENTS is None:
        from .._contract.operations import (
            OPERATIONS,  # the shared catalog; imported once, on first use
        )

        _SEGMENTS = frozenset(op.path.split("/")[2].lower() for op in OPERATIONS)
    return _SEGMENTS


def redact_query(raw: str) -> str:
    """The query string with the values of :data:`SECRET_PARAMETERS` replaced by ``***``."""
    if not raw:
        return ""
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, max_num_fields=100)
    except ValueError:
        return "(unreadable)"
    return urlencode(
        [(k, "***" if k.lower() in SECRET_PARAMETERS else v) for k, v in pairs], safe="$/:,'"
    )


def token_claims(token: str) -> dict[str, Any] | None:
    """The payload of a compact JWS, unverified (the journal only describes what it saw)."""
    segment = _claims_segment(token.encode("latin-1", "replace"))
    return None if segment is None else _segment_claims(segment)


def describe_token(claims: dict[str, Any]) -> dict[str, Any]:
    """Journal fields read from an access token's claims."""
    amr = claims.get("amr")
    user = claims.get("upn") or claims.get("preferred_username") or claims.get("unique_name")
    is_user = claims.get("idtyp") == "user" or "scp" in claims or user is not None
    aud = claims.get("aud")
    return {
        "client_id": _text(claims.get("appid") or claims.get("azp")),
        "tenant": _text(claims.get("tid")),
        "user": _text(user) if is_user else None,
        "token_kind": "user" if is_user else "app",
        "mfa": (isinstance(amr, list) and "mfa" in amr) if is_user else None,
        "audience": _text(aud),
    }


def _text(value: Any) -> str | None:
    return value[:256] if isinstance(value, str) else None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def _basic_client_id(authorization: str | None) -> str | None:
    if not authorization or authorization[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
    except (ValueError, binascii.Error):
        return None
    client_id, sep, _ = decoded.partition(":")
    return unquote_plus(client_id)[:256] if sep else None


class Pending:
    """A request as the middleware saw it, turned into a :class:`JournalEntry` only when read:
    recording stays a few slices and a dict, so a journal nobody reads costs almost nothing.

    It keeps no secret: the token form's ``grant_type``, ``client_id``, ``scope`` and
    ``resource`` only, the *claims* segment of a token (without its signature it
    authenticates nothing), and error bodies.
    """

    __slots__ = (
        "at",
        "kind",
        "method",
        "path",
        "raw_query",
        "status",
        "duration_ms",
        "form",
        "basic_client_id",
        "tenant",
        "claims_segment",
        "error_body",
        "_entry",
    )

    def __init__(self, at: float, kind: Kind, method: str, path: str, raw_query: bytes) -> None:
        self.at, self.kind, self.method, self.path = at, kind, method, path
        self.raw_query = raw_query
        self.status = 0
        self.duration_ms = 0.0
        #: The kept form fields, their values still urlencoded (decoded when read).
        self.form: dict[str, bytes] | None = None
        self.basic_client_id: str | None = None
        self.tenant: str | None = None
        self.claims_segment: bytes | None = None
        self.error_body: bytes | None = None
        self._entry: JournalEntry | None = None

    def entry(self) -> JournalEntry:
        if self._entry is None:
            self._entry = JournalEntry(
                at=self.at,
                kind=self.kind,
                method=self.method,
                path=self.path[:2048],
                query=redact_query(self.raw_query.decode("latin-1")),
                status=self.status,
                duration_ms=round(self.duration_ms, 3),
                **self._details(),
            )
        return self._entry

    def _details(self) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if self.kind == "token":
            form = {name: _form_value(raw) for name, raw in (self.form or {}).items()}
            fields["grant_type"] = _text(form.get("grant_type"))
            fields["scope"] = _text(form.get("scope") or form.get("resource"))
            fields["client_id"] = _text(form.get("client_id")) or self.basic_client_id
            fields["tenant"] = self.tenant
        claims = _segment_claims(self.claims_segment) if self.claims_segment else None
        if claims is not None and (self.kind == "api" or self.status == 200):
            described = describe_token(claims)
            described["client_id"] = described["client_id"] or fields.get("client_id")
            fields.update(described)
        if self.status >= 400:
            answer = _json(self.error_body or b"")
            codes = answer.get("error_codes")
            code = answer.get("code")
            if isinstance(codes, list) and codes and isinstance(codes[0], int):
                fields["error"] = f"AADSTS{codes[0]}"
            elif isinstance(code, (int, str)) and not isinstance(code, bool):
                fields["error"] = str(code)
            else:
                fields["error"] = str(self.status)
            fields["error_name"] = _text(answer.get("error"))
        return fields


def _segment_claims(segment: bytes) -> dict[str, Any] | None:
    if len(segment) > 16_384:
        return None
    try:
        decoded = json.loads(base64.urlsafe_b64decode(segment + b"=" * (-len(segment) % 4)))
    except (ValueError, binascii.Error, RecursionError):
        return None
    return decoded if isinstance(decoded, dict) else None


def _claims_segment(token: bytes) -> bytes | None:
    """The middle segment of a compact JWS (its claims), or None."""
    parts = token.strip().split(b".")
    return parts[1] if len(parts) == 3 else None


_ACCESS_TOKEN = b'"access_token":'


def _answer_claims(body: bytes) -> bytes | None:
    """The claims segment of the ``access_token`` in a token response, found without parsing
    the whole JSON (the emulator writes it compactly; anything else is simply not found)."""
    start = body.find(_ACCESS_TOKEN)
    if start < 0:
        return None
    start = body.find(b'"', start + len(_ACCESS_TOKEN))
    end = body.find(b'"', start + 1)
    return _claims_segment(body[start + 1 : end]) if start >= 0 and end > start else None


class JournalMiddleware:
    """Records each HTTP request in ``journal``; ``on_api_write`` is called for every
    Partner Center API request that may change data (POST, PATCH, PUT, DELETE), whether or not
    the journal is enabled, so a reset knows whether the data must be rebuilt."""

    def __init__(
        self,
        app: ASGIApp,
        journal: Journal,
        clock: Clock,
        on_api_write: Callable[[], None] | None = None,
    ) -> None:
        self.app = app
        self.journal = journal
        self.clock = clock
        self.on_api_write = on_api_write

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        method: str = scope.get("method", "GET")
        kind = classify(path)
        if kind == "api" and method in _WRITE_METHODS and self.on_api_write is not None:
            self.on_api_write()
        if not self.journal.enabled:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        pending = Pending(self.clock.now(), kind, method, path, scope.get("query_string", b""))
        token = kind == "token"
        request_body = bytearray()
        response_body = bytearray()
        if kind == "api":
            authorization = _header(scope, b"authorization") or ""
            if authorization[:7].lower() == "bearer ":
                pending.claims_segment = _claims_segment(authorization[7:].encode("latin-1"))
        elif token:
            pending.basic_client_id = _basic_client_id(_header(scope, b"authorization"))
            segments = path.strip("/").split("/")
            pending.tenant = _text(segments[0]) if len(segments) > 1 else None

        async def tee_receive() -> Message:
            message = await receive()
            if token and message.get("type") == "http.request":
                chunk = message.get("body", b"")
                if len(request_body) + len(chunk) <= MAX_CAPTURE_BYTES:
                    request_body.extend(chunk)
            return message

        recorded = False

        def finish() -> None:
            nonlocal recorded
            if recorded:
                return
            recorded = True
            pending.duration_ms = (time.perf_counter() - started) * 1000
            if token:
                # Only these fields of the form are kept: the rest may be secrets.
                pending.form = _kept_form_fields(bytes(request_body))
                if pending.status == 200:
                    pending.claims_segment = _answer_claims(bytes(response_body))
            if pending.status >= 400:
                pending.error_body = bytes(response_body[:4096])
            self.journal.record(pending)

        async def tee_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                pending.status = int(message["status"])
            elif message["type"] == "http.response.body":
                if token or pending.status >= 400:
                    chunk = message.get("body", b"")
                    if len(response_body) + len(chunk) <= MAX_CAPTURE_BYTES:
                        response_body.extend(chunk)
                if not message.get("more_body", False):
                    # Recorded before the last byte leaves: a client that has its answer can
                    # read the journal and find the request there.
                    finish()
            await send(message)

        # The fault layer inside drops a connection through uvicorn's request cycle, which it
        # finds as ``send.__self__``: the wrapper must keep showing it.
        owner = getattr(send, "__self__", None)
        if owner is not None:
            tee_send.__self__ = owner  # type: ignore[attr-defined]
        try:
            await self.app(scope, tee_receive, tee_send)
        finally:
            # A dropped connection (fault injection) still leaves an entry, with status 0,
            # once the server has noticed the disconnect.
            finish()


def _kept_form_fields(body: bytes) -> dict[str, bytes]:
    """The :data:`_KEPT_FORM_FIELDS` of a urlencoded body, values still encoded; no other
    value is even looked at.

    This runs on every token request, so it splits the body instead of decoding all of it
    with ``parse_qsl`` (which was half the journal's cost), and leaves decoding the values to
    :func:`_form_value`, when the entry is read. As with Starlette's form parsing, which the
    token endpoint uses, a repeated field's last value wins.
    """
    pairs = body.split(b"&")
    if len(pairs) > _MAX_FORM_FIELDS:
        return {}  # not a token form: the token endpoint refuses it too
    fields: dict[str, bytes] = {}
    for pair in pairs:
        raw_name, _, raw_value = pair.partition(b"=")
        if not raw_value:
            continue
        name = raw_name.decode("latin-1")
        if "%" in name or "+" in name:
            name = unquote_plus(name)
        if name in _KEPT_FORM_FIELDS:
            fields[name] = raw_value[:_MAX_KEPT_VALUE_BYTES]
    return fields


def _form_value(raw: bytes) -> str | None:
    """A urlencoded form value as text (``None`` if it is not UTF-8)."""
    try:
        value = raw.decode("utf-8")
        if "%" in value or "+" in value:
            value = unquote_plus(value, errors="strict")
    except UnicodeDecodeError:
        return None
    return value


def _json(body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}
