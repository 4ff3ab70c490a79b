"""Connection limits on raw sockets: a head over 64 KB is refused with 431 before it is
buffered, and idle or half-sent connections are closed after the request timeout, while other
clients are served meanwhile."""

from __future__ import annotations

import logging
import socket
import ssl
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from partnercenter.emulator import Emulator, http_limits
from partnercenter.testing import EmulatorFactory

TIMEOUT = 1.5


# ``emu`` serves plain HTTP (raw sockets are simpler to read); ``emulator`` is the TLS one.
pytestmark = pytest.mark.partnercenter_data(None, tls=False, plugin_settings=False)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture()
def server_errors() -> Iterator[list[logging.LogRecord]]:
    """Errors uvicorn logs (an exception escaping the app is logged there, with traceback)."""
    handler = _Records()
    logger = logging.getLogger("uvicorn.error")
    logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)


@pytest.fixture()
def short_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http_limits, "REQUEST_TIMEOUT", TIMEOUT)


def connect(emu: Emulator) -> socket.socket:
    parts = urlsplit(emu.base_url)
    assert parts.hostname is not None and parts.port is not None
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    if parts.scheme == "https":
        context = ssl.create_default_context(cafile=emu.ca_cert)
        return context.wrap_socket(sock, server_hostname=parts.hostname)
    return sock


def read_all(sock: socket.socket) -> bytes:
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except (ConnectionResetError, ssl.SSLError, TimeoutError):
        pass
    return b"".join(chunks)


def send_header(sock: socket.socket, megabytes: int) -> tuple[int, bool]:
    """Send a request whose one header grows by 64 KB at a time; (bytes sent, refused)."""
    sock.sendall(b"GET /common/discovery/keys HTTP/1.1\r\nHost: x\r\nX-Big: ")
    sent = 0
    try:
        while sent < megabytes * 1024 * 1024:
            sock.sendall(b"a" * 65536)
            sent += 65536
    except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
        return sent, True
    return sent, False


@pytest.mark.parametrize("which", ["emu", "emulator"])
def test_a_header_over_64_kb_gets_431(which: str, request: pytest.FixtureRequest) -> None:
    emu: Emulator = request.getfixturevalue(which)
    with connect(emu) as sock:
        send_header(sock, 1)
        answer = read_all(sock)
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:100]
    assert b"request_header_fields_too_large" in answer


def test_a_100_mb_header_is_cut_off_not_buffered(emu: Emulator) -> None:
    with connect(emu) as sock:
        sent, refused = send_header(sock, 100)
    assert refused and sent < 8 * 1024 * 1024, sent
    with httpx.Client(base_url=emu.base_url) as web:  # and the server is fine
        assert web.get("/common/discovery/keys").status_code == 200


def test_a_head_just_under_the_limit_is_served(emu: Emulator) -> None:
    filler = "a" * (http_limits.MAX_HEAD_BYTES - 200)
    with httpx.Client(base_url=emu.base_url) as web:
        assert web.get("/common/discovery/keys", headers={"X-Fill": filler}).status_code == 200
        # Many requests on one keep-alive connection are not summed as one head.
        for _ in range(5):
            assert web.get("/common/discovery/keys", headers={"X-Fill": filler}).status_code == 200
        over = web.get("/common/discovery/keys", headers={"X-Fill": filler + "a" * 400})
    assert over.status_code == 431


def test_a_large_body_is_not_mistaken_for_a_head(emu: Emulator) -> None:
    tenant = emu.partner_tenant["id"]
    with httpx.Client(base_url=emu.base_url) as web:
        answer = web.post(
            f"/{tenant}/oauth2/v2.0/token",
            data={"grant_type": "client_credentials", "padding": "p" * 200_000},
        )
    assert answer.status_code == 400 and answer.json()["error"]  # the token endpoint's error


def test_idle_and_half_sent_connections_are_closed(
    emu: Emulator, short_timeout: None, server_errors: list[logging.LogRecord]
) -> None:
    idle = connect(emu)
    half_head = connect(emu)
    half_head.sendall(b"GET /common/discovery/keys HTTP/1.1\r\nHost: x\r\n")
    half_body = connect(emu)
    half_body.sendall(
        b"POST /common/oauth2/v2.0/token HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nab"
    )
    try:
        start = time.monotonic()
        # Meanwhile other clients are served.
        with httpx.Client(base_url=emu.base_url) as web:
            assert web.get("/common/discovery/keys").status_code == 200
        for sock in (idle, half_head, half_body):
            sock.settimeout(TIMEOUT + 5)
            read_all(sock)  # returns when the server closes
        waited = time.monotonic() - start
    finally:
        for sock in (idle, half_head, half_body):
            sock.close()
    assert waited < TIMEOUT + 4, waited
    time.sleep(0.2)
    assert not server_errors, [r.getMessage() for r in server_errors]  # no traceback logged


def test_the_same_limits_hold_on_uvicorns_h11_parser(
    pc_emulator_factory: EmulatorFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without httptools uvicorn parses with h11: the guard covers it the same way.
    monkeypatch.setattr(http_limits, "guarded_httptools", lambda: None)
    monkeypatch.setattr(http_limits, "REQUEST_TIMEOUT", TIMEOUT)
    # A private emulator: the parser is chosen when the server starts.
    with pc_emulator_factory.private(tls=False, plugin_settings=False) as emu:
        with connect(emu) as sock:
            send_header(sock, 1)
            assert read_all(sock).startswith(b"HTTP/1.1 431 ")
        filler = "a" * (http_limits.MAX_HEAD_BYTES - 200)
        with httpx.Client(base_url=emu.base_url) as web:
            for _ in range(3):
                answer = web.get("/common/discovery/keys", headers={"X-Fill": filler})
                assert answer.status_code == 200
        with connect(emu) as half:
            half.sendall(b"GET /common/discovery/keys HTTP/1.1\r\nHost: x\r\n")
            half.settimeout(TIMEOUT + 5)
            start = time.monotonic()
            read_all(half)
            assert time.monotonic() - start < TIMEOUT + 4
