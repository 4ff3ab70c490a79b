"""The generic request(), the typed methods (each one a catalog operation), domain
availability, fan-out with per-item errors, credential handling and the invalidate() hook."""

from __future__ import annotations

import datetime as dt
import inspect
import json
import threading
import time
from typing import Any

import anyio
import httpx
import pytest

import partnercenter.aio as aio
from partnercenter import (
    AccessTokenCredential,
    ClientSecretCredential,
    MemoryTokenCache,
    PartnerClient,
    Timing,
)
from partnercenter._contract import operations
from partnercenter.client import ApiResponse
from partnercenter.errors import ConfigurationError, NotFoundError, PartnerCenterError

from . import flavours
from .conftest import (
    API,
    CLIENT_ID,
    CUSTOMER,
    PARTNER,
    FakeApi,
    FakeClock,
    app_token,
    ok,
    pc_error,
    user_token,
)
from .flavours import Flavour
from .helpers import client

flavour, anyio_backend = flavours.fixtures()
pytestmark = pytest.mark.anyio

TYPED = [
    name
    for name, member in inspect.getmembers(PartnerClient, inspect.isfunction)
    if name.startswith(("get_", "list_", "create_", "reset_", "check_", "checkout_"))
]


def test_every_typed_method_is_a_catalog_operation() -> None:
    assert len(TYPED) >= 20
    for name in TYPED:
        operations.get(name)  # KeyError if not
        assert getattr(PartnerClient, name).__doc__, name
        twin = getattr(aio.AsyncPartnerClient, name)
        assert inspect.signature(twin).parameters.keys() == (
            inspect.signature(getattr(PartnerClient, name)).parameters.keys()
        )


async def test_typed_calls(flavour: Flavour, api: FakeApi, clock: FakeClock) -> None:
    api.replies = [ok({"id": "x"})]
    async with flavour.opened(flavour.client(api, clock, user_token())) as pc:
        await flavour(pc.get_subscription(CUSTOMER, "sub/1"))
        await flavour(pc.create_customer_user(CUSTOMER, {"userPrincipalName": "a@b.c"}))
        await flavour(pc.reset_user_password(CUSTOMER, "u1", "N3w-Secret!"))
        await flavour(pc.get_invoice("G000123"))
        await flavour(
            pc.list_invoice_line_items(
                "G000123", provider="office", invoice_line_item_type="billinglineitems", size=10
            ).collect()
        )
        end_date = dt.datetime(2026, 10, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2)))
        await flavour(
            pc.list_audit_records(start_date=dt.date(2026, 10, 1), end_date=end_date).collect()
        )
        await flavour(pc.create_cart(CUSTOMER, {"lineItems": []}))
        await flavour(pc.checkout_cart(CUSTOMER, "cart-1"))
        await flavour(pc.create_order(CUSTOMER, {"lineItems": []}))
        await flavour(pc.get_order(CUSTOMER, "o1"))
        await flavour(pc.list_customer_users(CUSTOMER, size=5).collect())
    seen = [(r.method, r.url.raw_path.decode()) for r in api.requests]
    assert seen == [
        ("GET", f"/v1/customers/{CUSTOMER}/subscriptions/sub%2F1"),
        ("POST", f"/v1/customers/{CUSTOMER}/users"),
        ("PATCH", f"/v1/customers/{CUSTOMER}/users/u1"),
        ("GET", "/v1/invoices/G000123"),
        (
            "GET",
            "/v1/invoices/G000123/lineitems?provider=office&invoicelineitemtype=billinglineitems"
            "&size=10",
        ),
        ("GET", "/v1/auditrecords?startDate=2026-10-01&endDate=2026-10-02T01%3A04%3A05Z"),
        ("POST", f"/v1/customers/{CUSTOMER}/carts"),
        ("POST", f"/v1/customers/{CUSTOMER}/carts/cart-1/checkout"),
        ("POST", f"/v1/customers/{CUSTOMER}/orders"),
        ("GET", f"/v1/customers/{CUSTOMER}/orders/o1"),
        ("GET", f"/v1/customers/{CUSTOMER}/users?size=5"),
    ]
    assert json.loads(api.requests[2].content) == {
        "passwordProfile": {"password": "N3w-Secret!", "forceChangePassword": True},
        "attributes": {"objectType": "CustomerUser"},
    }
    assert api.requests[1].headers["Content-Type"] == "application/json"


