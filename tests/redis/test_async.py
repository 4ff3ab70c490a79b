"""The async twins against the emulator: one token request for many coroutines of two workers
(separate in-process tiers), rotation by concurrent async workers, and the fan-out over
customer tenants with its concurrency bound."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

import partnercenter.aio as aio
from partnercenter import MemoryRefreshTokenStore, RedisRefreshTokenStore
from partnercenter.emulator import Emulator
from partnercenter.errors import ConfigurationError, PartnerCenterError
from partnercenter.tokens import AccessToken

from ..emulator_support import cloud
from .conftest import KEY, RedisServer
from .emulated import RedemptionLog, consent

pytestmark = pytest.mark.anyio


def options(emu: Emulator) -> dict[str, Any]:
    return {"cloud": cloud(emu), "verify": emu.ca_cert}


async def test_coroutines_of_two_workers_make_one_token_request(
    emu: Emulator, redis_server: RedisServer, prefix: str
) -> None:
    emu.reset_stats()
    app = emu.app("partner-center-app")
    caches = [
        aio.RedisTokenCache.from_url(redis_server.url, key=KEY, prefix=prefix) for _ in range(2)
    ]
    credentials = [
        aio.ClientSecretCredential(
            emu.partner_tenant["id"],
            app["client_id"],
            app["client_secret"],
            cache=cache,
            **options(emu),
        )
        for cache in caches
    ]
    tokens: list[str] = []

    async def ask(credential: aio.ClientSecretCredential) -> None:
        tokens.append((await credential.get_token()).token)

    async with anyio.create_task_group() as group:
        for _ in range(25):
            for credential in credentials:
                group.start_soon(ask, credential)
    assert len(tokens) == 50 and len(set(tokens)) == 1
    assert emu.stats()["token_requests"].get("client_credentials") == 1
    for credential, cache in zip(credentials, caches, strict=True):
        await credential.close()
        await cache.aclose()


async def test_async_workers_rotate_without_redeeming_an_old_token(
    emu: Emulator, redis_server: RedisServer, prefix: str
) -> None:
    seed = aio.RedisRefreshTokenStore.from_url(redis_server.url, key=KEY, prefix=prefix)
    blocking_seed = RedisRefreshTokenStore.from_url(redis_server.url, key=KEY, prefix=prefix)
    await anyio.to_thread.run_sync(consent, emu, blocking_seed)
    log = RedemptionLog(emu.state.signin.refresh_tokens)
    emu.state.signin.refresh_tokens = log
    try:
        stores = [
            aio.RedisRefreshTokenStore.from_url(redis_server.url, key=KEY, prefix=prefix)
            for _ in range(4)
        ]
        workers = [
            aio.RefreshTokenCredential(
                emu.partner_tenant["id"],
                emu.app("partner-center-cli")["client_id"],
                store=store,
                store_key="fleet",
                **options(emu),
            )
            for store in stores
        ]

        async def rounds(credential: aio.RefreshTokenCredential) -> None:
            for _ in range(10):
                credential.cache.clear()
                await credential.get_token()

        async with anyio.create_task_group() as group:
            for worker in workers:
                group.start_soon(rounds, worker)
        assert len(log.redeemed) == 40 and all(log.redeemed)
        assert await seed.load("fleet") in log.newest.values()
        for worker, store in zip(workers, stores, strict=True):
            await worker.close()
            await store.aclose()
        await seed.aclose()
        blocking_seed.close()
    finally:
        emu.state.signin.refresh_tokens = dict(log)


class Counting:
    """An async credential wrapper that records the most requests in flight at once."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.in_flight = 0
        self.most = 0

    async def get_token(self, *scopes: str, tenant_id: str | None = None) -> AccessToken:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        try:
            await anyio.sleep(0.01)
            token: AccessToken = await self.inner.get_token(*scopes, tenant_id=tenant_id)
            return token
        finally:
            self.in_flight -= 1


async def test_fan_out_over_customer_tenants(emu: Emulator) -> None:
    store = MemoryRefreshTokenStore()
    await anyio.to_thread.run_sync(consent, emu, store)
    http = aio.fan_out_http_client(2, verify=emu.ca_cert)
    credential = aio.RefreshTokenCredential(
        emu.partner_tenant["id"],
        emu.app("partner-center-cli")["client_id"],
        store=store,
        store_key="fleet",
        cloud=cloud(emu),
        http_client=http,
    )
    # A partner user's refresh token redeems only where the partner holds delegated admin
    # (AADSTS90099 elsewhere): those tenants fail alone, beside an unknown tenant.
    customers = [t["id"] for t in emu.customer_tenants if t["delegated_admin"]]
    refused = [t["id"] for t in emu.customer_tenants if not t["delegated_admin"]]
    unknown = "11111111-2222-3333-4444-555555555555"
    try:
        counting = Counting(credential)
        result = await aio.tokens_for_tenants(
            counting, [*customers, unknown, *refused, *customers], concurrency=2
        )
        assert customers and refused
        assert set(result.tokens) == set(customers)
        assert all(result.tokens[c].tenant_id == c for c in customers)
        assert set(result.errors) == {unknown, *refused}
        assert counting.most == 2
        with pytest.raises(PartnerCenterError) as raised:
            result.raise_for_errors()
        assert raised.value in result.errors.values()
        with pytest.raises(ConfigurationError, match="concurrency"):
            await aio.tokens_for_tenants(credential, customers, concurrency=0)
        with pytest.raises(ConfigurationError, match="tenant_ids"):
            await aio.tokens_for_tenants(credential, "one-string")
        with pytest.raises(ConfigurationError, match="tenant_ids"):
            await aio.tokens_for_tenants(credential, ["", *customers])
        with pytest.raises(ConfigurationError, match="connections"):
            aio.fan_out_http_client(0)
    finally:
        await credential.close()
        await http.aclose()


async def test_an_async_credential_takes_a_blocking_redis_store(
    emu: Emulator, redis_server: RedisServer, prefix: str
) -> None:
    store = RedisRefreshTokenStore.from_url(redis_server.url, key=KEY, prefix=prefix)
    await anyio.to_thread.run_sync(consent, emu, store)
    first = store.load("fleet")
    credential = aio.RefreshTokenCredential(
        emu.partner_tenant["id"],
        emu.app("partner-center-cli")["client_id"],
        store=store,
        store_key="fleet",
        **options(emu),
    )
    assert (await credential.get_token()).is_app_and_user
    assert store.load("fleet") not in (None, first)  # rotated, through the rotation lock
    await credential.close()
    store.close()
