"""The fan-out's lean HTTP/1.1 transport (``partnercenter.aio.http11``): against the real
emulator over TLS, and against a scripted loopback server for what the emulator never sends
(chunked bodies, interim responses, ``Connection: close``, broken and oversized answers)."""

from __future__ import annotations

import asyncio
import gzip
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

import partnercenter.aio as aio
from partnercenter.aio import http11
from partnercenter.aio.http11 import Http11Transport
from partnercenter.emulator import Emulator
from partnercenter.errors import ConfigurationError

from .emulated import cloud

pytestmark = pytest.mark.anyio


@pytest.fixture()
def anyio_backend() -> str:
    # The transport is asyncio's (fan_out_http_client uses httpx's pools on trio; see below).
    return "asyncio"


class HangUp(bytes):
    """Answer bytes after which the server closes the connection without saying so."""


class Script:
    """A loopback HTTP server that answers each request with the next scripted bytes."""

    def __init__(self, answers: list[bytes | None]) -> None:
        self.answers = answers
        self.requests: list[bytes] = []
        self.connections = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while self.answers:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                self.requests.append(head + await reader.readexactly(length))
                answer = self.answers.pop(0)
                if answer is None:  # hang up without answering
                    break
                writer.write(answer)
                await writer.drain()
                # An HTTP/1.0 body runs to the end of the connection.
                one_shot = answer.startswith(b"HTTP/1.0") and b"keep-alive" not in answer.lower()
                if isinstance(answer, HangUp) or one_shot:
                    break
                if b"connection: close" in answer.lower():
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def scripted(*answers: bytes | None) -> AsyncIterator[tuple[Script, str]]:
    script = Script(list(answers))
    server = await asyncio.start_server(script.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield script, f"http://127.0.0.1:{port}"
    finally:
        server.close()


def client(connections: int = 2, **options: float) -> httpx.AsyncClient:
    timeout = httpx.Timeout(options.pop("timeout", 5.0), pool=options.pop("pool", 5.0))
    return httpx.AsyncClient(transport=Http11Transport(connections, verify=False), timeout=timeout)


def ok(body: bytes, *extra: bytes) -> bytes:
    headers = b"".join(h + b"\r\n" for h in extra)
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), headers, body)


# -- against the emulator ----------------------------------------------------------------------


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_fan_out_client_gets_tokens_from_the_emulator(
    emu: Emulator, anyio_backend: str
) -> None:
    # The same client on both loops: the lean transport on asyncio, httpx's pools on trio.
    app = emu.app("partner-center-app")
    http = aio.fan_out_http_client(2, verify=emu.ca_cert)
    credential = aio.ClientSecretCredential(
        emu.partner_tenant["id"],
        app["client_id"],
        app["client_secret"],
        cloud=cloud(emu),
        http_client=http,
    )
    try:
        before = emu.stats()["token_requests"].get("client_credentials", 0)
        for tenant in [t["id"] for t in emu.customer_tenants[:4]]:
            token = await credential.get_token(tenant_id=tenant)
            assert token.tenant_id == tenant
        assert emu.stats()["token_requests"]["client_credentials"] - before == 4
    finally:
        await credential.close()
        await http.aclose()


