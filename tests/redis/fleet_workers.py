"""Child-process bodies of the fleet tests and benchmarks (a module, so spawned processes can
import them). Each process is one worker of a fleet: its own in-process tier, the shared Redis."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from partnercenter import (
    ClientSecretCredential,
    Cloud,
    RedisRefreshTokenStore,
    RedisTokenCache,
    RefreshTokenCredential,
    Timing,
)


@dataclass(frozen=True)
class Target:
    """What a worker needs to reach the emulator and Redis (picklable)."""

    base_url: str
    ca_cert: str | None
    tenant: str
    client_id: str
    secret: str | None
    redis_url: str | None
    prefix: str
    key: str
    #: The emulator's clock minus the real one (time travel reaches the workers' clocks too).
    clock_offset: float = 0.0

    def cloud(self) -> Cloud:
        return Cloud.custom(authority_host=self.base_url, api_root=self.base_url, name="emulator")

    def clock(self) -> float:
        return time.time() + self.clock_offset


def _wait(start_at: float) -> None:
    # Line the processes up, so their requests really overlap.
    while time.time() < start_at:
        time.sleep(0.001)


def cold_start(target: Target, threads: int, start_at: float) -> list[str]:
    """``threads`` threads of this process ask for the same app-only token at once; returns
    the tokens they got."""
    cache: Any = None
    if target.redis_url is not None:
        cache = RedisTokenCache.from_url(
            target.redis_url, key=target.key, prefix=target.prefix, clock=target.clock
        )
    credential = ClientSecretCredential(
        target.tenant,
        target.client_id,
        target.secret or "",
        cloud=target.cloud(),
        verify=target.ca_cert or True,
        cache=cache,
        timing=Timing(clock=target.clock),
    )
    tokens: list[str] = []
    barrier = threading.Barrier(threads)

    def run() -> None:
        barrier.wait()
        tokens.append(credential.get_token().token)

    _wait(start_at)
    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    credential.close()
    return tokens


def redeem_many(target: Target, rounds: int, start_at: float) -> int:
    """Redeem the fleet's shared refresh token ``rounds`` times (each a fresh access token,
    so each a rotation); returns how many succeeded."""
    assert target.redis_url is not None
    store = RedisRefreshTokenStore.from_url(
        target.redis_url, key=target.key, prefix=target.prefix, wait_timeout=60
    )
    credential = RefreshTokenCredential(
        target.tenant,
        target.client_id,
        store=store,
        store_key="fleet",
        cloud=target.cloud(),
        verify=target.ca_cert or True,
    )
    done = 0
    _wait(start_at)
    for _ in range(rounds):
        credential.cache.clear()  # a new access token each round: a redemption each
        credential.get_token()
        done += 1
    credential.close()
    store.close()
    return done