async def test_domain_availability(flavour: Flavour, api: FakeApi, clock: FakeClock) -> None:
    async with flavour.opened(flavour.client(api, clock)) as pc:
        api.replies = [ok(status=404)]
        assert await flavour(pc.check_domain_availability("free-name")) is True
        api.replies = [ok(status=200)]
        assert await flavour(pc.check_domain_availability("taken-name")) is False
    assert api.requests[0].method == "HEAD"
    assert api.requests[0].url.path == "/v1/domains/free-name"


async def test_404_elsewhere_is_an_error(flavour: Flavour, api: FakeApi, clock: FakeClock) -> None:
    api.replies = [pc_error(404, 1000, "Customer 'x' was not found.")]
    async with flavour.opened(flavour.client(api, clock)) as pc:
        with pytest.raises(NotFoundError):
            await flavour(pc.get_customer("x"))


async def test_generic_request(flavour: Flavour, api: FakeApi, clock: FakeClock) -> None:
    api.replies = [ok({"id": "x"}, ETag='"e1"')]
    async with flavour.opened(flavour.client(api, clock)) as pc:
        response = await flavour(pc.request("get_customer", customer_id=CUSTOMER))
        await flavour(
            pc.request("get", f"customers/{CUSTOMER}", params={"a": 1, "b": None, "c": True})
        )
        await flavour(
            pc.request("PATCH", f"{API}/v1/customers/{CUSTOMER}/subscriptions/s", json={"q": 1})
        )
    assert isinstance(response, ApiResponse)
    assert response.body == {"id": "x"} and response.status == 200 and response.etag == '"e1"'
    assert response.attempts == 1 and response.request_id == api.ids()[0]
    assert str(api.requests[1].url) == f"{API}/v1/customers/{CUSTOMER}?a=1&c=true"
    assert api.requests[2].method == "PATCH"


@pytest.mark.parametrize(
    ("args", "kwargs", "argument"),
    [
        (("no_such_operation",), {}, "operation"),
        (("get_customer",), {}, "customer_id"),
        (("get_customer",), {"customer_id": ""}, "customer_id"),
        (("get_customer",), {"customer_id": "x", "size": "1"}, "size"),
        (("get_customer", "/v1/customers"), {}, "path"),
        (("GET",), {}, "path"),
        (("GET", "/v1/customers"), {"customer_id": "x"}, "customer_id"),
        (("GET", "https://evil.example/v1/customers"), {}, "path"),
        (("",), {}, "operation"),
    ],
)
async def test_bad_requests(
    flavour: Flavour,
    api: FakeApi,
    clock: FakeClock,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    argument: str,
) -> None:
    async with flavour.opened(flavour.client(api, clock)) as pc:
        with pytest.raises(ConfigurationError) as caught:
            await flavour(pc.request(*args, **kwargs))
    assert caught.value.argument == argument
    assert api.requests == []


@pytest.mark.parametrize(
    ("method", "args", "argument"),
    [
        ("list_customers", {"size": 0}, "size"),
        ("create_customer", {"customer": "not a dict"}, "customer"),
        ("list_audit_records", {"start_date": 20261001}, "start_date"),
    ],
)
async def test_bad_typed_arguments(
    flavour: Flavour,
    api: FakeApi,
    clock: FakeClock,
    method: str,
    args: dict[str, Any],
    argument: str,
) -> None:
    async with flavour.opened(flavour.client(api, clock)) as pc:
        with pytest.raises(ConfigurationError) as caught:
            await flavour(getattr(pc, method)(**args))
    assert caught.value.argument == argument


async def test_reset_password_needs_a_password(
    flavour: Flavour, api: FakeApi, clock: FakeClock
) -> None:
    async with flavour.opened(flavour.client(api, clock)) as pc:
        with pytest.raises(ConfigurationError):
            await flavour(pc.reset_user_password(CUSTOMER, "u", ""))