async def test_tls_connections_are_kept_and_bounded(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = 0
    real = asyncio.open_connection

    async def counting(*args: object, **kwargs: object) -> object:
        nonlocal opened
        opened += 1
        return await real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(http11.asyncio, "open_connection", counting)
    url = f"{emu.base_url}/common/discovery/keys"
    async with httpx.AsyncClient(transport=Http11Transport(2, verify=emu.ca_cert)) as http:
        responses = await asyncio.gather(*(http.get(url) for _ in range(12)))
    assert {r.status_code for r in responses} == {200}
    assert all(r.json()["keys"] for r in responses)
    assert responses[0].http_version == "HTTP/1.1"
    assert opened == 2


async def test_a_bad_certificate_is_a_connect_error(emu: Emulator) -> None:
    async with httpx.AsyncClient(transport=Http11Transport(1, verify=True)) as http:
        with pytest.raises(httpx.ConnectError, match="cannot connect"):
            await http.get(f"{emu.base_url}/common/discovery/keys")


# -- against a scripted server -----------------------------------------------------------------


async def test_the_request_goes_out_whole() -> None:
    async with scripted(ok(b"{}")) as (script, base), client() as http:
        response = await http.post(f"{base}/t/oauth2/v2.0/token?x=1", data={"grant_type": "a b"})
    assert response.json() == {}
    head, _, body = script.requests[0].partition(b"\r\n\r\n")
    assert head.startswith(b"POST /t/oauth2/v2.0/token?x=1 HTTP/1.1\r\n")
    assert b"\r\nhost: 127.0.0.1:" in head.lower()
    assert body == b"grant_type=a+b"


async def test_a_streamed_request_body_is_sent_with_a_length() -> None:
    async def parts() -> AsyncIterator[bytes]:
        yield b"ab"
        yield b"cd"

    async with scripted(ok(b"done")) as (script, base), client() as http:
        response = await http.post(base, content=parts())
    assert response.text == "done"
    head, _, body = script.requests[0].partition(b"\r\n\r\n")
    assert b"transfer-encoding" not in head.lower()
    assert b"content-length: 4" in head.lower() and body == b"abcd"


async def test_chunked_bodies_with_extensions_and_trailers() -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;name=value\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nExpires: never\r\n\r\n"
    )
    async with scripted(chunked, ok(b"second")) as (script, base), client(1) as http:
        first = await http.get(base)
        second = await http.get(base)
    assert first.text == "hello world"
    assert second.text == "second"
    assert script.connections == 1  # the chunked answer ended cleanly: connection kept


@pytest.mark.parametrize(
    "size",
    [b"0x5", b"+5", b"5_0", b"", b"z", b"1" * 17],
    ids=["0x", "plus", "underscore", "empty", "letter", "long"],
)
async def test_bad_chunk_sizes_are_protocol_errors(size: bytes) -> None:
    answer = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + size + b"\r\nhello\r\n0\r\n\r\n"
    )
    async with scripted(answer) as (_, base), client() as http:
        with pytest.raises(httpx.RemoteProtocolError, match="chunk size"):
            await http.get(base)


async def test_interim_responses_are_skipped() -> None:
    answer = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" + ok(
        b"x"
    )
    async with scripted(answer) as (_, base), client() as http:
        response = await http.get(base)
    assert (response.status_code, response.text) == (200, "x")


async def test_connection_close_opens_a_new_connection() -> None:
    async with (
        scripted(ok(b"1", b"Connection: close"), ok(b"2")) as (script, base),
        client(1) as http,
    ):
        assert (await http.get(base)).text == "1"
        assert (await http.get(base)).text == "2"
    assert script.connections == 2


async def test_a_body_to_the_end_of_the_connection() -> None:
    async with scripted(b"HTTP/1.0 200 OK\r\n\r\nuntil close", ok(b"next")) as (script, base):
        async with client(1) as http:
            assert (await http.get(base)).text == "until close"
            assert (await http.get(base)).text == "next"
    assert script.connections == 2


async def test_head_and_no_content_have_no_body() -> None:
    no_content = b"HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n"
    async with scripted(ok(b""), no_content, ok(b"after")) as (script, base), client(1) as http:
        assert (await http.head(base)).content == b""
        assert (await http.get(base)).status_code == 204
        assert (await http.get(base)).text == "after"
    assert script.connections == 1


async def test_compressed_bodies_are_decoded_by_httpx() -> None:
    packed = gzip.compress(b'{"access_token": "x"}')
    async with scripted(ok(packed, b"Content-Encoding: gzip")) as (_, base), client() as http:
        assert (await http.get(base)).json() == {"access_token": "x"}


