"""A real redis-server for the Redis tests: started on a free loopback port, stopped after.

The session server is shared (each test uses its own key prefix); tests that stop, restart or
pause Redis make their own with ``redis_factory``. Without ``redis-server`` the tests skip,
except under CI (``CI`` set), where ``.ci/run`` installs it and a missing server fails.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from partnercenter.emulator import Emulator

REDIS_SERVER = shutil.which("redis-server") or shutil.which("valkey-server")
#: A key shared by every worker in these tests (base64url of 32 bytes).
KEY = "oD0ZjH6bU2mN8hVq3sXc5rT1yW7eK9aL4fG2pQ6dJ0s"


def free_port(below: int = 65536) -> int:
    """A free loopback port under ``below`` (a cluster node also needs port + 10000)."""
    for _ in range(200):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port < below:
            return port
    raise RuntimeError(f"no free port under {below}")


class RedisServer:
    """One redis-server process on loopback, with the controls the degraded-mode tests need."""

    def __init__(self, directory: Path, port: int | None = None, *extra: str) -> None:
        self.directory = directory
        self.port = port or free_port()
        self.extra = extra
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        assert REDIS_SERVER is not None
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.directory),
                "--enable-debug-command", "local",
                *self.extra,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.ping():
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGCONT)  # a paused server cannot exit
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def pause(self) -> None:
        """SIGSTOP: connections are accepted by the kernel, nothing is answered."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)


def _require_server() -> None:
    if REDIS_SERVER is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed (.ci/run installs Debian's redis-server)")
        pytest.skip("redis-server is not installed")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    _require_server()
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture()
def redis_factory(tmp_path: Path) -> Iterator[Callable[..., RedisServer]]:
    """Start private servers (stopped after the test), for tests that stop or pause one."""
    _require_server()
    started: list[RedisServer] = []

    def make(*extra: str, port: int | None = None) -> RedisServer:
        server = RedisServer(tmp_path / f"redis{len(started)}", port, *extra).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture()
def prefix() -> str:
    """A key prefix of this test's own on the shared server."""
    return f"test-{uuid.uuid4().hex[:12]}:"


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    config = {"settings": {"device_code_interval": 1}}
    with Emulator.start(state_dir=tmp_path_factory.mktemp("fleet"), config=config) as e:
        yield e


@pytest.fixture()
def anyio_backend() -> str:
    return "asyncio"