# -- fan-out ----------------------------------------------------------------------------------
async def test_map_concurrently(flavour: Flavour, api: FakeApi, clock: FakeClock) -> None:
    lock = threading.Lock()
    running = peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        await flavour.pause(0.01)
        with lock:
            running -= 1
        customer = request.url.path.split("/")[3]
        if customer.startswith("bad"):
            return pc_error(404, 1000, f"Customer '{customer}' was not found.")
        return ok({"items": [{"customer": customer}]})

    if flavour.sync:
        # The blocking client's transport calls the handler in its worker threads: each runs
        # the coroutine to its end (time.sleep inside: flavour.pause of the blocking flavour).
        transport = httpx.MockTransport(lambda request: anyio.run(handler, request))
    else:
        transport = httpx.MockTransport(handler)
    ids = [f"c{n}" for n in range(12)] + ["bad-1"] + [f"c{n}" for n in range(12, 20)]
    credential = flavour.lib.AccessTokenCredential(app_token(), timing=clock.timing())
    pc = flavour.client_class(credential, transport=transport, timing=clock.timing())
    async with flavour.opened(pc):
        outcomes = await flavour(
            pc.map_concurrently(
                lambda cid: pc.list_subscriptions(cid).collect(), ids, concurrency=4
            )
        )
    assert [o.item for o in outcomes] == ids
    assert 1 < peak <= 4
    if not flavour.sync:
        assert peak == 4  # tasks interleave deterministically at each await
    failed = [o for o in outcomes if not o.ok]
    assert [o.item for o in failed] == ["bad-1"]
    assert isinstance(failed[0].error, NotFoundError)
    with pytest.raises(NotFoundError):
        failed[0].unwrap()
    assert outcomes[0].unwrap() == [{"customer": "c0"}]


async def test_map_concurrently_raises_bugs(
    flavour: Flavour, api: FakeApi, clock: FakeClock
) -> None:
    def buggy(item: int) -> int:
        if item == 3:
            raise ZeroDivisionError("bug")
        return item

    async with flavour.opened(flavour.client(api, clock)) as pc:
        with pytest.raises(ZeroDivisionError):
            await flavour(pc.map_concurrently(flavour.fn(buggy), range(10), concurrency=2))
        assert await flavour(pc.map_concurrently(flavour.fn(buggy), [])) == []
        with pytest.raises(ConfigurationError):
            await flavour(pc.map_concurrently(flavour.fn(buggy), [1], concurrency=0))


async def test_outcome_catches_partner_center_errors_only(
    flavour: Flavour, api: FakeApi, clock: FakeClock
) -> None:
    def fails(item: int) -> int:
        raise PartnerCenterError("nope")

    async with flavour.opened(flavour.client(api, clock)) as pc:
        outcomes = await flavour(pc.map_concurrently(flavour.fn(fails), [1, 2]))
    assert [str(o.error) for o in outcomes] == ["nope", "nope"]


# -- credentials -----------------------------------------------------------------------------
def test_async_credential_is_refused(api: FakeApi, clock: FakeClock) -> None:
    credential = aio.AccessTokenCredential(app_token())
    with pytest.raises(ConfigurationError, match="AsyncPartnerClient"):
        PartnerClient(credential)
    with pytest.raises(ConfigurationError, match="AsyncPartnerClient"):
        aio.AsyncPartnerClient(AccessTokenCredential(app_token()))
    with pytest.raises(ConfigurationError):
        PartnerClient(object())


def test_azure_core_credentials_are_adapted(api: FakeApi, clock: FakeClock) -> None:
    class AzureLike:
        calls = 0

        def get_token(self, *scopes: str, **kwargs: Any) -> Any:
            AzureLike.calls += 1

            class Token:
                token = app_token(exp=2**31)
                expires_on = 2**31

            return Token()

    with client(api, clock, credential=AzureLike()) as pc:
        pc.get_customer(CUSTOMER)
        pc.get_customer(CUSTOMER)
        assert type(pc.credential).__name__ == "AzureCredentialAdapter"
    assert AzureLike.calls == 1  # behind this library's cache


def test_option_conflicts(api: FakeApi) -> None:
    with pytest.raises(ConfigurationError):
        PartnerClient(
            AccessTokenCredential(app_token()), transport=api.transport, http_client=httpx.Client()
        )
    with httpx.Client() as http, pytest.raises(ConfigurationError):
        PartnerClient(AccessTokenCredential(app_token()), http_client=http, verify=False)


async def test_given_http_client_is_not_closed(
    flavour: Flavour, api: FakeApi, clock: FakeClock
) -> None:
    async with flavour.opened(flavour.http_client(api)) as http:
        pc = flavour.client_class(
            flavour.lib.AccessTokenCredential(app_token(), timing=Timing(clock=clock)),
            http_client=http,
            timing=Timing(clock=clock),
        )
        async with flavour.opened(pc):
            await flavour(pc.get_customer(CUSTOMER))
        await flavour(pc.close())  # closing twice is harmless
        assert not http.is_closed


