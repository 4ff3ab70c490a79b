"""The proofs of issue 13 against the real emulator (TLS on loopback) and a real redis-server:
8 processes x 50 threads on a cold cache make exactly one token request, and one again after
expiry; 8 processes x 100 refresh-token redemptions keep the newest token and never redeem an
older one."""

from __future__ import annotations

import multiprocessing
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from partnercenter import RedisRefreshTokenStore
from partnercenter.emulator import Emulator

from . import fleet_workers
from .conftest import KEY, RedisServer
from .emulated import RedemptionLog, consent, emulator_now

PROCESSES = 8
THREADS = 50
ROUNDS = 100


@pytest.fixture(scope="module")
def pool() -> Iterator[Any]:
    with multiprocessing.get_context("spawn").Pool(PROCESSES) as workers:
        yield workers


def target(emu: Emulator, redis_server: RedisServer, app: str, prefix: str) -> Any:
    info = emu.app(app)
    return fleet_workers.Target(
        base_url=emu.base_url,
        ca_cert=emu.ca_cert,
        tenant=emu.partner_tenant["id"],
        client_id=info["client_id"],
        secret=info.get("client_secret"),
        redis_url=redis_server.url,
        prefix=prefix,
        key=KEY,
        clock_offset=emulator_now(emu) - time.time(),
    )


def client_credential_requests(emu: Emulator) -> int:
    return int(emu.stats()["token_requests"].get("client_credentials", 0))


def test_a_cold_fleet_makes_one_token_request_and_one_after_expiry(
    emu: Emulator, redis_server: RedisServer, prefix: str, pool: Any
) -> None:
    emu.reset_stats()
    fleet = target(emu, redis_server, "partner-center-app", prefix)
    start = time.time() + 1.0
    results = pool.starmap(fleet_workers.cold_start, [(fleet, THREADS, start + 2)] * PROCESSES)
    tokens = {token for batch in results for token in batch}
    assert sum(len(batch) for batch in results) == PROCESSES * THREADS
    assert len(tokens) == 1
    assert client_credential_requests(emu) == 1
    # The token expires (the emulator's clock, which the workers follow): one request again.
    emu.advance_clock(2 * 3600)
    try:
        later = target(emu, redis_server, "partner-center-app", prefix)
        results = pool.starmap(
            fleet_workers.cold_start, [(later, THREADS, time.time() + 2)] * PROCESSES
        )
        renewed = {token for batch in results for token in batch}
        assert len(renewed) == 1 and renewed != tokens
        assert client_credential_requests(emu) == 2
    finally:
        emu.reset_clock()


@pytest.mark.slow
def test_a_fleet_rotating_one_refresh_token_never_redeems_an_old_one(
    emu: Emulator, redis_server: RedisServer, prefix: str, pool: Any
) -> None:
    store = RedisRefreshTokenStore.from_url(redis_server.url, key=KEY, prefix=prefix)
    consent(emu, store)
    log = RedemptionLog(emu.state.signin.refresh_tokens)
    emu.state.signin.refresh_tokens = log
    fleet = target(emu, redis_server, "partner-center-cli", prefix)
    done = pool.starmap(fleet_workers.redeem_many, [(fleet, ROUNDS, time.time() + 2)] * PROCESSES)
    assert sum(done) == PROCESSES * ROUNDS
    assert len(log.redeemed) == PROCESSES * ROUNDS
    assert all(log.redeemed), f"{log.redeemed.count(False)} redemptions of a rotated token"
    stored = store.load("fleet")
    assert stored is not None and stored in log.newest.values()


def test_prefixes_keep_fleets_apart(redis_server: RedisServer) -> None:
    one = RedisRefreshTokenStore.from_url(redis_server.url, key=KEY, prefix=f"{uuid.uuid4()}:")
    two = RedisRefreshTokenStore.from_url(redis_server.url, key=KEY, prefix=f"{uuid.uuid4()}:")
    one.save("k", "rt-one")
    assert two.load("k") is None and one.load("k") == "rt-one"
