"""Connection-level limits for the emulator's HTTP server (uvicorn), against hostile clients.

* A request head (request line and headers) over ``MAX_HEAD_BYTES`` is answered 431 and the
  connection closed *before* it is buffered: the bytes are counted as they arrive, ahead of
  the HTTP parser, which would otherwise keep a 100 MB header whole.
* A request must arrive in full within ``REQUEST_TIMEOUT`` seconds of its first byte (and a
  new connection must start one within that time): idle and half-sent connections
  (slowloris) are closed. Idle keep-alive connections between requests are uvicorn's own
  ``timeout_keep_alive``.

Both of uvicorn's parsers are covered (httptools, its default when installed, and h11), so
the limits hold whichever one runs.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from starlette.requests import ClientDisconnect
from uvicorn.protocols.http.h11_impl import H11Protocol

MAX_HEAD_BYTES = 64 * 1024
REQUEST_TIMEOUT = 20.0
#: Seconds a refused connection gets to read its 431 before it is reset.
ABORT_AFTER_REFUSAL = 0.5
_HEAD_END = b"\r\n\r\n"
_TOO_LARGE_BODY = (
    b'{"error":"request_header_fields_too_large","error_description":'
    b'"The request line and headers exceed 65536 bytes."}'
)
TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"Content-Type: application/json; charset=utf-8\r\n"
    b"Connection: close\r\n"
    b"Content-Length: " + str(len(_TOO_LARGE_BODY)).encode() + b"\r\n\r\n" + _TOO_LARGE_BODY
)


class _Guard(asyncio.Protocol):
    """The shared logic: head byte counting and the request deadline.

    A mixin placed before uvicorn's protocol class (``class X(_Guard, H11Protocol)``): its
    ``super()`` calls reach that protocol, so both parsers get the same four hooks from here.
    """

    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._guard_init()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._guard_start()

    def connection_lost(self, exc: Exception | None) -> None:
        self._guard_lost()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refuse_head(data):
            return
        super().data_received(data)

    def _guard_init(self) -> None:
        self._reading_head = True
        self._head_bytes = 0
        self._tail = b""
        self._deadline: asyncio.TimerHandle | None = None
        self._refused = False

    def _guard_start(self) -> None:
        """A connection opened or a new request is due: arm the deadline now."""
        self._reading_head, self._head_bytes, self._tail = True, 0, b""
        self._arm()

    def _arm(self) -> None:
        if self._deadline is None:
            self._deadline = self.loop.call_later(REQUEST_TIMEOUT, self._expired)

    def _request_received(self) -> None:
        """The whole request is in: no deadline until the next one starts, and the next bytes
        are the next request's head."""
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._reading_head, self._head_bytes, self._tail = True, 0, b""

    def _head_done(self) -> None:
        self._reading_head, self._head_bytes, self._tail = False, 0, b""

    def _expired(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()

    def _refuse_head(self, data: bytes) -> bool:
        """True (and the 431 sent) when ``data`` takes the request head past the limit, or
        the connection was already refused (what follows is dropped unread)."""
        if self._refused:
            return True
        if not self._reading_head:
            return False
        self._arm()
        window = self._tail + data
        end = window.find(_HEAD_END)
        if end == -1:
            self._head_bytes += len(data)
            self._tail = window[-(len(_HEAD_END) - 1) :]
            too_large = self._head_bytes > MAX_HEAD_BYTES
        else:
            too_large = self._head_bytes + end - len(self._tail) + len(_HEAD_END) > MAX_HEAD_BYTES
            self._head_done()
        if too_large:
            self._request_received()
            self._reading_head = False
            self._refused = True
            if not self.transport.is_closing():
                self.transport.write(TOO_LARGE)
                self.transport.close()
                # A TLS close waits for the peer, which may keep sending: cut it off soon.
                self.loop.call_later(ABORT_AFTER_REFUSAL, self.transport.abort)
        return too_large

    def _guard_lost(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None


class GuardedH11Protocol(_Guard, H11Protocol):
    """uvicorn's h11 protocol with the limits above."""

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        # h11 has no "message complete" callback: its connection state says the request is in
        # (a refused head has already cleared the deadline, so it is not looked at again).
        if self._deadline is not None and self.conn.their_state in (
            h11.DONE,
            h11.MUST_CLOSE,
            h11.CLOSED,
            h11.ERROR,
        ):
            self._request_received()


def guarded_httptools() -> type[Any] | None:
    """uvicorn's httptools protocol with the limits above, or None without httptools."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:
        return None

    class GuardedHttpToolsProtocol(_Guard, HttpToolsProtocol):
        def on_headers_complete(self) -> None:
            self._head_done()
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self._request_received()
            super().on_message_complete()

    return GuardedHttpToolsProtocol


def http_protocol() -> type[Any]:
    """The guarded protocol class to give uvicorn (``Config(http=...)``)."""
    return guarded_httptools() or GuardedH11Protocol


class QuietDisconnects:
    """The outermost ASGI layer: a client that goes away mid-request (or is cut off by the
    request timeout) ends the request quietly. Starlette raises ``ClientDisconnect`` from a
    body read; there is nobody left to answer, and it is not a server fault to log as a
    traceback."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await self.app(scope, receive, send)
        except ClientDisconnect:
            return
