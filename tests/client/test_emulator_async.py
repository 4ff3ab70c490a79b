"""AsyncPartnerClient against the running emulator: both paging styles, fan-out across
customers with a concurrency bound, pre-flight refusals, retries of injected faults and
throttling, and an idempotent POST whose first answer is lost."""

from __future__ import annotations

import uuid
from typing import Any

import anyio
import httpx
import pytest

import partnercenter.aio as aio
from partnercenter import Timing
from partnercenter.emulator import Emulator
from partnercenter.errors import AppUserRequiredError, MfaRequiredError, NotFoundError

from ..emulator_support import new_customer
from .emulated import cloud, mint

pytestmark = pytest.mark.anyio


def user_client(emu: Emulator, **options: Any) -> aio.AsyncPartnerClient:
    mfa = options.pop("mfa", True)
    credential = aio.AccessTokenCredential(mint(emu, mfa=mfa))
    options.setdefault("verify", emu.ca_cert)
    return aio.AsyncPartnerClient(credential, cloud=cloud(emu), **options)


async def test_both_paging_styles(emu: Emulator) -> None:
    async with user_client(emu) as pc:
        everything = await pc.list_customers(size=1000).collect()
        pages = [page async for page in pc.list_customers(size=50).pages()]
        invoices = await pc.list_invoices(size=1000).collect()
        walked = [item async for item in pc.list_invoices(size=6)]
    assert [c["id"] for p in pages for c in p.items] == [c["id"] for c in everything]
    assert all(p.continuation_token for p in pages[:-1])
    assert [i["id"] for i in walked] == [i["id"] for i in invoices]


async def test_fan_out_across_customers(emu: Emulator) -> None:
    async with user_client(emu) as pc:
        customers = [c["id"] for c in (await pc.list_customers(size=40).first_page()).items]
        targets = customers + [str(uuid.uuid4())]

        async def subscriptions(cid: str) -> list[Any]:
            return await pc.list_subscriptions(cid).collect()

        outcomes = await pc.map_concurrently(subscriptions, targets, concurrency=8)
    assert [o.item for o in outcomes] == targets
    assert all(o.ok for o in outcomes[:-1]) and sum(len(o.value or []) for o in outcomes) > 40
    assert isinstance(outcomes[-1].error, NotFoundError)


async def test_preflight(emu: Emulator) -> None:
    app = emu.app("partner-center-app")
    before = emu.stats()["api_requests"]
    async with aio.ClientSecretCredential(
        emu.partner_tenant["id"],
        app["client_id"],
        app["client_secret"],
        cloud=cloud(emu),
        verify=emu.ca_cert,
    ) as credential:
        async with aio.AsyncPartnerClient(credential, verify=emu.ca_cert) as pc:
            with pytest.raises(AppUserRequiredError):
                await pc.get_organization_profile()
            assert (await pc.get_legal_business_profile())["attributes"]
    async with user_client(emu, mfa=False) as pc:
        with pytest.raises(MfaRequiredError):
            await pc.get_customer("x")
    assert emu.stats()["api_requests"] == before + 1


async def test_faults_and_throttling_recovered(clean: Emulator) -> None:
    emu = clean
    sleeps: list[float] = []

    async def travel(seconds: float) -> None:
        sleeps.append(seconds)
        await anyio.to_thread.run_sync(emu.advance_clock, seconds)

    async with user_client(emu, timing=Timing(async_sleep=travel)) as pc:
        await pc.get_legal_business_profile()
        await anyio.to_thread.run_sync(
            emu.admin, "POST", "faults", {"target": "api", "statuses": [500, 503], "count": 2}
        )
        assert (await pc.request("get_legal_business_profile")).attempts == 3
        await anyio.to_thread.run_sync(
            emu.admin, "POST", "faults", {"target": "api", "drop": True, "count": 1}
        )
        assert (await pc.request("get_legal_business_profile")).attempts == 2
        await anyio.to_thread.run_sync(emu.admin, "DELETE", "faults")
        await anyio.to_thread.run_sync(
            emu.admin, "POST", "throttling", {"rate_per_second": 1, "burst": 1}
        )
        for _ in range(3):
            await pc.get_legal_business_profile()
    assert 1 in sleeps


class LoseFirstAnswer(httpx.AsyncBaseTransport):
    def __init__(self, verify: Any) -> None:
        self.inner = httpx.AsyncHTTPTransport(verify=verify)
        self.lost = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST" and not self.lost:
            await response.aread()
            await response.aclose()
            self.lost += 1
            raise httpx.ReadError("connection lost before the answer arrived")
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_idempotent_post(emu: Emulator) -> None:
    transport = LoseFirstAnswer(emu.verify)
    async with user_client(emu, transport=transport, verify=None) as pc:
        before = len(await pc.list_customers(size=1000).collect())
        await pc.create_customer(new_customer())
        after = len(await pc.list_customers(size=1000).collect())
    assert transport.lost == 1 and after == before + 1