async def test_a_closed_idle_connection_is_not_reused() -> None:
    # The server hangs up after the first answer (as uvicorn does after 5 idle seconds).
    async with scripted(HangUp(ok(b"1")), ok(b"2")) as (script, base), client(1) as http:
        assert (await http.get(base)).text == "1"
        await asyncio.sleep(0.1)  # the server's EOF arrives while the connection is idle
        assert (await http.get(base)).text == "2"
    assert script.connections == 2


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (b"SPDY/3 200 OK\r\n\r\n", "status line"),
        (b"HTTP/1.1 2x0 OK\r\n\r\n", "status line"),
        (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "malformed header"),
        (b"HTTP/1.1 200 OK\r\n folded: x\r\n\r\n", "malformed header"),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
            "Content-Length",
        ),
        (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "Content-Length"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "middle of the response body"),
        (b"HTTP/1.1 200 OK\r\nContent", "middle of the response head"),
        (None, "without sending a response"),
    ],
)
async def test_broken_answers_are_protocol_errors(answer: bytes | None, message: str) -> None:
    async with scripted(None if answer is None else HangUp(answer)) as (_, base), client(1) as http:
        with pytest.raises(httpx.RemoteProtocolError, match=message):
            await http.get(base)


async def test_oversized_heads_and_bodies_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http11, "MAX_BODY_BYTES", 100)
    huge_head = b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * (http11.MAX_HEAD_BYTES + 10) + b"\r\n\r\n"
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"65\r\n"
        + b"a" * 101
        + b"\r\n0\r\n\r\n"
    )
    for answer, message in [
        (huge_head, "head is longer"),
        (ok(b"a" * 101), "body is larger"),
        (chunked, "body is larger"),
        (b"HTTP/1.0 200 OK\r\n\r\n" + b"a" * 101, "body is larger"),
    ]:
        async with scripted(HangUp(answer)) as (_, base), client(1) as http:
            with pytest.raises(httpx.RemoteProtocolError, match=message):
                await http.get(base)


async def test_timeouts_are_httpx_timeouts() -> None:
    done = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await done.wait()
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    base = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        async with client(1, timeout=0.2, pool=0.1) as http:
            with pytest.raises(httpx.ReadTimeout):
                await http.get(base)
            # One connection, busy: the second request waits for the pool and gives up.
            busy = asyncio.ensure_future(http.get(base))
            await asyncio.sleep(0.05)
            with pytest.raises(httpx.PoolTimeout):
                await http.get(base)
            with pytest.raises(httpx.ReadTimeout):
                await busy
    finally:
        done.set()
        server.close()
        await asyncio.sleep(0.05)  # the handlers close their sockets


async def test_refused_connections_and_other_schemes() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    async with client() as http:
        with pytest.raises(httpx.ConnectError, match=f"127.0.0.1:{port}"):
            await http.get(f"http://127.0.0.1:{port}/")
    transport = Http11Transport(1)
    with pytest.raises(httpx.UnsupportedProtocol):
        await transport.handle_async_request(httpx.Request("GET", "ftp://127.0.0.1/"))
    await transport.aclose()
    with pytest.raises(RuntimeError, match="closed"):
        await transport.handle_async_request(httpx.Request("GET", "http://127.0.0.1/"))


async def test_close_closes_every_connection() -> None:
    async with scripted(ok(b"1"), ok(b"2")) as (script, base):
        transport = Http11Transport(2, verify=False)
        async with httpx.AsyncClient(transport=transport) as http:
            await asyncio.gather(http.get(base), http.get(base))
        assert transport._open == set() and transport._idle == []
    assert script.connections >= 1


async def test_the_fan_out_client_keeps_cookies_only_when_set() -> None:
    # The fan-out client skips httpx's cookie extraction for answers without Set-Cookie; an
    # answer that sets one is still remembered and sent back.
    answers = (ok(b"plain"), ok(b"set", b"Set-Cookie: fpc=abc; Path=/"), ok(b"back"))
    async with scripted(*answers) as (script, base):
        http = aio.fan_out_http_client(1, verify=False)
        try:
            assert isinstance(http.cookies, httpx.Cookies)
            await http.get(base)
            assert not http.cookies
            await http.get(base)
            assert http.cookies.get("fpc") == "abc"
            await http.get(base)
        finally:
            await http.aclose()
    assert b"cookie: fpc=abc" in script.requests[2].lower()
    assert b"cookie:" not in script.requests[1].lower()


