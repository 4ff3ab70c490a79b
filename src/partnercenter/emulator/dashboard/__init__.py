"""``/_emulator/ui``: the emulator's dashboard (directory, grants, live log, decoder, controls).

Signed in with the admin key through a form (then an HttpOnly, ``SameSite=Strict`` session
cookie; the key never appears in a URL). Reads come from the emulator's state; every change
goes through the admin API itself (``/_emulator/faults``, ``/throttling``, ``/clock``...),
called in-process with the admin key by :func:`_forward`, so the dashboard can do nothing the
admin API cannot. The application factory adds :meth:`Dashboard.routes` to its own.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from ..identity.errors import JSON_UTF8
from ..jose import dumps
from ..state import EmulatorState
from . import live_log, views
from .decoder import decode
from .page import dashboard_page, login_page
from .sessions import COOKIE, CSRF_HEADER, SESSION_SECONDS, Session, Sessions, csrf_ok

PREFIX = "/_emulator/ui"
MAX_FORM_BYTES = 4096
MAX_JSON_BYTES = 64 * 1024
#: The admin calls the dashboard may make (never ``info``: it holds secrets).
_ALLOWED = (
    (re.compile(r"faults"), {"GET", "POST", "DELETE"}),
    (re.compile(r"throttling"), {"GET", "POST", "DELETE"}),
    (re.compile(r"clock"), {"GET", "POST"}),
    (re.compile(r"stats"), {"GET"}),
    (re.compile(r"stats/reset"), {"POST"}),
    (re.compile(r"keys/rotate"), {"POST"}),
    (re.compile(r"users/[^/]{1,256}/revoke"), {"POST"}),
)


def _headers(nonce: str | None = None) -> dict[str, str]:
    policy = (
        "default-src 'none'; connect-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )
    if nonce:
        policy += f"; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'"
    return {
        "Content-Security-Policy": policy,
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }


def _json(body: Any, status: int = 200) -> Response:
    return Response(dumps(body), status_code=status, media_type=JSON_UTF8, headers=_headers())


def _error(status: int, error: str, message: str) -> Response:
    return _json({"error": error, "message": message}, status)


class Dashboard:
    """The dashboard's routes; its live log reads the emulator's request journal."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self.sessions = Sessions()

    # -- wiring ----------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        return [
            Route(PREFIX, self.home, methods=["GET"]),
            Route(PREFIX + "/", self.home, methods=["GET"]),
            Route(PREFIX + "/login", self.login, methods=["POST"]),
            Route(PREFIX + "/logout", self.logout, methods=["POST"]),
            Route(PREFIX + "/log", self._api(self.log), methods=["GET"]),
            Route(PREFIX + "/decode", self._api(self.decode), methods=["POST"]),
            Route(
                PREFIX + "/admin/{rest:path}",
                self._api(self.forward),
                methods=["GET", "POST", "DELETE"],
            ),
        ]

    # -- pages -----------------------------------------------------------------------------
    def _session(self, request: Request) -> tuple[str | None, Session | None]:
        session_id = request.cookies.get(COOKIE)
        return session_id, self.sessions.get(session_id)

    async def home(self, request: Request) -> Response:
        nonce = secrets.token_urlsafe(16)
        _, session = self._session(request)
        if session is None:
            return HTMLResponse(login_page(nonce), headers=_headers(nonce))
        overview = {
            "now": self.state.clock.now(),
            "offset": self.state.clock.offset,
            "stats": self.state.stats.snapshot(),
        }
        page = dashboard_page(
            nonce,
            session.csrf,
            views.directory(self.state),
            views.grants(self.state),
            overview,
        )
        return HTMLResponse(page, headers=_headers(nonce))

    async def login(self, request: Request) -> Response:
        nonce = secrets.token_urlsafe(16)
        presented = _form_field(await _limited_body(request, MAX_FORM_BYTES), "admin_key")
        if presented is None or not secrets.compare_digest(
            presented.encode(), self.state.admin_key.encode()
        ):
            page = login_page(nonce, "That is not this emulator's admin key.")
            return HTMLResponse(page, status_code=401, headers=_headers(nonce))
        session_id, _ = self.sessions.open()
        response = RedirectResponse(PREFIX, status_code=303, headers=_headers())
        response.set_cookie(
            COOKIE,
            session_id,
            max_age=int(SESSION_SECONDS),
            path=PREFIX,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    async def logout(self, request: Request) -> Response:
        session_id, session = self._session(request)
        presented = _form_field(await _limited_body(request, MAX_FORM_BYTES), "csrf")
        if session is not None and csrf_ok(session, presented):
            self.sessions.close(session_id)
        response = RedirectResponse(PREFIX, status_code=303, headers=_headers())
        response.delete_cookie(COOKIE, path=PREFIX)
        return response

    # -- JSON calls of the page's script ---------------------------------------------------
    def _api(
        self, handler: Callable[[Request], Awaitable[Response]]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            _, session = self._session(request)
            if session is None:
                return _error(401, "unauthorized", "sign in at /_emulator/ui first")
            # Reads need the header too: a JSON answer is only for the page's own script.
            if not csrf_ok(session, request.headers.get(CSRF_HEADER)):
                return _error(403, "forbidden", "missing or wrong dashboard CSRF token")
            return await handler(request)

        return endpoint

    async def log(self, request: Request) -> Response:
        raw = request.query_params.get("after", "0")
        after = int(raw) if raw.isdigit() and len(raw) < 19 else 0
        journal = self.state.journal
        # ``last`` is read first, so an entry recorded meanwhile is shown twice, never skipped.
        last = journal.last_seq
        return _json({"entries": live_log.rows(journal, self.state.directory, after), "last": last})

    async def decode(self, request: Request) -> Response:
        body = await _json_body(request)
        if isinstance(body, Response):
            return body
        token = body.get("token")
        if not isinstance(token, str):
            return _error(400, "invalid_value", "send {'token': '<JWT>'}")
        return _json(decode(token, self.state.keys, self.state.clock.now()))

    async def forward(self, request: Request) -> Response:
        """Call the admin API in-process, with the admin key, for an allowed path."""
        rest = request.path_params["rest"]
        if not any(
            pattern.fullmatch(rest) and request.method in methods for pattern, methods in _ALLOWED
        ):
            return _error(404, "not_found", "the dashboard cannot make that admin call")
        body = await _limited_body(request, MAX_JSON_BYTES)
        if body is None:
            return _error(413, "too_large", "the request body is too large")
        return await _forward(request, self.state.admin_key, f"/_emulator/{rest}", body)


async def _limited_body(request: Request, limit: int) -> bytes | None:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    raw = await request.body()
    return raw if len(raw) <= limit else None


def _form_field(raw: bytes | None, name: str) -> str | None:
    """One field of a small urlencoded form (``None`` if absent, repeated or unreadable)."""
    if raw is None:
        return None
    try:
        values = parse_qs(raw.decode("utf-8"), max_num_fields=10).get(name)
    except (UnicodeDecodeError, ValueError):
        return None
    return values[0] if values and len(values) == 1 else None


async def _json_body(request: Request) -> dict[str, Any] | Response:
    raw = await _limited_body(request, MAX_JSON_BYTES)
    if raw is None:
        return _error(413, "too_large", "the request body is too large")
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError, RecursionError):
        return _error(400, "invalid_json", "the body must be a JSON object")
    if not isinstance(body, dict):
        return _error(400, "invalid_json", "the body must be a JSON object")
    return body


async def _forward(request: Request, admin_key: str, path: str, body: bytes) -> Response:
    """Run one admin API request through the application and return its answer."""
    scope = dict(request.scope)
    raw_path = path.encode("utf-8")
    scope.update(
        path=path,
        raw_path=raw_path,
        query_string=b"",
        root_path="",
        headers=[
            (b"host", request.headers.get("host", "localhost").encode("latin-1")),
            (b"authorization", f"Bearer {admin_key}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
    )
    scope.pop("path_params", None)
    scope.pop("endpoint", None)
    scope.pop("route", None)
    sent = False
    status = 500
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Any) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await request.app(scope, receive, send)
    return Response(b"".join(chunks), status_code=status, media_type=JSON_UTF8, headers=_headers())
