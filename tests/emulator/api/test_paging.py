"""Both paging styles walked to the end, as a client following ``links.next`` would."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from partnercenter._contract.operations import OPERATIONS, Operation, Paging

from .pc import error
from .test_operations import CASES


def walk(pc: httpx.Client, uri: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every page of a collection, following ``links.next`` (URI plus its headers)."""
    pages = []
    response = pc.get(uri, params=params)
    while True:
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["attributes"]["objectType"] == "Collection"
        assert page["totalCount"] == len(page["items"])
        pages.append(page)
        following = page.get("links", {}).get("next")
        if following is None:
            return pages
        headers = {h["key"]: h["value"] for h in following["headers"]}
        assert following["method"] == "GET"
        # Links are relative to the versioned root; some already carry /v1, as in
        # Partner Center's examples (a client resolves both, see client/core.api_path).
        uri = following["uri"]
        response = pc.get(uri if uri.startswith("/v1/") else "/v1" + uri, headers=headers)


def test_continuation_paging_walks_every_customer(pc: httpx.Client) -> None:
    everything = pc.get("/v1/customers", params={"size": 1000}).json()
    assert "next" not in everything["links"]
    pages = walk(pc, "/v1/customers", {"size": 40})
    assert len(pages) == -(-everything["totalCount"] // 40)
    ids = [c["id"] for page in pages for c in page["items"]]
    assert ids == [c["id"] for c in everything["items"]]
    assert sum(page["totalCount"] for page in pages) == everything["totalCount"] == len(set(ids))
    first_next = pages[0]["links"]["next"]
    assert first_next["uri"] == "/v1/customers?size=40&seekOperation=Next"
    assert first_next["headers"][0]["key"] == "MS-ContinuationToken"
    assert pages[0]["links"]["self"]["uri"] == "/v1/customers?size=40"


def test_offset_paging_walks_every_invoice(pc: httpx.Client) -> None:
    everything = pc.get("/v1/invoices", params={"size": 1000}).json()
    pages = walk(pc, "/v1/invoices", {"size": 5})
    ids = [i["id"] for page in pages for i in page["items"]]
    assert ids == [i["id"] for i in everything["items"]]
    assert len(ids) == 24
    first_next = pages[0]["links"]["next"]
    assert first_next == {"uri": "/invoices?size=5&offset=5", "method": "GET", "headers": []}


def test_offset_paging_of_line_items_and_catalog(pc: httpx.Client, world: dict[str, Any]) -> None:
    uri = f"/v1/invoices/{world['invoice_id']}/lineitems"
    params = {"provider": "office", "invoicelineitemtype": "billinglineitems"}
    everything = pc.get(uri, params={**params, "size": 2000}).json()
    pages = walk(pc, uri, {**params, "size": 150})
    assert sum(p["totalCount"] for p in pages) == everything["totalCount"] > 150
    offers = walk(pc, "/v1/offers", {"country": "US", "size": 7})
    assert sum(p["totalCount"] for p in offers) == 20
    assert "country=US" in offers[0]["links"]["next"]["uri"]


def test_continuation_paging_of_audit_records_carries_a_body_token(pc: httpx.Client) -> None:
    pages = walk(pc, "/v1/auditrecords", {"size": 100, "startDate": "2026-08-01"})
    assert len(pages) > 1
    for page in pages[:-1]:
        token = page["links"]["next"]["headers"][0]["value"]
        assert page["continuationToken"] == token
    assert "continuationToken" not in pages[-1]
    records = [r for page in pages for r in page["items"]]
    assert all(r["operationDate"] >= "2026-08-01" for r in records)
    assert all(r["attributes"]["objectType"] == "AuditRecord" for r in records)


def test_filters_stay_with_the_walk(pc: httpx.Client) -> None:
    spec = '{"Field":"Domain","Value":"a","Operator":"starts_with"}'
    pages = walk(pc, "/v1/customers", {"size": 3, "filter": spec})
    domains = [c["companyProfile"]["domain"] for page in pages for c in page["items"]]
    assert domains and all(d.startswith("a") for d in domains)
    audit_filter = '{"Field":"ResourceType","Value":"order","Operator":"equals"}'
    records = walk(pc, "/v1/auditrecords", {"size": 50, "filter": audit_filter})
    assert all(r["resourceType"] == "order" for page in records for r in page["items"])


def test_continuation_token_must_match_the_query(pc: httpx.Client) -> None:
    page = pc.get("/v1/customers", params={"size": 5}).json()
    token = page["links"]["next"]["headers"][0]["value"]
    # The same token on another operation, or with another filter, is refused.
    response = pc.get(
        "/v1/auditrecords?size=5&seekOperation=Next", headers={"MS-ContinuationToken": token}
    )
    assert error(response) == (400, 3000)
    spec = '{"Field":"Domain","Value":"a","Operator":"starts_with"}'
    response = pc.get(
        "/v1/customers",
        params={"size": 5, "seekOperation": "Next", "filter": spec},
        headers={"MS-ContinuationToken": token},
    )
    assert error(response) == (400, 3000)


@pytest.mark.parametrize(
    "headers",
    [{}, {"MS-ContinuationToken": "garbage"}, {"MS-ContinuationToken": "AAAAAAAAAAAAAAAAAAAAAAAA"}],
)
def test_bad_continuation_is_400(pc: httpx.Client, headers: dict[str, str]) -> None:
    response = pc.get("/v1/customers?size=5&seekOperation=Next", headers=headers)
    assert error(response) == (400, 3000)


@pytest.mark.parametrize(
    "query",
    ["size=0", "size=-1", "size=abc", "size=100000", "offset=-3", "offset=x", "size=1e3"],
)
def test_bad_page_parameters_are_400(pc: httpx.Client, query: str) -> None:
    assert error(pc.get(f"/v1/invoices?{query}")) == (400, 3000)


def test_offset_past_the_end_is_an_empty_page(pc: httpx.Client) -> None:
    page = pc.get("/v1/invoices?size=5&offset=500").json()
    assert page["totalCount"] == 0 and page["items"] == [] and "next" not in page["links"]


def test_utilization_pages_by_continuation(pc: httpx.Client, world: dict[str, Any]) -> None:
    uri = (
        f"/v1/customers/{world['customer_id']}/subscriptions/{world['subscription_id']}"
        "/utilizations/azure"
    )
    params = {"start_time": "2026-09-01T00:00:00Z", "end_time": "2026-09-15T00:00:00Z", "size": 10}
    pages = walk(pc, uri, params)
    records = [r for page in pages for r in page["items"]]
    assert len(records) == 14 * 3
    assert pages[0]["continuationToken"]
    assert records[0]["attributes"]["objectType"] == "AzureUtilizationRecord"
    # Same query, same data: generated reproducibly.
    assert walk(pc, uri, params)[0]["items"] == pages[0]["items"]


PAGED = [op for op in OPERATIONS if op.paging is not Paging.NONE]


@pytest.mark.parametrize("op", PAGED, ids=[op.name for op in PAGED])
def test_every_paged_operation_walks_to_the_end(
    op: Operation, pc: httpx.Client, world: dict[str, Any]
) -> None:
    param_keys, query, _body, _status, _type = CASES[op.name]
    path = op.format_path(**{param: world[key] for param, key in param_keys.items()})
    base = {k: v for k, v in query.items() if k != "size"}
    everything = [item for page in walk(pc, path, {**base, "size": 1000}) for item in page["items"]]
    total = len(everything)
    assert total > 3
    size = max(1, total // 3)
    pages = walk(pc, path, {**base, "size": size})
    assert len(pages) == -(-total // size)
    assert sum(page["totalCount"] for page in pages) == total
    assert [item for page in pages for item in page["items"]] == everything
    following = pages[0]["links"]["next"]
    if op.paging is Paging.OFFSET:
        assert "offset=" in following["uri"] and following["headers"] == []
    else:
        assert "seekOperation=Next" in following["uri"]
        assert following["headers"][0]["key"] == "MS-ContinuationToken"


def test_head_on_a_get_operation_has_no_body(pc: httpx.Client) -> None:
    response = pc.head("/v1/invoices")
    assert response.status_code == 200 and response.content == b""
    assert response.headers["MS-RequestId"]
