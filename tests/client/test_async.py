"""The async twin: the same flow under ``await`` (headers, retries, 401 refresh, both paging
styles, pre-flight refusals, fan-out with a concurrency bound)."""

from __future__ import annotations

import json
from typing import Any

import anyio
import httpx
import pytest

import partnercenter.aio as aio
from partnercenter import Timing
from partnercenter.errors import (
    AppUserRequiredError,
    ConfigurationError,
    MfaRequiredError,
    NotFoundError,
    ServerError,
    ThrottledError,
)

from .conftest import (
    CLIENT_ID,
    CUSTOMER,
    PARTNER,
    FakeApi,
    FakeClock,
    app_token,
    ok,
    pc_error,
    throttled,
    user_token,
)
from .helpers import async_client
from .test_paging import collection

pytestmark = pytest.mark.anyio


async def test_headers_and_retries(api: FakeApi, clock: FakeClock) -> None:
    api.replies = [ok(status=503), httpx.ConnectError("refused"), throttled(2), ok({"id": 1})]
    async with async_client(api, clock, application_name="app") as pc:
        assert await pc.get_customer(CUSTOMER) == {"id": 1}
    assert clock.sleeps == [0.375, 0.75, 2]
    assert len(set(api.ids())) == 1
    headers = api.requests[0].headers
    assert headers["MS-PartnerCenter-Application"] == "app"
    assert headers["MS-Contract-Version"] == "v1" and headers["X-Locale"] == "en-US"
    assert headers["MS-PartnerCenter-Client"].startswith("partnercenter-python/")


async def test_idempotent_post(api: FakeApi, clock: FakeClock) -> None:
    api.replies = [httpx.ReadError("reset"), ok({"id": "c"}, status=201)]
    async with async_client(api, clock) as pc:
        assert await pc.create_customer({"companyProfile": {}}) == {"id": "c"}
    assert len(set(api.ids())) == 1 and len(api.requests) == 2
    assert json.loads(api.requests[1].content) == {"companyProfile": {}}


async def test_errors(api: FakeApi, clock: FakeClock) -> None:
    api.replies = [pc_error(500, 500, "boom")]
    async with async_client(api, clock, deadline=1) as pc:
        with pytest.raises(ServerError):
            await pc.get_customer(CUSTOMER)
        api.replies = [throttled(90)]
        with pytest.raises(ThrottledError) as caught:
            await pc.get_customer(CUSTOMER)
    assert caught.value.retry_after == 90


async def test_401_refresh(api: FakeApi, clock: FakeClock) -> None:
    issued: list[str] = []

    async def token_endpoint(request: httpx.Request) -> httpx.Response:
        issued.append(app_token(marker=str(len(issued))))
        return httpx.Response(
            200, json={"token_type": "Bearer", "expires_in": 3600, "access_token": issued[-1]}
        )

    api.replies = [pc_error(401, 400, "Authentication failed."), ok({})]
    credential = aio.ClientSecretCredential(
        PARTNER,
        CLIENT_ID,
        "secret",
        transport=httpx.MockTransport(token_endpoint),
        timing=Timing(clock=clock),
    )
    async with credential, async_client(api, clock, credential=credential) as pc:
        await pc.get_customer(CUSTOMER)
    assert [r.headers["Authorization"] for r in api.requests] == [f"Bearer {t}" for t in issued]


async def test_both_paging_styles(api: FakeApi, clock: FakeClock) -> None:
    api.replies = [
        ok(collection([1, 2], "/invoices?size=2&offset=2")),
        ok(collection([3])),
        ok(collection(["a"], "/v1/customers?seekOperation=Next", token="t1")),
        ok(collection(["b"])),
    ]
    async with async_client(api, clock) as pc:
        assert await pc.list_invoices(size=2).collect() == [1, 2, 3]
        pages = [page async for page in pc.list_customers().pages()]
        assert "list_customers" in repr(pc.list_customers())
        api.replies = [ok(collection([9]))]
        assert (await pc.paginate("list_offers", params={"country": "US"}).first_page()).items == [
            9
        ]
    assert [p.items for p in pages] == [["a"], ["b"]]
    assert api.ids("MS-ContinuationToken")[2:4] == [None, "t1"]


async def test_preflight(api: FakeApi, clock: FakeClock) -> None:
    async with async_client(api, clock, app_token()) as pc:
        with pytest.raises(AppUserRequiredError):
            await pc.get_invoice("x")
        with pytest.raises(AppUserRequiredError):
            await pc.list_customer_users(CUSTOMER).collect()
    async with async_client(api, clock, user_token(amr=["pwd"])) as pc:
        with pytest.raises(MfaRequiredError):
            await pc.get_legal_business_profile()
    assert api.requests == []


async def test_domain_and_generic(api: FakeApi, clock: FakeClock) -> None:
    api.replies = [ok(status=404)]
    async with async_client(api, clock) as pc:
        assert await pc.check_domain_availability("free") is True
        api.replies = [ok({"x": 1})]
        response = await pc.request("GET", "/v1/customers/x")
        derived = pc.with_options(correlation_id="corr")
        await derived.request("get_customer", customer_id="x")
    assert response.body == {"x": 1}
    assert api.ids("MS-CorrelationId")[-1] == "corr"


async def test_map_concurrently(api: FakeApi, clock: FakeClock) -> None:
    running = peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await anyio.sleep(0.005)
        running -= 1
        customer = request.url.path.split("/")[3]
        if customer == "bad":
            return pc_error(404, 1000, "Customer 'bad' was not found.")
        return ok({"items": [customer]})

    ids = [f"c{n}" for n in range(10)] + ["bad"] + [f"c{n}" for n in range(10, 30)]
    pc = aio.AsyncPartnerClient(
        aio.AccessTokenCredential(app_token(), timing=Timing(clock=clock)),
        transport=httpx.MockTransport(handler),
        timing=Timing(clock=clock),
    )
    async with pc:

        async def subscriptions(cid: str) -> list[Any]:
            return await pc.list_subscriptions(cid).collect()

        outcomes = await pc.map_concurrently(subscriptions, ids, concurrency=5)
    assert peak == 5
    assert [o.item for o in outcomes] == ids
    assert [o.item for o in outcomes if not o.ok] == ["bad"]
    assert isinstance(outcomes[10].error, NotFoundError)
    assert outcomes[0].value == ["c0"]


async def test_map_concurrently_bug_cancels(api: FakeApi, clock: FakeClock) -> None:
    async def buggy(item: int) -> int:
        await anyio.sleep(0)
        if item == 2:
            raise KeyError("bug")
        return item

    async with async_client(api, clock) as pc:
        with pytest.raises(KeyError):
            await pc.map_concurrently(buggy, range(20), concurrency=3)
        assert await pc.map_concurrently(buggy, []) == []
        with pytest.raises(ConfigurationError):
            await pc.map_concurrently(buggy, [1], concurrency=-1)


async def test_close_owned_client_only(api: FakeApi, clock: FakeClock) -> None:
    async with httpx.AsyncClient(transport=api.async_transport) as http:
        pc = aio.AsyncPartnerClient(
            aio.AccessTokenCredential(app_token(), timing=Timing(clock=clock)),
            http_client=http,
            timing=Timing(clock=clock),
        )
        await pc.get_customer(CUSTOMER)
        await pc.close()
        assert not http.is_closed
    owned = async_client(api, clock)
    await owned.get_customer(CUSTOMER)
    inner = owned._http_client
    assert inner is not None
    await owned.close()
    assert inner.is_closed
    assert repr(owned).startswith("AsyncPartnerClient(cloud=Cloud.GLOBAL")
