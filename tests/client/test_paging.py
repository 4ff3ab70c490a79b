"""Both paging styles, links with or without /v1, absolute links, absent links, the body's
continuation token, loops, and the pure next-link reader."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from partnercenter._client.paging import NextPage, next_page
from partnercenter.errors import InvalidResponseError, NotFoundError

from . import flavours
from .conftest import API, FakeApi, FakeClock, ok
from .flavours import Flavour

flavour, anyio_backend = flavours.fixtures()
pytestmark = pytest.mark.anyio


def collection(
    items: list[Any], next_uri: str | None = None, token: str | None = None, **extra: Any
) -> dict[str, Any]:
    links: dict[str, Any] = {"self": {"uri": "/v1/x", "method": "GET", "headers": []}}
    if next_uri is not None:
        headers = [{"key": "MS-ContinuationToken", "value": token}] if token else []
        links["next"] = {"uri": next_uri, "method": "GET", "headers": headers}
    return {
        "totalCount": len(items),
        "items": items,
        "links": links,
        "attributes": {"objectType": "Collection"},
        **extra,
    }


async def test_offset_style(flavour: Flavour, api: FakeApi, clock: FakeClock) -> None:
    api.replies = [
        ok(collection([1, 2], "/invoices?size=2&offset=2")),
        ok(collection([3, 4], "invoices?size=2&offset=4")),
        ok(collection([5])),
    ]
    async with flavour.opened(flavour.client(api, clock)) as pc:
        assert await flavour(pc.list_invoices(size=2).collect()) == [1, 2, 3, 4, 5]
    urls = [str(r.url) for r in api.requests]
    assert urls == [
        f"{API}/v1/invoices?size=2",
        f"{API}/v1/invoices?size=2&offset=2",
        f"{API}/v1/invoices?size=2&offset=4",
    ]
    assert all("MS-ContinuationToken" not in r.headers for r in api.requests)


async def test_continuation_style(flavour: Flavour, api: FakeApi, clock: FakeClock) -> None:
    api.replies = [
        ok(collection(["a"], "/v1/customers?size=1&seekOperation=Next", token="t1")),
        ok(collection(["b"], "/v1/customers?size=1&seekOperation=Next", token="t2")),
        ok(collection(["c"])),
    ]
    async with flavour.opened(flavour.client(api, clock)) as pc:
        pages = await flavour.pages(pc.list_customers(size=1))
    assert [p.items for p in pages] == [["a"], ["b"], ["c"]]
    assert [p.continuation_token for p in pages] == ["t1", "t2", None]
    assert api.ids("MS-ContinuationToken") == [None, "t1", "t2"]
    assert api.requests[1].url.params["seekOperation"] == "Next"
    # One walk, one correlation id; every page its own request id.
    assert len(set(api.ids("MS-CorrelationId"))) == 1
    assert len(set(api.ids("MS-RequestId"))) == 3


async def test_body_continuation_token_when_headers_are_empty(
    flavour: Flavour, api: FakeApi, clock: FakeClock
) -> None:
    api.replies = [
        ok(collection([1], "/auditrecords?seekOperation=Next", continuationToken="body-token")),
        ok(collection([2])),
    ]
    async with flavour.opened(flavour.client(api, clock)) as pc:
        assert await flavour(pc.list_audit_records(start_date="2026-10-01").collect()) == [1, 2]
    assert api.ids("MS-ContinuationToken") == [None, "body-token"]
    assert api.requests[0].url.params["startDate"] == "2026-10-01"


async def test_absolute_links_never_leave_the_api_root(
    flavour: Flavour, api: FakeApi, clock: FakeClock
) -> None:
    api.replies = [
        ok(collection([1], "https://elsewhere.example/v1/customers?size=1&offset=1")),
        ok(collection([2])),
    ]
    async with flavour.opened(flavour.client(api, clock)) as pc:
        assert await flavour(pc.list_customers().collect()) == [1, 2]
    assert str(api.requests[1].url) == f"{API}/v1/customers?size=1&offset=1"


@pytest.mark.parametrize(
    "body",
    [
        {"totalCount": 1, "items": [1]},  # no links at all
        {"items": [1], "links": {"self": {"uri": "/x"}}},
        {"items": [1], "links": {"next": {"uri": ""}}},
        {"items": [1], "links": None},
        [1],  # a bare list
    ],
)
async def test_last_page_shapes(
    flavour: Flavour, api: FakeApi, clock: FakeClock, body: Any
) -> None:
    api.replies = [ok(body)]
    async with flavour.opened(flavour.client(api, clock)) as pc:
        assert await flavour(pc.list_orders("c").collect()) == [1]
    assert len(api.requests) == 1


async def test_a_link_that_loops_is_an_error(
    flavour: Flavour, api: FakeApi, clock: FakeClock
) -> None:
    api.replies = [ok(collection([1], "/customers?size=1&seekOperation=Next", token="same"))]
    async with flavour.opened(flavour.client(api, clock)) as pc:
        with pytest.raises(InvalidResponseError) as caught:
            await flavour(pc.list_customers().collect())
    assert "same next page twice" in str(caught.value)
    assert len(api.requests) == 2


async def test_pager_is_lazy_and_restartable(
    flavour: Flavour, api: FakeApi, clock: FakeClock
) -> None:
    api.replies = [ok(collection([1]))]
    async with flavour.opened(flavour.client(api, clock)) as pc:
        pager = pc.list_subscriptions("c")
        assert api.requests == []
        assert await flavour.items(pager) == [1]
        assert await flavour.items(pager) == [1]
        assert (await flavour(pager.first_page())).items == [1]
        assert "list_subscriptions" in repr(pager)
        assert repr(pager).startswith("Pager(" if flavour.sync else "AsyncPager(")
    assert len(api.requests) == 3


async def test_generic_paginate(flavour: Flavour, api: FakeApi, clock: FakeClock) -> None:
    api.replies = [ok(collection([1], "/offers?country=US&offset=1")), ok(collection([2]))]
    async with flavour.opened(flavour.client(api, clock)) as pc:
        pager = pc.paginate("list_offers", params={"country": "US"})
        assert await flavour(pager.collect()) == [1, 2]
        api.replies = [ok(collection([9]))]
        assert (await flavour(pager.first_page())).items == [9]
        api.replies = [ok(collection([3]))]
        assert await flavour(
            pc.paginate("GET", "/products", params={"country": "US"}).collect()
        ) == [3]
    assert api.requests[-1].url.path == "/v1/products"


async def test_an_error_on_a_later_page(flavour: Flavour, api: FakeApi, clock: FakeClock) -> None:
    api.replies = [
        ok(collection([1], "/invoices?offset=1")),
        httpx.Response(404, json={"code": 1000, "description": "gone"}),
    ]
    seen: list[Any] = []
    async with flavour.opened(flavour.client(api, clock)) as pc:
        with pytest.raises(NotFoundError):
            await flavour.items(pc.list_invoices(), into=seen)
    assert seen == [1]


@pytest.mark.parametrize(
    ("uri", "path"),
    [
        ("/invoices?size=2&offset=2", "/v1/invoices?size=2&offset=2"),
        ("invoices?offset=2", "/v1/invoices?offset=2"),
        ("/v1/customers?seekOperation=Next", "/v1/customers?seekOperation=Next"),
        ("/V1/customers", "/V1/customers"),
        (f"{API}/v1/customers?x=1", "/v1/customers?x=1"),
    ],
)
def test_next_page_paths(uri: str, path: str) -> None:
    body = {
        "links": {"next": {"uri": uri, "headers": [{"key": "ms-continuationtoken", "value": "v"}]}}
    }
    assert next_page(body, API) == NextPage(path, "GET", "v")


def test_next_page_ignores_other_headers() -> None:
    body = {
        "links": {
            "next": {
                "uri": "/x",
                "method": "post",
                "headers": [{"key": "Authorization", "value": "Bearer stolen"}, "junk", {}],
            }
        }
    }
    assert next_page(body, API) == NextPage("/v1/x", "POST", None)