async def test_closing_the_client(flavour: Flavour, api: FakeApi, clock: FakeClock) -> None:
    pc = flavour.client(api, clock)
    await flavour(pc.get_customer(CUSTOMER))
    derived = pc.with_options(locale="de-DE")
    http = pc._http_client
    assert http is not None
    await flavour(derived.close())  # a derived client never closes the shared connections
    assert not http.is_closed
    await flavour(pc.close())
    await flavour(pc.close())
    assert http.is_closed
    assert repr(pc).startswith(f"{flavour.client_class.__name__}(cloud=Cloud.GLOBAL")


# -- invalidate() ----------------------------------------------------------------------------
def test_invalidate_drops_only_the_given_token(clock: FakeClock) -> None:
    issued: list[str] = []

    def token_endpoint(request: httpx.Request) -> httpx.Response:
        issued.append(app_token(marker=str(len(issued))))
        return httpx.Response(
            200, json={"token_type": "Bearer", "expires_in": 3600, "access_token": issued[-1]}
        )

    cache = MemoryTokenCache()
    credential = ClientSecretCredential(
        PARTNER,
        CLIENT_ID,
        "secret",
        transport=httpx.MockTransport(token_endpoint),
        timing=Timing(clock=clock),
        cache=cache,
    )
    with credential:
        first = credential.get_token()
        assert credential.invalidate(first) is True
        assert len(cache) == 0
        second = credential.get_token()
        assert second.token != first.token
        assert credential.invalidate(first) is False  # stale: the fresh one stays
        assert credential.get_token() is second
        assert credential.invalidate(second, tenant_id=CUSTOMER) is False  # another key
        # The default scope, named explicitly, is the same cache entry.
        assert credential.invalidate(second, "https://api.partnercenter.microsoft.com/.default")
        credential.get_token()
    assert len(issued) == 3


@pytest.mark.anyio
async def test_async_invalidate(clock: FakeClock) -> None:
    issued: list[str] = []

    async def token_endpoint(request: httpx.Request) -> httpx.Response:
        issued.append(app_token(marker=str(len(issued))))
        return httpx.Response(
            200, json={"token_type": "Bearer", "expires_in": 3600, "access_token": issued[-1]}
        )

    async with aio.ClientSecretCredential(
        PARTNER,
        CLIENT_ID,
        "secret",
        transport=httpx.MockTransport(token_endpoint),
        timing=Timing(clock=clock),
    ) as credential:
        first = await credential.get_token()
        assert credential.invalidate(first)
        assert (await credential.get_token()).token != first.token


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"headers": {"X-Mine": "ok\r\nInjected: 1"}}, "headers['X-Mine']"),
        ({"headers": {"Bad Name": "v"}}, "headers"),
        ({"headers": {"authorization": "Bearer other"}}, "headers['authorization']"),
        ({"headers": {"MS-RequestId": "mine"}}, "headers['MS-RequestId']"),
        ({"if_match": "é"}, "if_match"),
        ({"correlation_id": "two\nlines"}, "correlation_id"),
    ],
)
def test_header_values_are_checked(
    api: FakeApi, clock: FakeClock, kwargs: dict[str, Any], argument: str
) -> None:
    with client(api, clock) as pc, pytest.raises(ConfigurationError) as caught:
        pc.request("get_customer", customer_id=CUSTOMER, **kwargs)
    assert caught.value.argument == argument
    assert api.requests == []


def test_sleep_must_be_callable() -> None:

    from partnercenter import AccessTokenCredential, PartnerClient
    from partnercenter.errors import ConfigurationError

    credential = AccessTokenCredential("a.b.c", expires_on=time.time() + 3600)
    with pytest.raises(ConfigurationError, match="^sleep: must be callable"):
        Timing(sleep=3)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="^timing: must be a partnercenter.Timing"):
        PartnerClient(credential, timing=time.sleep)  # type: ignore[arg-type]
    # The deprecated spelling is checked before it is warned about.
    with pytest.raises(ConfigurationError, match="^sleep: must be callable"):
        PartnerClient(credential, sleep=3)  # type: ignore[arg-type]
