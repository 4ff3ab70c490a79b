"""A lean HTTP/1.1 keep-alive transport for httpx on asyncio, for large token fan-outs.

In the fan-out benchmark (docs/benchmarks.md) the client spent about two thirds of its CPU per
token inside httpcore: the anyio TLS stream, the h11 state machine, per-call cancel scopes and
the pool's bookkeeping, for a request of one small form and a response of one small JSON body.
This transport does only what a token endpoint needs: it writes the request in one go on
asyncio's own TLS transport, reads the head with one ``readuntil``, then the body by
``Content-Length`` or chunked encoding (RFC 9112 §6, §7.1), and keeps the connection open
unless either side said ``Connection: close``. Bodies are read whole (token responses are a
few kilobytes) and capped. It plugs in under ``httpx.AsyncClient`` (redirects, cookies,
decoding, timeouts as ``httpx`` exceptions stay httpx's), and runs on asyncio only:
:func:`~partnercenter.aio.fan_out_http_client` falls back to httpx's transports elsewhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import ssl
from dataclasses import dataclass, field
from typing import Final

import httpx

from .._credentials.arguments import check_verify

__all__ = ["Http11Transport"]

#: The longest response head accepted (status line and headers).
MAX_HEAD_BYTES: Final = 64 * 1024
#: The largest response body accepted: token responses are a few kilobytes.
MAX_BODY_BYTES: Final = 16 * 1024 * 1024
#: Bodies of these statuses, and of HEAD responses, are empty whatever the headers say.
_NO_BODY: Final = frozenset({204, 304})
_HEX_DIGITS: Final = b"0123456789abcdefABCDEF"
#: RFC 9110 §5.6.2 token characters (header names, methods).
_TOKEN: Final = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FORBIDDEN: Final = re.compile(rb"[\r\n\0]")
#: Interim (1xx) answers skipped before the real one, at most.
_MAX_INTERIM: Final = 16
#: How long closing a connection may wait for the peer's side of the TLS shutdown.
_CLOSE_WAIT: Final = 1.0


@dataclass(eq=False, slots=True)
class _Connection:
    origin: tuple[str, str, int]
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    def reusable(self) -> bool:
        # The server may have closed an idle connection (uvicorn after 5 s): its EOF is
        # already in the reader, so a stale connection is dropped before it is written to.
        # Bytes that arrived unasked (an unsolicited 408, a body longer than announced)
        # would be read as the next answer: such a connection is dropped too.
        return not self.reader.at_eof() and not self.writer.is_closing() and not self.unread()

    def unread(self) -> bool:
        # StreamReader offers no public count of buffered bytes; its buffer is stable.
        return bool(getattr(self.reader, "_buffer", b""))

    async def close(self) -> None:
        # Closing a TLS connection sends close_notify and then closes the socket; waiting for
        # it (briefly) keeps the socket from outliving the event loop.
        self.writer.close()
        with contextlib.suppress(Exception):
            async with asyncio.timeout(_CLOSE_WAIT):
                await self.writer.wait_closed()


@dataclass(slots=True)
class _Head:
    version: bytes
    status: int
    reason: bytes
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)

    def values(self, name: bytes) -> list[bytes]:
        return [value for key, value in self.headers if key.lower() == name]


def _timeout(request: httpx.Request, name: str) -> float | None:
    value = request.extensions.get("timeout", {}).get(name)
    return float(value) if value is not None else None


def ssl_context_for(verify: ssl.SSLContext | str | bool) -> ssl.SSLContext:
    """``verify`` as the credentials take it (a context, a CA file or directory, or a bool)
    as a context: ``True`` means httpx's default trust (certifi, or ``SSL_CERT_FILE`` /
    ``SSL_CERT_DIR``), so a credential trusts the same servers with or without this
    transport."""
    checked = check_verify(verify)
    context = checked if isinstance(checked, ssl.SSLContext) else httpx.create_ssl_context(checked)
    context.set_alpn_protocols(["http/1.1"])
    return context


class Http11Transport(httpx.AsyncBaseTransport):
    """At most ``connections`` HTTP/1.1 connections (plain or TLS), kept alive and reused."""

    def __init__(self, connections: int, verify: ssl.SSLContext | str | bool = True) -> None:
        self._ssl = ssl_context_for(verify)
        self._slots = asyncio.Semaphore(connections)
        self._idle: list[_Connection] = []
        self._open: set[_Connection] = set()
        #: Connections being closed in the background (each removes itself when done).
        self._closing: set[asyncio.Task[None]] = set()
        self._closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._closed:
            raise RuntimeError("the transport is closed")
        try:
            async with asyncio.timeout(_timeout(request, "pool")):
                await self._slots.acquire()
        except TimeoutError as exc:
            raise httpx.PoolTimeout("no connection became free in time", request=request) from exc
        try:
            connection = await self._connection(request)
            try:
                response, keep = await self._exchange(connection, request)
            except BaseException:
                self._discard(connection)
                raise
            if keep and not self._closed:
                self._idle.append(connection)
            else:
                self._discard(connection)
            return response
        finally:
            self._slots.release()

    async def aclose(self) -> None:
        self._closed = True
        for connection in list(self._open):
            self._discard(connection)
        self._idle.clear()
        if self._closing:
            await asyncio.wait(list(self._closing))

    # -- connections -------------------------------------------------------------------------

    async def _connection(self, request: httpx.Request) -> _Connection:
        url = request.url
        scheme = url.scheme
        if scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"{scheme!r} URLs are not supported", request=request)
        host = url.host
        port = url.port or (443 if scheme == "https" else 80)
        origin = (scheme, host, port)
        while self._idle:
            # Most recently used first: the likeliest to be still open.
            candidate = self._idle.pop()
            if candidate.origin == origin and candidate.reusable():
                return candidate
            self._discard(candidate)
        try:
            async with asyncio.timeout(_timeout(request, "connect")):
                reader, writer = await asyncio.open_connection(
                    host,
                    port,
                    ssl=self._ssl if scheme == "https" else None,
                    server_hostname=host if scheme == "https" else None,
                    limit=MAX_HEAD_BYTES,
                )
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(f"connecting to {host}:{port} timed out") from exc
        except (OSError, ssl.SSLError) as exc:
            raise httpx.ConnectError(f"cannot connect to {host}:{port}: {exc}") from exc
        connection = _Connection(origin, reader, writer)
        self._open.add(connection)
        return connection

    def _discard(self, connection: _Connection) -> None:
        self._open.discard(connection)
        task = asyncio.ensure_future(connection.close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    # -- one exchange ------------------------------------------------------------------------

    async def _exchange(
        self, connection: _Connection, request: httpx.Request
    ) -> tuple[httpx.Response, bool]:
        body = await request.aread()
        try:
            async with asyncio.timeout(_timeout(request, "write")):
                connection.writer.write(_encode_request(request, body))
                await connection.writer.drain()
        except TimeoutError as exc:
            raise httpx.WriteTimeout("sending the request timed out", request=request) from exc
        except (OSError, ssl.SSLError) as exc:
            raise httpx.WriteError(f"sending the request failed: {exc}", request=request) from exc
        try:
            async with asyncio.timeout(_timeout(request, "read")):
                head = await _read_head(connection.reader, request)
                content, reusable = await _read_body(connection.reader, request, head)
        except TimeoutError as exc:
            raise httpx.ReadTimeout("reading the response timed out", request=request) from exc
        except asyncio.LimitOverrunError as exc:
            raise httpx.RemoteProtocolError(
                "a line of the response is too long", request=request
            ) from exc
        except (OSError, ssl.SSLError) as exc:
            raise httpx.ReadError(f"reading the response failed: {exc}", request=request) from exc
        answered = head.values(b"connection")
        keep = (
            reusable
            and not _says_close(answered)
            and not _says_close(request.headers.get_list("connection"))
            # An HTTP/1.0 server keeps the connection only when it says so (RFC 9112 §9.3).
            and (head.version != b"HTTP/1.0" or _says(answered, "keep-alive"))
            and not connection.unread()
        )
        response = httpx.Response(
            head.status,
            headers=head.headers,
            stream=httpx.ByteStream(content),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": head.reason},
        )
        return response, keep


def _says_close(values: list[bytes] | list[str]) -> bool:
    return _says(values, "close")


def _says(values: list[bytes] | list[str], option: str) -> bool:
    for value in values:
        text = value.decode("latin-1") if isinstance(value, bytes) else value
        if option in (token.strip().lower() for token in text.split(",")):
            return True
    return False


def _encode_request(request: httpx.Request, body: bytes) -> bytes:
    target = request.url.raw_path
    method = request.method.encode("ascii")
    # CR, LF or NUL in the method, the target or a header would end the line early and let
    # a value smuggle in headers or a second request (RFC 9112 §2.2, §5): refused, as h11
    # does.
    if not _TOKEN.fullmatch(method) or _FORBIDDEN.search(target):
        raise httpx.LocalProtocolError("invalid request method or target", request=request)
    for name, value in request.headers.raw:
        if not _TOKEN.fullmatch(name) or _FORBIDDEN.search(value):
            raise httpx.LocalProtocolError(
                "a request header name or value holds a forbidden character", request=request
            )
    lines = [method + b" " + target + b" HTTP/1.1"]
    chunked = False
    for name, value in request.headers.raw:
        if name.lower() == b"transfer-encoding":
            # The body was read whole above: send it with a length instead.
            chunked = True
            continue
        lines.append(name + b": " + value)
    if chunked or (body and b"content-length" not in (n.lower() for n, _ in request.headers.raw)):
        lines.append(b"Content-Length: " + str(len(body)).encode("ascii"))
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


async def _read_head(reader: asyncio.StreamReader, request: httpx.Request) -> _Head:
    interim = 0
    while True:
        try:
            raw = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            raise httpx.RemoteProtocolError(
                "the server closed the connection without sending a response"
                if not exc.partial
                else "the server closed the connection in the middle of the response head",
                request=request,
            ) from exc
        except asyncio.LimitOverrunError as exc:
            raise httpx.RemoteProtocolError(
                f"the response head is longer than {MAX_HEAD_BYTES} bytes", request=request
            ) from exc
        head = _parse_head(raw, request)
        if head.status == 101:
            raise httpx.RemoteProtocolError(
                "the server switched protocols, which was not asked for", request=request
            )
        # 1xx interim responses (100 Continue, 103 Early Hints) precede the real one.
        if not 100 <= head.status < 200:
            return head
        interim += 1
        if interim > _MAX_INTERIM:
            raise httpx.RemoteProtocolError("too many interim (1xx) responses", request=request)


def _parse_head(raw: bytes, request: httpx.Request) -> _Head:
    lines = raw[:-4].split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise httpx.RemoteProtocolError("the response has no valid status line", request=request)
    status = int(parts[1])
    if not 100 <= status <= 999:
        raise httpx.RemoteProtocolError("the response has no valid status code", request=request)
    head = _Head(parts[0], status, parts[2] if len(parts) == 3 else b"")
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not name or name != name.strip() or line[:1] in (b" ", b"\t"):
            raise httpx.RemoteProtocolError("the response has a malformed header", request=request)
        head.headers.append((name, value.strip(b" \t")))
    return head


async def _read_body(
    reader: asyncio.StreamReader, request: httpx.Request, head: _Head
) -> tuple[bytes, bool]:
    """The body, framed as RFC 9112 §6.3 says, and whether the connection may carry another
    exchange (not after a body read to the end of the connection, nor after an ambiguous
    framing)."""
    if request.method == "HEAD" or head.status in _NO_BODY:
        return b"", True
    try:
        codings = [
            coding.strip().lower()
            for value in head.values(b"transfer-encoding")
            for coding in value.split(b",")
            if coding.strip()
        ]
        lengths = {value.strip() for value in head.values(b"content-length")}
        if codings and codings[-1] == b"chunked":
            # Transfer-Encoding beside Content-Length overrides it, but the connection is
            # not trusted with another exchange (§6.3 item 3).
            return await _read_chunked(reader, request), not lengths
        if not codings and lengths:
            if len(lengths) != 1 or not next(iter(lengths)).isdigit():
                raise httpx.RemoteProtocolError(
                    "the response has an invalid Content-Length", request=request
                )
            length = int(next(iter(lengths)))
            _check_size(length, request)
            return await reader.readexactly(length), True
        # No length, or a transfer coding other than chunked last: the body runs to the end
        # of the connection (§6.3 items 4 and 8).
        content = await reader.read(MAX_BODY_BYTES + 1)
        chunks = [content]
        size = len(content)
        while content:
            _check_size(size, request)
            content = await reader.read(MAX_BODY_BYTES + 1 - size)
            chunks.append(content)
            size += len(content)
        return b"".join(chunks), False
    except asyncio.IncompleteReadError as exc:
        raise httpx.RemoteProtocolError(
            "the server closed the connection in the middle of the response body", request=request
        ) from exc


async def _read_chunked(reader: asyncio.StreamReader, request: httpx.Request) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        try:
            line = await reader.readuntil(b"\r\n")
        except asyncio.LimitOverrunError as exc:
            raise httpx.RemoteProtocolError(
                "a chunk-size line is too long", request=request
            ) from exc
        text = line[:-2].split(b";", 1)[0].strip(b" \t")
        # int(..., 16) alone would also take "0x10", "+1" and "1_0".
        if not text or text.strip(_HEX_DIGITS) or len(text) > 16:
            raise httpx.RemoteProtocolError("a chunk size is not hexadecimal", request=request)
        length = int(text, 16)
        if length == 0:
            # Trailer fields, if any, end with an empty line.
            while (trailer := await reader.readuntil(b"\r\n")) != b"\r\n":
                size += len(trailer)
                _check_size(size, request)
            return b"".join(chunks)
        size += length
        _check_size(size, request)
        chunks.append(await reader.readexactly(length))
        if await reader.readexactly(2) != b"\r\n":
            raise httpx.RemoteProtocolError("a chunk does not end with CRLF", request=request)


def _check_size(size: int, request: httpx.Request) -> None:
    if size > MAX_BODY_BYTES:
        raise httpx.RemoteProtocolError(
            f"the response body is larger than {MAX_BODY_BYTES} bytes", request=request
        )
