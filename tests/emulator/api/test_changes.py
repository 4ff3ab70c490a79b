"""Creation, idempotent POST retries, ETags and the documented 400/404/409 errors."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from partnercenter.emulator import Emulator
from partnercenter.emulator.api.catalog_data import PRODUCTS, catalog_item_id

from ...emulator_support import agreement_body, cart_body, new_customer, new_user
from .pc import error


def _count(pc: httpx.Client) -> int:
    return int(pc.get("/v1/customers", params={"size": 1000}).json()["totalCount"])


def test_create_customer_then_domain_taken_and_409(pc: httpx.Client, world: dict[str, Any]) -> None:
    body = new_customer()
    domain = body["companyProfile"]["domain"]
    assert pc.head(f"/v1/domains/{domain}").status_code == 404
    created = pc.post("/v1/customers", json=body)
    assert created.status_code == 201
    customer = created.json()
    assert customer["companyProfile"]["domain"] == domain
    assert customer["userCredentials"]["userName"] == "admin"
    assert created.headers["Location"] == f"/v1/customers/{customer['id']}"
    head = pc.head(f"/v1/domains/{domain}")
    assert head.status_code == 200 and head.content == b""
    # A bare prefix means <prefix>.onmicrosoft.com.
    assert pc.head(f"/v1/domains/{domain.split('.')[0]}").status_code == 200
    assert pc.get(f"/v1/customers/{customer['id']}").json()["id"] == customer["id"]
    again = pc.post("/v1/customers", json=body)
    assert error(again) == (409, 3000)
    assert domain in again.json()["description"]
    # A directory tenant's domain is taken too.
    clash = new_customer()
    clash["companyProfile"]["domain"] = "fabrikam.onmicrosoft.com"
    assert error(pc.post("/v1/customers", json=clash)) == (409, 3000)


def test_repeated_post_with_the_same_request_id_creates_once(
    pc: httpx.Client, world: dict[str, Any]
) -> None:
    before = _count(pc)
    body = new_customer()
    headers = {"MS-RequestId": str(uuid.uuid4()), "MS-CorrelationId": str(uuid.uuid4())}
    first = pc.post("/v1/customers", json=body, headers=headers)
    retry_headers = {**headers, "MS-CorrelationId": str(uuid.uuid4())}
    second = pc.post("/v1/customers", json=body, headers=retry_headers)
    assert first.status_code == second.status_code == 201
    assert first.content == second.content
    assert second.headers["MS-RequestId"] == headers["MS-RequestId"]
    assert second.headers["MS-CorrelationId"] == retry_headers["MS-CorrelationId"]
    assert _count(pc) == before + 1
    # A new request id is a new call: this one conflicts.
    third = pc.post("/v1/customers", json=body, headers={"MS-RequestId": str(uuid.uuid4())})
    assert third.status_code == 409


def test_repeated_checkout_and_order_are_replayed(pc: httpx.Client, world: dict[str, Any]) -> None:
    cid = world["customer_id"]
    cart = pc.post(f"/v1/customers/{cid}/carts", json=cart_body()).json()
    headers = {"MS-RequestId": str(uuid.uuid4())}
    orders_before = len(pc.get(f"/v1/customers/{cid}/orders").json()["items"])
    subs_before = len(pc.get(f"/v1/customers/{cid}/subscriptions").json()["items"])
    first = pc.post(f"/v1/customers/{cid}/carts/{cart['id']}/checkout", headers=headers)
    second = pc.post(f"/v1/customers/{cid}/carts/{cart['id']}/checkout", headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert len(pc.get(f"/v1/customers/{cid}/orders").json()["items"]) == orders_before + 1
    subscriptions = pc.get(f"/v1/customers/{cid}/subscriptions").json()["items"]
    assert len(subscriptions) == subs_before + 1
    order = first.json()["orders"][0]
    assert pc.get(f"/v1/customers/{cid}/orders/{order['id']}").json()["id"] == order["id"]
    new_sub = order["lineItems"][0]["subscriptionId"]
    assert pc.get(f"/v1/customers/{cid}/subscriptions/{new_sub}").status_code == 200
    # Without the same request id, a second checkout of the cart is refused.
    again = pc.post(f"/v1/customers/{cid}/carts/{cart['id']}/checkout")
    assert error(again) == (400, 3000)


def test_user_create_and_password_reset_with_etags(pc: httpx.Client, world: dict[str, Any]) -> None:
    cid = world["customer_id"]
    body = new_user(world["customer_domain"])
    created = pc.post(f"/v1/customers/{cid}/users", json=body)
    assert created.status_code == 201
    user = created.json()
    assert "password" not in user.get("passwordProfile", {})
    assert error(pc.post(f"/v1/customers/{cid}/users", json=body)) == (409, 3000)
    tag = user["attributes"]["etag"]
    assert created.headers["ETag"] == f'"{tag}"'
    reset = {"passwordProfile": {"password": "N3w-Passw0rd!", "forceChangePassword": True}}
    path = f"/v1/customers/{cid}/users/{user['id']}"
    first = pc.patch(path, json=reset, headers={"If-Match": f'"{tag}"'})
    assert first.status_code == 200
    new_tag = first.json()["attributes"]["etag"]
    assert new_tag != tag and first.headers["ETag"] == f'"{new_tag}"'
    # The old ETag no longer matches: 400 / 2055.
    stale = pc.patch(path, json=reset, headers={"If-Match": f'"{tag}"'})
    assert error(stale) == (400, 2055)
    assert pc.patch(path, json=reset, headers={"If-Match": "*"}).status_code == 200
    assert pc.patch(path, json=reset).status_code == 200  # no If-Match: no check


def test_subscription_patch_uses_etags(pc: httpx.Client, world: dict[str, Any]) -> None:
    path = f"/v1/customers/{world['customer_id']}/subscriptions/{world['license_subscription_id']}"
    current = pc.get(path)
    tag = current.json()["attributes"]["etag"]
    assert current.headers["ETag"] == f'"{tag}"'
    quantity = current.json()["quantity"] + 1
    changed = pc.patch(path, json={"quantity": quantity}, headers={"If-Match": tag})
    assert changed.status_code == 200 and changed.json()["quantity"] == quantity
    stale = pc.patch(path, json={"quantity": quantity + 1}, headers={"If-Match": f'"{tag}"'})
    assert error(stale) == (400, 2055)
    assert pc.get(path).json()["quantity"] == quantity


@pytest.mark.parametrize(
    "path",
    [
        "/v1/customers/00000000-0000-0000-0000-000000000000",
        "/v1/customers/not-a-guid/subscriptions",
        "/v1/invoices/G999999999",
        "/v1/servicerequests/1",
        "/v1/products/NOPE/skus",
        "/v1/nothing/here",
        "/v1",
    ],
)
def test_unknown_ids_are_404_1000(pc: httpx.Client, path: str) -> None:
    assert error(pc.get(path)) == (404, 1000)


def test_unknown_sub_resources_are_404(pc: httpx.Client, world: dict[str, Any]) -> None:
    cid = world["customer_id"]
    for path in (
        f"/v1/customers/{cid}/subscriptions/{uuid.uuid4()}",
        f"/v1/customers/{cid}/orders/{uuid.uuid4()}",
    ):
        assert error(pc.get(path)) == (404, 1000)
    missing_user = pc.patch(f"/v1/customers/{cid}/users/{uuid.uuid4()}", json={"displayName": "x"})
    assert error(missing_user) == (404, 1000)
    assert error(pc.post(f"/v1/customers/{cid}/carts/{uuid.uuid4()}/checkout")) == (404, 1000)


def test_wrong_method_is_405(pc: httpx.Client) -> None:
    response = pc.delete("/v1/invoices")
    status, code = error(response)
    assert status == 405 and "GET" in response.headers["Allow"]


def _mutate(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    target = body
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[keys[-1]]
    else:
        target[keys[-1]] = value
    return body


_DELETE = object()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("companyProfile.domain", _DELETE),
        ("companyProfile.domain", "bad domain!.onmicrosoft.com"),
        ("companyProfile.domain", 42),
        ("billingProfile.email", "not-an-email"),
        ("billingProfile.defaultAddress.country", "USA"),
        ("billingProfile.defaultAddress", "nowhere"),
        ("billingProfile.companyName", ""),
        ("billingProfile", _DELETE),
    ],
)
def test_invalid_customer_properties_are_400_3000(
    pc: httpx.Client, world: dict[str, Any], field: str, value: Any
) -> None:
    body = _mutate(new_customer(), field, value)
    assert error(pc.post("/v1/customers", json=body)) == (400, 3000)


@pytest.mark.parametrize(
    ("path_kind", "body"),
    [
        (
            "users",
            {"userPrincipalName": "x@elsewhere.com", "displayName": "X", "usageLocation": "US"},
        ),
        ("users", "not an object"),
        ("carts", {"lineItems": []}),
        ("carts", {"lineItems": [{"catalogItemId": "NOPE:0001:X", "quantity": 1}]}),
        (
            "carts",
            {"lineItems": [{"catalogItemId": catalog_item_id(PRODUCTS[1], "0001"), "quantity": 0}]},
        ),
        ("orders", {"lineItems": [{"offerId": "nope", "quantity": 1}]}),
        ("agreements", {"templateId": "nope"}),
    ],
)
def test_invalid_bodies_are_400_3000(
    pc: httpx.Client, world: dict[str, Any], path_kind: str, body: Any
) -> None:
    response = pc.post(f"/v1/customers/{world['customer_id']}/{path_kind}", json=body)
    assert error(response) == (400, 3000)


def test_weak_password_and_bad_json_are_400(pc: httpx.Client, world: dict[str, Any]) -> None:
    cid = world["customer_id"]
    weak = new_user(world["customer_domain"])
    weak["passwordProfile"]["password"] = "short"
    assert error(pc.post(f"/v1/customers/{cid}/users", json=weak)) == (400, 3000)
    raw = pc.post(
        f"/v1/customers/{cid}/users",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert error(raw) == (400, 3000)


def test_lone_surrogates_in_bodies_are_400(pc: httpx.Client, world: dict[str, Any]) -> None:
    body = b'{"displayName": "\\ud800", "usageLocation": "US"}'
    response = pc.patch(
        f"/v1/customers/{world['customer_id']}/users/{world['user_id']}", content=body
    )
    assert error(response) == (400, 3000)
    response = pc.patch(
        f"/v1/customers/{world['customer_id']}/users/{world['user_id']}",
        content=b'{"displayName": NaN}',
    )
    assert error(response) == (400, 3000)


def test_agreement_creation_is_listed(pc: httpx.Client, world: dict[str, Any]) -> None:
    cid = world["customer_id"]
    before = len(pc.get(f"/v1/customers/{cid}/agreements").json()["items"])
    assert pc.post(f"/v1/customers/{cid}/agreements", json=agreement_body()).status_code == 201
    assert len(pc.get(f"/v1/customers/{cid}/agreements").json()["items"]) == before + 1


def test_changes_are_audited(pc: httpx.Client, world: dict[str, Any]) -> None:
    body = new_customer()
    request_id = str(uuid.uuid4())
    created = pc.post("/v1/customers", json=body, headers={"MS-RequestId": request_id}).json()
    spec = f'{{"Field":"CustomerId","Value":"{created["id"]}","Operator":"equals"}}'
    records = pc.get("/v1/auditrecords", params={"filter": spec}).json()["items"]
    assert [r["operationType"] for r in records] == ["create_customer"]
    assert records[0]["originatingRequestId"] == request_id


def test_query_parameter_validation(pc: httpx.Client, world: dict[str, Any]) -> None:
    cid, sid = world["customer_id"], world["subscription_id"]
    bad = [
        "/v1/offers?country=ZZ",
        "/v1/products?targetView=Nope",
        "/v1/auditrecords?startDate=yesterday",
        "/v1/auditrecords?startDate=2026-10-02&endDate=2026-10-01",
        '/v1/customers?filter={"Field":"Nope","Value":"a","Operator":"starts_with"}',
        "/v1/customers?filter=notjson",
        "/v1/relationships",
        "/v1/relationships?relationship_type=Other",
        "/v1/agreements?agreementType=Other",
        f"/v1/invoices/{world['invoice_id']}/lineitems?provider=nope",
        f"/v1/invoices/{world['invoice_id']}/lineitems?provider=office&invoicelineitemtype=usagelineitems",
        f"/v1/customers/{cid}/subscriptions/{sid}/utilizations/azure",
        f"/v1/customers/{cid}/subscriptions/{sid}/utilizations/azure?start_time=2026-01-01&end_time=2026-12-01",
    ]
    for uri in bad:
        assert error(pc.get(uri)) == (400, 3000), uri


def test_concurrent_retries_of_one_post_create_once(
    emulator: Emulator, user_token: str, world: dict[str, Any]
) -> None:
    body = new_customer()
    headers = {"Authorization": f"Bearer {user_token}", "MS-RequestId": str(uuid.uuid4())}

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(
            base_url=emulator.base_url, verify=emulator.verify, timeout=20
        ) as client:
            return await asyncio.gather(
                *(client.post("/v1/customers", json=body, headers=headers) for _ in range(16))
            )

    responses = asyncio.run(burst())
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    domain = body["companyProfile"]["domain"]
    spec = f'{{"Field":"Domain","Value":"{domain}","Operator":"starts_with"}}'
    with httpx.Client(base_url=emulator.base_url, verify=emulator.verify) as client:
        found = client.get(
            "/v1/customers",
            params={"filter": spec},
            headers={"Authorization": headers["Authorization"]},
        ).json()
    assert found["totalCount"] == 1