async def test_extra_bytes_after_a_body_close_the_connection() -> None:
    # Content-Length 2, three bytes sent: the "X" must not be read as the next answer.
    async with scripted(ok(b"ok") + b"X", ok(b"next")) as (script, base), client(1) as http:
        assert (await http.get(base)).text == "ok"
        assert (await http.get(base)).text == "next"
    assert script.connections == 2


@pytest.mark.parametrize(
    ("answer", "body"),
    [
        # Transfer-Encoding overrides Content-Length, and the connection is not reused.
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"2\r\nhi\r\n0\r\n\r\n",
            "hi",
        ),
        # A coding other than chunked last: the body runs to the end of the connection.
        (HangUp(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, identity\r\n\r\nraw"), "raw"),
        # HTTP/1.0 keeps a connection only when it says keep-alive.
        (b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi", "hi"),
    ],
    ids=["te-and-cl", "te-not-chunked-last", "http10"],
)
async def test_ambiguous_or_one_shot_framing_is_not_reused(answer: bytes, body: str) -> None:
    async with scripted(answer, ok(b"next")) as (script, base), client(1) as http:
        assert (await http.get(base)).text == body
        assert (await http.get(base)).text == "next"
    assert script.connections == 2


async def test_http10_keep_alive_is_honoured() -> None:
    answer = b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi"
    async with scripted(answer, ok(b"next")) as (script, base), client(1) as http:
        assert (await http.get(base)).text == "hi"
        assert (await http.get(base)).text == "next"
    assert script.connections == 1


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n", "switched protocols"),
        (b"HTTP/1.1 100 Continue\r\n\r\n" * 17 + ok(b"x"), "too many interim"),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: "
            + b"a" * (http11.MAX_HEAD_BYTES + 10)
            + b"\r\n\r\n",
            "too long",
        ),
    ],
    ids=["101", "interim-flood", "long-trailer"],
)
async def test_more_broken_answers_are_protocol_errors(answer: bytes, message: str) -> None:
    async with scripted(HangUp(answer)) as (_, base), client(1) as http:
        with pytest.raises(httpx.RemoteProtocolError, match=message):
            await http.get(base)


@pytest.mark.parametrize(
    "headers",
    [{"X-A": "v\r\nInjected: 1"}, {"X-A": "v\nGET / HTTP/1.1"}, {"X-A": "nul\0"}],
    ids=["crlf", "lf", "nul"],
)
async def test_header_injection_is_refused_before_sending(headers: dict[str, str]) -> None:
    async with scripted(ok(b"x")) as (script, base), client(1) as http:
        with pytest.raises(httpx.LocalProtocolError, match="forbidden character"):
            await http.get(base, headers=headers)
        assert (await http.get(base)).text == "x"  # nothing was sent: the answer is still there
    assert len(script.requests) == 1 and b"Injected" not in script.requests[0]


def test_verify_is_read_as_the_credentials_read_it(tmp_path: Path) -> None:
    import certifi

    default = http11.ssl_context_for(True)
    # True is httpx's default trust (certifi), not the operating system's store.
    assert default.cert_store_stats()["x509_ca"] > 0
    assert default.verify_mode == ssl.CERT_REQUIRED and certifi.where()
    assert http11.ssl_context_for(False).verify_mode == ssl.CERT_NONE
    # A CA directory is a capath, as for the credentials; a missing path names the argument.
    assert http11.ssl_context_for(str(tmp_path)).verify_mode == ssl.CERT_REQUIRED
    with pytest.raises(ConfigurationError, match="^verify: no CA file"):
        aio.fan_out_http_client(1, verify=str(tmp_path / "missing.pem"))
