"""Every operation of the shared catalog answers its success path in the documented shape."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from partnercenter._contract import operations
from partnercenter._contract.operations import OPERATIONS
from partnercenter.emulator import Emulator
from partnercenter.emulator.api.handlers import HANDLERS

from ...emulator_support import agreement_body, cart_body, new_customer, new_user, order_body
from .pc import error

Body = Callable[[dict[str, Any]], Any]


# name -> (path parameters from `world`, query, body, status, objectType of the answer)
CASES: dict[str, tuple[dict[str, str], dict[str, str], Body | None, int, str | None]] = {
    "get_legal_business_profile": ({}, {}, None, 200, "LegalBusinessProfile"),
    "get_organization_profile": ({}, {}, None, 200, "OrganizationProfile"),
    "get_mpn_profile": ({}, {}, None, 200, "MpnProfile"),
    "get_billing_profile": ({}, {}, None, 200, "BillingProfile"),
    "get_support_profile": ({}, {}, None, 200, "SupportProfile"),
    "list_customers": ({}, {"size": "40"}, None, 200, "Collection"),
    "create_customer": ({}, {}, lambda world: new_customer(), 201, "Customer"),
    "get_relationship_request_link": ({}, {}, None, 200, "CustomerRelationshipRequest"),
    "get_customer": ({"customer_id": "customer_id"}, {}, None, 200, "Customer"),
    "get_customer_company_profile": (
        {"customer_id": "customer_id"},
        {},
        None,
        200,
        "CustomerCompanyProfile",
    ),
    "list_subscriptions": ({"customer_id": "customer_id"}, {}, None, 200, "Collection"),
    "get_subscription": (
        {"customer_id": "customer_id", "subscription_id": "license_subscription_id"},
        {},
        None,
        200,
        "Subscription",
    ),
    "update_subscription": (
        {"customer_id": "customer_id", "subscription_id": "license_subscription_id"},
        {},
        lambda world: {"autoRenewEnabled": False},
        200,
        "Subscription",
    ),
    "list_azure_utilization": (
        {"customer_id": "customer_id", "subscription_id": "subscription_id"},
        {"start_time": "2026-10-01T00:00:00Z", "end_time": "2026-10-08T00:00:00Z"},
        None,
        200,
        "Collection",
    ),
    "list_customer_users": ({"customer_id": "customer_id"}, {}, None, 200, "Collection"),
    "create_customer_user": (
        {"customer_id": "customer_id"},
        {},
        lambda world: new_user(world["customer_domain"]),
        201,
        "CustomerUser",
    ),
    "reset_user_password": (
        {"customer_id": "customer_id", "user_id": "user_id"},
        {},
        lambda world: {
            "passwordProfile": {"password": "An0ther-Secret!", "forceChangePassword": True},
            "attributes": {"objectType": "CustomerUser"},
        },
        200,
        "CustomerUser",
    ),
    "list_invoices": ({}, {"size": "5"}, None, 200, "Collection"),
    "get_invoice": ({"invoice_id": "invoice_id"}, {}, None, 200, "Invoice"),
    "list_invoice_line_items": (
        {"invoice_id": "invoice_id"},
        {"provider": "office", "invoicelineitemtype": "billinglineitems", "size": "10"},
        None,
        200,
        "Collection",
    ),
    "list_audit_records": ({}, {"startDate": "2026-10-01", "size": "50"}, None, 200, "Collection"),
    "list_offers": ({}, {"country": "US"}, None, 200, "Collection"),
    "list_products": (
        {},
        {"country": "US", "targetView": "OnlineServices"},
        None,
        200,
        "Collection",
    ),
    "list_product_skus": ({"product_id": "product_id"}, {"country": "US"}, None, 200, "Collection"),
    "create_cart": ({"customer_id": "customer_id"}, {}, lambda world: cart_body(), 201, "Cart"),
    "checkout_cart": ({"customer_id": "customer_id", "cart_id": "cart_id"}, {}, None, 201, None),
    "list_orders": ({"customer_id": "customer_id"}, {}, None, 200, "Collection"),
    "create_order": (
        {"customer_id": "customer_id"},
        {},
        lambda world: order_body(world["customer_id"]),
        201,
        "Order",
    ),
    "get_order": ({"customer_id": "customer_id", "order_id": "order_id"}, {}, None, 200, "Order"),
    "list_customer_service_requests": (
        {"customer_id": "service_request_customer"},
        {},
        None,
        200,
        "Collection",
    ),
    "get_service_request": (
        {"service_request_id": "service_request_id"},
        {},
        None,
        200,
        "ServiceRequest",
    ),
    "list_agreements": (
        {},
        {"agreementType": "MicrosoftCustomerAgreement"},
        None,
        200,
        "Collection",
    ),
    "list_customer_agreements": ({"customer_id": "customer_id"}, {}, None, 200, "Collection"),
    "create_customer_agreement": (
        {"customer_id": "customer_id"},
        {},
        lambda world: agreement_body(),
        201,
        "Agreement",
    ),
    "check_domain_availability": ({"domain": "customer_domain"}, {}, None, 200, None),
    "get_customer_usage_summary": (
        {"customer_id": "customer_id"},
        {},
        None,
        200,
        "CustomerUsageSummary",
    ),
    "get_partner_usage_summary": ({}, {}, None, 200, "PartnerUsageSummary"),
    "list_indirect_resellers": (
        {},
        {"relationship_type": "IsIndirectCloudSolutionProviderOf"},
        None,
        200,
        "Collection",
    ),
    "get_mfa_adoption_status": ({}, {}, None, 200, "Collection"),
}


#: Lists whose items Microsoft's examples show without ``attributes`` ("Get agreement
#: metadata", "Get confirmation of customer acceptance of Microsoft Customer Agreement").
ITEMS_WITHOUT_ATTRIBUTES = {"list_agreements", "list_customer_agreements"}


def test_every_catalog_operation_has_a_handler_and_a_case() -> None:
    names = {op.name for op in OPERATIONS}
    assert names == set(HANDLERS)
    assert names == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_operation_success_path(
    name: str, pc: httpx.Client, world: dict[str, Any], emulator: Emulator
) -> None:
    op = operations.get(name)
    param_keys, query, body, status, object_type = CASES[name]
    values = dict(world)
    if name == "checkout_cart":
        cart = pc.post(f"/v1/customers/{world['customer_id']}/carts", json=cart_body())
        assert cart.status_code == 201
        values["cart_id"] = cart.json()["id"]
    path = op.format_path(**{param: values[key] for param, key in param_keys.items()})
    before = emulator.stats()["api_requests"]
    response = pc.request(
        op.method, path, params=query, json=body(world) if body is not None else None
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    for header in ("ms-requestid", "ms-correlationid", "ms-cv", "ms-serverid"):
        assert response.headers.get(header)
    # The admin call itself is not an API request: exactly one was counted.
    assert emulator.stats()["api_requests"] == before + 1
    if op.method == "HEAD":
        assert response.content == b""
        return
    answer = response.json()
    if object_type is None:
        assert answer["attributes"]["objectType"] == "CartCheckoutResult"
        assert answer["orders"] and answer["orders"][0]["attributes"]["objectType"] == "Order"
        return
    assert answer["attributes"]["objectType"] == object_type
    if object_type == "Collection":
        assert answer["totalCount"] == len(answer["items"])
        assert "self" in answer["links"]
        for item in answer["items"]:
            if name in ITEMS_WITHOUT_ATTRIBUTES:
                assert "attributes" not in item
            else:
                assert "objectType" in item["attributes"]
    if "etag" in answer.get("attributes", {}):
        if "ETag" in response.headers:
            assert response.headers["ETag"] == f'"{answer["attributes"]["etag"]}"'
    assert not any(key.startswith("_") for key in answer), "private fields leaked"


def test_paths_without_v1_are_404_in_partner_centers_shape(
    pc: httpx.Client, world: dict[str, Any]
) -> None:
    assert pc.get(f"/v1/customers/{world['customer_id']}").status_code == 200
    for path in (f"/customers/{world['customer_id']}", "/customers", "/invoices", "/v1"):
        response = pc.get(path)
        assert error(response) == (404, 1000), path
    # Methods that exist on the versioned path change nothing: still 404, not 405.
    assert error(pc.delete("/customers")) == (404, 1000)
    # The invoice collection's own next link has no /v1: it is relative to the API's
    # versioned root, where following it works.
    first = pc.get("/v1/invoices?size=2").json()
    assert not first["links"]["next"]["uri"].startswith("/v1")
    assert pc.get("/v1" + first["links"]["next"]["uri"]).status_code == 200


def test_seeded_customers_include_the_directory_tenants(
    pc: httpx.Client, emulator: Emulator
) -> None:
    customers = pc.get("/v1/customers", params={"size": 1000}).json()["items"]
    by_id = {c["id"]: c for c in customers}
    assert len(customers) >= 300
    for tenant in emulator.customer_tenants:
        if tenant["relationship"] == "none":
            assert tenant["id"] not in by_id  # not the partner's customer
            continue
        customer = by_id[tenant["id"]]
        assert customer["companyProfile"]["tenantId"] == tenant["id"]
        assert customer["companyProfile"]["domain"] == tenant["domain"]
    fabrikam = next(t for t in emulator.customer_tenants if t["name"] == "Fabrikam")
    users = pc.get(f"/v1/customers/{fabrikam['id']}/users").json()["items"]
    assert "admin@fabrikam.onmicrosoft.com" in {u["userPrincipalName"] for u in users}


def test_seeded_data_is_reproducible(emulator: Emulator) -> None:
    from partnercenter.emulator.api.dataset import Dataset

    first = Dataset(emulator.state.directory, seed=7, generated_customers=50)
    second = Dataset(emulator.state.directory, seed=7, generated_customers=50)
    assert [c["id"] for c in first.customers] == [c["id"] for c in second.customers]
    assert first.audit[10] == second.audit[10]
    assert first.invoices == second.invoices


def test_data_builds_deterministically(emulator: Emulator) -> None:
    from partnercenter.emulator.api.dataset import Dataset

    # The build's speed is a benchmark figure, not a test assertion (a shared 2-core machine
    # made a wall-clock bound flaky); what a test can hold is that the same seed gives the
    # same world, with the documented volume.
    first = Dataset(emulator.state.directory, seed=1, generated_customers=300)
    second = Dataset(emulator.state.directory, seed=1, generated_customers=300)
    assert sum(len(s) for s in first.subscriptions.values()) > 500
    assert first.subscriptions.keys() == second.subscriptions.keys()
    assert first.build_seconds > 0


def test_line_items_and_usage_line_items(pc: httpx.Client, world: dict[str, Any]) -> None:
    onetime = world["onetime_invoice_id"]
    usage = pc.get(
        f"/v1/invoices/{onetime}/lineitems",
        params={"provider": "azure", "invoicelineitemtype": "usagelineitems", "size": 5},
    ).json()
    assert usage["items"][0]["attributes"]["objectType"] == "DailyUsageLineItem"
    billing = pc.get(
        f"/v1/invoices/{onetime}/lineitems",
        params={"provider": "onetime", "invoicelineitemtype": "billinglineitems"},
    ).json()
    assert billing["items"][0]["attributes"]["objectType"] == "OneTimeInvoiceLineItem"


def test_mfa_adoption_reports_observed_calls(pc: httpx.Client, emulator: Emulator) -> None:
    report = pc.get("/v1/applicationmfaadoptionstatus").json()
    app_id = emulator.app("partner-center-app")["client_id"]
    entry = next(item for item in report["items"] if item["applicationId"] == app_id)
    assert entry["requestsWithMfa"] > 0
    assert entry["applicationName"] == "partner-center-app"
