"""Fixtures for the Partner Center API tests: tokens, clients and the seeded ids."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from partnercenter.emulator import Emulator

from .pc import fetch_token, mint


@pytest.fixture(scope="session")
def app_only_token(emulator: Emulator) -> str:
    with httpx.Client(base_url=emulator.base_url, verify=emulator.verify) as client:
        return fetch_token(emulator, client)


@pytest.fixture(scope="session")
def user_token(emulator: Emulator) -> str:
    """An app + user token with MFA, minted with the emulator's key (sign-in comes later)."""
    return mint(emulator, exp=int(emulator.state.clock.now()) + 6 * 3600)


def _client(emulator: Emulator, token: str | None) -> httpx.Client:
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.Client(
        base_url=emulator.base_url, verify=emulator.verify, timeout=20, headers=headers
    )


@pytest.fixture(scope="module")
def pc(emulator: Emulator, user_token: str) -> Iterator[httpx.Client]:
    """A client with an app + user (MFA) token: every operation accepts it."""
    with _client(emulator, user_token) as client:
        yield client


@pytest.fixture(scope="module")
def pc_app(emulator: Emulator, app_only_token: str) -> Iterator[httpx.Client]:
    """A client with an app-only token from the token service."""
    with _client(emulator, app_only_token) as client:
        yield client


@pytest.fixture(scope="module")
def anonymous(emulator: Emulator) -> Iterator[httpx.Client]:
    with _client(emulator, None) as client:
        yield client


@pytest.fixture(scope="module")
def world(pc: httpx.Client, emulator: Emulator) -> dict[str, Any]:
    """Ids of seeded resources to address operations with."""
    fabrikam = next(t for t in emulator.customer_tenants if t["name"] == "Fabrikam")
    cid = fabrikam["id"]
    subs = pc.get(f"/v1/customers/{cid}/subscriptions").json()["items"]
    azure = next(s for s in subs if s["billingType"] == "usage")
    users = pc.get(f"/v1/customers/{cid}/users").json()["items"]
    orders = pc.get(f"/v1/customers/{cid}/orders").json()["items"]
    invoices = pc.get("/v1/invoices?size=30").json()["items"]
    requests = pc.get(f"/v1/customers/{cid}/servicerequests").json()["items"]
    return {
        "customer_id": cid,
        "customer_domain": fabrikam["domain"],
        "subscription_id": azure["id"],
        "license_subscription_id": next(s["id"] for s in subs if s["billingType"] == "license"),
        "user_id": users[0]["id"],
        "order_id": orders[0]["id"],
        "invoice_id": next(i["id"] for i in invoices if i["invoiceType"] == "Recurring"),
        "onetime_invoice_id": next(i["id"] for i in invoices if i["invoiceType"] == "OneTime"),
        "product_id": "CFQ7TTC0LH18",
        "service_request_id": requests[0]["id"],
        "service_request_customer": requests[0]["organization"]["id"],
    }


@pytest.fixture()
def clean_emulator(emulator: Emulator) -> Iterator[Emulator]:
    """The emulator, with faults, throttling and the clock restored after the test."""
    yield emulator
    emulator.state.faults.clear()
    emulator.admin("DELETE", "throttling")
    emulator.state.clock.reset()
