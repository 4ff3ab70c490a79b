"""The proofs of issue 13 against the real emulator (TLS on loopback) and a real redis-server:
8 processes x 50 threads on a cold cache make exactly one token request, and one again after
expiry; 8 processes x 100 refresh-token redemptions keep the newest token and never redeem an
older one."""

from __future__ import annotations

import multiprocessing
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from partnercenter import RedisRefreshTokenStore, secure_app_consent
from partnercenter.emulator import Emulator

from ..emulator_support import cloud
from ..signin.signin_pages import User, device_login
from . import fleet_workers
from .conftest import KEY, RedisServer

PROCESSES = 8
THREADS = 50
ROUNDS = 100
ADMIN = "admin@contosopartner.onmicrosoft.com"


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    config = {"settings": {"device_code_interval": 1}}
    with Emulator.start(state_dir=tmp_path_factory.mktemp("fleet"), config=config) as e:
        yield e


@pytest.fixture(scope="module")
def pool() -> Iterator[Any]:
    with multiprocessing.get_context("spawn").Pool(PROCESSES) as workers:
        yield workers


def emulator_now(emu: Emulator) -> float:
    return float(emu.state.clock.now())


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


class RedemptionLog(dict[str, Any]):
    """The emulator's refresh-token table, recording for each redemption whether the token
    redeemed was the newest of its family at that moment."""

    def __init__(self, base: dict[str, Any]) -> None:
        super().__init__(base)
        # Insertion order is issue order: the last token of each family is its newest.
        self.newest: dict[str, str] = {grant.family: token for token, grant in base.items()}
        self.redeemed: list[bool] = []
        self.lock = threading.Lock()

    def __setitem__(self, token: str, grant: Any) -> None:
        with self.lock:
            super().__setitem__(token, grant)
            self.newest[grant.family] = token

    def get(self, token: str, default: Any = None) -> Any:  # type: ignore[override]
        with self.lock:
            grant = super().get(token, default)
            if grant is not None:
                self.redeemed.append(self.newest.get(grant.family) == token)
            return grant


def consent(emu: Emulator, store: RedisRefreshTokenStore) -> None:
    """The one-time consent sign-in (device code, the user answering with form posts)."""
    person = User.of(next(u for u in emu.users if u["upn"] == ADMIN))

    def complete(code: Any) -> None:
        def sign_in() -> None:
            import httpx

            with httpx.Client(verify=emu.verify, timeout=10) as web:
                device_login(web, code.verification_uri, code.user_code, person, emulator_now(emu))

        threading.Thread(target=sign_in, daemon=True).start()

    secure_app_consent(
        emu.partner_tenant["id"],
        emu.app("partner-center-cli")["client_id"],
        store=store,
        store_key="fleet",
        method="device_code",
        prompt_callback=complete,
        cloud=cloud(emu),
        verify=emu.ca_cert,
    )


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
