"""A real redis-server for the Redis tests: started on a free loopback port, stopped after.

The session server is shared (each test uses its own key prefix); tests that stop, restart or
pause Redis make their own with ``redis_factory``. Without ``redis-server`` the tests skip,
except under CI (``CI`` set), where ``.ci/run`` installs it and a missing server fails.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ..redis_server import KEY, REDIS_SERVER, RedisServer, free_port, require_server

__all__ = ["KEY", "REDIS_SERVER", "RedisServer", "free_port"]


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    require_server()
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture()
def redis_factory(tmp_path: Path) -> Iterator[Callable[..., RedisServer]]:
    """Start private servers (stopped after the test), for tests that stop or pause one."""
    require_server()
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


@pytest.fixture()
def anyio_backend() -> str:
    return "asyncio"
