"""Degraded mode against the real emulator: Redis stopped mid-run and restarted, paused
(SIGSTOP), and busy (DEBUG SLEEP). Every token request succeeds, none waits much longer than
the configured timeout, the rotated refresh token reaches Redis once it is back, and the
degradation is logged once per interval, not per request."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import redis

from partnercenter import RedisRefreshTokenStore, RedisTokenCache, RefreshTokenCredential
from partnercenter.emulator import Emulator

from ..emulator_support import cloud
from .conftest import KEY, RedisServer
from .emulated import RedemptionLog, consent

TIMEOUT = 0.2
RETRY_INTERVAL = 0.3
#: A token request to the emulator plus a Redis timeout or two, with room for a loaded machine.
MAX_CALL_SECONDS = 3.0


class Fleet:
    """One worker: a refresh-token credential with both Redis pieces, on a private server."""

    def __init__(self, emu: Emulator, server: RedisServer, prefix: str) -> None:
        options = {
            "key": KEY,
            "prefix": prefix,
            "timeout": TIMEOUT,
            "retry_interval": RETRY_INTERVAL,
        }
        self.store = RedisRefreshTokenStore.from_url(server.url, **options)
        self.cache = RedisTokenCache.from_url(server.url, **options)
        consent(emu, self.store)
        self.credential = RefreshTokenCredential(
            emu.partner_tenant["id"],
            emu.app("partner-center-cli")["client_id"],
            store=self.store,
            store_key="fleet",
            cache=self.cache,
            cloud=cloud(emu),
            verify=emu.ca_cert,
        )
        self.slowest = 0.0
        self.calls = 0

    def round(self) -> None:
        """One request that misses the in-process tier, reaches Redis and (once the shared
        entry is refused) redeems the refresh token."""
        started = time.monotonic()
        token = self.credential.get_token()
        assert token.is_app_and_user
        self.credential.invalidate(token)  # as after a 401: the next round redeems again
        self.slowest = max(self.slowest, time.monotonic() - started)
        self.calls += 1

    def close(self) -> None:
        self.credential.close()
        self.cache.close()
        self.store.close()


@pytest.fixture()
def fleet(
    emu: Emulator, redis_factory: Callable[..., RedisServer], prefix: str
) -> Iterator[tuple[Fleet, RedisServer, RedemptionLog]]:
    server = redis_factory()
    log = RedemptionLog(emu.state.signin.refresh_tokens)
    emu.state.signin.refresh_tokens = log
    worker = Fleet(emu, server, prefix)
    yield worker, server, log
    worker.close()
    emu.state.signin.refresh_tokens = dict(log)


def test_redis_stopped_mid_run_and_restarted(
    fleet: tuple[Fleet, RedisServer, RedemptionLog], caplog: pytest.LogCaptureFixture
) -> None:
    worker, server, log = fleet
    caplog.set_level(logging.WARNING, "partnercenter.redis")
    for _ in range(5):
        worker.round()
    assert not worker.cache.degraded
    server.stop()
    for _ in range(10):
        worker.round()  # in-process tiers and direct requests
    assert worker.cache.degraded and worker.store.degraded
    server.start()  # the same port, empty (no persistence): as after a failover
    time.sleep(RETRY_INTERVAL * 1.5)
    for _ in range(5):
        worker.round()
    assert not worker.cache.degraded and not worker.store.degraded
    assert worker.slowest < MAX_CALL_SECONDS
    # The rotations made while Redis was away were written back: Redis has the newest token.
    stored = RedisRefreshTokenStore.from_url(
        server.url, key=KEY, prefix=worker.store.options.prefix
    )
    assert stored.load("fleet") == log.newest[next(reversed(log.newest))]
    assert all(log.redeemed)
    messages = [r.getMessage() for r in caplog.records]
    down = [m for m in messages if "unavailable" in m]
    # Once per interval for each piece, not once per request.
    assert 2 <= len(down) <= 2 * (1 + int(10 * MAX_CALL_SECONDS / RETRY_INTERVAL))
    assert len(down) < 2 * 10
    assert any("is back" in m for m in messages)
    # No secret in the logs: not the key, no token, no refresh token.
    text = "\n".join(messages)
    assert KEY not in text and "eyJ" not in text
    assert not any(token in text for token in log.newest.values())


def test_redis_paused(fleet: tuple[Fleet, RedisServer, RedemptionLog]) -> None:
    worker, server, _ = fleet
    worker.round()
    server.pause()  # SIGSTOP: connections open, nothing answers
    try:
        for _ in range(5):
            worker.round()
        assert worker.cache.degraded
    finally:
        server.resume()
    time.sleep(RETRY_INTERVAL * 1.5)
    worker.round()
    worker.round()
    assert not worker.cache.degraded
    assert worker.slowest < MAX_CALL_SECONDS


def test_redis_busy(
    fleet: tuple[Fleet, RedisServer, RedemptionLog], caplog: pytest.LogCaptureFixture
) -> None:
    worker, server, _ = fleet
    caplog.set_level(logging.WARNING, "partnercenter.redis")
    worker.round()
    busy = threading.Thread(
        target=lambda: redis.Redis.from_url(server.url).execute_command("DEBUG", "SLEEP", "2")
    )
    busy.start()
    time.sleep(0.1)
    deadline = time.monotonic() + 2.0  # the server sleeps 2 s: go on meanwhile
    while time.monotonic() < deadline:
        worker.round()
    busy.join(60)
    assert worker.calls > 2
    assert any("unavailable (TimeoutError)" in r.getMessage() for r in caplog.records)
    time.sleep(RETRY_INTERVAL * 1.5)
    worker.round()
    assert not worker.cache.degraded
    assert worker.slowest < MAX_CALL_SECONDS
